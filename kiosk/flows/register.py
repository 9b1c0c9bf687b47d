"""挂号: identify -> department -> doctor -> slot -> confirm -> (printer checked) hold -> pay -> ticket printed."""
from __future__ import annotations

from typing import Callable

from kiosk.flows.base import Flow, error_text
from kiosk.flows.identify import IdentifyFlow
from kiosk.flows.payment import PaymentFlow
from kiosk.flows.rating import RatingFlow
from kiosk.flows.tickets import TicketFlow
from kiosk.i18n import pick, tr
from kiosk.models import BookingDay, Department, Doctor, Hold, Patient, Session, Slot, Ticket
from kiosk.screens.register import BookDayScreen, ConfirmScreen, DepartmentScreen, DoctorScreen, SlotScreen, day_words


def earliest_slot(slots: list[Slot], now_hhmm: str, margin_minutes: int = 10) -> Slot | None:
    """The first slot with seats that does not end within margin_minutes; else the first with seats."""
    def minutes(hhmm: str) -> int:
        return int(hhmm[:2]) * 60 + int(hhmm[3:5])

    open_slots = [x for x in slots if x.remaining > 0]
    for x in open_slots:
        if minutes(x.end) - minutes(now_hhmm) >= margin_minutes:
            return x
    return open_slots[0] if open_slots else None


SLOT_GONE = {"slot_taken", "slot_full", "sold_out", "no_remaining", "slot_unavailable"}


