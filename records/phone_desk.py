"""The records part's answers for the patient's phone page (caller/phone_desk.py ``PatientDesk``).

我不排了: the page first tells what leaving does to the booked seat and the registration fee — the same rule as a
退号 at the kiosk (records/cancel_rule.py, ``[schedule] cancel_until``) — and, once the queue has let the visit go,
gives the seat (or a held slot) back and refunds a paid fee through the payment provider (records/registrations.py
``cancel_registration``). Past the rule's limit the patient may still leave, and is told the fee is not refunded.
The card QR: the unguessable card code of the visit's patient (records/cardcode.py); a scanned card QR (or the card
code typed) names the patient's registered visits, for check-in at a lab or imaging desk by card.

Everything done here is audited with the ticket page as the actor.
"""
from __future__ import annotations

from typing import Any

from common.wire import LeaveTerms
from records.audit import Actor, actor_scope
from records.cardcode import CARD_QR_PREFIX, card_qr_text, is_card_code
from records.errors import RecordsError
from records.registrations import LIVE

TICKET_PAGE = Actor(user="", device="ticket-page")


class PhoneDesk:
    def __init__(self, records: Any) -> None:
        self.records = records  # records.backend.Records

    def _registration(self, visit_id: str) -> dict[str, Any] | None:
        return self.records.db.one(
            "SELECT r.id, r.state, r.fee_fen, b.state AS bill_state, b.total_fen, p.card_code"
            " FROM rec_registrations r LEFT JOIN rec_bills b ON b.id = r.bill_id"
            " LEFT JOIN rec_patients p ON p.id = r.patient_id WHERE r.visit_id = ? ORDER BY r.id DESC LIMIT 1",
            (visit_id,))

    def _terms(self, reg: dict[str, Any]) -> LeaveTerms:
        paid = reg["bill_state"] == "paid" and (reg["total_fen"] or 0) > 0
        try:
            self.records.refuse_unless_cancellable(reg["id"])
        except RecordsError as exc:
            if exc.code != "too_late_to_cancel":
                raise
            return LeaveTerms(
                refund=False,
                text="按本院退号规定，现在退出排队不能退挂号费。退出后本号作废，不能恢复。如有疑问请到人工窗口咨询，谢谢。",
                text_en="By this hospital's rule the registration fee is no longer refunded. Your number ends and "
                        "cannot be restored. Please ask at the desk if in doubt.")
        if paid:
            fen = int(reg["total_fen"])
            return LeaveTerms(
                refund=True, refund_fen=fen,
                text=f"退出后本号作废，号源让给其他患者；挂号费 {fen / 100:.2f} 元按原支付方式退回，一般 1 至 7 个工作日到账。",
                text_en=f"Your number ends and the place goes to another patient; the registration fee of "
                        f"{fen / 100:.2f} yuan is refunded the way it was paid, usually within 1 to 7 working days.")
        return LeaveTerms(refund=False, text="退出后本号作废，号源让给其他患者。本号未收费，无需退费。",
                          text_en="Your number ends and the place goes to another patient. Nothing was paid, so "
                                  "nothing is refunded.")

    def leave_terms(self, visit_id: str) -> LeaveTerms | None:
        reg = self._registration(visit_id)
        if reg is None or reg["state"] not in LIVE:
            return None
        return self._terms(reg)

    def release(self, visit_id: str) -> LeaveTerms | None:
        reg = self._registration(visit_id)
        if reg is None or reg["state"] not in LIVE:
            return None
        terms = self._terms(reg)
        if terms.refund or reg["bill_state"] != "paid":  # past the rule's limit a paid registration stays as it is
            with actor_scope(TICKET_PAGE):
                self.records.cancel_registration(reg["id"], queue_done=True)
        return terms

    def card_qr(self, visit_id: str) -> str | None:
        reg = self._registration(visit_id)
        return card_qr_text(reg["card_code"]) if reg is not None and reg["card_code"] else None

    def visits_of_card(self, code: str) -> list[str] | None:
        text = code.strip()
        if text.upper().startswith(CARD_QR_PREFIX):
            text = text[len(CARD_QR_PREFIX):]
        text = text.strip().upper()
        if not is_card_code(text):
            return None
        patient = self.records.db.one("SELECT id FROM rec_patients WHERE card_code = ?", (text,))
        if patient is None:
            return None
        rows = self.records.db.all(
            "SELECT visit_id FROM rec_registrations WHERE patient_id = ? AND visit_id IS NOT NULL ORDER BY id DESC"
            " LIMIT 50", (patient["id"],))
        return [r["visit_id"] for r in rows]
