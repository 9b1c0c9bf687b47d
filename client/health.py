"""The health report loop of a screen or a speaker: every N seconds, and at once when asked.

Each report first sets the device's clock by the service's (``ServiceClock.sync``); a device whose own clock
drifts reports ``degraded`` with the drift while it is otherwise fine. ``state()`` says the rest:
``(status, reason_zh, reason_en, detail)``. Reports run on the loop's own thread (never a GUI thread); a
report that cannot be delivered is logged and the next one tries again.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from client.http import CallerClient, CallerError
from common.clock import ServiceClock

log = logging.getLogger(__name__)

HealthState = tuple[str, str, str, dict[str, Any]]  # status, reason_zh, reason_en, detail


class HealthLoop:
    """``HealthLoop(base_url, token, clock, state, interval, name).start()``; ``report()``; ``stop()``."""

    def __init__(self, base_url: str, token: str, clock: ServiceClock, state: Callable[[], HealthState],
                 interval: float, name: str = "health") -> None:
        self.base_url, self.token, self.clock = base_url, token, clock
        self.state, self.interval, self.name = state, interval, name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "HealthLoop":
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(3)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.report()

    def report(self) -> None:
        """Send one report now (on the calling thread)."""
        status, reason_zh, reason_en, detail = self.state()
        try:
            with CallerClient(self.base_url, self.token, timeout=3.0) as client:
                self.clock.sync(client)
                drift = self.clock.drift_warning()
                if drift is not None and status == "ok":
                    status, (reason_zh, reason_en) = "degraded", drift
                client.report_health(status, reason_zh, reason_en, detail=detail)
        except CallerError as exc:
            log.info("health report not delivered: %s", exc)