class RegisterFlow(Flow):
    """``family`` opens 为家人办理 (the department list offers it to the patient at the kiosk)."""

    def __init__(self, kiosk, session: Session, identify: IdentifyFlow, payment: PaymentFlow, tickets: TicketFlow,
                 rating: RatingFlow, family: Callable[[], None]) -> None:
        super().__init__(kiosk, session)
        self.identify, self.payment, self.tickets, self.rating = identify, payment, tickets, rating
        self.family = family

    def register(self) -> None:
        self.identify.identify(self.choose_department)

    def choose_department(self, _patient: Patient) -> None:
        kiosk = self.kiosk
        # the patient at the kiosk (not yet acting for someone) may register a child or parent instead
        on_family = self.family if self.session.guardian is None else None
        self.call(kiosk.backend.departments, lambda deps: kiosk.show_screen(
            lambda: DepartmentScreen(kiosk, deps, self.department_chosen, on_family=on_family)))

    def department_chosen(self, department: Department) -> None:
        kiosk = self.kiosk
        self.session.department = department
        self.session.day = ""
        self.call(lambda: kiosk.backend.doctors(department.id), lambda docs: kiosk.show_screen(
            lambda: DoctorScreen(kiosk, department, docs, self._doctor_chosen, on_other_day=self._other_days)))

    # ----- 预约: another day ------------------------------------------------------------------------
    def _other_days(self) -> None:
        kiosk = self.kiosk
        department = self.session.department
        self.call(lambda: kiosk.backend.booking_days(department.id),
                  lambda days: kiosk.show_screen(lambda: BookDayScreen(kiosk, department, days, self._day_chosen)))

    def _day_chosen(self, day: BookingDay) -> None:
        kiosk = self.kiosk
        department = self.session.department
        self.session.day = day.date
        self.call(lambda: kiosk.backend.doctors(department.id, day.date), lambda docs: kiosk.show_screen(
            lambda: DoctorScreen(kiosk, department, docs, self._doctor_chosen, day=day.date)))

    def _doctor_chosen(self, doctor: Doctor) -> None:
        """The earliest time that still suits goes straight to the confirmation (换个时间 picks another)."""
        kiosk = self.kiosk
        self.session.doctor = doctor
        department, day = self.session.department, self.session.day
        if day:  # booking ahead: the patient picks the time
            self._show_slots()
            return
        self.call(lambda: kiosk.backend.slots(department.id, doctor), self._slots_ready)

    def _slots_ready(self, slots: list[Slot]) -> None:
        now = self.kiosk.backend.clock()
        slot = earliest_slot(slots, f"{now:%H:%M}")
        if slot is None:
            self.kiosk.show_screen(lambda: SlotScreen(self.kiosk, slots, self._slot_chosen))  # says all are full
            return
        self._slot_chosen(slot, slots)

    def _show_slots(self, notice: str = "", push: bool = True) -> None:
        kiosk = self.kiosk
        department, doctor, day = self.session.department, self.session.doctor, self.session.day
        self.call(lambda: kiosk.backend.slots(department.id, doctor, day),
                  lambda slots: kiosk.show_screen(lambda: SlotScreen(kiosk, slots, self._slot_chosen, notice), push))

    def _slot_chosen(self, slot: Slot, others: list[Slot] | None = None) -> None:
        kiosk = self.kiosk
        s = self.session
        s.slot = slot
        change = None
        if others is not None and sum(1 for x in others if x.remaining > 0) > 1:
            change = lambda: kiosk.show_screen(lambda: SlotScreen(kiosk, others, self._slot_chosen))  # noqa: E731
        kiosk.show_screen(lambda: ConfirmScreen(kiosk, s.patient, s.department, s.doctor, slot, self._confirmed,
                                                on_change_time=change, day=s.day))

    def _confirmed(self) -> None:
        """Printer first (no payment when the ticket cannot print), then hold the slot."""
        kiosk = self.kiosk
        self.call(kiosk.devices.printer_problem, self._printer_checked)

    def _printer_checked(self, problem: str) -> None:
        if problem:
            self.message(tr("对不起，打印机暂时无法使用"),
                         tr("为避免您缴费后拿不到凭条，本机暂停挂号缴费。请到人工窗口或其他自助机办理。") + "\n" + tr(problem))
            return
        self._hold()

    def _hold(self) -> None:
        """Hold the chosen slot; each attempt (after a failed payment the hold is gone) has its own key."""
        kiosk = self.kiosk
        s = self.session
        slot = s.slot
        attempt = s.idempotency.get(f"hold-attempt:{slot.id}", "0")
        self.call(lambda: kiosk.backend.hold(s.patient, s.doctor, slot, self.key(f"hold:{slot.id}:{attempt}")),
                  self._held, self._hold_failed)

    def _retry_registration(self) -> None:
        s = self.session
        self._release_hold()
        key = f"hold-attempt:{s.slot.id}"
        s.idempotency[key] = str(int(s.idempotency.get(key, "0")) + 1)
        self._hold()

    def _hold_failed(self, exc: BaseException) -> bool:
        if getattr(exc, "code", "") in SLOT_GONE:
            self._show_slots(tr("对不起，您选的时间段刚刚被约满了，请选择下面仍有号源的时间段。"), push=False)
            return True
        return False

    def _held(self, hold: Hold) -> None:
        self.session.hold = hold
        what = tr("挂号费")
        self.payment.start_payment([hold.bill_id] if hold.bill_id else [], hold.amount_fen, what,
                                   on_paid=self._paid, on_abandon=self._release_hold, ref=f"hold:{hold.id}",
                                   on_retry=self._retry_registration)

    def abandon(self) -> None:
        """The patient left: a held slot they did not pay for goes back."""
        if self.session.hold is not None and self.session.ticket is None:
            self._release_hold()

    def _release_hold(self) -> None:
        hold = self.session.hold
        if hold is not None:
            backend = self.kiosk.backend
            self.kiosk.runner.run(lambda: backend.release(hold), None, lambda _e: None, busy=False)
            self.session.hold = None

    def _paid(self, payment) -> None:
        kiosk = self.kiosk
        self.session.payment = payment  # for the 挂号凭条
        hold = self.session.hold
        self.call(lambda: kiosk.backend.finish_registration(hold, payment, self.key(f"finish:{hold.id}")),
                  self._registered, self._finish_failed)

    def _finish_failed(self, exc: BaseException) -> bool:
        """Paid but the service did not answer: the payment is recorded there; never pay again."""
        if getattr(exc, "code", "") == "not_queued":
            self.message(tr("挂号成功"), error_text(exc), allow_back=False)
            return True
        self.message(tr("对不起让您久等了"),
                     tr("您的支付已成功，挂号结果正在确认中，请勿重复缴费。请到人工窗口出示手机上的支付记录，工作人员会为您处理。"),
                     allow_back=False)
        return True

    def _registered(self, ticket: Ticket) -> None:
        self.session.ticket = ticket
        if not ticket.ticket:  # booked ahead: the 挂号凭条 now, the queue number at check-in that day
            self._booked(ticket)
            return
        self.tickets.issue(ticket, "registration", ticket.visit_id, with_receipt=True)

    def _booked(self, ticket: Ticket) -> None:
        kiosk = self.kiosk
        patient, payment, card = self.session.patient, self.session.payment, self.session.new_card
        when = day_words(ticket.date) + f" {ticket.slot}"

        def work() -> None:
            kiosk.devices.print_registration_receipt(ticket, patient, payment, self.slip_hospital(),
                                                     kiosk.settings.device_id, card_qr=card)

        def said(printed: bool) -> None:
            if printed and card and self.session.new_card == card:
                self.session.new_card = ""
            text = tr("您已预约 {when} {department}。请于就诊当天到自助机签到，领取排队号。").format(
                when=when, department=pick(ticket.department, ticket.department_en))
            text += "\n" + (tr("挂号凭条已打印，请取走。") if printed else tr("凭条没有打印出来，预约已成功，不影响就诊。"))
            finish = (tr("完成"), lambda: self.rating.rate("registration", ticket.registration_id))
            actions = [finish]
            if self.tickets.reminder_offer():  # a reminder matters most for a visit days ahead: the same opt-in as the ticket's
                def reminded(phone: str) -> None:
                    self.message(tr("预约成功"), text + "\n" + tr("已开通短信提醒，就诊前会发短信到 {phone}。").format(phone=phone),
                                 [finish], name="booked", error=False, push=False, allow_back=False)

                actions.append((tr("短信提醒我"), lambda: self.call(lambda: kiosk.backend.remind_me(patient), reminded)))
            self.message(tr("预约成功"), text, actions, name="booked", error=False, push=False, allow_back=False)

        def failed(exc: BaseException) -> bool:
            kiosk.devices.note_print_failure(exc)
            said(False)
            return True

        self.call(work, lambda _r: said(True), failed)
