"""补打: the last queue ticket, 挂号凭条 or lab report printed again from the day page, counted, audited, limited."""
from __future__ import annotations

import json

import pytest

from caller.testing import DEMO_TOKENS
from client.http import CallerClient, CallerError
from tests.kiosk.kiosk_driver import choose, click, pay_current_order, register_until, wait_screen
from tests.kiosk.test_kiosk_day import card_on_home
from tests.kiosk.test_kiosk_services import printed_text


def test_reprint_the_ticket_and_the_receipt_from_the_day_page(qtbot, kiosk, reader_sim, payment_sim, printer_sim,
                                                              service):
    card = register_until(qtbot, kiosk, reader_sim, seed=71)
    pay_current_order(payment_sim)
    number = wait_screen(qtbot, kiosk, "ticket").number.text()
    registration_id = kiosk.session.ticket.registration_id
    kiosk.go_home("done")
    card_on_home(qtbot, kiosk, reader_sim, card)
    day = wait_screen(qtbot, kiosk, "day")
    click(qtbot, day.reprint_button)
    screen = wait_screen(qtbot, kiosk, "reprint")
    assert [s.kind for s in screen.slips] == ["ticket", "receipt"] and number in screen.choices.buttons[0].text()

    jobs = len(printer_sim.core.jobs)
    choose(qtbot, screen, 0)
    done = wait_screen(qtbot, kiosk, "reprinted")
    assert printer_sim.core.wait_for_jobs(jobs + 1, timeout=5)
    slip = printed_text(printer_sim)
    assert "排队凭条（补打）" in slip and number in slip
    assert "2 次" in done.text.text()  # 3 reprints a slip: 2 left

    kiosk.back()
    choose(qtbot, wait_screen(qtbot, kiosk, "reprint"), 1)
    wait_screen(qtbot, kiosk, "reprinted")
    assert printer_sim.core.wait_for_jobs(jobs + 2, timeout=5)
    receipt = printed_text(printer_sim)
    assert "挂号凭条（补打）" in receipt and card.name not in receipt

    records = service.app.state.records
    rows = [json.loads(r["detail"]) for r in records.db.all(
        "SELECT detail FROM audit WHERE action = 'records.slip_reprinted'")]
    assert [(r["kind"], r["reprint_count"]) for r in rows] == [("ticket", 1), ("receipt", 1)]
    assert all(r["registration_id"] == int(registration_id) for r in rows)


def test_reprints_are_limited_and_only_of_live_registrations_of_the_session(service, payment_sim):
    from hardware.idcard.demo_cards import demo_card

    kiosk = CallerClient(service, DEMO_TOKENS["kiosk"])
    person = demo_card(seed=72)
    created = kiosk.request("POST", "/records/patients", json_body={
        "source": "id_card", "phone": "13812345678", "id_card": {"name": person.name, "id_number": person.id_number}})
    kiosk.headers["X-Patient-Session"] = created["session_token"]
    patient_id = created["patient"]["patient_id"]
    dep = kiosk.request("GET", "/records/departments")["departments"][0]["department_id"]
    sessions = kiosk.request("GET", "/records/slots", params={"department": dep})["sessions"]
    slot = next(x for s in sessions for x in s["slots"] if x["remaining"] > 0)
    reg = kiosk.request("POST", "/records/registrations", json_body={"patient_id": patient_id, "slot_id": slot["slot_id"]})
    rid = reg["registration_id"]
    with pytest.raises(CallerError) as unpaid:
        kiosk.request("POST", f"/records/registrations/{rid}/reprint", json_body={"kind": "receipt"})
    assert unpaid.value.code == "nothing_to_reprint" and "挂号凭条" in unpaid.value.message_zh
    order = kiosk.request("POST", "/records/payments", json_body={
        "patient_id": patient_id, "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    payment_sim.provider.patient_pays(order["payment"]["provider_order_id"])
    assert kiosk.request("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "paid"
    lefts = [kiosk.request("POST", f"/records/registrations/{rid}/reprint", json_body={"kind": "receipt"})["reprints_left"]
             for _ in range(3)]
    assert lefts == [2, 1, 0]
    with pytest.raises(CallerError) as limit:
        kiosk.request("POST", f"/records/registrations/{rid}/reprint", json_body={"kind": "receipt"})
    assert limit.value.code == "reprint_limit" and "人工窗口" in limit.value.message_zh

    other = CallerClient(service, DEMO_TOKENS["kiosk"])  # another session (or none) cannot reprint it
    with pytest.raises(CallerError) as refused:
        other.request("POST", f"/records/registrations/{rid}/reprint", json_body={"kind": "ticket"})
    assert refused.value.status == 403
    other.close()
    kiosk.close()
