"""挂号 end to end: card on the reader -> new record -> department -> doctor -> slot -> pay -> ticket printed -> queue."""
from __future__ import annotations

from caller.client import CallerClient
from caller.testing import DEMO_TOKENS
from hardware.printer import decode_for
from hardware.printer.decode import text_lines

from tests.kiosk.kiosk_driver import choose, click, place_card, wait_screen


def pay_current_order(payment_sim) -> None:
    """The patient scans the QR on screen with their phone and pays."""
    orders = [o for o in payment_sim.provider.reconciliation(__import__("datetime").date.today()) if o.state.value == "pending"]
    assert orders, "no payment order was opened"
    payment_sim.provider.patient_pays(orders[-1].order_id)


def register_until_payment(qtbot, kiosk, reader_sim, phone: str = "13812345678"):
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    card = place_card(reader_sim)
    screen = wait_screen(qtbot, kiosk, "new_patient")
    screen.keypad.type_text(phone)
    click(qtbot, screen.keypad.ok)
    deps = wait_screen(qtbot, kiosk, "departments")
    names = [d.name for d in deps.departments]
    choose(qtbot, deps, 0)
    docs = wait_screen(qtbot, kiosk, "doctors")
    choose(qtbot, docs, 0)  # 普通号
    slots = wait_screen(qtbot, kiosk, "slots")
    assert slots.slots and all(s.remaining > 0 for s in slots.slots)
    choose(qtbot, slots, 0)
    confirm = wait_screen(qtbot, kiosk, "confirm")
    click(qtbot, confirm.confirm_button)
    payment = wait_screen(qtbot, kiosk, "payment")
    return card, names, payment


def test_card_register_pay_ticket_printed_and_queued(qtbot, kiosk, reader_sim, printer_sim, payment_sim, service):
    card, _names, payment = register_until_payment(qtbot, kiosk, reader_sim)
    assert "请支付" in payment.title_label.text()
    pay_current_order(payment_sim)
    ticket_screen = wait_screen(qtbot, kiosk, "ticket")
    number = ticket_screen.number.text()
    assert number[:1].isalpha() and number[1:].isdigit()

    assert printer_sim.core.wait_for_jobs(1, timeout=5)
    printed = "\n".join(text_lines(decode_for(printer_sim.core.profile, printer_sim.core.jobs[-1].data)))
    assert number in printed
    assert card.name not in printed  # only the masked name goes on paper

    queue = CallerClient(service, DEMO_TOKENS["admin"])
    visit = queue.visit_status(kiosk.session.ticket.visit_id)
    assert visit["ticket"] == number
    queue.close()

    click(qtbot, ticket_screen.done_button)
    rating = wait_screen(qtbot, kiosk, "rating")
    click(qtbot, rating.skip_button)
    wait_screen(qtbot, kiosk, "home")
    assert kiosk.session.patient is None
