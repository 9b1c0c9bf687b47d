"""Pairing a web screen from the console's device box: the 6-digit code the TV shows, and which display it is.

Only nurses (of the display's area) and admins may pair (the service checks; docs/screens.md); the row is there for
every user and the service's refusal is shown as it comes.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget


class ScreenPairing(QWidget):
    """``pair(code, device)`` when the nurse presses 配对 with six digits and a display chosen."""

    pair = Signal(str, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.code = QLineEdit()
        self.code.setPlaceholderText("屏幕上的 6 位配对码")
        self.code.setMaxLength(6)
        self.code.setValidator(QRegularExpressionValidator(r"\d{0,6}"))
        self.display = QComboBox()
        self.button = QPushButton("配对网页屏")
        self.button.setEnabled(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("网页屏："))
        row.addWidget(self.code, 2)
        row.addWidget(self.display, 3)
        row.addWidget(self.button, 2)
        self.code.textChanged.connect(self._enable)
        self.code.returnPressed.connect(self._pair)
        self.button.clicked.connect(self._pair)

    def set_displays(self, devices: list[dict[str, Any]]) -> None:
        """The displays of the device list (keeps the current choice)."""
        chosen = self.display.currentData()
        self.display.clear()
        for d in devices:
            if d.get("role") == "display":
                self.display.addItem(str(d.get("name") or d["device"]), d["device"])
        if chosen is not None and self.display.findData(chosen) >= 0:
            self.display.setCurrentIndex(self.display.findData(chosen))
        self._enable()

    def paired(self) -> None:
        self.code.clear()

    def _enable(self) -> None:
        self.button.setEnabled(len(self.code.text()) == 6 and self.display.currentData() is not None)

    def _pair(self) -> None:
        if self.button.isEnabled():
            self.pair.emit(self.code.text(), str(self.display.currentData()))
