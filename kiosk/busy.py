"""The busy overlay: shown when work takes longer than 300 ms, so a quick answer never flickers."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.i18n import tr

BUSY_DELAY_MS = 300


class BusyOverlay(QWidget):
    """Covers its parent with a dimmed layer and a spinning "请稍候"."""

    FRAMES = "◐◓◑◒"

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("Busy")
        self.setAttribute(Qt.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignCenter)
        box = QWidget()
        box.setObjectName("BusyBox")
        box.setAttribute(Qt.WA_StyledBackground, True)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(64, 40, 64, 40)
        self.spinner = QLabel(self.FRAMES[0])
        self.spinner.setObjectName("Huge")
        self.spinner.setAlignment(Qt.AlignCenter)
        self.text = QLabel()
        self.text.setObjectName("Title")
        self.text.setAlignment(Qt.AlignCenter)
        inner.addWidget(self.spinner)
        inner.addWidget(self.text)
        layout.addWidget(box)
        self._frame = 0
        self._spin = QTimer(self)
        self._spin.setInterval(150)
        self._spin.timeout.connect(self._next_frame)
        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.setInterval(BUSY_DELAY_MS)
        self._delay.timeout.connect(self._appear)
        self.hide()

    def set_busy(self, busy: bool) -> None:
        if busy:
            if not self.isVisible() and not self._delay.isActive():
                self._delay.start()
        else:
            self._delay.stop()
            self._spin.stop()
            self.hide()

    def _appear(self) -> None:
        self.text.setText(tr("请稍候…"))
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()
        self._spin.start()

    def _next_frame(self) -> None:
        self._frame = (self._frame + 1) % len(self.FRAMES)
        self.spinner.setText(self.FRAMES[self._frame])
