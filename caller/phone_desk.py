"""What the patient's phone page may do besides watching: 我不排了 (leave the queue) and the medical card's QR; and
whose card a scanned medical card is (check-in at a lab or imaging desk by card).

The queue itself is the service's (the ``leave_queue`` and ``on_my_way`` commands of caller/commands.py). A booked
seat, a paid registration fee and the medical card belong to the records part, which the service never imports:
records puts a :class:`PatientDesk` in the service's hooks, ``ServiceHooks.patient_desk`` (caller/plugins.py,
records/phone_desk.py). Without it
(a service that only runs queues) leaving tells the general rule and frees the number only.
"""
from __future__ import annotations

from typing import Protocol

from common.wire import LeaveTerms

# A service without the records part knows no seat or fee: the general rule, in the patient's words.
PLAIN_TERMS = LeaveTerms(
    text="退出后本号作废，不能恢复；如需就诊，请重新挂号。已交的挂号费请到收费窗口咨询退费，谢谢。",
    text_en="Your number ends and cannot be restored; to see a doctor, register again. Ask at the cashier about a "
            "registration fee already paid.")


class PatientDesk(Protocol):
    """The records part's answers for a visit's phone page (each None when the visit has no registration there)."""

    def leave_terms(self, visit_id: str) -> LeaveTerms | None:
        """What leaving would do now: the seat goes back; the fee refunded or not, by the hospital's rule."""

    def release(self, visit_id: str) -> LeaveTerms | None:
        """The visit left the queue (already cancelled): give the seat back and refund as :meth:`leave_terms` said."""

    def card_qr(self, visit_id: str) -> str | None:
        """The QR text of the medical card of the visit's patient (``MC:<card code>``, records/cardcode.py)."""

    def visits_of_card(self, code: str) -> list[str] | None:
        """The clinic visits registered for the patient whose medical card this is (its QR ``MC:<card code>`` or
        the card code typed), newest first; None when the code names no card."""
