"""Which events a speaker says (pure, no I/O, no clock).

The service renders every word once (common/wire.py ``CallData.speech``, ``BroadcastData.speech``:
the area's call template, the spoken name by the privacy rules, tickets read one character at a
time, room numbers with 号); the speaker only decides *whether* to say it: calls meant for the
speaker, repeated ``repeat`` times; broadcasts once; nothing at or below the last seq already
spoken; a replayed call older than ``max_age`` is skipped (a patient called ten minutes ago while
the speaker was down must not be called again now).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError

from common.wire import BroadcastData, CallData, event_time

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Announcement:
    """One thing to say. ``item_id`` identifies it to the speech worker (the event seq)."""

    kind: Literal["call", "broadcast"]
    text: str
    repeat: int
    item_id: str
    seq: int


@dataclass
class AnnouncementPlanner:
    """Turns events into announcements; remembers the last seq it handed out."""

    last_seq: int = 0
    max_age: timedelta = timedelta(minutes=1)

    def plan(self, event: dict[str, Any], now: datetime) -> Announcement | None:
        kind = event.get("type")
        if kind not in ("call", "broadcast"):
            return None
        seq = int(event.get("seq") or 0)
        if seq and seq <= self.last_seq:
            return None
        if seq:
            self.last_seq = seq
        ts = event_time(event.get("ts"), now.tzinfo)
        if ts is not None and now - ts > self.max_age:
            return None
        try:
            if kind == "broadcast":
                text = BroadcastData.model_validate(event.get("data")).speech.strip()
                return Announcement("broadcast", text, 1, f"b{seq}", seq) if text else None
            call = CallData.model_validate(event.get("data"))
        except ValidationError as exc:
            log.warning("ignored a %s event this speaker cannot read (seq %s): %s", kind, seq, exc)
            return None
        if "speaker" not in call.targets or not call.speech.strip():
            return None
        return Announcement("call", call.speech.strip(), max(1, call.repeat), f"c{seq}", seq)
