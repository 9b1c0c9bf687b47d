"""Pay bills, print reports, check in, my queue, rating: each through the real screens and the live service."""
from __future__ import annotations

from datetime import timedelta

from caller.testing import DEMO_TOKENS
from client.http import CallerClient
from hardware.printer import decode_for
from hardware.printer.decode import text_lines
from tests.kiosk.kiosk_driver import (
    choose,
    click,
    orders,
    pay_current_order,
    register_until,
    visible_texts,
    wait_screen,
)


def new_patient(qtbot, kiosk, reader_sim, seed: int) -> tuple[object, str]:
    """Create the card holder's record at the kiosk; back home with the card still on the reader."""
    card = register_until(qtbot, kiosk, reader_sim, last="slots", seed=seed)
    patient_id = kiosk.session.patient.id
    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    return card, patient_id


def identify_again(qtbot, kiosk, reader_sim, card, tile: str, screen: str):
    click(qtbot, kiosk.current.tiles[tile])
    wait_screen(qtbot, kiosk, "identify")
    reader_sim.remove_card()
    qtbot.waitUntil(lambda: kiosk.devices._reader.current_card is None, timeout=5000)
    reader_sim.place_card(card)
    return wait_screen(qtbot, kiosk, screen)


def printed_text(printer_sim) -> str:
    job = printer_sim.core.jobs[-1]
    return "\n".join(text_lines(decode_for(printer_sim.core.profile, job.data)))


def test_pay_some_bills_with_receipt(qtbot, kiosk, reader_sim, printer_sim, payment_sim, service):
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=31)
    staff = CallerClient(service, DEMO_TOKENS["admin"])
    for title, item, fen in (("西药费", "阿莫西林胶囊", 2350), ("检验费", "血常规", 2000)):
        staff.request("POST", "/records/bills", json_body={"patient_id": int(patient_id), "kind": "drug", "title": title,
                                                           "items": [{"name": item, "quantity": 1, "unit_fen": fen}]})
    staff.close()
    bills = identify_again(qtbot, kiosk, reader_sim, card, "pay", "bills")
    assert sorted(b.title for b in bills.bills) == sorted(["西药费", "检验费"])
    assert any("阿莫西林胶囊" in t for t in visible_texts(bills))
    first = bills.bills[0]
    click(qtbot, bills.cards[1])  # untick the second: pay only the first one
    assert not bills.checks[1].isChecked()
    assert bills.total.text() == f"合计：{first.total_fen // 100}.{first.total_fen % 100:02d} 元"
    click(qtbot, bills.pay_button)
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    done = wait_screen(qtbot, kiosk, "paid")
    assert "缴费成功" in done.title_label.text()
    assert [o.amount_fen for o in orders(payment_sim, "paid")] == [first.total_fen]
    assert printer_sim.core.wait_for_jobs(1, timeout=5)
    receipt = printed_text(printer_sim)
    assert first.items[0].name in receipt and card.name not in receipt
    paid = orders(payment_sim, "paid")[0]
    assert paid.order_id in receipt and "扫码支付" in receipt  # the gateway's number, to trace the payment


def test_reports_print_released_and_say_when_the_others_are_ready(qtbot, kiosk, reader_sim, printer_sim, service,
                                                                 clock):
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=32)
    records = service.app.state.records
    now = clock()
    ready = records.add_report(int(patient_id), "血常规", now - timedelta(hours=3), now - timedelta(hours=1),
                               [{"name": "白细胞计数", "result": "11.2", "unit": "10^9/L", "ref_low": 3.5, "ref_high": 9.5}])
    records.verify_report(ready, "lab-li")
    records.verify_report(ready, "lab-zhou")
    records.add_report(int(patient_id), "肝功能", now - timedelta(hours=1), now + timedelta(hours=4),
                       [{"name": "谷丙转氨酶", "result": "30", "unit": "U/L", "ref_low": 7, "ref_high": 40}])
    screen = identify_again(qtbot, kiosk, reader_sim, card, "reports", "reports")
    texts = visible_texts(screen)
    assert any("肝功能" in t and "还没出来" in t for t in texts)
    assert len(screen.print_buttons) == 1
    click(qtbot, screen.print_buttons[0])
    wait_screen(qtbot, kiosk, "printed")
    assert printer_sim.core.wait_for_jobs(1, timeout=5)
    slip = printed_text(printer_sim)
    assert "白细胞计数" in slip and "11.2" in slip
    assert f"姓名：{card.name}" in slip  # the patient's own medical document: full name
    assert "岁" in slip and "报告单号：JY" in slip and "采样时间：" in slip
    assert "检验者：李建华" in slip and "审核者：周雪梅" in slip and "lab-" not in slip  # names, not login ids
    staff = CallerClient(service, DEMO_TOKENS["admin"])
    assert staff.request("GET", f"/records/reports/{ready}")["print_count"] == 1
    staff.close()


