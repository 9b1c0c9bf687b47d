"""The kiosk's view of the service: records (patients, schedules, bills, payments, reports, ratings) and the
queue, over HTTP through client.http.CallerClient. Every method blocks: call it from a worker.

JSON is mapped into kiosk.models here and nowhere else, so the screens never depend on the wire format.
Errors are CallerError(code, message_zh, message_en, status); code "unreachable" means the service is down.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import date, timedelta
from typing import Any

from client.http import CallerClient, CallerError
from common.clock import ServiceClock
from common.wire import JourneyStatus
from hardware.health import DeviceHealth, Health
from kiosk.his import HisCalls
from kiosk.models import (
    Appointment,
    Bill,
    BillItem,
    BookingDay,
    CardData,
    Department,
    Doctor,
    Hold,
    Patient,
    PatientDay,
    PatientId,
    Payment,
    Report,
    Reprintable,
    Slot,
    Ticket,
    VisitStatus,
    yuan,
)
from kiosk.platforms import PlatformCalls

log = logging.getLogger(__name__)

R = "/records"
SESSION_HEADER = "X-Patient-Session"

PAID_STATES = {"paid"}
FLAGS = {"H": "H", "L": "L", "↑": "H", "↓": "L", "high": "H", "low": "L"}  # result flags as the printer takes them
CLOSED_STATES = {"abandoned", "failed", "refunded", "refund_pending", "cancelled", "expired", "declined"}


def short_time(iso: str) -> str:
    """2026-11-23T15:30:00 -> 11-23 15:30 (the same in both languages)."""
    if len(iso) >= 16 and iso[10] == "T":
        return f"{iso[5:10]} {iso[11:16]}"
    return iso


def age_text(birth: str | None, today: date) -> str:
    """Age as a report prints it: 45岁; 8个月 or 12天 for a baby; "" when the birth date is unknown."""
    try:
        born = date.fromisoformat(birth or "")
    except ValueError:
        return ""
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if years >= 1:
        return f"{years}岁"
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    return f"{months}个月" if months >= 1 else f"{max(0, (today - born).days)}天"


class Backend(PlatformCalls, HisCalls):
    """``Backend(base_url, token)``; ``payment_provider`` (hardware.payment) charges scanned payment codes."""

    def __init__(self, base_url: str, token: str, payment_provider: Any = None, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = CallerClient(base_url, token, timeout=timeout)
        self.clock = ServiceClock()  # the service's time: what this kiosk shows and prints
        self.payment_provider = payment_provider
        self._hospital: dict | None = None
        self._departments: dict[str, Department] = {}
        self._lock = threading.Lock()
        self._patient_left = False
        self._timers: list[threading.Timer] = []

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self.client.close()

    def _get(self, path: str, **params: Any) -> Any:
        return self.client.request("GET", path, params=params or None)

    def _post(self, path: str, body: dict | None = None) -> Any:
        return self.client.request("POST", path, json_body={k: v for k, v in (body or {}).items() if v is not None})

    # ----- service ------------------------------------------------------------------------------
    def ping(self) -> None:
        """Raises CallerError("unreachable") while the service is down; sets the kiosk's clock by the service's."""
        self.clock.sync(self.client)

    def check_clock(self) -> DeviceHealth:
        """Set the clock by the service's; the "clock" part is degraded while this machine's clock drifts."""
        self.ping()
        warning = self.clock.drift_warning()
        if warning is None:
            return DeviceHealth("clock", Health.OK, "时钟正常", "clock in step with the service")
        return DeviceHealth("clock", Health.DEGRADED, *warning)

    def me(self) -> dict:
        """This kiosk as the service knows it: its device id and its own settings from the hospital file."""
        return self._get("/auth/me")

    def hospital(self) -> dict:
        with self._lock:
            if self._hospital is None:
                self._hospital = self._get("/hospital")
            return self._hospital

    def _areas(self) -> list[dict]:
        try:
            return list(self.hospital().get("areas", []))
        except CallerError:
            return []

    def emergency_areas(self) -> set[str]:
        """Emergency areas register through triage, not at the kiosk."""
        return {a["id"] for a in self._areas() if a.get("emergency")}

    def room_name(self, room_id: str | None) -> tuple[str, str, str]:
        """(where to go in Chinese, in English, the room's own name) e.g. ('门诊二楼 内科诊区 3诊室', ..., '3诊室')."""
        if not room_id:
            return "", "", ""
        for area in self._areas():
            for room in area.get("rooms", []):
                if room.get("id") == room_id:
                    where = area.get("location") or area.get("floor") or ""
                    zh = " ".join(x for x in (where, area.get("name", ""), room.get("name", "")) if x)
                    en = ", ".join(x for x in (area.get("location_en", ""), area.get("name_en", ""),
                                               room.get("name_en", "")) if x)
                    return zh, en or zh, room.get("name", room_id)
        return room_id, room_id, room_id

    def room_name_en(self, room_id: str | None) -> str:
        """The room's own English name ("Room 3"), or "" when the hospital file gives none."""
        for area in self._areas() if room_id else ():
            for room in area.get("rooms", []):
                if room.get("id") == room_id:
                    return room.get("name_en") or ""
        return ""

    def report_health(self, device: str, status: str, reason_zh: str, reason_en: str) -> None:
        """One of this kiosk's devices (idcard, printer, scanner, payment) changed state."""
        self.client.report_health(status, reason_zh, reason_en, device=device)

    def heartbeat(self, parts) -> dict:
        """This kiosk is alive; ``parts`` (DeviceHealth of idcard, printer, scanner, payment) ride along."""
        return self.client.report_health("ok", parts=[
            {"device": p.device, "status": getattr(p.status, "value", p.status), "reason_zh": p.reason_zh,
             "reason_en": p.reason_en} for p in parts])

    def call_staff(self, screen: str, key: str) -> dict:
        """Alert the consoles that a patient here needs staff; ``screen`` is what the kiosk was showing."""
        return self.client.request_help(screen, key)

    def help_status(self, help_id: str, version: int, wait: float) -> dict:
        """The call's next step (the service answers at once when there is one newer than ``version``)."""
        return self.client.help_status(help_id, version, wait)

    def cancel_help(self, help_id: str) -> dict:
        return self.client.cancel_help(help_id)

    # ----- patients -----------------------------------------------------------------------------
    @staticmethod
    def _patient(view: dict, id_number: str = "", family: list[dict] | None = None) -> Patient:
        return Patient(id=PatientId(view["patient_id"]), name=view.get("name", ""), id_number=id_number,
                       gender=view.get("gender") or "", birth_date=view.get("birth_date") or "",
                       medical_card_no=view.get("medical_card_no") or "", phone_masked=view.get("phone_masked") or "",
                       relation=view.get("relation") or "", family=tuple(Backend._patient(m) for m in family or ()),
                       card_qr=view.get("card_qr") or "")

    def identify(self, id_number: str | None = None, medical_card_no: str | None = None, *,
                 card_code: str | None = None, card_name: str | None = None,
                 phone_last4: str | None = None) -> Patient | None:
        """The patient, or None when there is no record. Opens the kiosk's patient session at the service.

        ``card_code``: what a medical card's QR code carries (proof by itself when it is a card code; the number of
        an older card needs the phone digits too). A typed ID number (no ``card_name`` from the reader) needs
        ``phone_last4``; without it (or with wrong digits) this raises CallerError("second_factor_required") and
        the service reveals nothing.
        """
        self._fresh_session()
        found = self._post(f"{R}/patients/identify", {"id_number": id_number, "medical_card_no": medical_card_no,
                                                       "card_code": card_code, "card_name": card_name,
                                                       "phone_last4": phone_last4})
        self._keep_session(found)
        if found.get("second_factor_required"):
            raise CallerError("second_factor_required", found.get("message_zh", ""), found.get("message_en", ""), status=200)
        if not found.get("found"):
            return None
        return self._patient(found["patient"], id_number or "", found.get("acting_for"))

    def add_family_proxy(self, member: Patient, guardian: Patient, relation: str = "子女") -> None:
        """Both ID cards were read here: the guardian becomes the member's family proxy (家属代办)."""
        self._post(f"{R}/patients/{member.id}/proxies", {"name": guardian.name, "relation": relation,
                                                         "id_number": guardian.id_number})

    def create_family_member(self, guardian: Patient, name: str, key: str, *, relation: str = "父母",
                             id_number: str = "", gender: str = "", birth_date: str = "") -> Patient:
        """为家人建档: a child's record (ID number from the household register, or none for a newborn: then sex
        and birth date), linked to the guardian as family proxy; the child joins this patient session."""
        created = self._post(f"{R}/patients/{guardian.id}/family", {
            "idempotency_key": key, "name": name, "relation": relation, "id_number": id_number or None,
            "gender": gender or None, "birth_date": birth_date or None})
        self._keep_session(created)
        return self._patient({**created["patient"], "relation": relation})

    # ----- the patient session ---------------------------------------------------------------------
    def _keep_session(self, answer: dict) -> None:
        if answer.get("session_token"):
            self.client.headers[SESSION_HEADER] = answer["session_token"]

    def _fresh_session(self) -> None:
        """Before identifying the next patient: never join the previous patient's session."""
        if self._patient_left:
            self.client.headers.pop(SESSION_HEADER, None)
            self._patient_left = False

    def patient_left(self, grace_s: float = 10.0) -> None:
        """The patient is done (home, timeout). The next identification starts a new session; the service
        ends this one after ``grace_s`` (time for a held slot or an open order to be given back with it)."""
        token = self.client.headers.get(SESSION_HEADER)
        self._patient_left = True
        if token:
            timer = threading.Timer(grace_s, self._end_session, args=(token,))
            timer.daemon = True
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
            timer.start()

    def _end_session(self, token: str) -> None:
        try:  # names the session it ends: a next patient identified meanwhile keeps theirs
            self.client.request("DELETE", f"{R}/session", headers={SESSION_HEADER: token})
        except CallerError as exc:  # the service also ends idle sessions by itself
            log.info("patient session not ended at the service (%s); it ends by itself", exc.code)
        if self.client.headers.get(SESSION_HEADER) == token:
            self.client.headers.pop(SESSION_HEADER, None)

    def create_patient(self, card: CardData, phone: str, source: str, key: str) -> Patient:
        body: dict[str, Any] = {"idempotency_key": key, "phone": phone}
        if source == "id_card" and card.name:
            body["source"] = "id_card"
            body["id_card"] = {k: v for k, v in {"name": card.name, "gender": card.gender, "birth_date": card.birth_date,
                                                  "address": card.address, "id_number": card.id_number}.items() if v}
        else:
            body.update(source="typed", id_number=card.id_number, name=card.name or None)
        self._fresh_session()
        created = self._post(f"{R}/patients", body)
        self._keep_session(created)
        return self._patient(created["patient"], card.id_number)

    # ----- schedule -----------------------------------------------------------------------------
    def departments(self) -> list[Department]:
        rows = self._get(f"{R}/departments")["departments"]
        areas = {a["id"]: a for a in self._areas()}
        out = []
        for d in rows:
            area = areas.get(d.get("area"), {})
            dep = Department(id=str(d["department_id"]), name=d.get("name", ""), name_en=d.get("name_en") or "",
                             description=d.get("description") or "", description_en=d.get("description_en") or "",
                             location=d.get("location") or area.get("location") or "",
                             location_en=d.get("location_en") or area.get("location_en") or area.get("name_en") or "",
                             taken_today=int(d.get("taken") or 0))
            self._departments[dep.id] = dep
            if d.get("area") not in self.emergency_areas():
                out.append(dep)
        return out

    def booking_days(self, department_id: str, limit: int = 14) -> list[BookingDay]:
        """The days after today the department can be booked (the hospital's book_days_ahead), and the first day
        not yet released (with when it opens), with the numbers left on each."""
        today = self.clock.today()
        out = []
        for n in range(1, limit + 1):
            day = (today + timedelta(days=n)).isoformat()
            answer = self._get(f"{R}/doctors", department=department_id, date=day)
            left = sum(s.get("remaining", 0) for d in answer.get("doctors", []) for s in d.get("sessions", [])
                       if s.get("status", "open") == "open")
            if not answer.get("released", True):
                out.append(BookingDay(day, 0, False, short_time(answer.get("release_at") or "")))
                break
            out.append(BookingDay(day, left))
        return out

    def doctors(self, department_id: str, day: str = "") -> list[Doctor]:
        """The general number (one option) first, then each expert with an open session that day (today: "")."""
        rows = self._get(f"{R}/doctors", department=department_id, **({"date": day} if day else {}))["doctors"]
        general_fee, general_left, experts = None, 0, []
        for d in rows:
            for s in d.get("sessions", []):
                if s.get("status", "open") != "open":
                    continue
                if s["kind"] == "expert":
                    english = self._doctor_english(str(d["doctor_id"]))
                    experts.append(Doctor(id=str(d["doctor_id"]), name=d.get("name", ""), name_en=d.get("name_en") or "",
                                          title=d.get("title") or "", title_en=english.get("title_en") or "",
                                          specialty=d.get("specialty") or "",
                                          specialty_en=english.get("specialty_en") or "", kind="expert",
                                          fee_fen=s["fee_fen"], remaining=s.get("remaining", 0)))
                else:
                    general_fee = s["fee_fen"] if general_fee is None else min(general_fee, s["fee_fen"])
                    general_left += s.get("remaining", 0)
        merged: dict[str, Doctor] = {}
        for e in experts:  # one option per expert: both sessions' numbers together
            if e.id in merged:
                e = Doctor(**{**e.__dict__, "remaining": merged[e.id].remaining + e.remaining})
            merged[e.id] = e
        options = list(merged.values())
        if general_fee is not None:
            options.insert(0, Doctor(id="", name="普通号", kind="general", fee_fen=general_fee, remaining=general_left))
        return options

    def slots(self, department_id: str, doctor: Doctor, day: str = "") -> list[Slot]:
        """The day's slots (today: ""); general numbers of all doctors merged by time (any of their seats will do)."""
        params = {"department": department_id, **({"date": day} if day else {})}
        if doctor.kind == "expert":
            params["doctor"] = doctor.id
        sessions = self._get(f"{R}/slots", **params)["sessions"]
        by_time: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
        for s in sessions:
            if s.get("status", "open") != "open" or (s["kind"] == "expert") != (doctor.kind == "expert"):
                continue
            for x in s["slots"]:
                by_time.setdefault((x["start"], x["end"]), []).append((x.get("remaining", 0), str(x["slot_id"]), s["session"]))
        out = []
        for (start, end), seats in sorted(by_time.items()):
            seats.sort(key=lambda t: -t[0])  # the slot with most seats first, the others as fall-backs
            out.append(Slot(id=seats[0][1], start=start, end=end, remaining=sum(t[0] for t in seats),
                            session=seats[0][2], alternatives=tuple(t[1] for t in seats[1:] if t[0] > 0)))
        return out

    # ----- registration -------------------------------------------------------------------------
    def hold(self, patient: Patient, doctor: Doctor, slot: Slot, key: str) -> Hold:
        """Hold a seat; for a general number another doctor's seat at the same time will do."""
        for n, slot_id in enumerate((slot.id, *slot.alternatives)):
            try:
                reg = self._post(f"{R}/registrations", {"patient_id": patient.id, "slot_id": int(slot_id),
                                                         "idempotency_key": f"{key}:{n}"})
                break
            except CallerError as exc:
                if exc.code != "slot_taken" or n == len(slot.alternatives):
                    raise
        return Hold(id=str(reg["registration_id"]), amount_fen=reg["fee_fen"], expires_at=reg.get("hold_expires_at") or "",
                    bill_id=str(reg["bill_id"]) if reg.get("bill_id") is not None else "")

    def release(self, hold: Hold) -> None:
        self._post(f"{R}/registrations/{hold.id}/cancel", {"reason": "kiosk_abandoned"})

    def finish_registration(self, hold: Hold, payment: Payment, key: str) -> Ticket:
        """After payment: the registration is final and in the queue; return what the ticket shows.

        The service queues a paid registration as it settles the payment; a registration that has no ticket
        yet (the queue did not answer) is reported as not_queued, never as a ticket without a number.
        """
        ticket = self.registration_ticket(hold.id)
        if not ticket.ticket and ticket.date and ticket.date != self.clock.today().isoformat():
            return ticket  # booked ahead (预约): the queue number is given when the patient checks in that day
        if not ticket.ticket:
            raise CallerError("not_queued", "您的挂号已成功，排队号正在生成，请到分诊台领取排队号，无需重复缴费。",
                              "You are registered; your queue number is being issued. Please collect it at the "
                              "triage desk; do not pay again.")
        return ticket

    def registration_ticket(self, registration_id: str) -> Ticket:
        status = self._get(f"{R}/registrations/{registration_id}")
        reg, visit = status["registration"], status.get("visit") or {}
        dep = self._departments.get(str(reg.get("department_id")))
        room_zh, room_en, room = self.room_name(visit.get("room") or reg.get("room_id"))
        location = room_zh or (dep.location if dep else "")
        doctor = reg.get("doctor_name") if reg.get("kind") == "expert" else ""
        return Ticket(visit_id=str(reg.get("visit_id") or ""), ticket=reg.get("ticket") or visit.get("ticket") or "",
                      department=reg.get("department_name") or "", department_en=dep.name_en if dep else "",
                      doctor=doctor or "", location=location, location_en=room_en or (dep.location_en if dep else ""),
                      slot=f"{reg.get('start', '')}-{reg.get('end', '')}", ahead=int(visit.get("ahead") or 0),
                      estimate_minutes=int(visit.get("estimate_minutes") or 0), fee_fen=reg.get("fee_fen", 0),
                      patient_name=reg.get("patient_name_masked", ""), registered_at=reg.get("created_at", ""),
                      reprint_code=f"R{registration_id}", room=room, kind=reg.get("kind") or "",
                      room_en=self.room_name_en(visit.get("room") or reg.get("room_id")),
                      doctor_title=self.doctor_title(reg.get("doctor_id")) if doctor else "", date=reg.get("date") or "",
                      doctor_title_en=self._doctor_english(reg.get("doctor_id")).get("title_en") or "" if doctor else "",
                      estimate_min=visit.get("estimate_min"), estimate_max=visit.get("estimate_max"),
                      registration_id=str(registration_id), doctor_en=(reg.get("doctor_name_en") or "") if doctor else "",
                      ticket_token=str(visit.get("ticket_token") or ""), late=bool(visit.get("late")),
                      why_zh=visit.get("why_zh") or "", why_en=visit.get("why_en") or "")

    def doctor_title(self, doctor_id: str | None) -> str:
        """主任医师 etc. from the hospital's doctor list."""
        try:
            doctors = self.hospital().get("doctors", [])
        except CallerError:
            return ""
        return next((d.get("title") or "" for d in doctors if d.get("id") == doctor_id), "")

    def _doctor_english(self, doctor_id: str | None) -> dict:
        """The hospital file's entry of a doctor (title_en, specialty_en), or {}."""
        try:
            doctors = self.hospital().get("doctors", [])
        except CallerError:
            return {}
        return next((d for d in doctors if d.get("id") == doctor_id), {})

    # ----- payment ------------------------------------------------------------------------------
    @staticmethod
    def _payment(order: dict) -> Payment:
        state = order.get("state", "pending")
        if state in PAID_STATES:
            status = "paid"
        elif state == "declined":
            status = "declined"
        else:
            status = "closed" if state in CLOSED_STATES else "pending"
        payload = order.get("payment") or {}
        qr = payload.get("code_url") or payload.get("qr_text") or payload.get("url") or order.get("order_ref", "")
        return Payment(id=str(order["order_id"]), amount_fen=order["amount_fen"], qr_text=qr, status=status,
                       reason=payload.get("order_id", ""),
                       transaction_no=payload.get("provider_order_id") or str(order["order_id"]),
                       method=payload.get("method") or order.get("method") or "qr")

    def start_payment(self, patient: Patient, bill_ids: list[str], amount_fen: int, key: str,
                      method: str = "qr", claim_id: str = "") -> Payment:
        """Open an order for the bills: "qr" (shown on screen) or "code" (the payer's 付款码 at the scanner);
        with ``claim_id``, for the 自付 part of that 医保 claim."""
        order = self._post(f"{R}/payments", {"patient_id": patient.id, "bill_ids": [int(b) for b in bill_ids],
                                             "amount_fen": amount_fen, "method": method, "idempotency_key": key,
                                             "insurance_claim_id": int(claim_id) if claim_id else None})
        return self._payment(order)

    def payment_status(self, payment: Payment) -> Payment:
        return self._payment(self._post(f"{R}/payments/{payment.id}/confirm"))

    def wait_payment(self, payment: Payment, timeout_s: float, stop: threading.Event, poll_s: float = 0.5) -> Payment:
        """Poll until paid or closed, the stop event, or the timeout (then status "timeout")."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                current = self.payment_status(payment)
                if current.status != "pending":
                    return current
            except CallerError as exc:
                if exc.code not in ("payment_unavailable", "unreachable", "standby"):
                    raise
            left = deadline - time.monotonic()
            if left <= 0 or stop.wait(min(poll_s, left)):
                return Payment(payment.id, payment.amount_fen, payment.qr_text, "timeout", payment.reason)

    def pay_with_code(self, payment: Payment, code: str) -> Payment:
        """Charge a scanned payment code (付款码) for this order; the service settles it."""
        return self._payment(self._post(f"{R}/payments/{payment.id}/pay-code", {"code": code}))

    def cancel_payment(self, payment: Payment) -> Payment:
        """Close the order: nothing is charged (a payment that landed meanwhile is reported as paid)."""
        return self._payment(self._post(f"{R}/payments/{payment.id}/abandon"))

    # ----- check-in, bills, reports, visits, ratings ----------------------------------------------
    def _registrations(self, patient: Patient) -> list[dict]:
        return self._get(f"{R}/registrations", patient_id=patient.id)["registrations"]

    def appointments(self, patient: Patient, later: bool = False) -> list[Appointment]:
        """Today's paid registrations (``later``: those booked for a later day)."""
        today = self.clock.today().isoformat()
        out = []
        for r in self._registrations(patient):
            if r.get("state") != "final" or ((r.get("date") or "") > today) != later or (r.get("date") or "") < today:
                continue
            expert = r.get("kind") == "expert"
            out.append(Appointment(id=str(r["registration_id"]), department=r.get("department_name") or "",
                                   department_en=r.get("department_name_en") or "",
                                   doctor=r.get("doctor_name") if expert else "",
                                   doctor_en=(r.get("doctor_name_en") or "") if expert else "",
                                   slot=f"{r.get('start', '')}-{r.get('end', '')}", checked_in=bool(r.get("checked_in_at")),
                                   date=r.get("date") or ""))
        return out

    def check_in(self, appt: Appointment, key: str) -> Ticket:
        self._post(f"{R}/registrations/{appt.id}/check-in", {"idempotency_key": key})
        return self.registration_ticket(appt.id)

    def bills(self, patient: Patient) -> list[Bill]:
        rows = self._get(f"{R}/bills", patient_id=patient.id)["bills"]
        return [Bill(id=str(b["bill_id"]), title=b.get("title", ""), total_fen=b["total_fen"],
                     items=tuple(BillItem(i["name"], i.get("quantity", 1), i.get("amount_fen", 0)) for i in b.get("items", [])),
                     created_at=b.get("created_at", "")) for b in rows]

    def reports(self, patient: Patient) -> list[Report]:
        rows = self._get(f"{R}/reports", patient_id=patient.id)["reports"]
        return [self._report(r) for r in rows]

    def _report(self, r: dict) -> Report:
        lines = tuple((i.get("name", ""), str(i.get("result", "")), i.get("unit", "") or "", i.get("reference", "") or "",
                       FLAGS.get(i.get("flag") or "", "")) for i in r.get("items", []))
        verified = r.get("verified_by") or []
        names = r.get("verified_by_names") or verified  # real names from the staff list
        extra = {"sex": r.get("gender") or "", "age": age_text(r.get("birth_date"), self.clock.today()), "specimen": r.get("specimen") or "",
                 "tested_by": names[0] if names else "", "verified_by": names[-1] if names else "",
                 "patient_name": r.get("patient_name") or "", "report_no": r.get("report_no") or "",
                 "sampled_at": r.get("sampled_at") or "", "released_at": r.get("released_at") or ""}
        released = r.get("state") == "released" or bool(r.get("released_at"))
        return Report(id=str(r["report_id"]), title=r.get("title", ""), released=released,
                      ready_at=short_time(r.get("ready_at") or ""), printed_count=int(r.get("print_count", 0)),
                      lines=lines, extra=extra)

    def print_report(self, report: Report, key: str) -> Report:
        """Count one print at the service and get the full report to print."""
        return self._report(self._post(f"{R}/reports/{report.id}/print", {"idempotency_key": key}))

    def remind_me(self, patient: Patient) -> str:
        """Text this patient about their queue today and their appointments, at the phone on record; the masked number."""
        answer = self._post(f"{R}/patients/{patient.id}/reminders", {"channel": "sms"})
        return next((r["to"] for r in answer.get("reminders", []) if r["channel"] == "sms"), patient.phone_masked)

    def my_visits(self, patient: Patient) -> list[VisitStatus]:
        out = []
        for r in self._registrations(patient):
            if r.get("state") != "final" or not r.get("visit_id"):
                continue
            t = self.registration_ticket(str(r["registration_id"]))
            try:
                state = self._get(f"{R}/registrations/{r['registration_id']}").get("visit", {}) or {}
            except CallerError:
                state = {}
            out.append(VisitStatus(visit_id=t.visit_id, ticket=t.ticket, department=t.department,
                                   department_en=t.department_en, state=state.get("state", ""), ahead=t.ahead,
                                   estimate_minutes=t.estimate_minutes, location=t.location, location_en=t.location_en,
                                   registration_id=str(r["registration_id"]), estimate_min=t.estimate_min,
                                   estimate_max=t.estimate_max, ticket_token=t.ticket_token,
                                   journey=self.journey(t.visit_id)))
        return out

    def journey(self, visit_id: str) -> JourneyStatus | None:
        """The visit's whole journey (一票到底, docs/journey.md) once the doctor ordered anything; else None."""
        try:
            found = JourneyStatus.model_validate(self.client.journey(visit_id))
        except CallerError as exc:  # the journey is extra: the place in the queue still shows
            log.warning("journey of %s not read: %s", visit_id, exc.code)
            return None
        return found if len(found.steps) > 1 else None

    def rate(self, patient: Patient | None, stars: int, tags: list[str], kind: str, transaction_id: str | None,
             key: str) -> None:
        self._post(f"{R}/ratings", {"stars": stars, "tags": tags, "transaction_kind": kind,
                                    "transaction_id": transaction_id, "idempotency_key": key})

    # ----- the patient's day (card first) -------------------------------------------------------------
    def day(self, patient: Patient) -> PatientDay:
        """Everything waiting for the patient today, for the page shown right after their card is read."""
        appointments = tuple(a for a in self.appointments(patient) if not a.checked_in)
        waiting = {a.id for a in appointments}
        reports = self.reports(patient)
        released = [r for r in reports if r.released]
        # a lab report out and not printed yet (or not in the records yet): the visit stays to say so
        report_waiting = not released or any(r.printed_count == 0 for r in released)
        visits = tuple(v for v in self.my_visits(patient)
                       if (v.state not in ("done", "cancelled") or v.journey_open or (v.report_ready and report_waiting))
                       and v.registration_id not in waiting)  # seen by the doctor, steps still to do: kept
        return PatientDay(patient=patient, appointments=appointments, bills=tuple(self.bills(patient)),
                          upcoming=tuple(self.appointments(patient, later=True)),
                          reports=tuple(r for r in reports if r.released),
                          reports_pending=tuple(r for r in reports if not r.released), visits=visits,
                          invoices=tuple(i for i in self.invoices(patient) if i.issued))

    # ----- 退号 -----------------------------------------------------------------------------------------
    def refund_registration(self, registration_id: str, key: str) -> str:
        """Cancel a registration not yet started: the seat goes back, a paid fee is refunded to the original payment.
        The service applies the hospital's rule (before being called, or before the slot) and refuses with
        too_late_to_cancel. Returns the fee's state afterwards ("refund_pending", "refunded", or "" unpaid)."""
        reg = self._post(f"{R}/registrations/{registration_id}/cancel", {"idempotency_key": key, "reason": "kiosk_patient"})
        return reg.get("bill_state") or ""

    # ----- 补打 -----------------------------------------------------------------------------------------
    def reprintables(self, patient: Patient) -> list[Reprintable]:
        """The last queue ticket, the last 挂号凭条 and the last printed lab report of the patient."""
        regs = [r for r in self._registrations(patient) if r.get("state") == "final"]
        out = []
        with_ticket = [r for r in regs if r.get("ticket")]
        if with_ticket:
            r = with_ticket[-1]
            out.append(Reprintable("ticket", str(r["registration_id"]), f"{r['ticket']}  {r.get('department_name') or ''}",
                                   f"{r.get('date', '')} {r.get('start', '')}-{r.get('end', '')}"))
        paid = [r for r in regs if r.get("bill_state") == "paid"]
        if paid:
            r = paid[-1]
            out.append(Reprintable("receipt", str(r["registration_id"]), r.get("department_name") or "",
                                   f"{r.get('date', '')} {r.get('start', '')}-{r.get('end', '')}"))
        issued = [i for i in self.invoices(patient) if i.issued]
        if issued:  # the last e-invoice (电子票据)
            invoice = issued[0]
            out.append(Reprintable("einvoice", invoice.id, f"{yuan(invoice.total_fen)}元",
                                   f"{invoice.batch_code} {invoice.bill_no}", invoice=invoice))
        printed = [x for x in self.reports(patient) if x.released and x.printed_count > 0]
        if printed:
            report = max(printed, key=lambda x: int(x.id))
            out.append(Reprintable("report", report.id, report.title, report.extra.get("report_no", ""), report))
        return out

    def reprint(self, slip: Reprintable, key: str) -> tuple[Ticket, Payment | None, str, int]:
        """Count and audit one reprint at the service (it refuses beyond the hospital's limit); return what to print:
        (ticket, payment for a 挂号凭条, the time it was paid, reprints left)."""
        done = self._post(f"{R}/registrations/{slip.ref}/reprint", {"kind": slip.kind, "idempotency_key": key})
        ticket = self.registration_ticket(slip.ref)
        order = done.get("order") or None
        payment = None
        if order:
            payment = Payment(id=str(order["order_id"]), amount_fen=ticket.fee_fen, status="paid",
                              transaction_no=order.get("provider_order_id") or str(order["order_id"]),
                              method=order.get("method") or "qr")
        return ticket, payment, (order or {}).get("paid_at") or "", int(done.get("reprints_left", 0))
