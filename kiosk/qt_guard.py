"""Guard against the PySide6 6.12.0 reference-count bug on Python 3.11.

Every call of a Qt method that returns nothing (``QLabel.setText``, ``QPainter.drawRect``, ``QPushButton.click``)
drops one reference to ``None`` too many, and signal emission does the same to ``True``/``False``. None starts
with a few thousand references, so a kiosk screen with an animation aborts within minutes ("Fatal Python error:
none_dealloc"). Python 3.12 made these singletons immortal; here we give them an immortal-sized count once per
process. Remove when PySide6 is pinned to a fixed release.
"""
from __future__ import annotations

import sys

_done = False


def keep_singletons_alive() -> None:
    """Make None, True and False practically immortal (no-op on Python 3.12+)."""
    global _done
    if _done or sys.version_info >= (3, 12):
        return
    import ctypes

    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40
    _done = True
