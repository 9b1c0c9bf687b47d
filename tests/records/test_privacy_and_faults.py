"""Privacy (no ID number outside the kiosk that read it) and faults that must leave the records consistent."""
from __future__ import annotations

import logging

from records_helpers import first_slot

from records.ids import make_id_number
from tests.pg_fixture import connect_db


def test_id_numbers_never_appear_in_responses_logs_or_queue_events(kiosk, provider, live, caplog):
    caplog.set_level(logging.DEBUG)
    number = make_id_number("11010119900307803")
    responses = []
    responses.append(kiosk.ok("POST", "/records/patients", {"source": "id_card", "phone": "13812345678",
                                                            "id_card": {"name": "王小明", "id_number": number}}))
    pid = responses[-1]["patient"]["patient_id"]
    responses.append(kiosk.ok("POST", "/records/patients/identify", {"id_number": number}))
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": pid, "slot_id": first_slot(kiosk, min_start="09:00")["slot_id"]})
    order = kiosk.ok("POST", "/records/payments", {"patient_id": pid, "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    responses += [reg, order, kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm"),
                  kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")]
    assert responses[-1]["visit"]["name"] == "王*明"
    assert all(number not in str(r) for r in responses)
    assert all(number[-4:] not in str(r) and "5678" not in str(r) for r in responses)  # nor the parts a mask keeps:
    assert responses[0]["patient"]["birth_date"] == "1990-03-07"                       # beside the birth date they
    assert responses[0]["patient"]["phone_masked"] == "138********"                    # would give it all away
    assert all(number not in rec.getMessage() for rec in caplog.records)
    with connect_db(live.records.db.path) as db:
        events = " ".join(row[0] for row in db.execute("SELECT data FROM events"))
        audit = " ".join(str(row) for row in db.execute("SELECT * FROM audit"))
    assert events and number not in events and number not in audit


def test_a_second_payment_for_the_same_bill_is_refunded_not_lost(kiosk, provider, live):
    from records_helpers import new_patient

    p = new_patient(kiosk)
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": first_slot(kiosk, min_start="09:00")["slot_id"]})
    body = {"patient_id": p["patient_id"], "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]}
    first, second = kiosk.ok("POST", "/records/payments", body), kiosk.ok("POST", "/records/payments", body)  # two kiosks, two codes
    provider.patient_pays(first["payment"]["provider_order_id"])
    provider.patient_pays(second["payment"]["provider_order_id"])
    assert kiosk.ok("POST", f"/records/payments/{first['order_id']}/confirm")["state"] == "paid"
    dup = kiosk.ok("POST", f"/records/payments/{second['order_id']}/confirm")
    assert dup["state"] == "refunded" and dup["refunded_fen"] == reg["fee_fen"]
    assert provider.query(second["payment"]["provider_order_id"]).net_fen == 0
    assert live.records.db.one("SELECT taken FROM rec_slots WHERE id = ?", (reg["slot_id"],))["taken"] == 1


def test_bad_input_gets_a_chinese_message_never_a_500(kiosk):
    for status, data in (kiosk.get("/records/slots", department="NK", date="2026-13-45"),
                         kiosk.get("/records/patients/999"),
                         kiosk.post("/records/registrations", {"patient_id": 1, "slot_id": 999999}),
                         kiosk.post("/records/payments", {"patient_id": 1, "bill_ids": [], "amount_fen": 0}),
                         kiosk.get("/records/reports/12345"),
                         kiosk.post("/records/patients", {"source": "typed", "id_number": "abc", "name": "张三", "phone": "1"}),
                         kiosk.get("/records/slots", department="NOPE")):
        assert 400 <= status < 500, (status, data)
        assert data["error"]["message_zh"] and data["error"]["code"]
