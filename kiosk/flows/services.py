"""签到, 缴费, 报告打印, 查询, 建档: the home screen's services besides 挂号."""
from __future__ import annotations

import logging

from PySide6.QtCore import QTimer

from client.http import CallerError
from hardware.a4 import A4PrinterError
from hardware.printer import PrinterError
from kiosk.flows.base import Flow, error_text
from kiosk.flows.identify import IdentifyFlow
from kiosk.flows.insurance import InsuranceFlow
from kiosk.flows.rating import RatingFlow
from kiosk.flows.register import RegisterFlow
from kiosk.flows.tickets import TicketFlow
from kiosk.i18n import tr
from kiosk.models import Appointment, Bill, Patient, Report, Session, Ticket, yuan
from kiosk.screens.services import AppointmentsScreen, BillsScreen, QueueStatusScreen, ReportsScreen

log = logging.getLogger(__name__)


class PrinterProblem(Exception):
    """The printer is not ready (paper out, cover open, not answering)."""


class CheckInFlow(Flow):
    def __init__(self, kiosk, session: Session, identify: IdentifyFlow, tickets: TicketFlow) -> None:
        super().__init__(kiosk, session)
        self.identify, self.tickets = identify, tickets

    # ----- check in -------------------------------------------------------------------------------
    def check_in(self) -> None:
        self.identify.identify(self._list_appointments, allow_create=False)

    def _list_appointments(self, patient: Patient) -> None:
        kiosk = self.kiosk
        self.call(lambda: kiosk.backend.appointments(patient),
                  lambda appts: kiosk.show_screen(lambda: AppointmentsScreen(kiosk, appts, self.check_in_one)))

    def check_in_one(self, appt: Appointment) -> None:
        kiosk = self.kiosk

        def refused(exc: BaseException) -> bool:
            if getattr(exc, "code", "") in ("too_early", "check_in_too_early", "not_yet"):
                self.message(tr("还没到签到时间"), tr("请在 {when} 以后再来签到，谢谢。").format(when=appt.check_in_from or tr("就诊前"))
                             + "\n" + error_text(exc))
                return True
            return False

        self.call(lambda: kiosk.backend.check_in(appt, self.key(f"checkin:{appt.id}")), self._checked_in, refused)

    def _checked_in(self, ticket: Ticket) -> None:
        self.tickets.issue(ticket, "check_in", ticket.visit_id,
                           title=tr("签到成功（迟到）") if ticket.late else tr("签到成功"))


class BillsFlow(Flow):
    _receipt_possible = True

    def __init__(self, kiosk, session: Session, identify: IdentifyFlow, insurance: InsuranceFlow,
                 rating: RatingFlow) -> None:
        super().__init__(kiosk, session)
        self.identify, self.insurance, self.rating = identify, insurance, rating

    # ----- pay bills ------------------------------------------------------------------------------
    def pay_bills(self) -> None:
        self.identify.identify(self.list_bills, allow_create=False)

    def list_bills(self, patient: Patient) -> None:
        kiosk = self.kiosk
        self.call(lambda: kiosk.backend.bills(patient),
                  lambda bills: kiosk.show_screen(lambda: BillsScreen(kiosk, bills, self.pay_chosen)))

    def pay_chosen(self, bills: list[Bill]) -> None:
        kiosk = self.kiosk
        self.session.bills = bills
        self.call(kiosk.devices.printer_problem, lambda problem: self._bills_printer_checked(bills, problem))

    def _bills_printer_checked(self, bills: list[Bill], problem: str) -> None:
        # A receipt is a convenience: when the printer is down the patient is told before paying.
        total = sum(b.total_fen for b in bills)
        ref = "bills:" + ",".join(sorted(b.id for b in bills))
        what = tr("门诊缴费") + ("\n" + tr("打印机暂时无法使用，本次不打印凭条。") if problem else "")
        self._receipt_possible = not problem
        self.insurance.choose_how_to_pay(bills, total, what, ref, self._bills_paid)  # 医保 or 自费

    def _bills_paid(self, payment) -> None:
        """Paid: by the payment (``payment``), by a 医保 claim and its 自付 payment, or by the claim alone (None)."""
        kiosk = self.kiosk
        bills, name = self.session.bills, self.slip_hospital()
        patient = self.session.patient
        claim = self.insurance.paid_claim()
        ref = payment.id if payment is not None else f"C{claim.id}"

        def shown(printed: bool, guides: int = 0) -> None:
            if claim is not None:
                text = tr("医保结算成功：统筹支付 {fund} 元，个人账户 {acct} 元，自付 {own} 元，谢谢。").format(
                    fund=yuan(claim.fund_fen), acct=yuan(claim.acct_fen), own=yuan(claim.cash_fen))
            else:
                text = tr("已支付 {fee} 元，谢谢。").format(fee=yuan(payment.amount_fen))
            text += "\n" + (tr("请取走缴费凭条。祝您健康！") if printed else
                            tr("凭条没有打印出来，您的缴费已成功，无需重复缴费。如需凭条请到人工窗口补打，补打码 {code}。").format(code=ref))
            if guides > 0:
                text += "\n" + tr("请一并取走导诊单，按上面的顺序前往各处，留意叫号。")
            elif guides < 0:
                text += "\n" + tr("导诊单没有打印出来：可在“我的排队”查看就诊流程，或扫码在手机上查看。")
            self.message(tr("缴费成功"), text, [(tr("完成"), lambda: self.rating.rate("payment", ref))],
                         name="paid", error=not printed, push=False, allow_back=False)

        if not self._receipt_possible:
            shown(False)
            return

        def work() -> int:
            invoice = self.insurance.receipt_invoice(patient, payment, claim)
            kiosk.devices.print_receipt(patient, bills, payment, name, claim, invoice)
            try:
                return print_guide_slips(kiosk, patient)  # where to go next, after paying (导诊单)
            except (PrinterError, CallerError) as exc:  # the receipt is out and the payment stands: only told
                log.warning("guide slip not printed after payment: %s", exc)
                return -1

        self.call(work, lambda guides: shown(True, guides),
                  lambda exc: (kiosk.devices.note_print_failure(exc), shown(False), True)[-1])


