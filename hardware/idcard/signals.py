"""A tiny thread-safe callback list (Qt-free): reader.card_read.connect(fn)."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)


class Signal:
    """Callbacks run in the emitting thread; a failing callback is logged and the others still run.

    A Qt app re-emits from here into a Qt signal (queued connection) to reach the GUI thread.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._slots: list[Callable[..., Any]] = []

    def connect(self, slot: Callable[..., Any]) -> None:
        with self._lock:
            self._slots.append(slot)

    def disconnect(self, slot: Callable[..., Any]) -> None:
        with self._lock:
            if slot in self._slots:
                self._slots.remove(slot)

    def emit(self, *args: Any) -> None:
        with self._lock:
            slots = list(self._slots)
        for slot in slots:
            try:
                slot(*args)
            except Exception:  # a listener's bug must not stop the device thread
                log.exception("callback for %s failed", self.name or "signal")
