"""Paying with 医保: how to pay (the answer to "能用医保吗" on the pay screen), the insurance certificate, the split."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt

from kiosk.i18n import pick, tr
from kiosk.models import yuan
from kiosk.platforms import Claim, InsuranceStatus
from kiosk.widgets import Card, Screen, button, label


class PayChoiceScreen(Screen):
    """Before paying: 医保 or 自费, with the plain answer whether this kiosk settles 医保 and what the patient pays."""

    name = "pay_choice"

    def __init__(self, kiosk, total_fen: int, status: InsuranceStatus, on_insurance: Callable[[], None],
                 on_self_pay: Callable[[], None], note: str = "") -> None:
        super().__init__(tr("请选择支付方式"), tr("本次应缴 {fee} 元").format(fee=yuan(total_fen)), kiosk.elderly)
        self.status = status
        card = Card()
        card.text(tr("能用医保吗？"), "CardKey")
        self.answer = card.text(pick(status.message_zh, status.message_en) or tr("本机暂未开通医保结算，请选择自费支付。"),
                                "Message")
        self.add(card)
        if note:
            self.add(label(note, "Error", align=Qt.AlignCenter))
        self.add_stretch()
        self.insurance_button = None
        if status.insurance:
            self.insurance_button = button(tr("医保支付"), "Primary", on_insurance)
            self.add_action(self.insurance_button)
        self.self_pay_button = button(tr("自费支付"), "" if status.insurance else "Primary", on_self_pay)
        self.add_action(self.self_pay_button)
        self.speech = f"{tr('请选择支付方式')}。{self.answer.text()}"


class InsuranceCertScreen(Screen):
    """Waits for the 医保电子凭证 QR at the scanner, the ID card on the reader or the 社保卡 at the card reader; the
    flow feeds them in."""

    name = "insurance_cert"

    def __init__(self, kiosk, on_cancel: Callable[[], None]) -> None:
        super().__init__(tr("请出示医保凭证"), tr("请将手机上的医保电子凭证二维码对准扫码口，或将身份证放在读卡区"),
                         kiosk.elderly)
        self.add_stretch()
        self.add(label(tr("打开“国家医保服务平台”APP或微信、支付宝中的医保电子凭证，出示二维码。"), "Message",
                       align=Qt.AlignCenter))
        self.ssc_hint = label(tr("也可以刷社保卡：请将社保卡插入读卡口。"), "Message", align=Qt.AlignCenter)
        self.add(self.ssc_hint)
        self.error = label("", "Error", align=Qt.AlignCenter)
        self.error.hide()
        self.add(self.error)
        self.add_stretch()
        self.cancel_button = button(tr("改用自费支付"), "", on_cancel)
        self.add_action(self.cancel_button)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


class InsuranceSplitScreen(Screen):
    """The pre-settlement: how much the fund and the personal account pay, and what is left for the patient."""

    name = "insurance_split"
    allow_back = False

    def __init__(self, kiosk, claim: Claim, on_confirm: Callable[[], None], on_cancel: Callable[[], None]) -> None:
        super().__init__(tr("医保结算"), tr("请核对金额，确认后进行医保结算"), kiosk.elderly)
        card = Card()
        if claim.insutype_zh:
            card.row(tr("险种"), tr(claim.insutype_zh))
        self.total = card.row(tr("医疗费总额"), tr("{fee} 元").format(fee=yuan(claim.total_fen)))
        self.fund = card.row(tr("统筹支付"), tr("{fee} 元").format(fee=yuan(claim.fund_fen)))
        self.account = card.row(tr("个人账户"), tr("{fee} 元").format(fee=yuan(claim.acct_fen)))
        self.own = card.row(tr("自付"), tr("{fee} 元").format(fee=yuan(claim.cash_fen)), big=True)
        self.add(card)
        then = (tr("确认后，请扫码支付自付部分 {fee} 元。").format(fee=yuan(claim.cash_fen)) if claim.cash_fen
                else tr("医保已全部支付，您无需再付款。"))
        self.add(label(then, "Message", align=Qt.AlignCenter))
        self.add_stretch()
        self.confirm_button = button(tr("确认结算"), "Primary", on_confirm)
        self.add_action(self.confirm_button)
        self.cancel_button = button(tr("取消"), "", on_cancel)
        self.add_action(self.cancel_button)
        self.speech = tr("医保统筹支付 {fund} 元，个人账户支付 {acct} 元，您需自付 {own} 元。").format(
            fund=yuan(claim.fund_fen), acct=yuan(claim.acct_fen), own=yuan(claim.cash_fen))
