"""What an area or door screen shows, kept up to date from live events (pure, no I/O, no clock).

The service sends a ``snapshot`` (or a ``queue`` event carrying one) and then ``call``, ``broadcast``
and ``room`` events. :class:`AreaBoard` folds them into plain data the Qt screens draw:
each room with its current patient and the next ones, the last calls (the newest one flashing),
the notice band and a broadcast banner. Time is always passed in.

Names are masked again here (idempotent) so a public screen can never show a full name, even
if a snapshot carried one by mistake.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from display.wire import (
    call_from_event,
    parse_ts,
    rooms_from_snapshot,
    snapshot_of,
)


def mask_name(name: str | None) -> str:
    """张三 -> 张*, 王小明 -> 王*明, 欧阳娜娜 -> 欧**娜; already masked names are kept."""
    name = (name or "").strip()
    if "*" in name or len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class Patient:
    """One visit as a public screen may show it."""

    ticket: str
    name: str = ""  # masked
    visit_id: str = ""
    badge: str = ""  # e.g. 预约 / 召回; empty when none

    def label(self, show_name: bool = True) -> str:
        return f"{self.ticket} {self.name}".strip() if show_name else self.ticket


@dataclass(frozen=True)
class RoomBoard:
    """One room: who is inside (called / in service) and who is next."""

    room_id: str
    name: str
    paused: bool = False
    doctor_name: str = ""
    doctor_title: str = ""
    doctor_photo: str = ""
    department: str = ""
    current: Patient | None = None
    waiting: tuple[Patient, ...] = ()


@dataclass(frozen=True)
class CallLine:
    """One call (or call again) as shown in the list of last calls."""

    seq: int
    ticket: str
    name: str
    room_id: str
    room_name: str
    text: str
    at: datetime
    visit_id: str = ""


@dataclass
class AreaBoard:
    """The state of one area's screens. ``apply`` returns which parts changed."""

    area_id: str
    recent_limit: int = 6
    last_seq: int = 0
    day: date | None = None
    rooms: dict[str, RoomBoard] = field(default_factory=dict)
    calls: list[CallLine] = field(default_factory=list)  # newest first
    banner: str = ""
    banner_until: datetime | None = None
    notices: list[str] = field(default_factory=list)

    # -- events ------------------------------------------------------------------------------
    def apply(self, event: dict[str, Any], now: datetime) -> set[str]:
        """Fold one event in. Events at or below ``last_seq`` (replays) change nothing."""
        kind = event.get("type", "")
        seq = int(event.get("seq") or 0)
        if kind == "heartbeat":
            return set()
        if kind != "snapshot" and seq and seq <= self.last_seq:
            return set()
        changed = self.roll_day(now)
        if kind == "snapshot" or (kind == "queue" and snapshot_of(event) is not None):
            changed |= self._take_snapshot(snapshot_of(event) or {}, now)
        elif kind == "call":
            changed |= self._take_call(event, now)
        elif kind == "broadcast":
            changed |= self._take_broadcast(event, now)
        elif kind == "room":
            changed |= self._take_room(event)
        if seq:
            self.last_seq = max(self.last_seq, seq) if kind != "snapshot" else seq
        return changed

    def roll_day(self, now: datetime) -> set[str]:
        """At the first event or tick of a new day, drop yesterday's calls (numbers restart at 1)."""
        today = now.date()
        if self.day == today:
            return set()
        changed = {"calls"} if self.calls and self.day is not None else set()
        self.calls = [c for c in self.calls if c.at.astimezone(now.tzinfo).date() == today] if self.day else self.calls
        self.day = today
        return changed

    def tick(self, now: datetime) -> set[str]:
        """Called by the screen's clock: expires the banner and rolls the day."""
        changed = self.roll_day(now)
        if self.banner and self.banner_until is not None and now >= self.banner_until:
            self.banner, self.banner_until = "", None
            changed.add("banner")
        return changed

    # -- queries -----------------------------------------------------------------------------
    def newest_call(self) -> CallLine | None:
        return self.calls[0] if self.calls else None

    def room_list(self, room_ids: Iterable[str] | None = None) -> list[RoomBoard]:
        """Rooms in configured order (``room_ids``) or in the service's order."""
        if room_ids is None:
            return list(self.rooms.values())
        return [self.rooms[r] for r in room_ids if r in self.rooms]

    # -- internals ---------------------------------------------------------------------------
    def _take_snapshot(self, snap: dict[str, Any], now: datetime) -> set[str]:
        rooms = rooms_from_snapshot(snap)
        fresh: dict[str, RoomBoard] = {}
        for raw in rooms:
            board = _room_from_wire(raw)
            fresh[board.room_id] = board
        changed = {"rooms"} if fresh != self.rooms else set()
        self.rooms = fresh
        notices = snap.get("notices")
        if isinstance(notices, list) and [str(n) for n in notices] != self.notices:
            self.notices = [str(n) for n in notices]
            changed.add("notices")
        recent = snap.get("recent_calls")
        if isinstance(recent, list) and not self.calls:
            lines = [line for line in (_call_line(c, now) for c in recent) if line is not None]
            today = now.date()
            lines = [c for c in lines if c.at.astimezone(now.tzinfo).date() == today]
            lines.sort(key=lambda c: (c.at, c.seq), reverse=True)
            if lines:
                self.calls = lines[: self.recent_limit]
                changed.add("calls")
        return changed

    def _take_call(self, event: dict[str, Any], now: datetime) -> set[str]:
        line = _call_line(event, now)
        if line is None:
            return set()
        # a call again of the same visit moves it to the top instead of listing it twice
        self.calls = [line] + [c for c in self.calls if not (line.visit_id and c.visit_id == line.visit_id)]
        del self.calls[self.recent_limit :]
        changed = {"calls"}
        room = self.rooms.get(line.room_id)
        patient = Patient(line.ticket, line.name, line.visit_id)
        if room is None:
            self.rooms[line.room_id] = RoomBoard(line.room_id, line.room_name, current=patient)
        else:
            waiting = tuple(p for p in room.waiting if not (p.visit_id and p.visit_id == line.visit_id)
                            and p.ticket != line.ticket)
            self.rooms[line.room_id] = replace(room, current=patient, waiting=waiting)
        changed.add("rooms")
        return changed

    def _take_broadcast(self, event: dict[str, Any], now: datetime) -> set[str]:
        data = event.get("data") or {}
        text = str(data.get("text") or "").strip()
        if not text:
            return set()
        seconds = float(data.get("display_seconds") or data.get("seconds") or 60)
        self.banner = text
        self.banner_until = now + timedelta(seconds=seconds)
        return {"banner"}

    def _take_room(self, event: dict[str, Any]) -> set[str]:
        data = event.get("data") or {}
        room_id = str(data.get("room") or data.get("room_id") or data.get("id") or "")
        if not room_id:
            return set()
        old = self.rooms.get(room_id) or RoomBoard(room_id, str(data.get("room_name") or room_id))
        new = _room_from_wire({**_room_to_wire(old), **data, "id": room_id})
        if new == old:
            return set()
        self.rooms[room_id] = new
        return {"rooms"}


