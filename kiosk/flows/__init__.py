"""Every patient flow of the kiosk, behind one object the window calls (``kiosk.flows``)."""
from __future__ import annotations

from kiosk.flows.day import DayMixin
from kiosk.flows.help import HelpMixin
from kiosk.flows.triage import TriageMixin
from kiosk.models import CardData
from kiosk.screens.admin import DeviceStatusScreen, PinScreen

HEARTBEAT_S = 15.0  # until the service says its own [device_health].heartbeat_s


class Flows(HelpMixin, TriageMixin, DayMixin):
    """Home-screen actions and device events, routed to the flow that is on screen."""

    def __init__(self, kiosk) -> None:
        super().__init__(kiosk)
        devices = kiosk.devices
        devices.card_read.connect(self.on_card)
        devices.code_scanned.connect(self.on_code)
        devices.health_changed.connect(self.report_health)
        from PySide6.QtCore import QTimer

        self._heartbeat = QTimer(kiosk)  # the kiosk and its parts, every [device_health].heartbeat_s
        self._heartbeat.setInterval(int(HEARTBEAT_S * 1000))
        self._heartbeat.timeout.connect(self.heartbeat)
        self._heartbeat.start()
        QTimer.singleShot(0, kiosk, self.heartbeat)

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

    def on_code(self, code: str) -> None:
        """A scanned code: a payment code while paying, a medical card while identifying."""
        current = self.kiosk.current.name if self.kiosk.current is not None else ""
        kind, value = self.kiosk.devices.classify(code)
        if current == "payment" and kind == "payment":
            self.on_payment_code(value)
        elif current == "insurance_cert" and kind == "insurance":  # 医保电子凭证 (mdtrt_cert_type 01)
            self.on_insurance_code(value)
        elif current in ("identify", "type_id") and kind in ("ehealth", "insurance"):  # verified by its platform
            self.on_platform_code(kind, code.strip())
        elif current == "home" and kind in ("ehealth", "insurance"):
            self.my_day()
            self.on_platform_code(kind, code.strip())
        elif current in ("identify", "type_id") and kind in ("medical_card", "unknown"):
            self.on_medical_card(value, code.strip())  # a card number in a format the scanner does not know
        elif current == "home" and kind in ("medical_card", "unknown"):  # card first: the patient's day
            self.my_day()
            self.on_medical_card(value, code.strip())
        elif current in ("identify", "type_id") and kind == "id_number":
            self.got_card(CardData(value), "typed")

    def abandon(self) -> None:
        """The session is ending: stop waiting for payment, release a held slot."""
        self.abandon_payment()
        self.abandon_claim()
        if self.kiosk.session.hold is not None and self.kiosk.session.ticket is None:
            self._release_hold()
        # forget the callbacks that closed over this patient's data
        self._pay_args = self._on_paid = self._on_abandon = self._on_retry = self._identify_then = None

    def shutdown(self) -> None:
        self.abandon()
        self.kiosk.devices.stop()
        self.kiosk.runner.wait_idle(3000)

    # ----- staff ----------------------------------------------------------------------------------
    def admin(self) -> None:
        kiosk = self.kiosk
        kiosk.runner.new_generation()
        kiosk.session = type(kiosk.session)()
        kiosk.history = []

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
