"""What every flow needs: run work off the GUI thread, show errors politely, identify the patient."""
from __future__ import annotations

import logging
import uuid
from typing import Any, Callable

from common.refusal import Refusal
from kiosk.i18n import pick, tr
from kiosk.models import CardData, Patient
from kiosk.screens.identify import IdentifyScreen, NewPatientScreen, PhoneLast4Screen, TypeIdScreen
from kiosk.screens.result import MessageScreen, OutOfServiceScreen, SuspendedScreen

log = logging.getLogger(__name__)

UNREACHABLE = {"unreachable", "http_error", "unavailable", "standby"}  # standby: a takeover is under way


def error_code(exc: BaseException) -> str:
    return getattr(exc, "code", "") or type(exc).__name__


def error_text(exc: BaseException) -> str:
    """The service's own polite message in the current language, or a general one."""
    if isinstance(exc, Refusal) and (exc.message_zh or exc.message_en):
        return pick(exc.message_zh, exc.message_en)
    return tr("对不起，操作没有成功，请稍候再试，或点击“呼叫工作人员”。")


class FlowBase:
    """Shared plumbing. ``self.kiosk`` is the KioskWindow."""

    def __init__(self, kiosk) -> None:
        self.kiosk = kiosk

    # ----- running work ---------------------------------------------------------------------------
    def call(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], bool | None] | None = None, busy: bool = True) -> None:
        """Run fn in a worker; on_error may return True when it handled the error itself."""

        def failed(exc: BaseException) -> None:
            if on_error is not None and on_error(exc):
                return
            self.fail(exc)

        self.kiosk.runner.run(fn, on_done, failed, busy=busy)

    def fail(self, exc: BaseException) -> None:
        """Unreachable service: the out-of-service screen. Anything else: a polite message and home."""
        code = error_code(exc)
        if code in UNREACHABLE or isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            self.out_of_service()
            return
        if code == "device_suspended":
            self.suspended()
            return
        if isinstance(exc, Refusal):
            log.warning("kiosk action refused: %s", code)
        else:
            log.error("kiosk action failed", exc_info=exc)
        if code == "second_factor_locked":  # the service says what to do: the ID card, or the desk
            self.message(tr("对不起"), error_text(exc), name="factor_locked")
            return
        self.message(tr("对不起"), error_text(exc))

    def message(self, title: str, text: str, actions=None, name: str = "message", error: bool = True,
                push: bool = True, allow_back: bool = True) -> MessageScreen:
        actions = actions if actions is not None else [(tr("返回首页"), lambda: self.kiosk.go_home("done"))]
        return self.kiosk.show_screen(
            lambda: MessageScreen(self.kiosk, title, text, actions, name, error, allow_back), push)

    def key(self, operation: str) -> str:
        """One idempotency key per operation of this patient session: a retry reuses it."""
        keys = self.kiosk.session.idempotency
        if operation not in keys:
            keys[operation] = uuid.uuid4().hex
        return keys[operation]

    # ----- out of service -------------------------------------------------------------------------
    def out_of_service(self) -> None:
        """Wipe the session (nothing half done stays on screen) and retry the service by itself."""
        kiosk = self.kiosk
        kiosk.runner.new_generation()
        kiosk.session = type(kiosk.session)()
        kiosk.history = []
        kiosk.show_screen(lambda: OutOfServiceScreen(kiosk))
        self._retry_service()

    def suspended(self) -> None:
        """Staff suspended this kiosk (too many sessions or wrong second factors): wipe the session, say so, and
        come back by itself once staff reinstated it."""
        kiosk = self.kiosk
        kiosk.runner.new_generation()
        kiosk.session = type(kiosk.session)()
        kiosk.history = []
        kiosk.show_screen(lambda: SuspendedScreen(kiosk))
        self._retry_reinstated()

    def _retry_reinstated(self) -> None:
        from PySide6.QtCore import QTimer

        def probe() -> None:
            if self.kiosk.closed or self.kiosk.current is None or self.kiosk.current.name != "suspended":
                return
            self.kiosk.runner.run(self.kiosk.backend.me, lambda _r: self.kiosk.go_home("reinstated"),
                                  lambda _e: self._retry_reinstated(), busy=False)

        QTimer.singleShot(self.kiosk.settings.out_of_service_retry_ms, self.kiosk, probe)

    def _retry_service(self) -> None:
        from PySide6.QtCore import QTimer

        def probe() -> None:
            if self.kiosk.closed or self.kiosk.current is None or self.kiosk.current.name != "out_of_service":
                return
            self.kiosk.runner.run(self.kiosk.backend.ping, lambda _r: self.kiosk.go_home("recovered"),
                                  lambda _e: self._retry_service(), busy=False)

        QTimer.singleShot(self.kiosk.settings.out_of_service_retry_ms, self.kiosk, probe)

    # ----- identify -------------------------------------------------------------------------------
    def identify(self, then: Callable[[Patient], None], allow_create: bool = True) -> None:
        """Ask for the ID card / medical card QR / typed number; then(patient) once known.

        A person without a record goes to record creation (card data filled in) when allow_create.
        """
        self._identify_then = then
        self._identify_allow_create = allow_create
        kiosk = self.kiosk
        reader_ok = kiosk.devices.reader_ok()
        kiosk.show_screen(lambda: IdentifyScreen(kiosk, self._type_id, reader_ok))

    def _type_id(self) -> None:
        self.kiosk.show_screen(lambda: TypeIdScreen(self.kiosk, lambda number: self.got_card(CardData(number), "typed")))

    def on_card(self, card: CardData) -> None:
        """The reader read a card (already in the GUI thread)."""
        if self.kiosk.current is not None and self.kiosk.current.name in ("identify", "type_id"):
            self.got_card(card, "id_card")
        elif self.kiosk.current is not None and self.kiosk.current.name == "insurance_cert":
            self.kiosk.flows.on_insurance_card(card)  # 医保 by ID card (mdtrt_cert_type 02)
        elif self.kiosk.current is not None and self.kiosk.current.name == "family":
            self.kiosk.flows.family_card(card)  # an elderly parent's card: act for them
        elif self.kiosk.current is not None and self.kiosk.current.name == "home":
            self.kiosk.flows.my_day()  # card first: what this patient came for, not a second registration
            self.got_card(card, "id_card")

    def on_medical_card(self, number: str, raw: str = "") -> None:
        """A medical card QR was scanned: look the patient up by what it carries (or, failing that, the raw text).
        A card code is proof by itself; an older card's number needs the phone digits as well."""
        self.kiosk.session.card = None
        backend = self.kiosk.backend

        def lookup():
            found = backend.identify(card_code=number)
            if found is None and raw and raw != number:
                found = backend.identify(card_code=raw)
            return found

        def ask_phone(exc: BaseException) -> bool:
            if getattr(exc, "code", "") != "second_factor_required":
                return False

            def submit(digits: str) -> None:
                self.call(lambda: backend.identify(card_code=number, phone_last4=digits),
                          lambda p: self._identified(p, None, number), self._wrong_factor)

            self.kiosk.show_screen(lambda: PhoneLast4Screen(self.kiosk, submit))
            return True

        self.call(lookup, lambda p: self._identified(p, None, number), ask_phone)

    def got_card(self, card: CardData, source: str) -> None:
        self.kiosk.session.card = card
        self._card_source = source
        name = card.name if source == "id_card" else None  # a card read proves the person; a typed number does not
        self.call(lambda: self.kiosk.backend.identify(id_number=card.id_number, card_name=name),
                  lambda p: self._identified(p, card, ""), self._second_factor(card))

    def _second_factor(self, card: CardData) -> Callable[[BaseException], bool]:
        """A typed number of an existing record: ask the last 4 digits of the phone on record, then identify."""
        def on_error(exc: BaseException) -> bool:
            if getattr(exc, "code", "") != "second_factor_required":
                return False

            def submit(digits: str) -> None:
                self.call(lambda: self.kiosk.backend.identify(id_number=card.id_number, phone_last4=digits),
                          lambda p: self._identified(p, card, ""), self._wrong_factor)

            self.kiosk.show_screen(lambda: PhoneLast4Screen(self.kiosk, submit))
            return True
        return on_error

    def _wrong_factor(self, exc: BaseException) -> bool:
        if getattr(exc, "code", "") != "second_factor_required":
            return False
        screen = self.kiosk.current
        if isinstance(screen, PhoneLast4Screen):
            screen.wrong()
        return True

    def _identified(self, patient: Patient | None, card: CardData | None, medical_card: str) -> None:
        if patient is not None:
            self.kiosk.session.patient = patient
            self._identify_then(patient)
            return
        if card is None or not card.name or not self._identify_allow_create:
            self.message(tr("对不起"), tr("没有找到您的就诊档案。请将身份证放在读卡区建档，或到人工窗口办理。"))
            return
        self.kiosk.show_screen(lambda: NewPatientScreen(self.kiosk, card, lambda phone: self._create(card, phone)))

    def _create(self, card: CardData, phone: str) -> None:
        source = getattr(self, "_card_source", "typed")
        self.call(lambda: self.kiosk.backend.create_patient(card, phone, source, self.key("create_patient")),
                  self._created)

    def _created(self, patient: Patient) -> None:
        self.kiosk.session.patient = patient
        self._identify_then(patient)
