"""The speaker agent of one waiting area (headless).

It follows the area's events, hands each call and broadcast to the speech worker (which plays
them one after another: chime, the call R times, broadcasts between calls) and reports its health
to the service. The last seq it handed over is kept in a small state file, so after a restart of
the service or of the agent nothing already spoken is said again, and a call older than a minute
is not said at all.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Protocol

from client.health import HealthLoop, HealthState
from client.http import EventSubscriber
from common.clock import ServiceClock
from display.announce import Announcement, AnnouncementPlanner

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 10.0


class Speech(Protocol):
    """What the agent needs of :class:`hardware.speech.SpeechWorker`."""

    def announce_call(self, text: str, repeat: int = 2, item_id: str | None = None) -> str: ...

    def announce_broadcast(self, text: str, item_id: str | None = None) -> str: ...

    def health(self) -> Any: ...

    def stop(self) -> None: ...


def load_last_seq(path: Path | None) -> int:
    """The last seq spoken, from the state file (0 when there is none or it is unreadable)."""
    if path is None:
        return 0
    try:
        return int(json.loads(path.read_text(encoding="utf-8")).get("last_seq", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def save_last_seq(path: Path | None, seq: int) -> None:
    """Write the state file atomically (a crash leaves the old or the new number, never half)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({"last_seq": seq}), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class SpeakerAgent:
    """``SpeakerAgent(base_url, token, area, speech)``; ``start()`` / ``stop()``.

    ``announced`` lists every announcement handed to the speech worker, in order.
    """

    base_url: str
    token: str
    area: str
    speech: Speech
    state_file: Path | None = None
    max_age: timedelta = timedelta(minutes=1)
    clock: ServiceClock = field(default_factory=ServiceClock)  # set by the service's time with every health report
    now: Callable[[], datetime] | None = None  # aware; default: ``clock.aware``
    health_interval: float = HEALTH_INTERVAL_S
    announced: list[Announcement] = field(default_factory=list)
    online: bool = False
    owns_speech: bool = False  # stop the speech worker with the agent (when the agent made it)

    def __post_init__(self) -> None:
        if self.now is None:
            self.now = self.clock.aware
        last = load_last_seq(self.state_file)
        self.planner = AnnouncementPlanner(last_seq=last, max_age=self.max_age)
        self._lock = threading.Lock()
        self._announced_cv = threading.Condition(self._lock)
        self._subscriber: EventSubscriber | None = None
        self._health = HealthLoop(self.base_url, self.token, self.clock, self._health_state, self.health_interval,
                                  name=f"speaker-health-{self.area}")

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "SpeakerAgent":
        since = self.planner.last_seq or None
        self._subscriber = EventSubscriber(self.base_url, self.token, self.area, self.handle_event,
                                           self._on_status, since=since)
        self._subscriber.start()
        self._health.start()
        return self

    def stop(self) -> None:
        if self._subscriber is not None:
            self._subscriber.stop()
        self._health.stop()
        if self.owns_speech:
            self.speech.stop()

    # -- events ------------------------------------------------------------------------------
    def handle_event(self, event: dict[str, Any]) -> Announcement | None:
        """Plan one event and queue what it says (runs on the subscriber's thread)."""
        with self._lock:
            item = self.planner.plan(event, self.now())
            if item is None:
                return None
            try:
                if item.kind == "call":
                    self.speech.announce_call(item.text, item.repeat, item.item_id)
                else:
                    self.speech.announce_broadcast(item.text, item.item_id)
            except (RuntimeError, ValueError) as exc:
                log.warning("speech refused %s: %s", item.item_id, exc)
                return None
            save_last_seq(self.state_file, item.seq)
            self.announced.append(item)
            self._announced_cv.notify_all()
            return item

    def wait_announced(self, count: int, timeout: float) -> bool:
        """Block until at least ``count`` announcements were queued (for tests and the demo)."""
        with self._announced_cv:
            return self._announced_cv.wait_for(lambda: len(self.announced) >= count, timeout)

    def _on_status(self, status: str) -> None:
        self.online = status == "connected"
        if self.online:
            self._health.report()

    # -- health ------------------------------------------------------------------------------
    def _health_state(self) -> HealthState:
        health = self.speech.health()
        status = getattr(getattr(health, "status", None), "value", None) or str(getattr(health, "status", "ok"))
        return (status, getattr(health, "reason_zh", ""), getattr(health, "reason_en", ""),
                {"last_seq": self.planner.last_seq, "spoken": len(self.announced)})