def test_check_in_too_early_says_when_to_come_back_and_later_prints_the_ticket(qtbot, kiosk, reader_sim, service,
                                                                                payment_sim, printer_sim, clock):
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=33)
    records = CallerClient(service, DEMO_TOKENS["admin"])
    dep = records.request("GET", "/records/departments")["departments"][0]["department_id"]
    sessions = records.request("GET", "/records/slots", params={"department": dep})["sessions"]
    late = next(x for s in sessions if s["session"] == "pm" for x in s["slots"] if x["remaining"] > 0)
    reg = records.request("POST", "/records/registrations", json_body={"patient_id": int(patient_id),
                                                                       "slot_id": late["slot_id"]})
    order = records.request("POST", "/records/payments", json_body={
        "patient_id": int(patient_id), "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    records.close()
    payment_sim.provider.patient_pays(order["payment"]["provider_order_id"])  # paid on the phone earlier
    confirm = CallerClient(service, DEMO_TOKENS["admin"])
    assert confirm.request("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "paid"
    confirm.close()
    screen = identify_again(qtbot, kiosk, reader_sim, card, "checkin", "appointments")
    assert len(screen.appointments) == 1
    choose(qtbot, screen, 0)
    message = wait_screen(qtbot, kiosk, "message")
    assert "还没到签到时间" in message.title_label.text()
    assert "以后" in message.text.text()

    clock.set(clock().replace(hour=int(late["start"][:2]), minute=int(late["start"][3:5])))  # the patient comes back
    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    screen = identify_again(qtbot, kiosk, reader_sim, card, "checkin", "appointments")
    choose(qtbot, screen, 0)
    ticket = wait_screen(qtbot, kiosk, "ticket")
    assert "签到成功" in ticket.title_label.text()
    assert printer_sim.core.wait_for_jobs(1, timeout=5)
    assert ticket.number.text() in printed_text(printer_sim)


def test_my_queue_shows_position_and_wait_then_rating_is_stored(qtbot, kiosk, reader_sim, payment_sim, service):
    card = register_until(qtbot, kiosk, reader_sim, seed=34)
    pay_current_order(payment_sim)
    ticket = wait_screen(qtbot, kiosk, "ticket")
    number = ticket.number.text()
    click(qtbot, ticket.done_button)
    rating = wait_screen(qtbot, kiosk, "rating")
    click(qtbot, rating.stars.stars[3])
    click(qtbot, rating.tags["速度快"])
    click(qtbot, rating.submit_button)
    wait_screen(qtbot, kiosk, "thanks")
    admin = CallerClient(service, DEMO_TOKENS["admin"])
    qtbot.waitUntil(lambda: admin.request("GET", "/records/ratings/stats")["count"] == 1, timeout=5000)
    admin.close()
    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    screen = identify_again(qtbot, kiosk, reader_sim, card, "queue", "my_queue")
    texts = visible_texts(screen)
    assert number in texts
    assert any("人" in t for t in texts) and any("分钟" in t for t in texts)


def test_a_late_check_in_says_it_is_late_and_where_the_patient_now_is(qtbot, kiosk, reader_sim, service,
                                                                      payment_sim, printer_sim, clock):
    card, patient_id = new_patient(qtbot, kiosk, reader_sim, seed=35)
    records = CallerClient(service, DEMO_TOKENS["admin"])
    dep = records.request("GET", "/records/departments")["departments"][0]["department_id"]
    sessions = records.request("GET", "/records/slots", params={"department": dep})["sessions"]
    slot = next(x for s in sessions if s["session"] == "pm" for x in s["slots"] if x["remaining"] > 0)
    reg = records.request("POST", "/records/registrations", json_body={"patient_id": int(patient_id),
                                                                       "slot_id": slot["slot_id"]})
    order = records.request("POST", "/records/payments", json_body={
        "patient_id": int(patient_id), "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    payment_sim.provider.patient_pays(order["payment"]["provider_order_id"])
    assert records.request("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "paid"
    records.close()
    end_h, end_m = int(slot["end"][:2]), int(slot["end"][3:5])
    clock.set(clock().replace(hour=end_h, minute=end_m) + timedelta(minutes=20))  # 20 minutes after the slot ended
    screen = identify_again(qtbot, kiosk, reader_sim, card, "checkin", "appointments")
    choose(qtbot, screen, 0)
    ticket = wait_screen(qtbot, kiosk, "ticket")
    assert "迟到" in ticket.title_label.text()
    words = ticket.late_note.text()
    assert "您已迟到" in words and slot["start"] in words and "迟到：排在最前" in words  # late, when, where now
    assert printer_sim.core.wait_for_jobs(1, timeout=5)
    slip = printed_text(printer_sim)
    assert "迟到：" in slip and "排在最前" in slip
