"""Python's cycle collector, run on the GUI thread only.

The collector normally runs in whichever thread happens to allocate when its counts pass their thresholds: in the
Qt apps that is often a worker (a network call of the runner's pool, a device's reader thread). A screen, dialog or
timer that is garbage in a reference cycle is then destroyed from that thread, which Qt forbids for a QObject of
the GUI thread: "QObject::killTimer: Timers cannot be stopped from another thread", and at worst a crash of the
whole kiosk. :class:`GuiThreadCollector` switches the automatic collector off and runs the same generational
collections itself, from a timer on the GUI thread, with the thresholds Python had.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 500  # how often the counts are looked at; a collection runs only when a threshold was passed


class GuiThreadCollector(QObject):
    """While it runs, garbage cycles are collected on the thread this object lives in (create it on the GUI thread)."""

    def __init__(self, parent: QObject | None = None, check_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        gc.disable()
        self._timer.start(check_ms)

    def check(self) -> int:
        """The collections Python would have run by now, youngest first: the number of objects freed."""
        counts, freed = gc.get_count(), 0
        for generation in range(3):
            if counts[generation] <= self._thresholds[generation]:
                break
            freed = gc.collect(generation)
        return freed

    def stop(self) -> None:
        """Back to the automatic collector (as it was before), after one last full collection here."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
