"""Helpers for taking pictures of the Qt apps outside a test run (`make screenshots`, `make demo`)."""
from __future__ import annotations

import time
from typing import Callable

from common.fonts import load_cjk_font


def screenshot_app():
    """The QApplication (created when missing) with the shipped CJK font loaded."""
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415 - a heavy library, loaded only when this runs

    app = QApplication.instance() or QApplication([])
    load_cjk_font(app)
    return app


def wait_until(app, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Run the event loop until condition() holds or the timeout passes; returns condition()."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.02)
    return condition()
