"""Card first: the card read on the home screen identifies the patient and shows their day."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from common.refusal import Refusal
from kiosk.flows.base import Flow
from kiosk.flows.identify import IdentifyFlow
from kiosk.flows.register import RegisterFlow
from kiosk.flows.services import BillsFlow, CheckInFlow, PrinterProblem, QueueFlow, ReportsFlow
from kiosk.i18n import pick, tr
from kiosk.models import Patient, PatientDay, Reprintable, Session
from kiosk.screens.day import CancelScreen, DayScreen, ReprintScreen
from kiosk.screens.register import day_words
from kiosk.screens.services import BillsScreen, ReportsScreen


class DayFlow(Flow):
    """识别身份 and the patient's day: every service of the day starts from here. ``family`` opens 为家人办理."""

    def __init__(self, kiosk, session: Session, identify: IdentifyFlow, register: RegisterFlow,
                 check_in: CheckInFlow, bills: BillsFlow, reports: ReportsFlow, queue: QueueFlow,
                 family: Callable[[], None]) -> None:
        super().__init__(kiosk, session)
        self.identify, self.register, self.check_in = identify, register, check_in
        self.bills, self.reports, self.queue, self.family = bills, reports, queue, family

    def my_day(self) -> None:
        """识别身份: identify, then the patient's day (nothing due today: straight to the departments)."""
        self.identify.identify(self.show)

    def show(self, patient: Patient) -> None:
        kiosk = self.kiosk
        self.call(lambda: kiosk.backend.day(patient), self._day_ready)

    def _day_ready(self, day: PatientDay) -> None:
        kiosk = self.kiosk
        patient = day.patient
        may_add_family = not self.session.acting_for_family  # the patient at the kiosk: 为家人办理 on their day page
        if day.empty and not (may_add_family and patient.family):
            self.register.choose_department(patient)
            return
        if len(day.appointments) == 1 and not kiosk.settings.confirm_check_in:
            self.check_in.check_in_one(day.appointments[0])  # the hospital asks for no confirmation: checked in at once
            return
        kiosk.show_screen(lambda: DayScreen(
            kiosk, day, self.check_in.check_in_one,
            on_bills=lambda: kiosk.show_screen(lambda: BillsScreen(kiosk, list(day.bills), self.bills.pay_chosen)),
            on_reports=lambda: kiosk.show_screen(lambda: ReportsScreen(
                kiosk, list(day.reports + day.reports_pending), self.reports.print_reports)),
            on_register=lambda: self.register.choose_department(patient),
            on_queue=lambda: self.queue.show_queue(patient), on_cancel=lambda: self._cancel_choices(day),
            on_family=self.family if may_add_family else None, on_reprint=lambda: self._reprint_choices(patient),
            acting_for=self.session.guardian is not None and self.session.guardian.id != patient.id))

    # ----- 退号 ------------------------------------------------------------------------------------
    def _cancel_choices(self, day: PatientDay) -> None:
        kiosk = self.kiosk
        choices = [(a.id, pick(a.department, a.department_en) + (f"  {a.doctor}" if a.doctor else ""),
                    tr("今天") + f" {a.slot}") for a in day.appointments]
        choices += [(v.registration_id, f"{v.ticket}  {pick(v.department, v.department_en)}",
                     tr("前面还有 {n} 人").format(n=v.ahead)) for v in day.visits if v.registration_id]
        choices += [(a.id, pick(a.department, a.department_en) + (f"  {pick(a.doctor, a.doctor_en)}" if a.doctor else ""),
                     day_words(a.date) + f" {a.slot}") for a in day.upcoming]  # booked for a later day
        kiosk.show_screen(lambda: CancelScreen(kiosk, choices, self._cancel_chosen))

    def _cancel_chosen(self, registration_id: str) -> None:
        self.message(tr("确认退号"),
                     tr("退号后，已付的挂号费将原路退回您的付款账户，一般1至7个工作日到账；这个号会让给其他患者。确认退号吗？"),
                     [(tr("确认退号"), lambda: self._cancel(registration_id)), (tr("不退了"), self.kiosk.back)],
                     name="cancel_confirm", error=False)

    def _cancel(self, registration_id: str) -> None:
        kiosk = self.kiosk

        def done(fee_state: str) -> None:
            money = (tr("挂号费将原路退回您的付款账户，一般1至7个工作日到账，无需再办理。") if fee_state in ("refund_pending", "refunded")
                     else tr("这个号没有缴费，没有产生费用。"))
            self.message(tr("已退号"), money, [(tr("完成"), lambda: kiosk.go_home("done"))], name="cancelled",
                         error=False, push=False, allow_back=False)

        self.call(lambda: kiosk.backend.refund_registration(registration_id, self.key(f"cancel:{registration_id}")),
                  done)

    # ----- 补打 ------------------------------------------------------------------------------------
    def _reprint_choices(self, patient: Patient) -> None:
        kiosk = self.kiosk
        self.call(lambda: kiosk.backend.reprintables(patient),
                  lambda slips: kiosk.show_screen(lambda: ReprintScreen(kiosk, slips, self._reprint)))

    def _reprint_invoice(self, slip: Reprintable) -> None:
        kiosk = self.kiosk
        devices, name, patient = kiosk.devices, self.slip_hospital(), self.session.patient
        counter = f"reprint-attempt:einvoice:{slip.ref}"
        attempt = self.session.idempotency.get(counter, "0")

        def work() -> None:
            problem = devices.printer_problem()
            if problem:
                raise PrinterProblem(problem)
            invoice = kiosk.backend.print_invoice(slip.invoice, self.key(f"reprint:einvoice:{slip.ref}:{attempt}"))
            devices.print_einvoice(patient, invoice, name)

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, Refusal):
                return False
            if hasattr(exc, "reason_zh"):
                devices.note_print_failure(exc)
            self.message(tr("对不起，打印机暂时无法使用"), tr("请到人工窗口或其他自助机补打。"))
            return True

        def done(_r: None) -> None:
            self.session.idempotency[counter] = str(int(attempt) + 1)
            self.message(tr("补打完成"), tr("已为您补打电子票据，请取走。"), [(tr("完成"), lambda: kiosk.go_home("done"))],
                         name="reprinted", error=False)

        self.call(work, done, failed)

    def _reprint(self, slip: Reprintable) -> None:
        """Printer first; the service counts the reprint (and refuses past the limit); then print it, marked 补打."""
        kiosk = self.kiosk
        if slip.kind == "report":  # a report print is counted and audited by the report's own print count
            self.reports.print_reports([slip.report])
            return
        if slip.kind == "einvoice":  # counted and audited by the invoice's own print count
            self._reprint_invoice(slip)
            return
        devices, name, patient = kiosk.devices, self.slip_hospital(), self.session.patient
        attempts = self.session.idempotency
        counter = f"reprint-attempt:{slip.kind}:{slip.ref}"
        attempt = attempts.get(counter, "0")  # a retry of this reprint reuses its key; the next one is a new reprint

        def work() -> int:
            problem = devices.printer_problem()
            if problem:
                raise PrinterProblem(problem)
            ticket, payment, paid_at, left = kiosk.backend.reprint(slip, self.key(f"reprint:{slip.kind}:{slip.ref}:{attempt}"))
            if slip.kind == "ticket":
                devices.print_ticket(ticket, name, title="排队凭条（补打）")
            else:
                devices.print_registration_receipt(ticket, patient, payment, name, kiosk.settings.device_id,
                                                   title="挂号凭条（补打）",
                                                   paid_at=datetime.fromisoformat(paid_at) if paid_at else None)
            return left

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, Refusal):
                return False  # the service's refusal (limit reached), said as it is
            if hasattr(exc, "reason_zh"):
                devices.note_print_failure(exc)
            self.message(tr("对不起，打印机暂时无法使用"), tr("请到人工窗口或其他自助机补打。"))
            return True

        def done(left: int) -> None:
            attempts[counter] = str(int(attempt) + 1)
            text = tr("已为您补打，请取走。") + "\n" + tr("这张凭条还可以在自助机补打 {n} 次。").format(n=left)
            self.message(tr("补打完成"), text, [(tr("完成"), lambda: kiosk.go_home("done"))], name="reprinted",
                         error=False)

        self.call(work, done, failed)