def _patient(raw: Any) -> Patient | None:
    if not isinstance(raw, dict):
        return None
    ticket = str(raw.get("ticket") or "").strip()
    if not ticket:
        return None
    badge = ""
    if raw.get("recalled"):
        badge = "召回"
    elif raw.get("late"):
        badge = "迟到"
    return Patient(ticket, mask_name(raw.get("name_masked") or raw.get("name")),
                   str(raw.get("visit_id") or raw.get("id") or ""), badge)


def _room_from_wire(raw: dict[str, Any]) -> RoomBoard:
    doctor = raw.get("doctor") if isinstance(raw.get("doctor"), dict) else {}
    current = _patient(raw.get("current"))
    waiting = tuple(p for p in (_patient(v) for v in raw.get("waiting") or raw.get("queue") or []) if p)
    return RoomBoard(
        room_id=str(raw.get("id") or raw.get("room") or ""),
        name=str(raw.get("name") or raw.get("room_name") or raw.get("id") or ""),
        paused=bool(raw.get("paused")),
        doctor_name=str(doctor.get("name") or raw.get("doctor_name") or ""),
        doctor_title=str(doctor.get("title") or raw.get("doctor_title") or ""),
        doctor_photo=str(doctor.get("photo") or raw.get("doctor_photo") or ""),
        department=str(raw.get("department_name") or raw.get("department") or ""),
        current=current,
        waiting=waiting,
    )


def _room_to_wire(room: RoomBoard) -> dict[str, Any]:
    def wire(p: Patient | None) -> dict | None:
        return None if p is None else {"ticket": p.ticket, "name": p.name, "visit_id": p.visit_id,
                                       "recalled": p.badge == "召回", "late": p.badge == "迟到"}

    return {
        "id": room.room_id, "name": room.name, "paused": room.paused,
        "doctor": {"name": room.doctor_name, "title": room.doctor_title, "photo": room.doctor_photo},
        "department": room.department, "current": wire(room.current),
        "waiting": [wire(p) for p in room.waiting],
    }


def _call_line(event_or_call: dict[str, Any], now: datetime) -> CallLine | None:
    call = call_from_event(event_or_call)
    if not call.get("ticket"):
        return None
    at = parse_ts(call.get("ts")) or now
    return CallLine(
        seq=int(call.get("seq") or 0),
        ticket=str(call["ticket"]),
        name=mask_name(call.get("name")),
        room_id=str(call.get("room") or ""),
        room_name=str(call.get("room_name") or call.get("room") or ""),
        text=str(call.get("display_text") or ""),
        at=at if at.tzinfo else at.replace(tzinfo=timezone.utc),
        visit_id=str(call.get("visit_id") or ""),
    )
