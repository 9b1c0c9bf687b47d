"""Registration (挂号) and appointments (预约): hold a slot atomically, finalise, cancel, check in, and join the queue."""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from common.privacy import mask_name
from records.core import RecordsCore, iso
from records.db import RowConn
from records.errors import RecordsError, not_found
from records.models import HoldRequest
from records.ports import VisitRequest
from records.schedule import check_in_opens_at, slot_has_ended
from records.settings import KIND_NAMES_ZH, SESSION_NAMES_ZH, early_minutes

if TYPE_CHECKING:  # the parts it works with (Records wires them)
    from records.holds import Seats
    from records.patients import Patients
    from records.reminders import Reminders
    from records.schedules import Schedules


log = logging.getLogger(__name__)
LIVE = ("held", "final")


class Refunds(Protocol):
    """What a cancellation needs of the payments part (records.payments.Payments), named here so that the two
    parts do not import each other."""

    def refund_bill(self, order_id: Any, bill_id: int, amount_fen: int, reason: str) -> Any: ...


class Registrations:
    """Holds, final registrations, cancellation, check-in and visit status."""
    payments: Refunds  # set by Records: a cancelled, paid registration is refunded
    reminders: "Reminders | None" = None  # set by Records: a patient who asked for reminders gets the queue's texts

    def __init__(self, core: RecordsCore, patients: Patients, schedules: Schedules, seats: Seats) -> None:
        self.core = core
        self.patients = patients
        self.schedules = schedules
        self.seats = seats


    def next_free_slots(self, conn: RowConn, session: dict[str, Any], limit: int = 5) -> list[dict[str, Any]]:
        """Free slots of the same department on the same day, this doctor's first, earliest first."""
        now = self.core.now()
        day = date.fromisoformat(session["date"])
        rows = conn.execute(
            "SELECT x.id, x.starts, x.ends, x.quota - x.taken AS remaining, s.doctor_id, s.session, s.kind, s.fee_fen"
            " FROM rec_slots x JOIN rec_sessions s ON s.id = x.session_id"
            " WHERE s.date = ? AND s.department_id = ? AND s.status = 'open' AND x.taken < x.quota"
            " ORDER BY s.doctor_id != ?, x.starts", (session["date"], session["department_id"], session["doctor_id"])).fetchall()
        out = []
        for r in rows:
            if slot_has_ended(day, r["ends"], now):
                continue
            out.append({"slot_id": r["id"], "start": r["starts"], "end": r["ends"], "remaining": r["remaining"],
                        "doctor_id": r["doctor_id"], "session": r["session"], "kind": r["kind"], "fee_fen": r["fee_fen"]})
            if len(out) == limit:
                break
        return out

    def hold(self, body: HoldRequest, may_add_extra: bool = False) -> dict[str, Any]:
        """Reserve a seat: held until paid (hold_minutes), or final at once when the hospital takes payment at the visit."""
        self.seats.expire_holds()
        with self.core.db.transaction() as conn:
            remembered = self.core.recall_key(conn, body.idempotency_key, "hold")
            if remembered:
                return self._registration_view(conn, remembered["id"])
            self.patients.row(conn, body.patient_id)
            proxy_name = self.patients.check_proxy(conn, body.patient_id, body.proxy_id_number)
            slot = conn.execute("SELECT * FROM rec_slots WHERE id = ?", (body.slot_id,)).fetchone()
            if slot is None:
                raise not_found("该号源", "The slot")
            slot = dict(slot)
            session = self.schedules.session_row(conn, slot["session_id"])
            now = self.core.now()
            self.schedules.refuse_unless_bookable(session, slot, now)
            dup = conn.execute(
                "SELECT id FROM rec_registrations WHERE patient_id = ? AND session_id = ? AND state IN ('held', 'final')",
                (body.patient_id, session["id"])).fetchone()
            if dup:
                raise RecordsError("already_registered", "您已挂过该医生本时段的号，无需重复挂号。如需改约，请先取消原挂号。",
                                   "You already have a number for this doctor and session; cancel it first to change.",
                                   registration_id=dup["id"])
            kind = session["kind"]
            if body.extra:
                if not may_add_extra:
                    raise RecordsError("forbidden", "对不起，加号需由医生或护士办理。", "Extra numbers are added by clinic staff.", status=403)
                extras = conn.execute("SELECT COUNT(*) FROM rec_registrations WHERE session_id = ? AND kind = 'extra'"
                                      " AND state IN ('held', 'final')", (session["id"],)).fetchone()[0]
                if extras >= self.core.settings.extra_quota:
                    raise RecordsError("extra_full", "对不起，该医生本时段的加号已满，请选择其他医生或时段。",
                                       "No extra numbers are left for this doctor and session.")
                kind, fee = "extra", self.core.settings.fee_for("extra")
            elif not self.seats.take(conn, slot["id"]):
                raise RecordsError("slot_taken", "对不起，该时段的号刚刚被约满，请选择其他时段。", "Sorry, that time was just taken; please choose another.",
                                   next_free=self.next_free_slots(conn, session))
            else:
                fee = session["fee_fen"]
            day = date.fromisoformat(session["date"])
            final = self.core.settings.pay_at_visit or fee == 0
            reg_id = conn.execute(
                "INSERT INTO rec_registrations (patient_id, slot_id, session_id, date, kind, fee_fen, source, state,"
                " hold_expires_at, proxy_name, created_at, final_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (body.patient_id, slot["id"], session["id"], session["date"], kind, fee,
                 "onsite" if day == now.date() else "appointment", "final" if final else "held",
                 None if final else iso(now + timedelta(minutes=self.core.settings.hold_minutes)), proxy_name, iso(now),
                 iso(now) if final else None)).fetchone()[0]
            title = f"挂号费 {KIND_NAMES_ZH[kind]}"
            bill_id = conn.execute(
                "INSERT INTO rec_bills (patient_id, kind, title, total_fen, registration_id, created_at) VALUES (?, 'registration', ?, ?, ?, ?) "
                "RETURNING id", (body.patient_id, title, fee, reg_id, iso(now))).fetchone()[0]
            conn.execute("INSERT INTO rec_bill_items (bill_id, name, quantity, unit, unit_fen, amount_fen) VALUES (?, ?, 1, '次', ?, ?)",
                         (bill_id, title, fee, fee))
            conn.execute("UPDATE rec_registrations SET bill_id = ? WHERE id = ?", (bill_id, reg_id))
            self.core.remember_key(conn, body.idempotency_key, "hold", {"id": reg_id})
            self.core.audit(conn, "registration_final" if final else "slot_held", after="final" if final else "held",
                       registration_id=reg_id, patient_id=body.patient_id, slot_id=slot["id"], session_id=session["id"],
                       bill_id=bill_id, fee_fen=fee, kind=kind, proxy_name_masked=mask_name(proxy_name) if proxy_name else None)
        if final:
            self.enter_queue(reg_id, at_kiosk=True)
        with self.core.db.reading() as rc:
            return self._registration_view(rc, reg_id)

    def finalise(self, conn: RowConn, reg_id: int) -> bool:
        """Make a paid registration final. An expired hold takes its seat again if one is free; False if none is."""
        reg = dict(conn.execute("SELECT * FROM rec_registrations WHERE id = ?", (reg_id,)).fetchone())
        if reg["state"] == "final":
            return True
        if reg["state"] not in ("held", "expired", "released"):
            return False
        if reg["state"] != "held":
            session = self.schedules.session_row(conn, reg["session_id"])
            slot = dict(conn.execute("SELECT * FROM rec_slots WHERE id = ?", (reg["slot_id"],)).fetchone())
            if session["status"] != "open" or slot_has_ended(date.fromisoformat(reg["date"]), slot["ends"], self.core.now()):
                return False
            if reg["kind"] != "extra" and not self.seats.take(conn, reg["slot_id"]):
                return False
        conn.execute("UPDATE rec_registrations SET state = 'final', final_at = ?, hold_expires_at = NULL, cancelled_at = NULL WHERE id = ?",
                     (iso(self.core.now()), reg_id))
        self.core.audit(conn, "registration_final", before=reg["state"], after="final", registration_id=reg_id,
                   patient_id=reg["patient_id"], slot_id=reg["slot_id"], bill_id=reg["bill_id"], fee_fen=reg["fee_fen"])
        return True

    def cancel_registration(self, reg_id: int, idempotency_key: str | None = None,
                            queue_done: bool = False) -> dict[str, Any]:
        """弃号/取消: the seat goes back; a paid fee is refunded through the provider; a queued visit is cancelled
        (``queue_done``: the queue already let it go, e.g. 我不排了 on the phone page)."""
        refund: dict[str, Any] | None = None
        with self.core.db.transaction() as conn:
            reg = self._reg_row(conn, reg_id)
            if reg["state"] not in LIVE:
                return self._registration_view(conn, reg_id)
            bill = conn.execute("SELECT * FROM rec_bills WHERE id = ?", (reg["bill_id"],)).fetchone()
            self.seats.release(conn, reg, "cancelled")
            if bill is not None and bill["state"] == "paid":
                conn.execute("UPDATE rec_bills SET state = 'refund_pending' WHERE id = ?", (bill["id"],))
                refund = {"bill_id": bill["id"], "order_id": bill["order_id"], "amount_fen": bill["total_fen"]}
                self.core.audit(conn, "bill_refund_pending", before="paid", after="refund_pending", registration_id=reg_id, **refund)
        if refund and refund["order_id"] is not None:
            self.payments.refund_bill(refund["order_id"], refund["bill_id"], refund["amount_fen"], "取消挂号退费")
        if reg.get("visit_id") and self.core.queue is not None and not queue_done:
            try:
                self.core.queue.cancel_visit(reg["visit_id"], f"reg-{reg_id}-cancel")
            except RecordsError as exc:
                log.warning("queue refused to cancel visit of registration %s: %s", reg_id, exc.code)
        with self.core.db.reading() as rc:
            return self._registration_view(rc, reg_id)

    # -- the queue: today's final registration becomes a visit; check-in per rules
    def enter_queue(self, reg_id: int, at_kiosk: bool) -> None:
        """Register today's final registration with the caller service (idempotent); check in when the patient is here."""
        with self.core.db.reading() as rc:
            reg = self._reg_row(rc, reg_id)
        if self.core.queue is None or reg["state"] != "final" or reg["date"] != self.core.now().date().isoformat():
            return
        if not reg["visit_id"]:
            self._register_visit(reg)
        if at_kiosk and self._check_in_rules(reg)[0]:
            try:
                self.check_in(reg_id)
            except RecordsError as exc:  # e.g. too early: the patient checks in later, the answer says when
                log.info("check-in of registration %s deferred: %s", reg_id, exc.code)

    def _register_visit(self, reg: dict[str, Any]) -> dict[str, Any]:
        with self.core.db.reading() as rc:
            slot = dict(rc.execute("SELECT * FROM rec_slots WHERE id = ?", (reg["slot_id"],)).fetchone())
            session = self.schedules.session_row(rc, reg["session_id"])
            patient = self.patients.row(rc, reg["patient_id"])
        ref = self.core.queue.register_visit(VisitRequest(
            idempotency_key=f"reg-{reg['id']}-visit", patient_ref=str(reg["patient_id"]), patient_name=patient["name"],
            department_id=session["department_id"], doctor_id=session["doctor_id"] if reg["kind"] == "expert" else None,
            kind=reg["kind"], source=reg["source"], day=date.fromisoformat(reg["date"]), session=session["session"],
            slot_start=slot["starts"], slot_end=slot["ends"]))
        with self.core.db.transaction() as conn:
            conn.execute("UPDATE rec_registrations SET visit_id = ?, ticket = ? WHERE id = ?", (ref.visit_id, ref.ticket, reg["id"]))
        reg.update(visit_id=ref.visit_id, ticket=ref.ticket)
        if self.reminders is not None:  # asked for reminders: the queue's texts too
            self.reminders.follow_visit(ref.visit_id, patient_id=reg["patient_id"])
        return reg

    def check_in(self, reg_id: int, idempotency_key: str | None = None) -> dict[str, Any]:
        """签到 at the kiosk: today's final registration, not earlier than the early-check-in rule allows."""
        now = self.core.now()
        with self.core.db.reading() as rc:
            reg = self._reg_row(rc, reg_id)
            slot = dict(rc.execute("SELECT * FROM rec_slots WHERE id = ?", (reg["slot_id"],)).fetchone())
        if reg["state"] == "held":
            raise RecordsError("not_paid", "您的挂号尚未缴费，请先缴费再签到。", "Please pay for the registration before checking in.", status=409)
        if reg["state"] != "final":
            raise RecordsError("registration_cancelled", "该挂号已取消或已失效，请重新挂号。", "This registration is cancelled or expired; please register again.")
        day = date.fromisoformat(reg["date"])
        if day != now.date():
            raise RecordsError("not_today", f"您预约的是{day.month}月{day.day}日的号，请于就诊当天签到。",
                               f"Your appointment is on {day.isoformat()}; please check in on that day.", allowed_from=day.isoformat())
        if reg["checked_in_at"]:
            with self.core.db.reading() as rc:
                return self._registration_view(rc, reg_id)
        check_in_mode, early = self._check_in_rules(reg)
        opens = check_in_opens_at(day, slot["starts"], early)
        if opens is not None and now < opens:
            raise RecordsError("too_early", f"您好，您预约的时段为{slot['starts']}-{slot['ends']}，请于{opens:%H:%M}以后签到，谢谢。",
                               f"Your slot is {slot['starts']}-{slot['ends']}; check-in opens at {opens:%H:%M}.", allowed_from=iso(opens))
        if self.core.queue is not None:
            if not reg["visit_id"]:
                reg = self._register_visit(reg)
            if check_in_mode:
                self.core.queue.check_in(reg["visit_id"], idempotency_key or f"reg-{reg_id}-checkin")
        with self.core.db.transaction() as conn:
            if conn.execute("UPDATE rec_registrations SET checked_in_at = ? WHERE id = ? AND checked_in_at IS NULL",
                            (iso(now), reg_id)).rowcount:
                self.core.audit(conn, "checked_in", before="final", after="checked_in", visit_id=reg["visit_id"],
                           registration_id=reg_id, patient_id=reg["patient_id"], ticket=reg["ticket"])
            return self._registration_view(conn, reg_id)

    def _check_in_rules(self, reg: dict[str, Any]) -> tuple[bool, int | None]:
        """(check-in mode, early check-in minutes) of the registration's clinic area (queue rules 1 and 5)."""
        with self.core.db.reading() as rc:
            session = self.schedules.session_row(rc, reg["session_id"])
        rules = self.core.area_rules(session["department_id"])
        if rules is None:
            return self.core.settings.check_in_mode, self.core.settings.early_check_in_minutes
        return bool(rules.check_in_mode), early_minutes(rules)

    def registration_status(self, reg_id: int) -> dict[str, Any]:
        """The registration and, for today's visit, its place in the queue."""
        self.seats.expire_holds()
        with self.core.db.reading() as rc:
            view = self._registration_view(rc, reg_id)
        visit = None
        if view["visit_id"] and self.core.queue is not None:
            visit = self.core.queue.visit_status(view["visit_id"])
        return {"registration": view, "visit": visit}

    def list_registrations(self, patient_id: int, include_past: bool = False) -> dict[str, Any]:
        self.seats.expire_holds()
        since = "0000" if include_past else self.core.now().date().isoformat()
        with self.core.db.reading() as rc:
            ids = [r[0] for r in rc.execute(
                "SELECT id FROM rec_registrations WHERE patient_id = ? AND date >= ? ORDER BY date, id", (patient_id, since))]
            return {"registrations": [self._registration_view(rc, i) for i in ids]}

    def _reg_row(self, conn: RowConn, reg_id: int) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM rec_registrations WHERE id = ?", (reg_id,)).fetchone()
        if row is None:
            raise not_found("该挂号记录", "The registration")
        return dict(row)

    def _registration_view(self, conn: RowConn, reg_id: int) -> dict[str, Any]:
        reg = self._reg_row(conn, reg_id)
        slot = conn.execute("SELECT starts, ends FROM rec_slots WHERE id = ?", (reg["slot_id"],)).fetchone()
        session = self.schedules.session_row(conn, reg["session_id"])
        patient = conn.execute("SELECT name FROM rec_patients WHERE id = ?", (reg["patient_id"],)).fetchone()
        doctor = self.core.doctor(session["doctor_id"])
        department = self.core.department(session["department_id"])
        bill_state = conn.execute("SELECT state FROM rec_bills WHERE id = ?", (reg["bill_id"],)).fetchone() if reg["bill_id"] else None
        return {
            "registration_id": reg["id"], "patient_id": reg["patient_id"], "patient_name_masked": mask_name(patient["name"]),
            "state": reg["state"], "source": reg["source"], "date": reg["date"], "session": session["session"],
            "session_zh": SESSION_NAMES_ZH[session["session"]], "start": slot["starts"], "end": slot["ends"],
            "slot_id": reg["slot_id"], "department_id": session["department_id"],
            "department_name": getattr(department, "name", None), "doctor_id": session["doctor_id"],
            "doctor_name": getattr(doctor, "name", None), "room_id": session["room_id"],
            "doctor_name_en": getattr(doctor, "name_en", None) or None,
            "department_name_en": getattr(department, "name_en", None) or None,
            "kind": reg["kind"], "kind_zh": KIND_NAMES_ZH[reg["kind"]], "fee_fen": reg["fee_fen"],
            "bill_id": reg["bill_id"], "bill_state": bill_state["state"] if bill_state else None,
            "hold_expires_at": reg["hold_expires_at"], "visit_id": reg["visit_id"], "ticket": reg["ticket"],
            "checked_in_at": reg["checked_in_at"], "proxy_name": reg["proxy_name"], "created_at": reg["created_at"],
        }
