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
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from display.wire import (
    call_from_event,
    call_goes_to,
    current_of_room,
    parse_ts,
    rooms_from_snapshot,
    snapshot_of,
)
from privacy import mask_name


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
    return_at: str = ""  # while paused: when the doctor is expected back
    doctor_id: str = ""
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
        snap = snapshot_of(event) if kind in ("snapshot", "queue") else None
        if snap is not None:
            changed |= self._take_snapshot(snap, now)
        elif kind == "call":
            changed |= self._take_call(event, now)
        elif kind == "broadcast":
            changed |= self._take_broadcast(event.get("data") or {}, parse_ts(event.get("ts"), now.tzinfo) or now, now)
        elif kind == "room":
            changed |= self._take_room(event.get("data") or {})
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
        """Rooms in configured order (``room_ids``) or in the service's order."""
        if room_ids is None:
            return list(self.rooms.values())
        return [self.rooms[r] for r in room_ids if r in self.rooms]

    # -- internals ---------------------------------------------------------------------------
    def _take_snapshot(self, snap: dict[str, Any], now: datetime) -> set[str]:
        fresh = {board.room_id: board for board in (self._room_from_wire(r) for r in rooms_from_snapshot(snap))}
        changed = {"rooms"} if fresh != self.rooms else set()
        self.rooms = fresh
        notices = snap.get("notices")
        if isinstance(notices, list) and [str(n) for n in notices] != self.notices:
            self.notices = [str(n) for n in notices]
            changed.add("notices")
        if not self.calls:  # after a (re)start: the visits called and not yet in, latest first
            names = {b.room_id: b.name for b in fresh.values()}
            for item in snap.get("called") or []:
                patient = _patient(item)
                if patient is None or len(self.calls) >= self.recent_limit:
                    continue
                room_id = str(item.get("room_id") or "")
                self.calls.append(CallLine(0, patient.ticket, patient.name, room_id, names.get(room_id, room_id),
                                           "", now, patient.visit_id))
            if self.calls:
                changed.add("calls")
        if not self.banner:  # after a (re)start: a notice sent minutes ago still shows
            for item in snap.get("broadcasts") or []:
                if isinstance(item, dict):
                    changed |= self._take_broadcast(item, parse_ts(item.get("ts"), now.tzinfo) or now, now)
                    break
        return changed

    def _take_call(self, event: dict[str, Any], now: datetime) -> set[str]:
        call = call_from_event(event)
        if not call.get("ticket") or not call_goes_to(call, self.target):
            return set()
        at = parse_ts(call.get("ts"), now.tzinfo) or now
        line = CallLine(seq=int(call.get("seq") or 0), ticket=str(call["ticket"]), name=mask_name(call.get("name")),
                        room_id=call["room_id"], room_name=call["room_name"], text=call["text"], at=at,
                        visit_id=str(call.get("visit_id") or ""))
        # a call again of the same visit moves it to the top instead of listing it twice
        self.calls = [line] + [c for c in self.calls if not (line.visit_id and c.visit_id == line.visit_id)]
        del self.calls[self.recent_limit:]
        patient = Patient(line.ticket, line.name, line.visit_id)
        room = self.rooms.get(line.room_id) or RoomBoard(line.room_id, line.room_name)
        waiting = tuple(p for p in room.waiting if p.ticket != line.ticket)
        self.rooms[line.room_id] = replace(room, current=patient, waiting=waiting)
        return {"calls", "rooms", "call"}  # "call": a live call arrived (the screen flashes)

    def _take_broadcast(self, data: dict[str, Any], sent: datetime, now: datetime) -> set[str]:
        text = str(data.get("text") or "").strip()
        until = sent + timedelta(seconds=self.banner_seconds)
        if not text or now >= until:
            return set()
        self.banner, self.banner_until = text, until
        return {"banner"}

    def _take_room(self, data: dict[str, Any]) -> set[str]:
        room_id = str(data.get("room_id") or "")
        if not room_id:
            return set()
        old = self.rooms.get(room_id) or RoomBoard(room_id, str(data.get("room_name") or room_id))
        new = replace(old, paused=bool(data.get("paused", old.paused)), return_at=str(data.get("return_at") or ""))
        if data.get("doctor_id"):
            card = self.doctors.get(str(data["doctor_id"]))
            if card is not None:
                new = replace(new, doctor_id=str(data["doctor_id"]), doctor_name=card.name, doctor_title=card.title,
                              doctor_photo=card.photo)
        if new == old:
            return set()
        self.rooms[room_id] = new
        return {"rooms"}

    def _room_from_wire(self, raw: dict[str, Any]) -> RoomBoard:
        card = self.doctors.get(str(raw.get("doctor_id") or ""))
        upcoming = raw.get("next") or raw.get("queue") or raw.get("waiting") or []  # next: room queue, then area
        waiting = tuple(p for p in (_patient(v) for v in upcoming) if p)
        return RoomBoard(
            room_id=str(raw.get("room_id") or raw.get("id") or ""),
            name=str(raw.get("name") or raw.get("room_id") or ""),
            paused=bool(raw.get("paused")),
            return_at=str(raw.get("return_at") or ""),
            doctor_id=str(raw.get("doctor_id") or ""),
            doctor_name=str(raw.get("doctor_name") or (card.name if card else "")),
            doctor_title=card.title if card else "",
            doctor_photo=card.photo if card else "",
            department=str(raw.get("dept_name") or ""),
            current=_patient(current_of_room(raw)),
            waiting=waiting,
        )


def _patient(raw: Any) -> Patient | None:
    if not isinstance(raw, dict):
        return None
    ticket = str(raw.get("ticket") or "").strip()
    if not ticket:
        return None
    badge = "召回" if raw.get("recalled") else "迟到" if raw.get("late") else ""
    return Patient(ticket, mask_name(raw.get("name")), str(raw.get("visit_id") or ""), badge)
