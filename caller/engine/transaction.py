"""One command's bookkeeping: what it touched, its events and audit, and undo when a rule refuses it.

A command either applies as a whole (its `Change` lists every row it changed) or, when it raises,
leaves the engine exactly as it was: never a partial change.
"""
from __future__ import annotations

from datetime import datetime

from caller.engine.model import AuditEntry, Change, EngineEvent, RoomState, Visit


def _shallow(obj):
    """A copy of a visit or a room as it is (their fields are flat values): ``copy.copy`` without its generic
    protocol, which cost a command more than the rest of its undo record."""
    twin = object.__new__(type(obj))
    twin.__dict__.update(obj.__dict__)
    return twin


class Transaction:
    """Records the state before each first touch so a refused command can be undone."""

    def __init__(self, visits: dict[str, Visit], rooms: dict[str, RoomState], counters: dict[str, int],
                 actor: str, now: datetime):
        self._visits = visits
        self._rooms = rooms
        self._counters = counters
        self.actor = actor
        self.now = now
        self._visits_before: dict[str, Visit | None] = {}
        self._rooms_before: dict[str, RoomState] = {}
        self._counters_before: dict[str, int | None] = {}
        self.events: list[EngineEvent] = []
        self.audit: list[AuditEntry] = []
        self._queue_ids: dict[str, list[str]] = {}
        self._queue_reasons: dict[str, list[str]] = {}

    # ---- touching state ---------------------------------------------------------------------------
    def touch(self, visit: Visit) -> Visit:
        """Call before changing `visit` (or before adding a new one)."""
        if visit.id not in self._visits_before:
            known = self._visits.get(visit.id)
            self._visits_before[visit.id] = _shallow(known) if known is not None else None
        return visit

    def touch_room(self, room: RoomState) -> RoomState:
        if room.room_id not in self._rooms_before:
            self._rooms_before[room.room_id] = _shallow(room)
        return room

    def next_counter(self, key: str) -> int:
        """Increment and return a persisted counter (ticket numbers, sequences)."""
        if key not in self._counters_before:
            self._counters_before[key] = self._counters.get(key)
        value = self._counters.get(key, 0) + 1
        self._counters[key] = value
        return value

    def set_counter(self, key: str, value: int) -> None:
        """Set a persisted counter (e.g. the current day)."""
        if key not in self._counters_before:
            self._counters_before[key] = self._counters.get(key)
        self._counters[key] = value

    def touched_ids(self) -> list[str]:
        return list(self._visits_before)

    # ---- what the command says --------------------------------------------------------------------
    def record(self, visit: Visit | None, action: str, before: str | None, detail: dict | None = None) -> None:
        """Audit one action on a visit (before = its state before, as a string)."""
        self.audit.append(
            AuditEntry(
                visit_id=visit.id if visit else None,
                action=action,
                actor=self.actor,
                before_state=before,
                after_state=visit.state.value if visit else None,
                detail={"at": self.now.isoformat(), **(detail or {})},
            )
        )

    def queue_changed(self, area_id: str, action: str, visit_id: str | None) -> None:
        """Note that the order or states of an area's queue changed (one "queue" event per area)."""
        ids = self._queue_ids.setdefault(area_id, [])
        if visit_id and visit_id not in ids:
            ids.append(visit_id)
        reasons = self._queue_reasons.setdefault(area_id, [])
        if action not in reasons:
            reasons.append(action)

    def emit(self, event: EngineEvent) -> None:
        self.events.append(event)

    # ---- ending -----------------------------------------------------------------------------------
    def change(self, result: Visit | None) -> Change:
        """The Change of a command that applied."""
        visits = [
            self._visits[vid]
            for vid, before in self._visits_before.items()
            if vid in self._visits and (before is None or before != self._visits[vid])
        ]
        rooms = [self._rooms[rid] for rid, before in self._rooms_before.items() if before != self._rooms[rid]]
        counters = {key: self._counters[key] for key in self._counters_before}
        events = list(self.events)
        for area_id, ids in self._queue_ids.items():
            reasons = self._queue_reasons[area_id]
            events.append(EngineEvent("queue", area_id, {"reason": reasons[0], "reasons": reasons, "visit_ids": ids}))
        return Change(result=result, visits=visits, rooms=rooms, counters=counters, events=events, audit=list(self.audit))

    def rollback(self) -> None:
        """Put back everything touched: the engine is as before the command."""
        for vid, before in self._visits_before.items():
            if before is None:
                self._visits.pop(vid, None)
            else:
                self._visits[vid] = before
        for rid, before in self._rooms_before.items():
            self._rooms[rid] = before
        for key, value in self._counters_before.items():
            if value is None:
                self._counters.pop(key, None)
            else:
                self._counters[key] = value
