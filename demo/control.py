"""The control window of the interactive demo: the simulated devices of both kiosks, by hand.

Per kiosk: place an ID card of each kind (or take it away), scan a medical card QR or a payment code, show the chosen
patient's 医保电子凭证 or national e-health card QR, swipe their social-security card (read in keyboard mode), run the
printer out of paper or open its cover, pull and replug the card reader; for the payment gateway: the patient's
phone pays (approve) or the bank declines the newest open order.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from common.clock import HospitalClock
from demo.kiosk_patient import medical_card_qr
from demo.platforms import PlatformCards

PAYMENT_CODE = "134567890123456789"  # a WeChat-style 付款码 from the patient's phone
CARD_KINDS = (("居民身份证", "RESIDENT"), ("港澳台居民居住证", "HMT_RESIDENT"),
              ("外国人永居证 2017", "FOREIGN_2017"), ("外国人永居证 2023", "FOREIGN_2023"))


class ControlWindow(QWidget):
    """``ControlWindow(stack, known, appointments, cards)``; every button acts on the simulators directly.
    ``cards``: the patients' 医保 and e-health cards at the platform simulators (demo.platforms.enroll)."""

    def __init__(self, stack: Any, known: list, appointments: list,
                 cards: dict[int, PlatformCards] | None = None) -> None:
        super().__init__()
        self.stack = stack
        cards = cards or {}
        self.cards = {p.card_code: cards[p.patient_id] for p in [*known, *(a.patient for a in appointments)]
                      if p.patient_id in cards}
        self.card_seed = 100
        self.setWindowTitle("演示控制台 — 模拟设备")
        box = QVBoxLayout(self)
        self.clock = QLabel()
        box.addWidget(self.clock)
        box.addWidget(QLabel("先在自助机上点选业务（挂号、签到、缴费……），再放身份证或扫码。\n"
                             "医保缴费：选“有待缴费”的患者，在自助机上选医保支付后点“扫医保电子凭证”或“刷社保卡”。\n"
                             "护士登录：wanghs / demo1234（内科）；自助机管理密码 2580。"))
        self.patients = QComboBox()
        for appt in appointments:
            self.patients.addItem(f"预约 {appt.start}-{appt.end} {appt.patient.name} {appt.patient.medical_card_no}",
                                  appt.patient.card_code)
        for patient in known[:30]:
            extra = "（有待缴费）" if patient.has_bill else "（有报告）" if patient.has_report else ""
            self.patients.addItem(f"老患者 {patient.name} {patient.medical_card_no}{extra}", patient.card_code)
        row = QHBoxLayout()
        row.addWidget(QLabel("就诊卡："))
        row.addWidget(self.patients, 1)
        box.addLayout(row)
        for rig in stack.kiosks:
            box.addWidget(self._kiosk_box(rig))
        box.addWidget(self._payment_box())
        self.status = QLabel("")
        self.status.setWordWrap(True)
        box.addWidget(self.status)
        timer = QTimer(self)
        timer.timeout.connect(self._tick)
        timer.start(1000)
        self._tick()

    def _tick(self) -> None:
        self.clock.setText(f"医院时间 {self.stack.clock():%H:%M:%S}　服务 {self.stack.base_url}")

    def say(self, text: str) -> None:
        self.status.setText(text)

    # ------------------------------------------------------------------ one kiosk
    def _kiosk_box(self, rig: Any) -> QGroupBox:
        group = QGroupBox(f"{rig.index + 1} 号自助机")
        grid = QGridLayout(group)
        kinds = QComboBox()
        for label, kind in CARD_KINDS:
            kinds.addItem(label, kind)
        grid.addWidget(kinds, 0, 0)
        grid.addWidget(self._button("放上身份证", lambda: self.place_card(rig, kinds.currentData())), 0, 1)
        grid.addWidget(self._button("取走身份证", lambda: (rig.reader.remove_card(), self.say("卡已取走"))), 0, 2)
        grid.addWidget(self._button("扫就诊卡二维码", lambda: self.scan(rig, medical_card_qr(self.patients.currentData()))), 1, 0)
        grid.addWidget(self._button("扫付款码", lambda: self.scan_payment_code(rig)), 1, 1)
        grid.addWidget(self._button("扫医保电子凭证", lambda: self.scan_card(rig, "insurance")), 2, 0)
        grid.addWidget(self._button("刷社保卡", lambda: self.scan_card(rig, "ssc")), 2, 1)
        grid.addWidget(self._button("扫电子健康卡", lambda: self.scan_card(rig, "ehealth")), 2, 2)
        grid.addWidget(self._toggle("打印机缺纸", lambda on: rig.printer_core.set_state(paper_out=on)), 3, 0)
        grid.addWidget(self._toggle("打开打印机盖", lambda on: rig.printer_core.set_state(cover_open=on)), 3, 1)
        grid.addWidget(self._toggle("拔出读卡器", lambda on: rig.reader.unplug() if on else rig.reader.replug()), 3, 2)
        return group

    def place_card(self, rig: Any, kind_name: str) -> None:
        from hardware.idcard import CardKind
        from hardware.idcard.demo_cards import demo_card

        self.card_seed += 1
        card = rig.reader.place_card(demo_card(CardKind[kind_name], seed=self.card_seed))
        self.say(f"{rig.index + 1} 号机读卡区：{card.name}（{kind_name}）")

    def scan(self, rig: Any, text: str) -> None:
        ok = rig.scanner.scan(text)
        self.say(f"{rig.index + 1} 号机扫码：{text}" if ok else "扫码器未连接")

    def scan_card(self, rig: Any, kind: str) -> None:
        """The chosen patient's 医保电子凭证 QR, social-security card or e-health card QR at the kiosk's scanner."""
        cards = self.cards.get(self.patients.currentData())
        if cards is None:
            self.say("该患者没有身份证号，医保和电子健康卡平台不认识他/她，请选其他患者")
            return
        text = {"insurance": cards.insurance_qr, "ssc": cards.ssc_text, "ehealth": cards.ehealth_qr()}[kind]
        self.scan(rig, text)

    def scan_payment_code(self, rig: Any) -> None:
        from hardware.payment import Outcome

        self.stack.payment.provider.script_next(Outcome.approve(0.5))  # the code's own order is approved
        self.scan(rig, PAYMENT_CODE)

    # ------------------------------------------------------------------ payment gateway
    def _payment_box(self) -> QGroupBox:
        group = QGroupBox("支付网关（患者手机）")
        row = QHBoxLayout(group)
        row.addWidget(self._button("手机扫码支付成功", self.approve))
        row.addWidget(self._button("银行拒绝（余额不足）", self.decline))
        return group

    def _pending(self):

        pending = [o for o in self.stack.payment.provider.reconciliation(HospitalClock().today()) if o.state.value == "pending"]
        return pending[-1] if pending else None

    def approve(self) -> None:
        order = self._pending()
        if order is None:
            self.say("没有待支付的订单")
            return
        self.stack.payment.provider.patient_pays(order.order_id)
        self.say(f"订单 {order.order_id} 已支付 {order.amount_fen / 100:.2f} 元")

    def decline(self) -> None:
        from hardware.payment import Outcome

        order = self._pending()
        if order is None:
            self.say("没有待支付的订单")
            return
        self.stack.payment.provider.script_order(order.order_id, Outcome.decline("余额不足"))
        self.say(f"订单 {order.order_id} 被拒绝：余额不足")

    # ------------------------------------------------------------------ widgets
    @staticmethod
    def _button(text: str, action) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda _checked=False: action())
        return button

    def _toggle(self, text: str, action) -> QPushButton:
        button = QPushButton(text)
        button.setCheckable(True)
        button.toggled.connect(lambda on: (action(on), self.say(f"{text}：{'是' if on else '否'}")))
        return button
