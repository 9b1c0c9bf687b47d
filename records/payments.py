"""Payments: order -> paid through `hardware.payment.PaymentProvider`, idempotent; late confirmations matched or
refunded; daily reconciliation against the provider.

Provider calls happen outside the database transaction; every decision about money is taken inside one. A payment
that lands after the kiosk gave up is either matched to its bills (the seat is still free) or refunded, never lost.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from cockpit import rollups, sources
from hardware.payment.model import GatewayUnavailable, PaymentError
from records.core import RecordsCore, iso
from records.db import RowConn
from records.errors import RecordsError, not_found
from records.models import PaymentCreate

if TYPE_CHECKING:  # the parts it works with (Records wires them)
    from records.holds import Seats
    from records.patients import Patients
    from records.registrations import Registrations


log = logging.getLogger(__name__)

ORDER_MESSAGES = {
    "pending": ("请按屏幕提示扫码或刷卡支付，支付完成前请勿离开，请稍候。", "Please pay as shown on the screen and wait."),
    "paid": ("缴费成功，谢谢。", "Payment received. Thank you."),
    "declined": ("对不起，支付未成功，请换一种支付方式再试，或到人工窗口缴费。", "The payment was declined; please try another way or pay at the counter."),
    "abandoned": ("支付已取消。如您已被扣款，系统会自动补登或原路退款，请放心。", "Payment cancelled. If you were charged, it will be matched or refunded automatically."),
    "refund_pending": ("款项将原路退回，请留意到账；如有疑问请到人工窗口咨询。", "The money will be refunded to your account."),
    "refunded": ("款项已原路退回，请留意到账，谢谢。", "The money has been refunded to your account."),
    "failed": ("对不起，支付未能发起，请稍后重试或到人工窗口缴费。", "The payment could not be started; please try again or pay at the counter."),
}
OPEN_STATES = ("pending", "declined", "abandoned", "failed")  # a payment may still land on these


def yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


def _provider_time(value: float | None, tz: Any) -> str | None:
    """The gateway's instant (POSIX seconds) as hospital time."""
    return iso(datetime.fromtimestamp(value, tz).replace(tzinfo=None)) if value else None


def _provider_unreachable() -> RecordsError:
    return RecordsError("payment_unavailable", "对不起，支付服务暂时不可用，请稍后重试或到人工窗口缴费。",
                        "The payment service is not reachable; please try again or pay at the counter.", status=503)


