"""退号 by the patient (at a kiosk): the hospital's rule, enforced here rather than trusted to each kiosk.

``[schedule] cancel_until`` in the hospital file: ``"called"`` (default: until the number is called) or
``"slot_start"`` (until the booked time slot starts). A number already called, being seen, seen or missed is never
cancelled by the patient; the desk (staff tokens) still may, e.g. after a complaint. A held, unpaid slot can always be
given back.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from records.core import RecordsCore
from records.errors import RecordsError

STARTED = ("called", "serving", "done", "missed")


def too_late(zh: str, en: str) -> RecordsError:
    return RecordsError("too_late_to_cancel", zh, en, status=409)


class CancelRule:
    def __init__(self, core: RecordsCore) -> None:
        self.core = core

    def refuse_unless_cancellable(self, reg_id: int) -> None:
        """Raise 409 too_late_to_cancel when the hospital's rule no longer lets the patient cancel this registration."""
        reg = self.core.db.one("SELECT r.state, r.date, r.visit_id, x.starts FROM rec_registrations r"
                          " JOIN rec_slots x ON x.id = r.slot_id WHERE r.id = ?", (reg_id,))
        if reg is None or reg["state"] != "final":
            return  # a hold goes back freely; a cancelled one stays cancelled; a missing one is the 404 of cancel
        if reg["visit_id"] and self.core.queue is not None:
            visit = self.core.queue.visit_status(reg["visit_id"]) or {}
            if visit.get("state") in STARTED:
                raise too_late("您已被叫号或已就诊，不能退号。如有疑问请到人工窗口咨询，谢谢。",
                               "Your number has been called or you have been seen; it cannot be cancelled. "
                               "Please ask at the desk.")
        starts = datetime.combine(date.fromisoformat(reg["date"]), datetime.min.time()) + timedelta(
            hours=int(reg["starts"][:2]), minutes=int(reg["starts"][3:5]))
        if self.core.settings.cancel_until == "slot_start" and self.core.now() >= starts:
            raise too_late(f"按本院规定，就诊时段开始（{reg['starts']}）后不能退号。如有疑问请到人工窗口咨询，谢谢。",
                           f"By this hospital's rule a number cannot be cancelled once its time slot has started "
                           f"({reg['starts']}). Please ask at the desk.")
        if self.core.now().date() > date.fromisoformat(reg["date"]):
            raise too_late("就诊日期已过，不能退号。如有疑问请到人工窗口咨询，谢谢。",
                           "The day of this visit has passed; it cannot be cancelled. Please ask at the desk.")
