"""A guard against a reference-count bug of PySide6 6.12.0 on Python 3.11.

Every call of a Qt method that returns nothing (``QLabel.setText``, ``QFont.setPixelSize``, ...)
drops one reference to ``None`` too many. Python 3.12 made ``None`` immortal, so there it is
harmless; on 3.11 a screen that runs for hours reaches zero and the process aborts with
"Fatal Python error: none_dealloc". We give ``None`` an immortal-sized count once per process.
Remove this when PySide6 is pinned to a fixed release.
"""
from __future__ import annotations

import sys

_done = False


def keep_none_alive() -> None:
    """Make ``None`` practically immortal (no-op on Python 3.12+, where it already is)."""
    global _done
    if _done or sys.version_info >= (3, 12):
        return
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
    _done = True