class Payments:
    """Orders against bills, settled through the payment provider."""

    def __init__(self, core: RecordsCore, patients: Patients, registrations: Registrations, seats: Seats) -> None:
        self.core = core
        self.patients = patients
        self.registrations = registrations
        self.seats = seats
        self.claims: Any = None  # records.insurance.claims.Claims: 医保 claims own their bills and 自付 orders
        self.invoices: Any = None  # records.insurance.einvoice.Invoices: an e-invoice for every payment

    # -- provider calls, with its errors turned into ours
    def _provider(self, call: Callable[[Any], Any]) -> Any:
        if self.core.provider is None:
            raise RecordsError("payment_unavailable", "对不起，自助缴费暂不可用，请到人工窗口缴费。",
                               "Self-service payment is not available; please pay at the counter.", status=503)
        try:
            return call(self.core.provider)
        except RecordsError:
            raise
        except PaymentError as exc:
            log.warning("payment provider refused or failed: %s", exc.code)
            if not isinstance(exc, GatewayUnavailable):
                raise RecordsError("payment_refused", exc.message_zh, exc.message_en, status=409) from exc
            raise _provider_unreachable() from exc
        except Exception as exc:  # noqa: BLE001 - a provider's own failure, not a refusal: the patient pays at the counter
            log.exception("payment provider failed")
            raise _provider_unreachable() from exc

    def _order_row(self, conn: RowConn, order_id: int) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM rec_orders WHERE id = ?", (order_id,)).fetchone()
        if row is None:
            raise not_found("该支付订单", "The payment order")
        return dict(row)

    def _order_view(self, conn: RowConn, order_id: int) -> dict[str, Any]:
        o = self._order_row(conn, order_id)
        zh, en = ORDER_MESSAGES.get(o["state"], ("", ""))
        bill_ids = json.loads(o["bill_ids"])
        regs = [r[0] for r in conn.execute(
            f"SELECT registration_id FROM rec_bills WHERE id IN ({','.join('?' * len(bill_ids))}) AND registration_id IS NOT NULL", bill_ids)]
        return {"order_id": o["id"], "patient_id": o["patient_id"], "bill_ids": bill_ids, "amount_fen": o["amount_fen"],
                "method": o["method"], "state": o["state"], "outcome": o["outcome"],
                "payment": json.loads(o["payload"]) if o["payload"] else None, "refunded_fen": o["refunded_fen"],
                "created_at": o["created_at"], "paid_at": o["paid_at"], "registration_ids": regs,
                "message_zh": zh, "message_en": en}

    def get_order(self, order_id: int) -> dict[str, Any]:
        with self.core.db.reading() as rc:
            return self._order_view(rc, order_id)

    def create_payment(self, body: PaymentCreate, device: str | None = None) -> dict[str, Any]:
        """Check the bills and the amount, open an order, and open it at the provider (QR code / card / payment code)."""
        self.seats.expire_holds()
        with self.core.db.transaction() as conn:
            remembered = self.core.recall_key(conn, body.idempotency_key, "payment")
            order_id = remembered["id"] if remembered else None
            if order_id is None:
                order_id = self._new_order(conn, body, device)
                self.core.remember_key(conn, body.idempotency_key, "payment", {"id": order_id})
            order = self._order_row(conn, order_id)
        if order["provider_order_id"] is None and order["state"] == "pending":
            self._open_at_provider(order)
        return self.get_order(order_id)

    def _new_order(self, conn: RowConn, body: PaymentCreate, device: str | None) -> int:
        self.patients.row(conn, body.patient_id)
        self.patients.check_proxy(conn, body.patient_id, body.proxy_id_number)
        bill_ids = list(dict.fromkeys(body.bill_ids))
        total = 0
        for bill_id in bill_ids:
            bill = conn.execute("SELECT * FROM rec_bills WHERE id = ?", (bill_id,)).fetchone()
            if bill is None or bill["patient_id"] != body.patient_id:
                raise not_found(f"账单（编号{bill_id}）", f"Bill {bill_id}")
            self._refuse_unpayable(conn, dict(bill))
            total += bill["total_fen"]
        if self.claims is not None:  # a 医保 claim's 自付 order is for the patient's part only
            total = self.claims.expected_fen(conn, body, total)
        if body.amount_fen != total:
            raise RecordsError("amount_mismatch", f"对不起，支付金额与账单不符：应缴{yuan(total)}，请刷新账单后重新缴费。",
                               f"The amount does not match the bills: {yuan(total)} is due. Please reload the bills and pay again.",
                               status=422, expected_fen=total)
        if total <= 0:
            raise RecordsError("nothing_to_pay", "这些账单无需缴费，谢谢。", "Nothing to pay for these bills.", status=422)
        order_id = conn.execute(
            "INSERT INTO rec_orders (patient_id, bill_ids, amount_fen, method, state, created_at, device, provider_key)"
            " VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id",
            (body.patient_id, json.dumps(bill_ids), total, body.method, iso(self.core.now()), device, f"rec-{uuid.uuid4().hex}"),
        ).fetchone()[0]
        self.core.audit(conn, "payment_created", after="pending", order_id=order_id, patient_id=body.patient_id,
                   bill_ids=bill_ids, amount_fen=total, method=body.method)
        if self.claims is not None:
            self.claims.order_created(conn, order_id, body)
        return order_id

    def _open_at_provider(self, order: dict[str, Any]) -> None:
        try:
            placed = self._provider(lambda p: p.create_order(order["amount_fen"], "门诊缴费", order["method"], order["provider_key"]))
        except RecordsError:
            with self.core.db.transaction() as conn:
                if conn.execute("UPDATE rec_orders SET state = 'failed' WHERE id = ? AND state = 'pending'", (order["id"],)).rowcount:
                    self.core.audit(conn, "payment_failed", before="pending", after="failed", order_id=order["id"],
                               amount_fen=order["amount_fen"])
            raise
        payload = {"provider_order_id": placed.order_id, "method": placed.method, "code_url": placed.code_url,
                   "expires_at": _provider_time(placed.expires_at, self.core.zone)}
        with self.core.db.transaction() as conn:
            conn.execute("UPDATE rec_orders SET provider_order_id = ?, payload = ? WHERE id = ?",
                         (placed.order_id, json.dumps(payload, ensure_ascii=False), order["id"]))

    def _refuse_unpayable(self, conn: RowConn, bill: dict[str, Any]) -> None:
        if bill["state"] == "paid":
            raise RecordsError("bill_paid", "该账单已缴费，无需重复缴费，谢谢。", "This bill is already paid.", bill_id=bill["id"])
        if bill["registration_id"]:
            reg = conn.execute("SELECT state FROM rec_registrations WHERE id = ?", (bill["registration_id"],)).fetchone()
            if reg["state"] in ("expired", "released"):
                raise RecordsError("hold_expired", f"对不起，号源保留已超时（{self.core.settings.hold_minutes}分钟内未缴费），号源已释放，请重新挂号。",
                                   f"The hold on your number expired after {self.core.settings.hold_minutes} minutes and was released; please register again.",
                                   bill_id=bill["id"], registration_id=bill["registration_id"])
        if bill["state"] != "unpaid":
            raise RecordsError("bill_not_payable", "该账单已取消或已退费，无需缴费。如有疑问请到人工窗口咨询。",
                               "This bill is cancelled or refunded; nothing to pay.", bill_id=bill["id"])

    def pay_with_code(self, order_id: int, code: str) -> dict[str, Any]:
        """The kiosk scanned the payer's payment code (付款码) for a `code` order."""
        order = self.get_order(order_id)
        if not order["payment"]:
            raise RecordsError("payment_unavailable", "订单尚未建立，请重新缴费。", "The order was not opened at the provider.", status=409)
        self._provider(lambda p: p.pay_with_code(order["payment"]["provider_order_id"], code))
        return self.confirm_payment(order_id)

    # -- confirmation paths: the kiosk polls, the provider notifies, reconciliation finds it
    def confirm_payment(self, order_id: int) -> dict[str, Any]:
        """Ask the provider and apply what it says. Safe to repeat any number of times."""
        with self.core.db.reading() as rc:
            order = self._order_row(rc, order_id)
        if order["state"] in OPEN_STATES and order["provider_order_id"]:
            self.apply_provider_order(order_id, self._provider(lambda p: p.query(order["provider_order_id"])))
        return self.get_order(order_id)

    def abandon_payment(self, order_id: int) -> dict[str, Any]:
        """The kiosk gave up (timeout, patient left): stop the charge, free held seats, unless it turns out paid."""
        with self.core.db.reading() as rc:
            order = self._order_row(rc, order_id)
        if order["state"] not in ("pending", "declined", "failed"):
            return self.get_order(order_id)
        if order["provider_order_id"]:
            seen = self._provider(lambda p: p.query(order["provider_order_id"]))
            if _state(seen) == "pending":  # pending -> cancelled; a payment racing this is refunded by the provider
                seen = self._provider(lambda p: p.cancel(order["provider_order_id"]))
            self.apply_provider_order(order_id, seen)
            with self.core.db.reading() as rc:
                if self._order_row(rc, order_id)["state"] not in OPEN_STATES:
                    return self.get_order(order_id)
        with self.core.db.transaction() as conn:
            if self._order_row(conn, order_id)["state"] in OPEN_STATES:
                self._close_order(conn, order_id, "abandoned")
            return self._order_view(conn, order_id)

    def payment_notice(self, order_id: int) -> dict[str, Any]:
        """The provider says an order changed (possibly long after the kiosk gave up). Re-read from the provider, apply."""
        return self.confirm_payment(order_id)

    def _close_order(self, conn: RowConn, order_id: int, state: str, outcome: str | None = None) -> None:
        """The order ends unpaid (abandoned, timed out, or refunded by the provider); its held seats are released."""
        before = self._order_row(conn, order_id)
        action = {"refunded": "late_payment_refunded", "abandoned": "payment_timed_out" if outcome == "expired" else "payment_abandoned"}
        if before["state"] != state:  # abandon_payment may close an order the provider's answer already closed
            self.core.audit(conn, action.get(state, f"payment_{state}"), before=before["state"], after=state, order_id=order_id,
                       amount_fen=before["amount_fen"], outcome=outcome or before["outcome"])
        conn.execute("UPDATE rec_orders SET state = ?, outcome = COALESCE(?, outcome), abandoned_at = ? WHERE id = ?",
                     (state, outcome, iso(self.core.now()), order_id))
        order = self._order_row(conn, order_id)
        for bill_id in json.loads(order["bill_ids"]):
            reg = conn.execute("SELECT r.* FROM rec_registrations r JOIN rec_bills b ON b.registration_id = r.id"
                               " WHERE b.id = ? AND r.state = 'held'", (bill_id,)).fetchone()
            if reg is not None:
                self.seats.release(conn, dict(reg), "released")

    def apply_provider_order(self, order_id: int, seen: Any) -> str:
        """Bring our order in line with the provider's (a hardware.payment.Order). Returns our state afterwards."""
        state = _state(seen)
        if state == "paid":
            return self.settle(order_id, seen.amount_fen, seen.order_id, _provider_time(seen.paid_at, self.core.zone))
        with self.core.db.transaction() as conn:
            order = self._order_row(conn, order_id)
            if order["state"] not in OPEN_STATES:
                return order["state"]
            if state == "declined":
                conn.execute("UPDATE rec_orders SET state = 'declined', outcome = ? WHERE id = ?", (seen.decline_reason or "declined", order_id))
                if order["state"] != "declined":
                    self.core.audit(conn, "payment_declined", before=order["state"], after="declined", order_id=order_id,
                               amount_fen=order["amount_fen"], reason=seen.decline_reason or "declined")
            elif state in ("cancelled", "expired"):
                self._close_order(conn, order_id, "abandoned", state)
            elif state == "refunded":  # money landed after we cancelled: the provider gave it back
                self._close_order(conn, order_id, "refunded", "refunded_by_provider")
                conn.execute("UPDATE rec_orders SET refunded_fen = ?, paid_at = ? WHERE id = ?",
                             (seen.refunded_fen, _provider_time(seen.paid_at, self.core.zone), order_id))
            return self._order_row(conn, order_id)["state"]

    def settle(self, order_id: int, amount_fen: int, provider_ref: str | None, paid_at: str | None) -> str:
        """Apply a confirmed payment: bills paid and holds final; or, when nothing is left to pay for, a refund."""
        refund_reason = None
        with self.core.db.transaction() as conn:
            order = self._order_row(conn, order_id)
            if order["state"] not in OPEN_STATES:
                return order["state"]
            late = order["state"] == "abandoned"
            if amount_fen != order["amount_fen"]:
                refund_reason = "支付金额与订单不符"
            else:
                conn.execute("SAVEPOINT settle")
                refund_reason = self._apply_to_bills(conn, order)
                if refund_reason:
                    conn.execute("ROLLBACK TO settle")
                conn.execute("RELEASE settle")
            outcome = ("refunded_late" if late else "refunded") if refund_reason else ("matched_late" if late else "paid")
            conn.execute("UPDATE rec_orders SET state = ?, outcome = ?, provider_ref = ?, paid_at = ? WHERE id = ?",
                         ("refund_pending" if refund_reason else "paid", outcome, provider_ref, paid_at or iso(self.core.now()), order_id))
            if not refund_reason:
                rollups.record(conn, *sources.payment(paid_at or iso(self.core.now()), amount_fen, order.get("device")))
            self.core.audit(conn, "payment_unapplied" if refund_reason else "payment_paid", before=order["state"],
                       after="refund_pending" if refund_reason else "paid", order_id=order_id, patient_id=order["patient_id"],
                       amount_fen=amount_fen, outcome=outcome, reason=refund_reason)
        if refund_reason:
            log.info("order %s was paid but cannot be applied (%s): refunding", order_id, refund_reason)
            self._refund_order(order_id, None, refund_reason)
            return self.get_order(order_id)["state"]
        self._open_paid_steps(order_id)
        for reg_id in self.get_order(order_id)["registration_ids"]:
            try:
                self.registrations.enter_queue(reg_id, at_kiosk=not late)
            except RecordsError as exc:  # the registration stands; the visit is created at check-in
                log.warning("registration %s paid but not queued yet: %s", reg_id, exc.code)
        return "paid"

    def _open_paid_steps(self, order_id: int) -> None:
        """The journey steps whose bills this order paid open (``pay_step`` through the queue), audited as done by
        the kiosk that took the payment. A step the queue refuses stays paid here and is logged for the window."""
        with self.core.db.reading() as rc:
            order = self._order_row(rc, order_id)
            bill_ids = json.loads(order["bill_ids"])
            steps = [(r["id"], r["step_id"]) for r in rc.execute(
                f"SELECT id, step_id FROM rec_bills WHERE id IN ({','.join('?' * len(bill_ids))}) AND step_id IS NOT NULL",
                bill_ids)]
        if steps and self.core.queue is None:
            log.warning("order %s paid journey steps but no queue is linked", order_id)
            return
        for bill_id, step_id in steps:
            try:
                self.core.queue.pay_step(step_id, f"bill-{bill_id}-step", order["device"] or "records")
            except RecordsError as exc:
                log.warning("bill %s paid but its step %s not opened: %s", bill_id, step_id, exc.code)

    def _apply_to_bills(self, conn: RowConn, order: dict[str, Any]) -> str | None:
        """Mark every bill paid; a reason string when one cannot be (the caller then rolls back)."""
        now = iso(self.core.now())
        held = self.claims.before_apply(conn, order) if self.claims is not None else None
        if held:  # a 医保 claim holds the bills (or this 自付 order's claim was reversed)
            return held
        for bill_id in json.loads(order["bill_ids"]):
            bill = dict(conn.execute("SELECT * FROM rec_bills WHERE id = ?", (bill_id,)).fetchone())
            if bill["state"] in ("paid", "refunded", "refund_pending"):
                return f"账单{bill_id}已由其他订单缴费"
            if bill["registration_id"]:
                if not self.registrations.finalise(conn, bill["registration_id"]):
                    return f"挂号{bill['registration_id']}的号源已不可用"
            elif bill["state"] != "unpaid":
                return f"账单{bill_id}已取消"
            conn.execute("UPDATE rec_bills SET state = 'paid', order_id = ?, paid_at = ? WHERE id = ?", (order["id"], now, bill_id))
            self.core.audit(conn, "bill_paid", before=bill["state"], after="paid", bill_id=bill_id, order_id=order["id"],
                       registration_id=bill["registration_id"], amount_fen=bill["total_fen"])
        covered = self.claims.paid(conn, order) if self.claims is not None else False  # the claim's invoice covers it
        if self.invoices is not None and not covered:
            self.invoices.request_for_order(conn, order["id"])
        return None

    def _refund_order(self, order_id: int, amount_fen: int | None, reason: str) -> bool:
        with self.core.db.reading() as rc:
            order = self._order_row(rc, order_id)
        try:
            seen = self._provider(lambda p: p.refund(order["provider_order_id"], amount_fen, reason))
        except RecordsError:
            log.warning("refund of order %s failed; reconciliation will retry", order_id)
            return False
        with self.core.db.transaction() as conn:
            before = self._order_row(conn, order_id)
            conn.execute("UPDATE rec_orders SET state = 'refunded', refunded_fen = ?, refunded_at = ? WHERE id = ?",
                         (seen.refunded_fen, iso(self.core.now()), order_id))
            self.core.audit(conn, "late_payment_refunded" if before["outcome"] == "refunded_late" else "payment_refunded",
                       before=before["state"], after="refunded", order_id=order_id, amount_fen=seen.refunded_fen, reason=reason)
        return True

    def refund_bill(self, order_id: int, bill_id: int, amount_fen: int, reason: str) -> bool:
        """Refund one bill of a paid order (a cancelled registration). The bill stays refund_pending if the provider fails."""
        with self.core.db.reading() as rc:
            order = self._order_row(rc, order_id)
        try:
            seen = self._provider(lambda p: p.refund(order["provider_order_id"], amount_fen, reason))
        except RecordsError:
            log.warning("refund of bill %s failed; reconciliation will retry", bill_id)
            return False
        with self.core.db.transaction() as conn:
            before = conn.execute("SELECT state FROM rec_bills WHERE id = ?", (bill_id,)).fetchone()
            conn.execute("UPDATE rec_bills SET state = 'refunded' WHERE id = ?", (bill_id,))
            self.core.audit(conn, "bill_refunded", before=before["state"] if before else None, after="refunded", bill_id=bill_id,
                       order_id=order_id, amount_fen=amount_fen, reason=reason)
            conn.execute("UPDATE rec_orders SET refunded_fen = ?, refunded_at = ? WHERE id = ?", (seen.refunded_fen, iso(self.core.now()), order_id))
        return True

    def reconcile(self, day: str) -> dict[str, Any]:
        """Compare a day's orders with the provider's; settle or refund what was missed; list what disagrees."""
        try:
            date.fromisoformat(day)
        except ValueError:
            raise RecordsError("invalid_date", "日期格式不正确。", "The date must be YYYY-MM-DD.", status=422) from None
        theirs = self._provider(lambda p: p.reconciliation(day))
        report: dict[str, Any] = {"date": day, "provider_orders": len(theirs), "agreed": 0, "matched_late": 0, "refunded": 0,
                                  "refunds_retried": 0, "unknown_at_provider": [], "mismatches": []}
        seen_ids = set()
        for seen in theirs:
            seen_ids.add(seen.order_id)
            row = self.core.db.one("SELECT * FROM rec_orders WHERE provider_order_id = ?", (seen.order_id,))
            if row is None:
                report["unknown_at_provider"].append(seen.order_id)
                continue
            before = row["state"]
            if before in OPEN_STATES:
                after = self.apply_provider_order(row["id"], seen)
                if after == "paid":
                    report["matched_late"] += 1
                elif after in ("refunded", "refund_pending"):
                    report["refunded"] += 1
                continue
            if before == "refund_pending":
                report["refunds_retried"] += int(self._refund_order(row["id"], None, "对账补退"))
                continue
            net_ours = (row["amount_fen"] if row["paid_at"] else 0) - row["refunded_fen"]
            if net_ours != seen.net_fen:
                report["mismatches"].append({"order_id": row["id"], "provider_order_id": seen.order_id,
                                             "ours_net_fen": net_ours, "provider_net_fen": seen.net_fen})
            else:
                report["agreed"] += 1
        for row in self.core.db.all("SELECT id, provider_order_id, amount_fen FROM rec_orders WHERE state = 'paid' AND created_at >= ? AND created_at < ?",
                               (day, day_after(day))):
            if row["provider_order_id"] not in seen_ids:
                report["mismatches"].append({"order_id": row["id"], "provider_order_id": row["provider_order_id"],
                                             "ours_net_fen": row["amount_fen"], "provider_net_fen": None})
        for bill in self.core.db.all("SELECT id, order_id, total_fen FROM rec_bills WHERE state = 'refund_pending' AND order_id IS NOT NULL"):
            report["refunds_retried"] += int(self.refund_bill(bill["order_id"], bill["id"], bill["total_fen"], "对账补退"))
        return report


def day_after(day: str) -> str:
    """The next calendar day as YYYY-MM-DD: a day's rows are the range [day, day_after(day)) of an ISO column."""
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _state(order: Any) -> str:
    state = getattr(order, "state", "")
    return getattr(state, "value", state)
