"""Every patient flow of the kiosk, composed once per window (``kiosk.flows``).

Each flow is an object given the window, the patient session and the flows it hands over to; ``Flows`` builds them,
routes device events (a card read, a code scanned) to the flow that is on screen, keeps the heartbeat, and ends a
session for all of them at once. The home screen's tiles call the methods at the bottom.
"""
from __future__ import annotations

from PySide6.QtCore import QTimer

from kiosk.flows.base import Flow
from kiosk.flows.day import DayFlow
from kiosk.flows.family import FamilyFlow
from kiosk.flows.help import HelpFlow
from kiosk.flows.identify import IdentifyFlow
from kiosk.flows.insurance import InsuranceFlow
from kiosk.flows.payment import PaymentFlow
from kiosk.flows.rating import RatingFlow
from kiosk.flows.register import RegisterFlow
from kiosk.flows.services import BillsFlow, CheckInFlow, NewPatientFlow, QueueFlow, ReportsFlow
from kiosk.flows.tickets import TicketFlow
from kiosk.flows.triage import TriageFlow
from kiosk.models import CardData, Session
from kiosk.screens.admin import DeviceStatusScreen, PinScreen

HEARTBEAT_S = 15.0  # until the service says its own [device_health].heartbeat_s

__all__ = ["Flows", "Flow"]


