"""Garbage holding Qt objects is freed on the GUI thread, whichever thread allocated last (uikit/collector.py)."""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer


class _Screen(QObject):
    """A screen the app has let go of, still in a reference cycle, with a running timer (as a kiosk page has)."""

    def __init__(self, freed_on: list[int]) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.start(60_000)
        self.itself = self  # the cycle: only the collector frees it
        self.freed_on = freed_on

    def __del__(self) -> None:  # run by the collector, on the thread that collects
        self.freed_on.append(threading.get_ident())


def _read_a_big_answer_on_a_worker() -> list[dict]:
    """What a network call of the runner's pool does with a long list (doctors, reports): thousands of new
    containers that stay, past the collector's first threshold."""
    answer: list[dict] = []
    worker = threading.Thread(target=lambda: answer.extend({"row": i, "items": [i]} for i in range(5_000)))
    worker.start()
    worker.join()
    return answer


def test_a_screen_in_a_cycle_is_freed_on_the_gui_thread_not_on_the_worker_that_allocated(
        qtbot, qtlog, qt_garbage_on_the_gui_thread):
    freed_on: list[int] = []
    _Screen(freed_on)
    answer = _read_a_big_answer_on_a_worker()  # kept, as the app keeps the list it shows
    assert freed_on == []  # the worker's allocations did not free it over there
    qtbot.waitUntil(lambda: freed_on != [], timeout=5000)  # the GUI thread's next check
    assert freed_on == [threading.get_ident()] and len(answer) == 5_000
    assert not [m for m in qtlog.records if "another thread" in m.message]
    qt_garbage_on_the_gui_thread.stop()
    assert gc.isenabled()  # the automatic collector is back once it stops
