"""Run blocking work (network, devices) off the GUI thread; results come back through Qt signals."""
from __future__ import annotations

from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal


class _Relay(QObject):
    """Lives in the GUI thread; signals emitted from a worker are delivered there (queued)."""

    done = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._relay = relay

    def run(self) -> None:  # worker thread
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI
            self._relay.failed.emit(exc)
        else:
            # Always a tuple: PySide6 mis-counts references when None itself crosses threads in a signal.
            self._relay.done.emit((result,))


class Runner(QObject):
    """Starts tasks on a thread pool and reports busy state.

    ``generation`` is bumped when the patient session ends: results of tasks started for an earlier
    session are dropped, so nothing of the previous patient comes back on screen.
    """

    busy_changed = Signal(bool)
    task_finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)
        self.generation = 0
        self._pending: set[_Relay] = set()
        self._busy_count = 0

    @property
    def busy(self) -> bool:
        return self._busy_count > 0

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        busy: bool = True,
    ) -> None:
        """Run fn() in a worker thread; call on_done(result) or on_error(exc) in the GUI thread."""
        relay = _Relay()
        generation = self.generation
        self._pending.add(relay)
        if busy:
            self._set_busy(+1)

        def finish(callback, value) -> None:
            if not shiboken6.isValid(self):
                return  # the kiosk was closed while this task ran
            # Drop the relay only after its signal has been delivered (never from inside its own emission).
            QTimer.singleShot(0, self, lambda: self._pending.discard(relay))
            if busy:
                self._set_busy(-1)
            if generation == self.generation and callback is not None:
                callback(value)
            self.task_finished.emit()

        relay.done.connect(lambda boxed: finish(on_done, boxed[0]))
        relay.failed.connect(lambda exc: finish(on_error, exc))
        self.pool.start(_Task(fn, relay))

    def new_generation(self) -> None:
        """Forget every running task's result (the patient left)."""
        self.generation += 1

    def _set_busy(self, delta: int) -> None:
        was = self.busy
        self._busy_count += delta
        if was != self.busy:
            self.busy_changed.emit(self.busy)

    def wait_idle(self, msecs: int = 5000) -> bool:
        """Block until the pool is idle (used at shutdown)."""
        return self.pool.waitForDone(msecs)
