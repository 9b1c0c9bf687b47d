"""Card first: a card on the home screen shows the patient's day; one tap checks in the one appointment due."""
from __future__ import annotations

from datetime import timedelta

from caller.testing import DEMO_TOKENS
from client.http import CallerClient
from tests.kiosk.kiosk_driver import click, visible_texts, wait_screen
from tests.kiosk.test_kiosk_services import new_patient, printed_text


def card_on_home(qtbot, kiosk, reader_sim, card):
    """The patient walks up to the idle kiosk and puts their card down: no tile pressed first."""
    wait_screen(qtbot, kiosk, "home")
    reader_sim.remove_card()
    qtbot.waitUntil(lambda: kiosk.devices._reader.current_card is None, timeout=5000)
    reader_sim.place_card(card)


def book_afternoon(service, payment_sim, patient_id: str) -> dict:
    """An appointment for this afternoon, paid on the phone the day before."""
    client = CallerClient(service, DEMO_TOKENS["admin"])  # booked the day before, at the desk
    dep = client.request("GET", "/records/departments")["departments"][0]["department_id"]
    sessions = client.request("GET", "/records/slots", params={"department": dep})["sessions"]
    slot = next(x for s in sessions if s["session"] == "pm" for x in s["slots"] if x["remaining"] > 0)
    reg = client.request("POST", "/records/registrations", json_body={"patient_id": int(patient_id),
                                                                      "slot_id": slot["slot_id"]})
    order = client.request("POST", "/records/payments", json_body={
        "patient_id": int(patient_id), "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    payment_sim.provider.patient_pays(order["payment"]["provider_order_id"])
    assert client.request("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "paid"
    client.close()
    return slot


def test_card_on_home_shows_the_day_and_one_tap_checks_in(qtbot, kiosk, reader_sim, service, payment_sim,
                                                          printer_sim, clock):
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=41)
    slot = book_afternoon(service, payment_sim, patient_id)
    staff = CallerClient(service, DEMO_TOKENS["admin"])
    staff.request("POST", "/records/bills", json_body={"patient_id": int(patient_id), "kind": "drug", "title": "西药费",
                                                       "items": [{"name": "阿莫西林胶囊", "quantity": 1, "unit_fen": 2350}]})
    staff.close()
    records = service.app.state.records
    now = clock()
    report = records.add_report(int(patient_id), "血常规", now - timedelta(hours=3), now - timedelta(hours=1),
                                [{"name": "白细胞计数", "result": "11.2", "unit": "10^9/L", "ref_low": 3.5, "ref_high": 9.5}])
    records.verify_report(report, "lab-1")
    records.verify_report(report, "lab-2")
    clock.set(clock().replace(hour=int(slot["start"][:2]), minute=int(slot["start"][3:5])))

    card_on_home(qtbot, kiosk, reader_sim, card)
    day = wait_screen(qtbot, kiosk, "day")
    texts = " ".join(visible_texts(day))
    assert card.name not in texts and card.name[0] in day.title_label.text()  # masked: others stand behind
    assert "23.50" in day.bills_button.text()
    assert "1 份报告已出" in day.reports_button.text()
    assert slot["start"] in day.check_in_button.text()
    assert day.check_in_button.isVisible() and kiosk.action_bar.isVisible()
    assert "departments" not in {kiosk.current.name}  # no second registration offered first

    jobs = len(printer_sim.core.jobs)
    click(qtbot, day.check_in_button)  # the only tap
    ticket = wait_screen(qtbot, kiosk, "ticket")
    assert "签到成功" in ticket.title_label.text()
    assert printer_sim.core.wait_for_jobs(jobs + 1, timeout=5)
    assert ticket.number.text() in printed_text(printer_sim)


def test_day_page_leads_to_bills_and_reports_already_identified(qtbot, kiosk, reader_sim, service, clock):
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=42)
    staff = CallerClient(service, DEMO_TOKENS["admin"])
    staff.request("POST", "/records/bills", json_body={"patient_id": int(patient_id), "kind": "exam", "title": "检验费",
                                                       "items": [{"name": "血常规", "quantity": 1, "unit_fen": 2000}]})
    staff.close()
    card_on_home(qtbot, kiosk, reader_sim, card)
    day = wait_screen(qtbot, kiosk, "day")
    assert day.check_in_button is None and day.reports_button is None
    click(qtbot, day.bills_button)
    bills = wait_screen(qtbot, kiosk, "bills")
    assert [b.title for b in bills.bills] == ["检验费"]
    kiosk.back()
    day = wait_screen(qtbot, kiosk, "day")
    click(qtbot, day.register_button)
    wait_screen(qtbot, kiosk, "departments")


def test_card_of_someone_new_on_home_creates_the_record_then_registers(qtbot, kiosk, reader_sim):
    from tests.kiosk.kiosk_driver import place_card, type_keys

    place_card(reader_sim, seed=43)
    screen = wait_screen(qtbot, kiosk, "new_patient")
    type_keys(qtbot, screen.keypad, "13812345678")
    click(qtbot, screen.keypad.ok)
    wait_screen(qtbot, kiosk, "departments")  # nothing waits for a new patient: they came to register


def test_age_on_a_report_says_years_months_or_days():
    from datetime import date

    from kiosk.backend import age_text

    today = date(2026, 11, 27)
    assert age_text("1981-04-02", today) == "45岁"
    assert age_text("2026-03-30", today) == "7个月"
    assert age_text("2026-11-15", today) == "12天"
    assert age_text("", today) == ""


def test_cancel_from_the_day_page_refunds_the_fee_and_frees_the_seat(qtbot, kiosk, reader_sim, payment_sim, service):
    from tests.kiosk.kiosk_driver import choose, orders, pay_current_order, register_until

    card = register_until(qtbot, kiosk, reader_sim, seed=44)
    pay_current_order(payment_sim)
    number = wait_screen(qtbot, kiosk, "ticket").number.text()
    registration_id = kiosk.session.ticket.registration_id
    kiosk.go_home("home")
    card_on_home(qtbot, kiosk, reader_sim, card)
    day = wait_screen(qtbot, kiosk, "day")
    assert day.queue_card is not None and day.cancel_button is not None
    click(qtbot, day.cancel_button)
    screen = wait_screen(qtbot, kiosk, "cancel")
    assert number in screen.choices.buttons[0].text()
    choose(qtbot, screen, 0)
    confirm = wait_screen(qtbot, kiosk, "cancel_confirm")
    assert "原路退回" in confirm.text.text()  # what happens to the money is said before anything is done
    click(qtbot, confirm.buttons[0])
    done = wait_screen(qtbot, kiosk, "cancelled")
    assert "原路退回" in done.text.text()
    admin = CallerClient(service, DEMO_TOKENS["admin"])
    reg = admin.request("GET", f"/records/registrations/{registration_id}")["registration"]
    admin.close()
    assert reg["state"] == "cancelled" and reg["bill_state"] in ("refund_pending", "refunded")
    qtbot.waitUntil(lambda: any(o.refunded_fen for o in orders(payment_sim)), timeout=5000)
