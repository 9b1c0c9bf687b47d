"""A card for every new patient: the medical card's QR on their first slip, and the next visit starts from it."""
from __future__ import annotations

from hardware.printer import decode_for
from hardware.printer.decode import QRCode, text_lines
from tests.kiosk.kiosk_driver import choose, click, pay_current_order, register_until, wait_screen
from tests.kiosk.test_kiosk_services import identify_again


def qr_codes(printer_sim, job) -> list[str]:
    return [e.payload.decode("ascii") for e in decode_for(printer_sim.core.profile, job.data) if isinstance(e, QRCode)]


def test_a_new_patients_first_slip_carries_the_card_that_identifies_them_next_time(
        qtbot, kiosk, reader_sim, printer_sim, payment_sim, scanner_sim):
    card = register_until(qtbot, kiosk, reader_sim, seed=321)  # a new record
    pay_current_order(payment_sim)
    ticket = wait_screen(qtbot, kiosk, "ticket")
    assert printer_sim.core.wait_for_jobs(2, timeout=5)
    first, second = printer_sim.core.jobs[-2:]
    cards = [q for q in qr_codes(printer_sim, first) if q.startswith("MC:")]
    assert len(cards) == 1 and len(cards[0]) == len("MC:") + 20  # the unguessable card code, not the card number
    words = "\n".join(text_lines(decode_for(printer_sim.core.profile, first.data)))
    assert "就诊卡" in words and "下次就诊请扫此码" in words
    assert not [q for q in qr_codes(printer_sim, second) if q.startswith("MC:")]  # once, on the first slip
    assert card.id_number not in words

    click(qtbot, ticket.done_button)
    click(qtbot, wait_screen(qtbot, kiosk, "rating").skip_button)
    wait_screen(qtbot, kiosk, "home")
    assert kiosk.session.patient is None
    scanner_sim.scan(cards[0])  # the next visit: the slip's QR at the scanner, no ID card
    qtbot.waitUntil(lambda: kiosk.session.patient is not None, timeout=10000)
    assert kiosk.session.patient.name == card.name
    wait_screen(qtbot, kiosk, "day")  # today's visit, from the card alone


def test_a_returning_patients_slip_has_no_card(qtbot, kiosk, reader_sim, printer_sim, payment_sim):
    card = register_until(qtbot, kiosk, reader_sim, seed=322)
    pay_current_order(payment_sim)
    click(qtbot, wait_screen(qtbot, kiosk, "ticket").done_button)
    click(qtbot, wait_screen(qtbot, kiosk, "rating").skip_button)
    wait_screen(qtbot, kiosk, "home")
    before = len(printer_sim.core.jobs)
    departments = identify_again(qtbot, kiosk, reader_sim, card, "register", "departments")  # a record exists
    choose(qtbot, departments, 1)
    choose(qtbot, wait_screen(qtbot, kiosk, "doctors"), 0)
    click(qtbot, wait_screen(qtbot, kiosk, "confirm").confirm_button)
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "ticket")
    assert printer_sim.core.wait_for_jobs(before + 2, timeout=5)
    assert not [q for job in printer_sim.core.jobs[before:] for q in qr_codes(printer_sim, job) if q.startswith("MC:")]
