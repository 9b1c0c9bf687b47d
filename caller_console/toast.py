"""A toast: the answer to an action, shown for a few seconds right next to the button that was used."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QLabel, QWidget

OK_STYLE = "background: #2a9d8f; color: white;"
FAILED_STYLE = "background: #c1121f; color: white;"


class Toast(QLabel):
    """``show_near(widget, text, ok)``: a rounded note beside ``widget`` (left of it, else below)."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setMaximumWidth(520)
        self.ok = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_near(self, anchor: QWidget | None, text: str, ok: bool = True, seconds: float = 5.0) -> None:
        self.ok = ok
        self.setStyleSheet(f"{OK_STYLE if ok else FAILED_STYLE} font-size: 18px; font-weight: bold; "
                           "padding: 10px 14px; border-radius: 8px;")
        self.setText(("✓ " if ok else "✗ ") + text)
        self.adjustSize()
        parent = self.parentWidget()
        if anchor is not None and anchor.isVisible():
            corner = anchor.mapTo(parent, QPoint(0, 0))
            x = corner.x() - self.width() - 12
            y = corner.y() + (anchor.height() - self.height()) // 2
            if x < 0:
                x, y = corner.x(), corner.y() + anchor.height() + 6
        else:
            x, y = (parent.width() - self.width()) // 2, parent.height() - self.height() - 60
        self.move(max(0, min(x, parent.width() - self.width())), max(0, min(y, parent.height() - self.height())))
        self.show()
        self.raise_()
        self._timer.start(int(seconds * 1000))
