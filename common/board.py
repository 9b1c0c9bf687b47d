"""What an area or door screen shows, kept up to date from live events (pure, no I/O, no clock).

The service sends a ``snapshot`` (or a ``queue`` event carrying one) and then ``call``, ``broadcast``,
``room`` and ``ready`` events, read here with their models (common/wire.py). :class:`AreaBoard` folds them into plain data the Qt screens draw:
each room with its current patient and the next ones, the last calls (the newest one flashing),
the notice band and a broadcast banner. Time is always passed in.

Names are masked again here (idempotent) so a public screen can never show a full name, even
if a snapshot carried one by mistake.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from pydantic import ValidationError

from common.privacy import mask_name
from common.wire import (
    BroadcastData,
    CallData,
    PublicSnapshot,
    ReadyData,
    RoomData,
    RoomSnapshot,
    VisitItem,
    event_time,
    snapshot_of,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Patient:
    """One visit as a public screen may show it."""

    ticket: str
    name: str = ""  # masked
    visit_id: str = ""
    badge: str = ""  # e.g. 预约 / 召回; empty when none
    room_id: str = ""  # the room it waits for; "" for a visit of the area queue (any fitting room may take it)

    def label(self, show_name: bool = True) -> str:
        return f"{self.ticket} {self.name}".strip() if show_name else self.ticket


@dataclass(frozen=True)
class RoomBoard:
    """One room: who is inside (called / in service) and who is next."""

    room_id: str
    name: str
    paused: bool = False
    return_at: str = ""  # while paused: when the doctor is expected back
    doctor_id: str = ""
    doctor_name: str = ""
    doctor_title: str = ""
    doctor_photo: str = ""
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


@dataclass(frozen=True)
class ReadyLine:
    """One patient on a pharmacy or lab window screen's list (请以下患者取药 / 检验报告已出)."""

    ticket: str
    name: str  # masked
    visit_id: str
    room_id: str = ""  # medicine: the window it waits at
    room_name: str = ""


@dataclass(frozen=True)
class DoctorCard:
    """What a door screen shows of a doctor (from GET /hospital)."""

    name: str
    title: str = ""
    photo: str = ""
    specialty: str = ""


