"""Run service calls off the GUI thread, one at a time, in the order the nurse gave them.

``Runner.submit(tag, fn, *args)`` runs ``fn(*args)`` on one worker thread; the answer comes back on
the GUI thread as ``done(tag, result)`` or ``failed(tag, CallerError)``.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from client.http import CallerError

log = logging.getLogger(__name__)


class Runner(QObject):
    done = Signal(str, object)
    failed = Signal(str, object)
    busy = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-commands")
        self._pending = 0
        self._lock = threading.Lock()

    def submit(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            self._pending += 1
            first = self._pending == 1
        if first:
            self.busy.emit(True)
        return self._pool.submit(self._run, tag, fn, args, kwargs)

    def pending(self) -> int:
        return self._pending

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, tag: str, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        try:
            result = fn(*args, **kwargs)
        except CallerError as exc:
            self._finish(self.failed, tag, exc)
        except Exception as exc:  # a bug must not kill the worker: show it as a failed command
            log.exception("console command %s failed", tag)
            self._finish(self.failed, tag, CallerError("internal", f"对不起，操作失败：{exc}", str(exc), status=0))
        else:
            self._finish(self.done, tag, result)

    def _finish(self, signal: Signal, tag: str, payload: Any) -> None:
        with self._lock:
            self._pending -= 1
            idle = self._pending == 0
        signal.emit(tag, payload)
        if idle:
            self.busy.emit(False)
