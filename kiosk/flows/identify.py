"""Who is at the kiosk: ID card, medical card QR, typed ID number (with the phone's last 4 digits), an e-health card
or 医保电子凭证 QR; a person without a record goes to record creation (建档) with the card's data filled in."""
from __future__ import annotations

from typing import Callable

from kiosk.flows.base import Flow, error_text
from kiosk.i18n import tr
from kiosk.models import CardData, Patient
from kiosk.screens.identify import IdentifyScreen, NewPatientScreen, PhoneLast4Screen, TypeIdScreen

ELDERLY_AGE = 65  # a card of this age or more: the kiosk offers its large print


class IdentifyFlow(Flow):
    _then: Callable[[Patient], None] | None = None
    _allow_create = True
    _card_source = "typed"

    def identify(self, then: Callable[[Patient], None], allow_create: bool = True) -> None:
        """Ask for the ID card / medical card QR / typed number; then(patient) once known.

        A person without a record goes to record creation (card data filled in) when allow_create.
        """
        self._then = then
        self._allow_create = allow_create
        kiosk = self.kiosk
        reader_ok = kiosk.devices.reader_ok()
        kiosk.show_screen(lambda: IdentifyScreen(kiosk, self.type_id, reader_ok))

    def abandon(self) -> None:
        self._then = None  # it closed over this patient's flow

    def type_id(self) -> None:
        self.kiosk.show_screen(lambda: TypeIdScreen(self.kiosk, lambda number: self.got_card(CardData(number), "typed")))

    def on_medical_card(self, number: str, raw: str = "") -> None:
        """A medical card QR was scanned: look the patient up by what it carries (or, failing that, the raw text).
        A card code is proof by itself; an older card's number needs the phone digits as well."""
        self.session.card = None
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
                          lambda p: self._identified(p, None), self._wrong_factor)

            self.kiosk.show_screen(lambda: PhoneLast4Screen(self.kiosk, submit))
            return True

        self.call(lookup, lambda p: self._identified(p, None), ask_phone)

    def on_platform_code(self, kind: str, raw: str) -> None:
        """An e-health card or 医保电子凭证 QR on the identify screen: the platform says whose it is."""
        kiosk = self.kiosk
        self.session.card = None
        backend = kiosk.backend

        def refused(exc: BaseException) -> bool:
            screen = kiosk.current
            if getattr(exc, "status", 0) in (422, 503) and screen is not None and hasattr(screen, "show_error"):
                screen.show_error(error_text(exc))
                return True
            return False

        self.call(lambda: backend.identify_by_platform(kind, raw), lambda p: self._identified(p, None), refused)

    def got_card(self, card: CardData, source: str) -> None:
        self.session.card = card
        self._card_source = source
        if source == "id_card":
            self._offer_large_print(card)
        name = card.name if source == "id_card" else None  # a card read proves the person; a typed number does not
        self.call(lambda: self.kiosk.backend.identify(id_number=card.id_number, card_name=name),
                  lambda p: self._identified(p, card), self._second_factor(card))

    def _second_factor(self, card: CardData) -> Callable[[BaseException], bool]:
        """A typed number of an existing record: ask the last 4 digits of the phone on record, then identify."""
        def on_error(exc: BaseException) -> bool:
            if getattr(exc, "code", "") != "second_factor_required":
                return False

            def submit(digits: str) -> None:
                self.call(lambda: self.kiosk.backend.identify(id_number=card.id_number, phone_last4=digits),
                          lambda p: self._identified(p, card), self._wrong_factor)

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

    def _identified(self, patient: Patient | None, card: CardData | None) -> None:
        if patient is not None:
            self._known(patient)
            return
        if card is None or not card.name or not self._allow_create:
            self.message(tr("对不起"), tr("没有找到您的就诊档案。请将身份证放在读卡区建档，或到人工窗口办理。"))
            return
        self.kiosk.show_screen(lambda: NewPatientScreen(self.kiosk, card, lambda phone: self._create(card, phone)))

    def _offer_large_print(self, card: CardData) -> None:
        """A card that says 65 or older: offer the large print (the patient may say no). The age comes from the
        birth date the reader gave this kiosk; nothing of it is shown or sent."""
        age = card.age_on(self.kiosk.backend.clock.today())
        if age is not None and age >= ELDERLY_AGE and not self.kiosk.elderly:
            self.kiosk.offer_elderly()

    def _create(self, card: CardData, phone: str) -> None:
        source = self._card_source
        self.call(lambda: self.kiosk.backend.create_patient(card, phone, source, self.key("create_patient")),
                  self._created)

    def _created(self, patient: Patient) -> None:
        self.session.new_card = patient.card_qr  # a new patient's card: on their first slip
        self._known(patient)

    def _known(self, patient: Patient) -> None:
        self.session.patient = patient
        if self._then is not None:
            self._then(patient)
