"""Which events a speaker says, and with which words (pure, no I/O, no clock).

Rules: calls are spoken with the service's speech text (or built from the call template when an
older service sends none), repeated R times; broadcasts once; nothing at or below the last seq
already spoken; a replayed call older than ``max_age`` is skipped (a patient called ten minutes
ago while the speaker was down must not be called again now). Names are never spoken with a
``*`` and never beyond what the speech setting allows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from display.wire import call_from_event, call_goes_to, parse_ts

NameMode = Literal["none", "surname", "full"]
DEFAULT_TEMPLATE = "请 {ticket} 号 {name} 到 {room} 就诊"


@dataclass(frozen=True)
class Announcement:
    """One thing to say. ``item_id`` identifies it to the speech worker (the event seq)."""

    kind: Literal["call", "broadcast"]
    text: str
    repeat: int
    item_id: str
    seq: int


def _speech_text(call: dict[str, Any], name_mode: NameMode, template: str) -> str:
    """The text for the voice: the service's ``speech`` (it applied the area's name rule) with the
    ticket read character by character and the room number read as 号; built from the template
    when the service sent no speech text."""
    from hardware.speech.normalize import call_text, speakable, spoken_room, spoken_ticket

    ticket, room = str(call.get("ticket") or ""), call["room_name"]
    given = str(call.get("speech") or "").strip()
    if not given:
        return call_text(template, ticket, call.get("name"), room, name_mode)
    if ticket:
        given = given.replace(ticket, f" {spoken_ticket(ticket)} ")
    if room:
        given = given.replace(room, f" {spoken_room(room)} ")
    return speakable(given)


@dataclass
class AnnouncementPlanner:
    """Turns events into announcements; remembers the last seq it handed out."""

    last_seq: int = 0
    max_age: timedelta = timedelta(minutes=1)
    name_mode: NameMode = "surname"
    template: str = DEFAULT_TEMPLATE
    default_repeat: int = 2

    def plan(self, event: dict[str, Any], now: datetime) -> Announcement | None:
        kind = event.get("type")
        if kind not in ("call", "broadcast"):
            return None
        seq = int(event.get("seq") or 0)
        if seq and seq <= self.last_seq:
            return None
        if seq:
            self.last_seq = seq
        ts = parse_ts(event.get("ts"), now.tzinfo)
        if ts is not None and now - ts > self.max_age:
            return None
        data = event.get("data") or {}
        if kind == "broadcast":
            from hardware.speech.normalize import speakable

            text = speakable(str(data.get("speech_text") or data.get("text") or ""))
            return Announcement("broadcast", text, 1, f"b{seq}", seq) if text else None
        call = call_from_event(event)
        if not call_goes_to(call, "speaker"):
            return None
        text = _speech_text(call, self.name_mode, self.template)
        if not text:
            return None
        repeat = int(call.get("repeat") or self.default_repeat)
        return Announcement("call", text, max(1, repeat), f"c{seq}", seq)
