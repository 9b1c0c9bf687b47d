"""The Qt runtime the apps run on: Chinese renders, and long-running screens do not corrupt Python's objects."""
from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel

from common.fonts import load_cjk_font


class _Emitter(QObject):
    changed = Signal(int)


def test_setters_and_signals_keep_none_true_false_alive(qtbot):
    """PySide6 6.12.0 dropped one reference to None/True/False per such call: a screen aborted after hours."""
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    before = [sys.getrefcount(x) for x in (None, True, False)]
    for i in range(300):
        label.setText(f"A{i:03d}")
        emitter.changed.emit(i)
    after = [sys.getrefcount(x) for x in (None, True, False)]
    assert all(a - b > -50 for a, b in zip(after, before)), (before, after)


def test_the_shipped_font_draws_chinese(qtbot):
    label = QLabel("请 A015 号 王*明 到 内科1诊室 就诊")
    qtbot.addWidget(label)
    family = load_cjk_font()
    metrics = QFontMetrics(label.font())
    assert family and metrics.inFontUcs4(ord("诊")) and metrics.inFontUcs4(ord("请"))
