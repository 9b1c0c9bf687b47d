"""Paying at the kiosk: QR on screen or payment code at the scanner; declined or timed out pays nothing."""
from __future__ import annotations

import threading
from typing import Callable

from kiosk.flows.base import Flow, error_text
from kiosk.i18n import tr
from kiosk.models import Payment
from kiosk.screens.pay import PaymentScreen


class PaymentFlow(Flow):
    """One payment at a time: ``order`` is the QR order on screen (None when no payment is under way)."""

    order: Payment | None = None
    _payment_stop: threading.Event | None = None
    _code_busy = False
    _pay_claim = ""
    _pay_args = _on_paid = _on_abandon = _on_retry = None

    def start_payment(self, bill_ids: list[str], amount_fen: int, what: str, on_paid: Callable[[Payment], None],
                      on_abandon: Callable[[], None], ref: str, on_retry: Callable[[], None] | None = None,
                      claim_id: str = "") -> None:
        """Create the order at the service, show its QR and wait for the result in a worker.

        on_retry starts over after a failed payment (default: a new order for the same bills). ``claim_id``: the
        order pays the 自付 part of that 医保 claim (``amount_fen`` is that part).
        """
        kiosk = self.kiosk
        self._on_paid, self._on_abandon, self._pay_args = on_paid, on_abandon, (bill_ids, amount_fen, what, ref)
        self._on_retry, self._pay_claim = on_retry, claim_id
        attempt = self.session.idempotency.get(f"attempt:{ref}", "0")
        key = self.key(f"pay:{ref}:{attempt}")
        patient = self.session.patient
        self.call(lambda: kiosk.backend.start_payment(patient, bill_ids, amount_fen, key, claim_id=claim_id),
                  lambda payment: self._show_payment(payment, what), self._payment_refused)

    def _payment_refused(self, exc: BaseException) -> bool:
        self._on_abandon()
        return False

    def _show_payment(self, payment: Payment, what: str) -> None:
        kiosk = self.kiosk
        self.order = payment
        seconds = kiosk.settings.payment_timeout_s
        kiosk.show_screen(lambda: PaymentScreen(kiosk, payment.amount_fen, payment.qr_text, seconds,
                                                self.cancel_payment, what), push=False)
        stop = threading.Event()
        self._payment_stop = stop
        backend = kiosk.backend
        kiosk.runner.run(lambda: backend.wait_payment(payment, seconds, stop),
                         self._payment_result, self._payment_wait_failed, busy=False)

    def on_payment_code(self, code: str) -> None:
        """A payment code (付款码) was scanned while the QR is shown: pay it as its own order.

        The QR order stays open until the code order is paid (closing it first would free the held slot);
        should both be paid, the service refunds the second.
        """
        qr = self.order
        if qr is None or self._code_busy:
            return
        self._code_busy = True
        kiosk = self.kiosk
        backend, patient = kiosk.backend, self.session.patient
        bill_ids, amount_fen = self._pay_args[0], self._pay_args[1]
        key = self.key(f"code:{qr.id}:{code[-6:]}")
        stop = self._payment_stop

        claim_id = self._pay_claim

        def work():
            order = backend.start_payment(patient, bill_ids, amount_fen, key, method="code", claim_id=claim_id)
            result = backend.pay_with_code(order, code)
            if result.status == "pending":
                result = backend.wait_payment(result, 30, stop or threading.Event())
            if result.status != "paid":
                result = backend.cancel_payment(result)
            return result

        def done(result: Payment) -> None:
            self._code_busy = False
            if result.status == "paid" and self.order is not None:
                self._switch_to(result)
            elif self.order is not None and kiosk.current is not None and kiosk.current.name == "payment":
                kiosk.current.show_status(tr("付款码支付没有成功，本次没有扣费。请刷新付款码再试，或扫描屏幕上的二维码。"))

        def failed(exc: BaseException) -> bool:
            self._code_busy = False
            if kiosk.current is not None and kiosk.current.name == "payment":
                kiosk.current.show_status(error_text(exc))
                return True
            return False

        self.call(work, done, failed)

    def _switch_to(self, paid: Payment) -> None:
        """The code order was paid: stop waiting for the QR order and close it (nothing is held by it now)."""
        qr, self.order = self.order, None
        if self._payment_stop:
            self._payment_stop.set()
        backend = self.kiosk.backend
        self.kiosk.runner.run(lambda: backend.cancel_payment(qr), None, lambda _e: None, busy=False)
        self._on_paid(paid)

    def _payment_result(self, payment: Payment) -> None:
        if self.order is None or payment.id != self.order.id:
            return  # a late answer for an order already settled
        if payment.status == "paid":
            self.order = None
            if self._payment_stop:
                self._payment_stop.set()
            self._on_paid(payment)
        elif payment.status in ("declined", "timeout", "closed", "cancelled"):
            self._close_order(payment, declined=payment.status == "declined")

    def _payment_wait_failed(self, exc: BaseException) -> bool:
        payment = self.order
        if payment is not None:
            self._close_order(payment, declined=False)
            return True
        return False

    def cancel_payment(self) -> None:
        """The patient pressed cancel: close the order (if it was paid meanwhile, it counts as paid)."""
        payment = self.order
        if payment is not None:
            self._close_order(payment, declined=False, by_patient=True)

    def _close_order(self, payment: Payment, declined: bool, by_patient: bool = False) -> None:
        if self._payment_stop:
            self._payment_stop.set()
        backend = self.kiosk.backend

        def closed(final: Payment) -> None:
            if final.status == "paid":
                self.order = None
                self._on_paid(final)
                return
            self.order = None
            self._offer_retry(declined, by_patient)

        def close_failed(_exc: BaseException) -> bool:
            self.order = None
            self._on_abandon()
            self.message(tr("对不起"), tr("支付没有完成，本次没有扣费。如手机显示已扣款，请到人工窗口处理，我们会为您核实。"))
            return True

        self.call(lambda: backend.cancel_payment(payment), closed, close_failed)

    def _offer_retry(self, declined: bool, by_patient: bool) -> None:
        kiosk = self.kiosk
        ref = self._pay_args[3]
        n = int(self.session.idempotency.get(f"attempt:{ref}", "0")) + 1
        self.session.idempotency[f"attempt:{ref}"] = str(n)
        if by_patient:
            title, text = tr("已取消支付"), tr("本次没有扣费，挂号没有办理。您可以重新支付，或返回首页。")
        elif declined:
            title, text = tr("对不起，支付没有成功"), tr("本次没有扣费，挂号没有办理。请换一种支付方式重新支付。")
        else:
            title, text = tr("对不起，支付已超时"), tr("本次没有扣费，挂号没有办理。您可以重新支付，或返回首页。")

        def give_up() -> None:
            self._on_abandon()
            kiosk.go_home("done")

        on_paid, on_abandon, on_retry, args = self._on_paid, self._on_abandon, self._on_retry, self._pay_args
        claim_id = self._pay_claim
        retry = on_retry or (lambda: self.start_payment(*args[:3], on_paid, on_abandon, ref, claim_id=claim_id))
        self.message(title, text, [(tr("重新支付"), retry), (tr("返回首页"), give_up)],
                     name="payment_failed", push=False, allow_back=False)

    def abandon_payment(self) -> None:
        """The patient walked away: stop waiting; close the order in the background."""
        if self._payment_stop:
            self._payment_stop.set()
        payment, self.order = self.order, None
        # forget the callbacks that closed over this patient's data
        self._pay_args = self._on_paid = self._on_abandon = self._on_retry = None
        self._code_busy, self._pay_claim = False, ""
        if payment is not None:
            backend = self.kiosk.backend
            self.kiosk.runner.run(lambda: backend.cancel_payment(payment), None, lambda _e: None, busy=False)
