"""The queue ticket (排队凭条) after a registration or a check-in: printed, then shown with the phone QR, the
reprint code when the printer failed, the text-reminder offer and the rating."""
from __future__ import annotations

from typing import Callable

from kiosk.flows.base import Flow
from kiosk.flows.rating import RatingFlow
from kiosk.models import Session, Ticket
from kiosk.screens.result import TicketScreen


class TicketFlow(Flow):
    def __init__(self, kiosk, session: Session, rating: RatingFlow) -> None:
        super().__init__(kiosk, session)
        self.rating = rating

    def issue(self, ticket: Ticket, rating_kind: str, rating_ref: str, with_receipt: bool = False,
              title: str | None = None) -> None:
        """Print the ticket (and the 挂号凭条 after a paid registration), then show it."""
        kiosk = self.kiosk
        extra = {"title": title} if title else {}
        self.print_ticket(ticket, lambda printed, code: kiosk.show_screen(
            lambda: TicketScreen(kiosk, ticket, printed, lambda: self.rating.rate(rating_kind, rating_ref),
                                 reprint_code=code, **extra, **self.reminder_offer()), push=False),
            with_receipt=with_receipt)

    def reminder_offer(self) -> dict:
        """The ticket screen's "短信提醒我" (when the hospital sends texts and the patient has a phone on record)."""
        kiosk = self.kiosk
        patient = self.session.patient
        if not kiosk.settings.sms_reminders or patient is None or not patient.phone_masked:
            return {}

        def done(phone: str) -> None:
            if isinstance(kiosk.current, TicketScreen):
                kiosk.current.reminded(phone)

        return {"phone": patient.phone_masked,
                "remind": lambda: self.call(lambda: kiosk.backend.remind_me(patient), done)}

    def print_ticket(self, ticket: Ticket, then: Callable[[bool, str], None], with_receipt: bool = False) -> None:
        """Print the ticket (and after a paid registration the 挂号凭条); then(printed, reprint_code).
        A failure never undoes the registration."""
        kiosk = self.kiosk
        name = self.slip_hospital()
        patient, payment, card = self.session.patient, self.session.payment, self.session.new_card

        def work():
            kiosk.devices.print_ticket(ticket, name, card_qr=card)
            if with_receipt and payment is not None and patient is not None:
                try:
                    kiosk.devices.print_registration_receipt(ticket, patient, payment, name, kiosk.settings.device_id)
                except Exception as exc:  # noqa: BLE001 - the ticket is out; the staff see the printer's state
                    kiosk.devices.note_print_failure(exc)

        def done(_sent) -> None:
            if card and self.session.new_card == card:
                self.session.new_card = ""  # the card is on paper: the next slip does without
            then(True, "")

        def failed(exc: BaseException) -> bool:
            kiosk.devices.note_print_failure(exc)
            then(False, ticket.reprint_code or ticket.visit_id)
            return True

        self.call(work, done, failed)