class ReportsFlow(Flow):
    def __init__(self, kiosk, session: Session, identify: IdentifyFlow, rating: RatingFlow) -> None:
        super().__init__(kiosk, session)
        self.identify, self.rating = identify, rating

    # ----- reports --------------------------------------------------------------------------------
    def reports(self) -> None:
        self.identify.identify(self.list_reports, allow_create=False)

    def list_reports(self, patient: Patient) -> None:
        kiosk = self.kiosk
        self.call(lambda: kiosk.backend.reports(patient),
                  lambda reps: kiosk.show_screen(lambda: ReportsScreen(kiosk, reps, self.print_reports)))

    def print_reports(self, reports: list[Report]) -> None:
        """A4 through CUPS when this kiosk has one and it is ready, else (or when it fails) the thermal printer."""
        kiosk = self.kiosk
        patient, name = self.session.patient, kiosk.settings.hospital_name
        devices = kiosk.devices

        def work() -> tuple[int, str, str]:
            a4_problem = devices.a4_problem() if devices.a4_printer else "A4打印机未配置"
            if a4_problem:
                problem = devices.printer_problem()
                if problem:
                    raise PrinterProblem(problem)
            on_a4 = 0
            for report in reports:
                full = kiosk.backend.print_report(report, self.key(f"report:{report.id}:{report.printed_count}"))
                if not a4_problem:
                    try:
                        devices.print_report_a4(patient, full, name)
                        on_a4 += 1
                        continue
                    except A4PrinterError as exc:
                        a4_problem = exc.reason_zh  # the rest (and this one) on the thermal printer
                devices.print_report(patient, full, name)
            fell_back = a4_problem if devices.a4_printer else ""
            return len(reports), "a4" if on_a4 == len(reports) else "thermal", fell_back

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, (PrinterProblem, PrinterError)):
                if isinstance(exc, PrinterError):  # the thermal printer failed while printing
                    devices.note_print_failure(exc)
                self.message(tr("对不起，打印机暂时无法使用"), tr("请到人工窗口或其他自助机打印报告。"))
                return True
            return False

        def done(result: tuple[int, str, str]) -> None:
            n, where, fell_back = result
            if where == "a4":
                text = tr("已为您在A4打印机上打印 {n} 份报告，请在A4打印机出纸口取走。祝您健康！").format(n=n)
            else:
                text = tr("已为您打印 {n} 份报告，请取走。祝您健康！").format(n=n)
                if fell_back:
                    text = tr("A4打印机暂时无法使用，已改用小票打印。") + "\n" + text
            self.message(tr("打印完成"), text, [(tr("完成"), lambda: self.rating.rate("report", None))], name="printed",
                         error=False)

        self.call(work, done, failed)


