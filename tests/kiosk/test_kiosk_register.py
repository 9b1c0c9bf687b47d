"""挂号 end to end: card on the reader -> new record -> department -> doctor -> slot -> pay -> ticket printed -> queue."""
from __future__ import annotations

import httpx
import pytest

from caller.testing import DEMO_TOKENS
from client.http import CallerClient
from hardware.printer import decode_for
from hardware.printer.decode import QRCode, text_lines
from tests.kiosk.kiosk_driver import click, orders, pay_current_order, register_until, type_keys, wait_screen


def test_card_register_pay_ticket_printed_and_queued(qtbot, kiosk, reader_sim, printer_sim, payment_sim, service):
    card = register_until(qtbot, kiosk, reader_sim)
    assert "请支付" in kiosk.current.title_label.text()
    pay_current_order(payment_sim)
    ticket_screen = wait_screen(qtbot, kiosk, "ticket")
    number = ticket_screen.number.text()
    assert number[:1].isalpha() and number[1:].isdigit()

    assert printer_sim.core.wait_for_jobs(2, timeout=5)  # the queue ticket, then the 挂号凭条
    ticket_job, receipt_job = printer_sim.core.jobs[-2:]
    printed = "\n".join(text_lines(decode_for(printer_sim.core.profile, ticket_job.data)))
    assert number in printed
    assert card.name not in printed  # only the masked name goes on paper
    slot = kiosk.session.slot
    assert f"就诊时段：{kiosk.session.ticket.date} {slot.start}-{slot.end}" in printed and "号别：普通号" in printed
    receipt = "\n".join(text_lines(decode_for(printer_sim.core.profile, receipt_job.data)))
    paid = orders(payment_sim, "paid")[0]
    for fact in ("挂号凭条", "科室：", "号别：", f"就诊时段：{slot.start}", "扫码支付", paid.order_id, kiosk.settings.device_id):
        assert fact in receipt, fact
    assert card.name not in receipt and "姓名：" + card.name[0] in receipt  # masked
    qr = [e for e in decode_for(printer_sim.core.profile, ticket_job.data) if isinstance(e, QRCode)]
    url = qr[0].payload.decode("ascii") if qr else ""
    assert url == f"{service}/t/{kiosk.session.ticket.ticket_token}" and kiosk.session.ticket.visit_id not in url
    page = httpx.get(url, timeout=5)  # what the patient's phone opens from the QR code
    assert page.status_code == 200 and number in page.text and card.name not in page.text

    queue = CallerClient(service, DEMO_TOKENS["admin"])
    visit = queue.visit_status(kiosk.session.ticket.visit_id)
    assert visit["ticket"] == number
    queue.close()

    click(qtbot, ticket_screen.done_button)
    rating = wait_screen(qtbot, kiosk, "rating")
    click(qtbot, rating.skip_button)
    wait_screen(qtbot, kiosk, "home")
    assert kiosk.session.patient is None


def test_payment_code_scanned_at_the_kiosk_pays_once(qtbot, kiosk, reader_sim, printer_sim, payment_sim,
                                                     scanner_sim):
    from hardware.payment import Outcome

    register_until(qtbot, kiosk, reader_sim, seed=11)
    payment_sim.provider.script(Outcome.approve(0.0))
    scanner_sim.scan("134567890123456789")  # the patient holds the payment code on their phone to the scanner
    ticket = wait_screen(qtbot, kiosk, "ticket")
    assert printer_sim.core.wait_for_jobs(1, timeout=5)
    paid = orders(payment_sim, "paid")
    assert [o.method for o in paid] == ["code"]
    qtbot.waitUntil(lambda: not orders(payment_sim, "pending"), timeout=5000)  # the QR order was closed, unpaid
    assert ticket.number.text() == kiosk.session.ticket.ticket


@pytest.mark.parametrize("card_no", ["88001234", "MC26000032"])
def test_medical_card_qr_identifies_a_returning_patient(qtbot, kiosk, scanner_sim, service, card_no):
    from datetime import date

    from hardware.idcard import make_id_number

    records = CallerClient(service, DEMO_TOKENS["admin"])
    created = records.request("POST", "/records/patients", json_body={
        "source": "typed", "id_number": make_id_number("110101", date(1950, 5, 6), 123), "name": "周桂兰",
        "phone": "13700000000", "medical_card_no": card_no})
    records.close()
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    scanner_sim.scan(card_no)  # the printed number (or an old card's QR): the phone digits as well
    factor = wait_screen(qtbot, kiosk, "second_factor")
    assert kiosk.session.patient is None
    type_keys(qtbot, factor.keypad, "0000")
    click(qtbot, factor.keypad.ok)
    wait_screen(qtbot, kiosk, "departments")
    assert kiosk.session.patient.name == "周桂兰"
    kiosk.go_home("home")
    click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    scanner_sim.scan(created["patient"]["card_qr"])  # the card code on a card printed now: proof by itself
    wait_screen(qtbot, kiosk, "departments")
    assert kiosk.session.patient.name == "周桂兰"
