"""Keyboard-wedge scanners type the code as fast keystrokes ending in Enter. Qt-free.

The kiosk feeds each key event's text (and Enter as "\\r"); a run of keys closer together than
max_gap seconds that ends in Enter and is at least min_length long is a scan. Slower keys are a
person typing and never make a scan.
"""
from __future__ import annotations

import time
from typing import Callable

ENTER = ("\r", "\n")


class KeyboardWedge:
    def __init__(self, max_gap: float = 0.05, min_length: int = 4,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_gap, self.min_length = max_gap, min_length
        self._clock = clock
        self._buf: list[str] = []
        self._last = 0.0

    @property
    def pending(self) -> str:
        """Characters collected so far (possibly a scan in progress)."""
        return "".join(self._buf)

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, char: str, at: float | None = None) -> str | None:
        """One key's text (at = event time in seconds); returns the code when Enter ends a scan."""
        now = self._clock() if at is None else at
        if char in ENTER:
            code = "".join(self._buf) if self._buf and now - self._last <= self.max_gap else ""
            self._buf.clear()
            return code if len(code) >= self.min_length else None
        if len(char) != 1 or not char.isprintable():
            return None  # modifier keys and the like carry no text
        if self._buf and now - self._last > self.max_gap:
            self._buf.clear()  # too slow: a person typing, start over
        self._buf.append(char)
        self._last = now
        return None