class QueueFlow(Flow):
    """查询: the patient's place in the queues today, with a pay button when a bill is due."""

    def __init__(self, kiosk, session: Session, identify: IdentifyFlow, bills: BillsFlow,
                 reports: ReportsFlow | None = None) -> None:
        super().__init__(kiosk, session)
        self.identify, self.bills, self.reports = identify, bills, reports

    # ----- my queue -------------------------------------------------------------------------------
    def my_queue(self) -> None:
        self.identify.identify(self.show_queue, allow_create=False)

    def show_queue(self, patient: Patient, push: bool = True) -> None:
        kiosk = self.kiosk

        def work():
            visits = kiosk.backend.my_visits(patient)
            unpaid = sum(b.total_fen for b in kiosk.backend.bills(patient))
            return visits, unpaid

        def shown(result) -> None:
            visits, unpaid = result
            screen = kiosk.show_screen(lambda: QueueStatusScreen(
                kiosk, visits, unpaid, on_pay=lambda: self.bills.list_bills(patient),
                on_guide=lambda: self.print_guides(patient),
                on_reports=(lambda: self.reports.list_reports(patient)) if self.reports is not None else None), push=push)
            if any(v.journey_open for v in visits):
                self._follow_journeys(patient, screen)

        self.call(work, shown)

    def _follow_journeys(self, patient: Patient, screen: QueueStatusScreen) -> None:
        """Keep the journeys on 我的排队 current while it is shown (the pharmacy, the lab and imaging move on)."""
        kiosk = self.kiosk
        timer = QTimer(screen)  # ends with the screen
        timer.setInterval(JOURNEY_REFRESH_MS)

        def refreshed(visits) -> None:
            if kiosk.current is screen and not screen.show_journeys(visits):
                timer.stop()
                self.show_queue(patient, push=False)  # a step was added or ended: the screen anew

        def tick() -> None:
            if kiosk.current is not screen:
                timer.stop()
                return
            kiosk.runner.run(lambda: kiosk.backend.my_visits(patient), refreshed, lambda _exc: None, busy=False)

        timer.timeout.connect(tick)
        timer.start()

    def print_guides(self, patient: Patient) -> None:
        """打印导诊单 from 我的排队: every open journey of today, printed after checking the printer."""
        kiosk = self.kiosk

        def work() -> int:
            problem = kiosk.devices.printer_problem()
            if problem:
                raise PrinterProblem(problem)
            return print_guide_slips(kiosk, patient)

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, (PrinterProblem, PrinterError)):
                if isinstance(exc, PrinterError):
                    kiosk.devices.note_print_failure(exc)
                self.message(tr("对不起，打印机暂时无法使用"), tr("请扫描屏幕上的二维码，在手机上查看就诊流程。"))
                return True
            return False

        self.call(work, lambda n: self.message(
            tr("导诊单已打印"), tr("请取走导诊单，按上面的顺序前往各处，留意叫号。"),
            [(tr("完成"), lambda: kiosk.go_home("done"))], name="guide_printed", error=False))


JOURNEY_REFRESH_MS = 5000  # 我的排队 re-reads the journeys this often while shown


def print_guide_slips(kiosk, patient: Patient) -> int:
    """Print a 导诊单 for each of the patient's visits today with steps still to do (worker thread); how many."""
    visits = [v for v in kiosk.backend.my_visits(patient) if v.journey_open]
    for visit in visits:
        kiosk.devices.print_guide_slip(visit, kiosk.settings.hospital_name, kiosk.settings.hospital_name_en)
    return len(visits)


class NewPatientFlow(Flow):
    """建档: the record is made while identifying; then 去挂号."""

    def __init__(self, kiosk, session: Session, identify: IdentifyFlow, register: RegisterFlow) -> None:
        super().__init__(kiosk, session)
        self.identify, self.register = identify, register

    # ----- new patient ----------------------------------------------------------------------------
    def new_patient(self) -> None:
        self.identify.identify(self._record_ready)

    def _record_ready(self, patient: Patient) -> None:
        self.message(tr("您的就诊档案已建好"), tr("您好，现在可以挂号、缴费和打印报告了。"),
                     [(tr("去挂号"), lambda: self.register.choose_department(patient)),
                      (tr("返回首页"), lambda: self.kiosk.go_home("done"))], name="record_ready", error=False)
