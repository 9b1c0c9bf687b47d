"""A patient at a real kiosk window: cards on the reader simulator, codes at the scanner simulator, fingers
on the buttons, payment on the phone (the gateway simulator). Runs on the GUI thread, pumping Qt while waiting."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QEventLoop, QTimer

from common.clock import HospitalClock
from demo.script import APPOINTMENT, BILLS, NEW, PAPER_OUT, PAYMENT_TIMEOUT, REPORTS, RETURNING, Arrival
from records.cardcode import card_qr_text

PHONE = "13812345678"


def medical_card_qr(code: str) -> str:
    """The text of the QR code printed on a medical card (就诊卡): its card code, not the card number."""
    return card_qr_text(code)


class KioskStuck(Exception):
    """The kiosk did not reach the screen a patient expected."""


def pump(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        pump(20)
    return condition()


class KioskPatient:
    """Drives one kiosk for one arrival. ``shots`` (a directory) keeps a PNG of each screen reached."""

    def __init__(self, rig: Any, provider: Any, shots: Path | None = None,
                 clock: Callable[[], datetime] = HospitalClock()) -> None:
        self.rig, self.window, self.provider, self.shots, self.clock = rig, rig.window, provider, shots, clock
        self.screens: list[str] = []

    # ------------------------------------------------------------------ helpers
    def wait(self, name: str, timeout: float = 12.0):
        window = self.window

        def there() -> bool:
            cur = window.current
            return cur is not None and cur.name == name and not window.runner.busy

        if not wait_for(there, timeout):
            cur = window.current
            shown = cur.name if cur is not None else None
            detail = ""
            if cur is not None and hasattr(cur, "text"):
                detail = getattr(cur.text, "text", lambda: "")()
            raise KioskStuck(f"kiosk {self.rig.index + 1}: expected screen {name!r}, showing {shown!r} {detail}")
        pump(60)
        self.screens.append(name)
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            self.window.grab().save(str(self.shots / f"{len(self.screens):02d}-{name}.png"))
        return window.current

    def wait_any(self, names: tuple[str, ...], timeout: float = 12.0) -> str:
        """Which of these screens the kiosk reaches first (then waited for as by :meth:`wait`)."""
        window = self.window
        wait_for(lambda: window.current is not None and window.current.name in names and not window.runner.busy,
                 timeout)
        name = window.current.name if window.current is not None and window.current.name in names else names[0]
        self.wait(name, timeout)
        return name

    def choose(self, screen, index: int) -> None:
        screen.choices.button_for(index).click()

    def home(self) -> None:
        self.window.go_home("home")
        self.wait("home")

    def identify(self, arrival: Arrival, tile: str, next_screen: str):
        from hardware.idcard import CardKind
        from hardware.idcard.demo_cards import demo_card

        self.window.current.tiles[tile].click()
        self.wait("identify")
        if arrival.kind == NEW:
            kind = CardKind.HMT_RESIDENT if arrival.card_kind == "hmt" else CardKind.RESIDENT
            card = demo_card(kind, seed=arrival.card_seed)
            arrival.notes.append(f"card {card.kind.value} {card.name}")
            self.rig.reader.place_card(card)
            screen = self.wait("new_patient")
            self.rig.reader.remove_card()
            screen.keypad.type_text(PHONE)
            screen.keypad.ok.click()
            return self.wait(next_screen)
        assert arrival.known is not None or arrival.appointment is not None
        known = arrival.known or arrival.appointment.patient
        if arrival.ehealth_qr is not None:  # the national e-health card's QR on the phone, verified by its platform
            arrival.notes.append("e-health card")
            self.rig.scanner.scan(arrival.ehealth_qr())
            return self.wait(next_screen)
        # the medical card's QR code under the scanner: "MC:<card code>" (records/cardcode.py)
        self.rig.scanner.scan(medical_card_qr(known.card_code))
        return self.wait(next_screen)

    def pay_on_phone(self) -> None:
        """The patient scans the QR code on the screen with their phone and pays."""
        qr = self.window.flows.payment.order.qr_text
        self.provider.patient_pays(qr.rsplit("/", 1)[-1])

    def order_id(self) -> str:
        return self.window.flows.payment.order.qr_text.rsplit("/", 1)[-1]

    # ------------------------------------------------------------------ the visits
    def run(self, arrival: Arrival) -> dict[str, Any]:
        """Returns what the patient walked away with: {ticket, visit_id, printed, note, ...}."""
        self.window.set_elderly(arrival.elderly)
        self.home()
        try:
            if arrival.kind in (NEW, RETURNING):
                return self._register(arrival)
            if arrival.kind == APPOINTMENT:
                return self._check_in(arrival)
            if arrival.kind == BILLS:
                return self._bills(arrival)
            if arrival.kind == REPORTS:
                return self._reports(arrival)
            raise ValueError(arrival.kind)
        finally:
            self.window.set_elderly(False)

    def _register(self, arrival: Arrival) -> dict[str, Any]:
        screen = self.identify(arrival, "register", "departments")
        index = next((i for i, d in enumerate(screen.departments) if d.id == arrival.department), 0)
        self.choose(screen, index)
        self.choose(self.wait("doctors"), 0)
        confirm = self.wait("confirm")  # the earliest time is offered first; this patient picks theirs
        if confirm.change_time_button is not None:
            confirm.change_time_button.click()
        slots = self.wait("slots")
        self.choose(slots, self._slot_index(slots.slots))
        self.wait("confirm").confirm_button.click()
        if arrival.fault == PAYMENT_TIMEOUT:
            self.window.settings.payment_timeout_s = 3
            try:
                self.wait("payment")
                order = self.order_id()
                failed = self.wait("payment_failed", timeout=20)
            finally:
                self.window.settings.payment_timeout_s = 120
            result = {"fault_title": failed.title_label.text(), "fault_text": failed.text.text(),
                      "order": order, "registration_id": self.window.session.hold.id if self.window.session.hold else None}
            failed.buttons[1].click()  # 返回首页: the patient walks away
            self.wait("home")
            return result
        self.wait("payment")
        if arrival.fault == PAPER_OUT:
            self.rig.printer_core.set_state(paper_out=True)  # the roll runs out while the patient pays
        self.pay_on_phone()
        ticket = self.wait("ticket", timeout=20)
        result = {"ticket": ticket.number.text(), "visit_id": self.window.session.ticket.visit_id,
                  "note": ticket.print_note.text(), "reprint_code": self.window.session.ticket.reprint_code}
        if arrival.fault == PAPER_OUT:
            self.rig.printer_core.set_state(paper_out=False)  # staff put a new roll in
        self._rate(ticket, stars=5 if arrival.number == 1 else 0)
        return result

    def _slot_index(self, slots: list) -> int:
        """The first slot that does not end while the patient is still at the kiosk (10 simulated minutes)."""
        soon = (self.clock() + timedelta(minutes=10)).strftime("%H:%M")
        return next((i for i, s in enumerate(slots) if s.end > soon and s.remaining > 0), 0)

    def _rate(self, screen, stars: int) -> None:
        screen.done_button.click()
        rating = self.wait("rating")
        if stars:
            rating.stars.set_value(stars)
            rating.submit_button.click()
            self.wait("thanks")
        else:
            rating.skip_button.click()
        self.home()

    def _check_in(self, arrival: Arrival) -> dict[str, Any]:
        screen = self.identify(arrival, "checkin", "appointments")
        self.choose(screen, 0)
        ticket = self.wait("ticket")
        result = {"ticket": ticket.number.text(), "registration_id": arrival.appointment.registration_id,
                  "note": ticket.print_note.text(), "title": ticket.title_label.text()}
        self._rate(ticket, stars=0)
        return result

    def _bills(self, arrival: Arrival) -> dict[str, Any]:
        """Pays the bills; with a 医保电子凭证 QR by 医保 (the split on screen, then only 自付 on the phone)."""
        screen = self.identify(arrival, "pay", "bills")
        screen.pay_button.click()
        choice = self.wait("pay_choice")  # 能用医保吗: answered where the patient pays
        split: dict[str, str] = {}
        if arrival.insurance_qr and choice.insurance_button is not None:
            choice.insurance_button.click()
            self.wait("insurance_cert")
            self.rig.scanner.scan(arrival.insurance_qr)
            shown = self.wait("insurance_split", timeout=20)
            split = {"fund": shown.fund.text(), "account": shown.account.text(), "own": shown.own.text()}
            shown.confirm_button.click()
        else:
            choice.self_pay_button.click()
        if self.wait_any(("payment", "paid"), timeout=20) == "payment":  # nothing to pay when 医保 paid it all
            self.pay_on_phone()
        paid = self.wait("paid", timeout=20)
        result = {"text": paid.text.text(), "insurance_split": split}
        paid.buttons[0].click()
        rating = self.wait("rating")
        rating.skip_button.click()
        self.home()
        return result

    def _reports(self, arrival: Arrival) -> dict[str, Any]:
        screen = self.identify(arrival, "reports", "reports")
        screen.all_button.click()
        printed = self.wait("printed", timeout=20)
        result = {"text": printed.text.text()}
        self.home()
        return result