class Flows:
    """The kiosk's flows, built once for the window ``kiosk`` and its one ``session``."""

    def __init__(self, kiosk, session: Session) -> None:
        self.kiosk, self.session = kiosk, session
        self.base = Flow(kiosk, session)  # out of service, suspended: not a patient's flow
        self.identify = IdentifyFlow(kiosk, session)
        self.payment = PaymentFlow(kiosk, session)
        self.rating = RatingFlow(kiosk, session)
        self.tickets = TicketFlow(kiosk, session, self.rating)
        self.insurance = InsuranceFlow(kiosk, session, self.payment)
        # 为家人办理 is offered on the department list and the day page, and it ends on the family member's day page:
        # the three hand over to each other, so the registration and the day are given it late (a closure)
        self.registration = RegisterFlow(kiosk, session, self.identify, self.payment, self.tickets, self.rating,
                                         family=lambda: self.family.family())
        self.checkin = CheckInFlow(kiosk, session, self.identify, self.tickets)
        self.bills = BillsFlow(kiosk, session, self.identify, self.insurance, self.rating)
        self.reports_flow = ReportsFlow(kiosk, session, self.identify, self.rating)
        self.queue = QueueFlow(kiosk, session, self.identify, self.bills, self.reports_flow)
        self.new_patients = NewPatientFlow(kiosk, session, self.identify, self.registration)
        self.day = DayFlow(kiosk, session, self.identify, self.registration, self.checkin, self.bills,
                           self.reports_flow, self.queue, family=lambda: self.family.family())
        self.family = FamilyFlow(kiosk, session, show_day=self.day.show)
        self.help = HelpFlow(kiosk, session)
        self.triage_flow = TriageFlow(kiosk, session, self.identify, self.registration)

        devices = kiosk.devices
        devices.card_read.connect(self.on_card)
        devices.code_scanned.connect(self.on_code)
        devices.health_changed.connect(self.report_health)
        self._heartbeat = QTimer(kiosk)  # the kiosk and its parts, every [device_health].heartbeat_s
        self._heartbeat.setInterval(int(HEARTBEAT_S * 1000))
        self._heartbeat.timeout.connect(self.heartbeat)
        self._heartbeat.start()
        QTimer.singleShot(0, kiosk, self.heartbeat)

    # ----- the home screen ------------------------------------------------------------------------
    def register(self) -> None:
        self.registration.register()

    def check_in(self) -> None:
        self.checkin.check_in()

    def pay_bills(self) -> None:
        self.bills.pay_bills()

    def reports(self) -> None:
        self.reports_flow.reports()

    def my_queue(self) -> None:
        self.queue.my_queue()

    def new_patient(self) -> None:
        self.new_patients.new_patient()

    def my_day(self) -> None:
        self.day.my_day()

    def triage(self) -> None:
        self.triage_flow.triage()

    def call_staff(self) -> None:
        self.help.call_staff()

    def out_of_service(self) -> None:
        self.base.out_of_service()

    # ----- device events --------------------------------------------------------------------------
    def _on_screen(self) -> str:
        return self.kiosk.current.name if self.kiosk.current is not None else ""

    def on_card(self, card: CardData) -> None:
        """The reader read a card (already in the GUI thread)."""
        current = self._on_screen()
        if current in ("identify", "type_id"):
            self.identify.got_card(card, "id_card")
        elif current == "insurance_cert":
            self.insurance.on_insurance_card(card)  # 医保 by ID card (mdtrt_cert_type 02)
        elif current == "family":
            self.family.family_card(card)  # an elderly parent's card: act for them
        elif current == "home":
            self.day.my_day()  # card first: what this patient came for, not a second registration
            self.identify.got_card(card, "id_card")

    def on_code(self, code: str) -> None:
        """A scanned code: a payment code while paying, a medical card while identifying."""
        current = self._on_screen()
        kind, value = self.kiosk.devices.classify(code)
        if current == "payment" and kind == "payment":
            self.payment.on_payment_code(value)
        elif current == "insurance_cert" and kind == "insurance":  # 医保电子凭证 (mdtrt_cert_type 01)
            self.insurance.on_insurance_code(value)
        elif current == "insurance_cert" and kind == "ssc":  # 社保卡 at the card reader (mdtrt_cert_type 03)
            self.insurance.on_social_security_card(value)
        elif current in ("identify", "type_id") and kind in ("ehealth", "insurance"):  # verified by its platform
            self.identify.on_platform_code(kind, code.strip())
        elif current == "home" and kind in ("ehealth", "insurance"):
            self.day.my_day()
            self.identify.on_platform_code(kind, code.strip())
        elif current in ("identify", "type_id") and kind in ("medical_card", "ssc", "unknown"):
            self.identify.on_medical_card(value, code.strip())  # a card number in a format the scanner does not know
        elif current == "home" and kind in ("medical_card", "ssc", "unknown"):  # card first: the patient's day
            self.day.my_day()
            self.identify.on_medical_card(value, code.strip())
        elif current in ("identify", "type_id") and kind == "id_number":
            self.identify.got_card(CardData(value), "typed")

    # ----- device health --------------------------------------------------------------------------
    def heartbeat(self) -> None:
        """Say "here, and this is how my printer, reader, scanner and payment are" (in the background)."""
        if self.kiosk.closed:
            return
        backend, devices = self.kiosk.backend, self.kiosk.devices

        def beat():
            if devices.printer_url:
                devices.printer_problem()  # a status query: paper out is noticed while the kiosk is idle too
            return backend.heartbeat([h for h in devices.healths() if h.device in devices.configured])

        def answered(reply) -> None:
            interval = float((reply or {}).get("heartbeat_s") or HEARTBEAT_S)
            if int(interval * 1000) != self._heartbeat.interval():
                self._heartbeat.setInterval(int(interval * 1000))

        self.kiosk.runner.run(beat, answered, lambda _e: None, busy=False)

    def report_health(self, health) -> None:
        """Tell the service about a device change, so the staff see it (in the background; failures ignored)."""
        current = self.kiosk.current
        if health.device == "idcard" and current is not None and current.name == "identify":
            current.set_reader_ok(self.kiosk.devices.reader_ok())  # say so at once if the reader fails now
        if health.device not in self.kiosk.devices.configured:
            return  # a part this kiosk does not have is no fault
        backend = self.kiosk.backend
        status = getattr(health.status, "value", health.status)
        self.kiosk.runner.run(lambda: backend.report_health(health.device, status, health.reason_zh, health.reason_en),
                              None, lambda _e: None, busy=False)

    # ----- the session ends -----------------------------------------------------------------------
    def abandon(self) -> None:
        """The session is ending: stop waiting for payment, release a held slot, forget the callbacks that closed
        over this patient's data."""
        self.payment.abandon_payment()
        self.insurance.abandon()
        self.registration.abandon()
        self.identify.abandon()

    def shutdown(self) -> None:
        self.abandon()
        self.kiosk.devices.stop()
        self.kiosk.runner.wait_idle(3000)

    # ----- staff ----------------------------------------------------------------------------------
    def admin(self) -> None:
        kiosk = self.kiosk
        self.base.forget_patient()

        def check(pin: str) -> None:
            if kiosk.settings.pin_matches(pin):
                self.device_page()
            else:
                screen = kiosk.current
                if isinstance(screen, PinScreen):
                    screen.wrong()

        kiosk.show_screen(lambda: PinScreen(kiosk, check))

    def device_page(self) -> None:
        kiosk = self.kiosk
        kiosk.show_screen(lambda: DeviceStatusScreen(kiosk, kiosk.devices.healths(), kiosk.admin_exit), push=False)
