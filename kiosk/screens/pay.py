"""Pay: a QR code on screen with its own countdown, or the patient's payment code held to the scanner."""
from __future__ import annotations

import io
from typing import Callable

import qrcode
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel

from kiosk.i18n import tr
from kiosk.models import yuan
from kiosk.widgets import Screen, button, label


def qr_pixmap(text: str, size: int) -> QPixmap:
    """Render text as a QR code pixmap."""
    image = qrcode.make(text, box_size=10, border=2)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    pixmap = QPixmap()
    pixmap.loadFromData(buf.getvalue(), "PNG")
    return pixmap.scaled(size, size, Qt.KeepAspectRatio, Qt.SmoothTransformation)


class PaymentScreen(Screen):
    name = "payment"
    allow_back = False
    own_countdown = True

    def __init__(self, kiosk, amount_fen: int, qr_text: str, seconds: int, on_cancel: Callable[[], None],
                 what: str = "") -> None:
        super().__init__(tr("请支付 {amount} 元").format(amount=yuan(amount_fen)),
                         tr("请用微信或支付宝扫描下方二维码，或将付款码对准扫码口"), kiosk.elderly)
        self.timeout_s = seconds + 30
        if what:
            self.add(label(what, "Subtitle", align=Qt.AlignCenter))
        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignCenter)
        side = 480 if kiosk.settings.portrait else 300
        self.qr.setPixmap(qr_pixmap(qr_text, side))
        self.add(self.qr, 1)
        self.left = seconds
        self.countdown = label("", "Title", align=Qt.AlignCenter)
        self.add(self.countdown)
        self.status = label("", "Error", align=Qt.AlignCenter)
        self.status.hide()
        self.add(self.status)
        self.cancel_button = button(tr("取消支付"), "", on_cancel)
        self.add_action(self.cancel_button)
        self.timer = QTimer(self)
        self.timer.setInterval(kiosk.settings.tick_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self._show_left()

    def _tick(self) -> None:
        self.left = max(0, self.left - 1)
        self._show_left()

    def _show_left(self) -> None:
        self.countdown.setText(tr("请在 {m}:{s:02d} 内完成支付").format(m=self.left // 60, s=self.left % 60))

    def show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()