@dataclass
class AreaBoard:
    """The state of one area's screens. ``apply`` returns which parts changed.

    ``target`` is the output this board feeds (``area_screen`` or ``room_screen``): a call whose
    ``targets`` do not list it is not shown. ``doctors`` maps doctor ids to their cards.

    ``ready_kind``: a pharmacy's board (``medicine``) or a lab's (``report``) also keeps the area's ready list from
    the journey's ``ready`` events of that kind. A pharmacy's list is the medicine dispensed and not yet called:
    a call takes the patient off it, and each snapshot keeps it true to the windows' queues (who collected or
    left goes; after a restart the queues fill it). A lab's list is the newest reports of the day.
    """

    area_id: str
    recent_limit: int = 6
    target: str = "area_screen"
    doctors: dict[str, DoctorCard] = field(default_factory=dict)
    banner_seconds: float = 120.0
    last_seq: int = 0
    day: date | None = None
    rooms: dict[str, RoomBoard] = field(default_factory=dict)
    calls: list[CallLine] = field(default_factory=list)  # newest first
    banner: str = ""
    banner_until: datetime | None = None
    notices: list[str] = field(default_factory=list)
    ready_kind: str = ""  # "", medicine (pharmacy) or report (lab)
    ready: list[ReadyLine] = field(default_factory=list)  # in the order they became ready
    ready_more: int = 0  # ready at a window whose queue came cut (public lists carry their head): counted only
    ready_limit: int = 60

    # -- events ------------------------------------------------------------------------------
    def apply(self, event: dict[str, Any], now: datetime) -> set[str]:
        """Fold one event in. Events at or below ``last_seq`` (replays) change nothing.

        The answer names what changed: rooms, calls, call (a new call: flash it), banner, notices.
        """
        kind = event.get("type", "")
        seq = int(event.get("seq") or 0)
        if kind in ("heartbeat", "error"):
            return set()
        if kind != "snapshot" and seq and seq <= self.last_seq:
            return set()
        changed = self.roll_day(now)
        data = event.get("data") or {}
        try:
            snap = snapshot_of(event) if kind in ("snapshot", "queue") else None
            if snap is not None:
                changed |= self._take_snapshot(PublicSnapshot.model_validate(snap), now)
            elif kind == "call":
                changed |= self._take_call(CallData.model_validate(data), event_time(event.get("ts"), now.tzinfo),
                                           seq, now)
            elif kind == "broadcast":
                changed |= self._take_broadcast(BroadcastData.model_validate(data),
                                                event_time(event.get("ts"), now.tzinfo) or now, now)
            elif kind == "room":
                changed |= self._take_room(RoomData.model_validate(data))
            elif kind == "ready" and self.ready_kind:
                changed |= self._take_ready(ReadyData.model_validate(data))
        except ValidationError as exc:
            log.warning("ignored a %s event this screen cannot read (seq %s): %s", kind, seq, exc)
        if seq:
            self.last_seq = seq if kind == "snapshot" else max(self.last_seq, seq)
        return changed

    def roll_day(self, now: datetime) -> set[str]:
        """At the first event or tick of a new day, drop yesterday's calls (numbers restart at 1).

        Returns ``{"day", ...}`` when a day passed, so the screen can ask for a fresh snapshot.
        """
        today = now.date()
        if self.day == today:
            return set()
        kept = [c for c in self.calls if c.at.astimezone(now.tzinfo).date() == today]
        changed = {"calls"} if kept != self.calls else set()
        if self.day is not None:
            changed.add("day")
            if self.ready:
                self.ready = []
                changed.add("ready")
        self.calls, self.day = kept, today
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
        """Rooms in configured order (``room_ids``) or in the service's order; on a screen of several rooms each
        waiting visit is listed once: under the room it waits for, and a visit of the area queue (which several
        rooms would take) under the first room listing it."""
        rooms = list(self.rooms.values()) if room_ids is None else [self.rooms[r] for r in room_ids if r in self.rooms]
        if len(rooms) < 2:
            return rooms
        shown = {p.visit_id or p.ticket for room in rooms for p in room.waiting if p.room_id == room.room_id}
        out = []
        for room in rooms:
            keep = []
            for p in room.waiting:
                key = p.visit_id or p.ticket
                if p.room_id == room.room_id:
                    keep.append(p)
                elif key not in shown and (not p.room_id or p.room_id not in self.rooms):
                    shown.add(key)
                    keep.append(p)
            out.append(replace(room, waiting=tuple(keep)) if len(keep) != len(room.waiting) else room)
        return out

    # -- internals ---------------------------------------------------------------------------
    def _take_snapshot(self, snap: PublicSnapshot, now: datetime) -> set[str]:
        fresh = {board.room_id: board for board in (self._room_from_wire(r) for r in snap.rooms)}
        changed = {"rooms"} if fresh != self.rooms else set()
        self.rooms = fresh
        if self.ready_kind == "medicine":
            changed |= self._ready_from_queues(snap)
        if snap.notices != self.notices:
            self.notices = list(snap.notices)
            changed.add("notices")
        if not self.calls:  # after a (re)start: the visits called and not yet in, latest first
            names = {b.room_id: b.name for b in fresh.values()}
            for item in snap.called[:self.recent_limit]:
                patient = _patient(item)
                room_id = item.room_id or ""
                self.calls.append(CallLine(0, patient.ticket, patient.name, room_id, names.get(room_id, room_id),
                                           "", now, patient.visit_id))
            if self.calls:
                changed.add("calls")
        if not self.banner and snap.broadcasts:  # after a (re)start: a notice sent minutes ago still shows
            sent = snap.broadcasts[0]
            changed |= self._take_broadcast(sent, event_time(sent.ts, now.tzinfo) or now, now)
        return changed

    def _take_call(self, call: CallData, at: datetime | None, seq: int, now: datetime) -> set[str]:
        if self.target not in call.targets:
            return set()
        line = CallLine(seq=seq, ticket=call.ticket, name=mask_name(call.name), room_id=call.room_id,
                        room_name=call.room_name, text=call.text, at=at or now, visit_id=call.visit_id)
        # a call again of the same visit moves it to the top instead of listing it twice
        self.calls = [line] + [c for c in self.calls if c.visit_id != line.visit_id]
        del self.calls[self.recent_limit:]
        patient = Patient(line.ticket, line.name, line.visit_id)
        room = self.rooms.get(line.room_id) or RoomBoard(line.room_id, line.room_name)
        waiting = tuple(p for p in room.waiting if p.ticket != line.ticket)
        self.rooms[line.room_id] = replace(room, current=patient, waiting=waiting)
        changed = {"calls", "rooms", "call"}  # "call": a live call arrived (the screen flashes)
        if self.ready_kind == "medicine" and any(r.visit_id == call.visit_id for r in self.ready):
            self.ready = [r for r in self.ready if r.visit_id != call.visit_id]  # called: at the window now
            changed.add("ready")
        return changed

    def _take_ready(self, data: ReadyData) -> set[str]:
        if data.kind != self.ready_kind or any(r.visit_id == data.visit_id for r in self.ready):
            return set()
        self.ready.append(ReadyLine(data.ticket, mask_name(data.name), data.visit_id, data.room_id or "",
                                    data.room_name or ""))
        del self.ready[:-self.ready_limit]
        return {"ready"}

    def _ready_from_queues(self, snap: PublicSnapshot) -> set[str]:
        """A pharmacy's windows' queues are its dispensed medicine waiting to be called: the list keeps who is
        still there (a window whose queue came cut keeps its lines) and adds who is missing, in queue order."""
        queued: dict[str, ReadyLine] = {}
        cut: set[str] = set()
        total = sum(raw.queue_total if raw.queue_total is not None else len(raw.queue) for raw in snap.rooms)
        for raw in snap.rooms:
            if raw.queue_total is not None and raw.queue_total > len(raw.queue):
                cut.add(raw.room_id)
            for item in raw.queue:
                queued[item.visit_id] = ReadyLine(item.ticket, mask_name(item.name), item.visit_id, raw.room_id,
                                                  raw.name or raw.room_id)
        kept = [r for r in self.ready if r.visit_id in queued or (r.room_id in cut and r.room_id)]
        known = {r.visit_id for r in kept}
        kept += [line for vid, line in queued.items() if vid not in known]
        del kept[:-self.ready_limit]
        more = max(0, total - len(kept))
        if kept == self.ready and more == self.ready_more:
            return set()
        self.ready, self.ready_more = kept, more
        return {"ready"}

    def _take_broadcast(self, data: BroadcastData, sent: datetime, now: datetime) -> set[str]:
        text = data.text.strip()
        until = sent + timedelta(seconds=self.banner_seconds)
        if not text or now >= until:
            return set()
        self.banner, self.banner_until = text, until
        return {"banner"}

    def _take_room(self, data: RoomData) -> set[str]:
        old = self.rooms.get(data.room_id) or RoomBoard(data.room_id, data.room_name)
        new = replace(old, paused=data.paused, return_at=data.return_at or "")
        if data.doctor_id:
            card = self.doctors.get(data.doctor_id)
            if card is not None:
                new = replace(new, doctor_id=data.doctor_id, doctor_name=card.name, doctor_title=card.title,
                              doctor_photo=card.photo)
        if new == old:
            return set()
        self.rooms[data.room_id] = new
        return {"rooms"}

    def _room_from_wire(self, raw: RoomSnapshot) -> RoomBoard:
        card = self.doctors.get(raw.doctor_id or "")
        current = (raw.called or raw.in_service or [None])[0]  # the latest called visit, else the one inside
        return RoomBoard(
            room_id=raw.room_id,
            name=raw.name or raw.room_id,
            paused=raw.paused,
            return_at=raw.return_at or "",
            doctor_id=raw.doctor_id or "",
            doctor_name=raw.doctor_name or (card.name if card else ""),
            doctor_title=card.title if card else "",
            doctor_photo=card.photo if card else "",
            current=_patient(current) if current is not None else None,
            waiting=tuple(_patient(v) for v in raw.next),  # next: the room's queue, then fitting area visits
        )


def _patient(item: VisitItem) -> Patient:
    badge = "召回" if item.recalled else "迟到" if item.late else ""
    return Patient(item.ticket, mask_name(item.name), item.visit_id, badge, item.room_id or "")
