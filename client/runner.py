"""Run blocking work (network, devices) off the GUI thread; results come back on the GUI thread.

One runner for the Qt apps (here, beside the client whose calls it runs: uikit imports only common):

* ``run(fn, on_done, on_error)`` calls ``on_done(result)`` or ``on_error(exc)`` on the GUI thread (the kiosk);
* ``submit(tag, fn, *args)`` answers with the signals ``done(tag, result)`` or ``failed(tag, CallerError)`` (the
  console; any other exception is logged and answered as a ``CallerError`` "internal").

``threads=1`` runs the tasks one at a time in the order they were given (the console: the nurse's commands in her
order). ``generation`` is bumped when a patient session ends: results of tasks started for an earlier session are
dropped, so nothing of the previous patient comes back on screen.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from client.http import CallerError

log = logging.getLogger(__name__)


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
    """Starts tasks on a thread pool and reports busy state."""

    busy_changed = Signal(bool)
    task_finished = Signal()
    done = Signal(str, object)  # submit(): tag, result
    failed = Signal(str, object)  # submit(): tag, CallerError

    def __init__(self, parent: QObject | None = None, *, threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.generation = 0
        self._pending: set[_Relay] = set()
        self._busy_count = 0
        self._open = 0  # tasks started and not answered yet

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
        self._open += 1
        if busy:
            self._set_busy(+1)

        def finish(callback, value) -> None:
            if not shiboken6.isValid(self):
                return  # the window was closed while this task ran
            # Drop the relay only after its signal has been delivered (never from inside its own emission).
            QTimer.singleShot(0, self, lambda: self._pending.discard(relay))
            self._open -= 1
            if busy:
                self._set_busy(-1)
            if generation == self.generation and callback is not None:
                callback(value)
            self.task_finished.emit()

        relay.done.connect(lambda boxed: finish(on_done, boxed[0]))
        relay.failed.connect(lambda exc: finish(on_error, exc))
        self.pool.start(_Task(fn, relay))

    def submit(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``fn(*args, **kwargs)``; answer with ``done(tag, result)`` or ``failed(tag, CallerError)``."""

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, CallerError):  # a bug must not pass silently: show it as a failed command
                log.error("command %s failed", tag, exc_info=exc)
                exc = CallerError("internal", f"对不起，操作失败：{exc}", str(exc), status=0)
            self.failed.emit(tag, exc)

        self.run(functools.partial(fn, *args, **kwargs), lambda result: self.done.emit(tag, result), failed)

    def pending(self) -> int:
        """Tasks started and not answered yet."""
        return self._open

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

    def shutdown(self) -> None:
        """Drop the tasks not started yet and wait for the running ones."""
        self.pool.clear()
        self.pool.waitForDone()
