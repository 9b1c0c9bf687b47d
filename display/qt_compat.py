"""A guard against a reference-count bug of PySide6 6.12.0 on Python 3.11.

Every call of a Qt method that returns nothing (``QLabel.setText``, ``QFont.setPixelSize``, ...)
drops one reference to ``None`` too many, and every ``signal.emit(...)`` one reference to the bool
it returns. Python 3.12 made these singletons immortal, so there it is harmless; on 3.11 a screen
that runs for hours reaches zero and the process aborts with "Fatal Python error: none_dealloc"
(or bool_dealloc). We give ``None``, ``True`` and ``False`` an immortal-sized count once per
process. Remove this when PySide6 is pinned to a fixed release.
"""
from __future__ import annotations

import sys

_done = False


def keep_none_alive() -> None:
    """Make ``None``, ``True`` and ``False`` practically immortal (no-op on Python 3.12+)."""
    global _done
    if _done or sys.version_info >= (3, 12):
        return
    import ctypes

    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40
    _done = True
