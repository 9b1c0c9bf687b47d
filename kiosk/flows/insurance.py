"""医保 at the kiosk: the choice between 医保 and 自费 (saying plainly whether 医保 works here), the insurance
certificate (医保电子凭证 QR, ID card or 社保卡), the split, the settlement, then the patient's own part (自付) paid like any
payment. Also identification by an e-health card or 医保电子凭证 QR on the identify screen.

A claim the patient does not finish (cancel, time-out, walking away) is cancelled or reversed at the service; the
kiosk never settles twice (one idempotency key per attempt, and the service settles a claim once).
"""
from __future__ import annotations

from typing import Any, Callable

from kiosk.flows.base import UNREACHABLE, Flow, error_code, error_text
from kiosk.flows.payment import PaymentFlow
from kiosk.i18n import pick, tr
from kiosk.models import Bill, CardData, Payment, Session, yuan
from kiosk.platforms import Claim, InsuranceStatus
from kiosk.screens.insurance import InsuranceCertScreen, InsuranceSplitScreen, PayChoiceScreen

NO_ANSWER = InsuranceStatus(False, False, False, "", "")


class InsuranceFlow(Flow):
    """Paying bills by 医保 or 自费; ``on_paid(payment)`` once they are paid (payment None: the claim paid it all)."""

    _claim: Claim | None = None
    _claim_args: Any = None
    _claim_busy = False
    _on_paid: Callable[[Payment | None], None] | None = None

    def __init__(self, kiosk, session: Session, payment: PaymentFlow) -> None:
        super().__init__(kiosk, session)
        self.payment = payment

    # ----- how to pay ------------------------------------------------------------------------------
    def choose_how_to_pay(self, bills: list[Bill], total: int, what: str, ref: str,
                          on_paid: Callable[[Payment | None], None] | None = None) -> None:
        """The pay screen: 医保 or 自费, with the service's answer to "能用医保吗"."""
        kiosk = self.kiosk
        self._claim, self._claim_args = None, (bills, total, what, ref)
        if on_paid is not None:
            self._on_paid = on_paid

        def show(status: InsuranceStatus) -> None:
            kiosk.devices.einvoice_expected = status.einvoice
            if not status.insurance:  # no choice to make: the answer to "能用医保吗" stands on the payment screen
                answer = pick(status.message_zh, status.message_en) or \
                    tr("暂时无法确认医保结算是否可用，请选择自费支付，或到人工窗口办理。")
                self._claim_args = (bills, total, f"{what}\n{answer}", ref)
                self._self_pay()
                return
            kiosk.show_screen(lambda: PayChoiceScreen(kiosk, total, status, self._ask_certificate, self._self_pay))

        def unknown(exc: BaseException) -> bool:
            if error_code(exc) in UNREACHABLE:
                return False
            show(NO_ANSWER)
            return True

        self.call(kiosk.backend.insurance_status, show, unknown)

    def _self_pay(self) -> None:
        bills, total, what, ref = self._claim_args
        self._claim = None
        self.payment.start_payment([b.id for b in bills], total, what, on_paid=self._paid, on_abandon=lambda: None,
                                   ref=ref)

    def _ask_certificate(self) -> None:
        kiosk = self.kiosk
        kiosk.show_screen(lambda: InsuranceCertScreen(kiosk, self._self_pay))

    # ----- the certificate: 医保电子凭证 QR (01), ID card (02) or social-security card (03) ---------------------
    def on_insurance_code(self, qr: str) -> None:
        self._presettle("01", qr)

    def on_insurance_card(self, card: CardData) -> None:
        self._presettle("02", card.id_number)

    def on_social_security_card(self, number: str) -> None:
        """社保卡 at the card reader: its card number (the platform finds the insured by it)."""
        self._presettle("03", number)

    def _presettle(self, cert_type: str, cert_no: str) -> None:
        kiosk = self.kiosk
        if self._claim_busy or self._claim_args is None:
            return
        self._claim_busy = True
        bills, _total, _what, ref = self._claim_args
        attempt = self.session.idempotency.get(f"claim-attempt:{ref}", "0")
        key = self.key(f"claim:{ref}:{attempt}")
        backend, patient = kiosk.backend, self.session.patient

        def done(claim: Claim) -> None:
            self._claim_busy = False
            self.session.idempotency[f"claim-attempt:{ref}"] = str(int(attempt) + 1)  # a next try is a new claim
            if claim.state != "presettled":
                self._claim_failed(claim)
                return
            self._claim = claim
            kiosk.show_screen(lambda: InsuranceSplitScreen(kiosk, claim, self._settle, self._cancel_split), push=False)

        def refused(exc: BaseException) -> bool:
            self._claim_busy = False
            screen = kiosk.current
            if isinstance(screen, InsuranceCertScreen) and getattr(exc, "status", 0) in (409, 422, 503):
                screen.show_error(error_text(exc))
                return True
            return False

        self.call(lambda: backend.start_claim(patient, [b.id for b in bills], cert_type, cert_no, key), done, refused)

    def _claim_failed(self, claim: Claim) -> None:
        self._claim = None
        text = pick(claim.message_zh, claim.message_en) or tr("医保结算没有成功，本次没有扣费。")
        self.message(tr("对不起，医保结算没有成功"), text,
                     [(tr("自费支付"), self._self_pay), (tr("返回首页"), lambda: self.kiosk.go_home("done"))],
                     name="insurance_failed", push=False, allow_back=False)

    # ----- the settlement ---------------------------------------------------------------------------
    def _settle(self) -> None:
        claim, backend = self._claim, self.kiosk.backend
        if claim is None:
            return
        self.call(lambda: backend.settle_claim(claim), self._settled)

    def _settled(self, claim: Claim) -> None:
        self._claim = claim
        if claim.state == "complete":  # the fund and the account paid it all
            self._paid(None)
        elif claim.state == "settled":
            bills, _total, _what, _ref = self._claim_args
            what = tr("医保已支付 {paid} 元，请支付自付部分").format(paid=yuan(claim.fund_fen + claim.acct_fen))
            self.payment.start_payment([b.id for b in bills], claim.cash_fen, what, on_paid=self._paid,
                                       on_abandon=self.abandon_claim, ref=f"claim:{claim.id}", claim_id=claim.id)
        else:
            self._claim_failed(claim)

    def _cancel_split(self) -> None:
        """The patient does not want the settlement: the claim is cancelled (nothing was settled yet)."""
        self.abandon_claim()
        bills, total, what, ref = self._claim_args
        self.choose_how_to_pay(bills, total, what, ref)

    def _paid(self, payment: Payment | None) -> None:
        if self._on_paid is not None:
            self._on_paid(payment)

    def abandon(self) -> None:
        self.abandon_claim()
        self._claim_args = self._on_paid = None  # they closed over this patient's bills
        self._claim_busy = False

    def abandon_claim(self) -> None:
        """The patient left before the claim completed: cancel it, or reverse its settlement (in the background)."""
        claim, self._claim = self._claim, None
        if claim is not None and claim.state != "complete":
            backend = self.kiosk.backend
            self.kiosk.runner.run(lambda: backend.cancel_claim(claim), None, lambda _e: None, busy=False)

    def paid_claim(self) -> Claim | None:
        """The claim that paid the bills just paid (the 自付 order completes it at the service)."""
        claim = self._claim
        if claim is None:
            return None
        self._claim = None  # done: nothing to undo any more
        return claim

    def receipt_invoice(self, patient, payment, claim: Claim | None):
        """(In a worker) the payment's e-invoice, once issued, counted as printed; None while it is on its way."""
        backend = self.kiosk.backend
        if not self.kiosk.devices.einvoice_expected:
            return None
        invoice = backend.wait_invoice(patient, order_id=payment.id if payment is not None and claim is None else "",
                                       claim_id=claim.id if claim is not None else "")
        if invoice is None:
            return None
        return backend.print_invoice(invoice, self.key(f"einvoice:{invoice.id}"))
