"""Identify the patient: ID card on the reader, medical-card QR, or the ID number typed on a keypad."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QLineEdit, QWidget

from common.privacy import mask_id_number
from kiosk.i18n import tr
from kiosk.idcheck import check_id_number, check_phone
from kiosk.models import CardData
from kiosk.widgets import Card, Keypad, Screen, button, label


class CardAnimation(QWidget):
    """A card sliding down onto the reader pad, over and over: shows where to put the card."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.setMinimumHeight(int(360 * scale))
        self.phase = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(40)
        self.timer.timeout.connect(self._step)
        self.timer.start()

    def _step(self) -> None:
        self.phase = (self.phase + 0.02) % 1.0
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt name
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        w, h = self.width(), self.height()
        pad_w, pad_h = min(w * 0.6, 520), h * 0.36
        pad = QRectF((w - pad_w) / 2, h - pad_h - 10, pad_w, pad_h)
        p.setPen(QPen(QColor("#0D47A1"), 4))
        p.setBrush(QColor("#BBDEFB"))
        p.drawRoundedRect(pad, 24, 24)
        p.setPen(QColor("#0D47A1"))
        font = QFont(self.font())
        font.setPixelSize(max(16, int(min(pad_h * 0.16, pad_w * 0.07))))
        p.setFont(font)
        p.drawText(pad.adjusted(0, 0, 0, -8), Qt.AlignHCenter | Qt.AlignBottom, tr("读卡区"))
        card_h = pad_h * 0.62
        card_w = card_h * 1.58
        travel = min(self.phase / 0.6, 1.0)
        top = 10 + (pad.top() + 8 - 10) * travel
        card = QRectF((w - card_w) / 2, top, card_w, card_h)
        p.setPen(QPen(QColor("#37474F"), 3))
        p.setBrush(QColor("#FFFDE7"))
        p.drawRoundedRect(card, 14, 14)
        p.setBrush(QColor("#90A4AE"))
        p.setPen(Qt.NoPen)
        p.drawRect(QRectF(card.right() - card_w * 0.32, card.top() + card_h * 0.15, card_w * 0.24, card_h * 0.6))
        p.setBrush(QColor("#B0BEC5"))
        for i in range(3):
            p.drawRect(QRectF(card.left() + card_w * 0.08, card.top() + card_h * (0.2 + 0.22 * i), card_w * 0.45, card_h * 0.09))
        p.end()


class IdentifyScreen(Screen):
    """Waits for a card or a QR scan; offers the keypad. The flow feeds card and scan results in."""

    name = "identify"

    def __init__(self, kiosk, on_type: Callable[[], None], reader_ok: bool = True) -> None:
        super().__init__(tr("请出示您的身份证件"), tr("请将身份证放在下方读卡区，或扫描就诊卡二维码"), kiosk.elderly)
        scale = kiosk.settings.elderly_scale if kiosk.elderly else 1.0
        self.animation = CardAnimation(scale * (1.0 if kiosk.settings.portrait else 0.5))
        self.add(self.animation, 1)
        self.reader_fault = label(
            tr("对不起，读卡器暂时无法使用。请输入身份证号码，或扫描就诊卡二维码。"), "Error", align=Qt.AlignCenter)
        self.reader_fault.setVisible(not reader_ok)
        self.add(self.reader_fault)
        self.error = label("", "Error", align=Qt.AlignCenter)
        self.error.hide()
        self.add(self.error)
        self.type_button = button(tr("手动输入身份证号码"), "Primary", on_type)
        self.add_action(self.type_button)
        if not reader_ok:
            self.speech = tr("对不起，读卡器暂时无法使用。请输入身份证号码，或扫描就诊卡二维码。")

    def set_reader_ok(self, ok: bool) -> None:
        self.reader_fault.setVisible(not ok)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


class TypeIdScreen(Screen):
    """ID number on a keypad, checked (GB 11643) before anything is sent."""

    name = "type_id"

    def __init__(self, kiosk, on_submit: Callable[[str], None]) -> None:
        super().__init__(tr("请输入身份证号码"), tr("输入完成后请点击“确定”"), kiosk.elderly)
        self.on_submit = on_submit
        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        self.edit.setAlignment(Qt.AlignCenter)
        self.edit.setFocusPolicy(Qt.NoFocus)
        self.error = label("", "Error", align=Qt.AlignCenter)
        self.error.hide()
        self.keypad = Keypad(self.edit, 18, extra="X")
        self.keypad.submitted.connect(self.submit)
        self.add_columns([self.edit, self.error], [self.keypad], side_by_side=not kiosk.settings.portrait)

    def submit(self, text: str) -> None:
        ok, reason = check_id_number(text)
        if not ok:
            self.error.setText(tr(reason))
            self.error.show()
            return
        self.error.hide()
        self.on_submit(text.strip().upper())


class NewPatientScreen(Screen):
    """Create a record: the card's data shown (masked), the phone number typed on a keypad."""

    name = "new_patient"

    def __init__(self, kiosk, card: CardData, on_submit: Callable[[str], None]) -> None:
        super().__init__(tr("您好，请先建立就诊档案"), tr("请核对您的信息，并输入手机号码"), kiosk.elderly)
        self.on_submit = on_submit
        info = Card()
        if card.name:
            info.row(tr("姓名"), card.name)
        info.row(tr("证件号码"), mask_id_number(card.id_number))
        if card.gender:
            info.row(tr("性别"), tr(card.gender))
        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        self.edit.setAlignment(Qt.AlignCenter)
        self.edit.setFocusPolicy(Qt.NoFocus)
        self.edit.setPlaceholderText(tr("手机号码"))
        self.error = label("", "Error", align=Qt.AlignCenter)
        self.error.hide()
        self.keypad = Keypad(self.edit, 11, ok_text=tr("确认建档"))
        self.keypad.submitted.connect(self.submit)
        self.add_columns([info, self.edit, self.error], [self.keypad], side_by_side=not kiosk.settings.portrait)
        self.add_action(self.keypad.ok)  # 确认建档 always in view, never below the keys

    def submit(self, text: str) -> None:
        ok, reason = check_phone(text)
        if not ok:
            self.error.setText(reason)
            self.error.show()
            return
        self.on_submit(text)


class PhoneLast4Screen(Screen):
    """Second factor for a typed ID number: the last 4 digits of the phone number on record."""

    name = "second_factor"

    def __init__(self, kiosk, on_submit: Callable[[str], None]) -> None:
        super().__init__(tr("请输入您登记的手机号码后4位"), tr("为保护您的隐私，请确认身份后再办理"), kiosk.elderly)
        self.on_submit = on_submit
        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        self.edit.setAlignment(Qt.AlignCenter)
        self.edit.setFocusPolicy(Qt.NoFocus)
        self.error = label("", "Error", align=Qt.AlignCenter)
        self.error.hide()
        self.keypad = Keypad(self.edit, 4)
        self.keypad.submitted.connect(self.submit)
        self.add_columns([self.edit, self.error], [self.keypad], side_by_side=not kiosk.settings.portrait)

    def submit(self, text: str) -> None:
        if len(text) != 4 or not text.isdigit():
            self.error.setText(tr("请输入4位数字。"))
            self.error.show()
            return
        self.error.hide()
        self.on_submit(text)

    def wrong(self) -> None:
        """The digits did not match: say so and let the patient try again (or use the card)."""
        self.edit.clear()
        self.error.setText(tr("手机号码后4位不正确，请重新输入，或将身份证放在读卡区。"))
        self.error.show()
