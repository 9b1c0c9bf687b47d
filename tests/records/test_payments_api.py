"""Bills and payments over the LAN API: several bills at once, wrong amounts, retries, late confirmations, reconciliation."""
from __future__ import annotations

import httpx
from records_helpers import first_slot, new_patient


def exam_bill(console, patient_id: int, items=(("血常规", 1, 2500), ("肝功能", 1, 4800))) -> dict:
    return console.ok("POST", "/records/bills", {"patient_id": patient_id, "kind": "exam", "title": "检验费",
                                                 "items": [{"name": n, "quantity": q, "unit": "次", "unit_fen": f} for n, q, f in items]})


def test_patient_pays_several_itemised_bills_at_once(kiosk, console, provider):
    p = new_patient(kiosk)
    exams = exam_bill(console, p["patient_id"])
    drugs = console.ok("POST", "/records/bills", {"patient_id": p["patient_id"], "kind": "drug", "title": "药费",
                                                  "items": [{"name": "阿莫西林胶囊", "quantity": 2, "unit": "盒", "unit_fen": 1850}]})
    assert exams["total_fen"] == 7300 and drugs["items"][0]["amount_fen"] == 3700
    unpaid = kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])
    assert unpaid["total_fen"] == 11000 and len(unpaid["bills"]) == 2
    order = kiosk.ok("POST", "/records/payments", {"idempotency_key": "pay-k-0001", "patient_id": p["patient_id"],
                                                   "bill_ids": [exams["bill_id"], drugs["bill_id"]], "amount_fen": 11000})
    again = kiosk.ok("POST", "/records/payments", {"idempotency_key": "pay-k-0001", "patient_id": p["patient_id"],
                                                   "bill_ids": [exams["bill_id"], drugs["bill_id"]], "amount_fen": 11000})
    assert again["order_id"] == order["order_id"]
    status, other = kiosk.post("/records/payments", {"idempotency_key": "pay-k-0001", "patient_id": p["patient_id"],
                                                     "bill_ids": [exams["bill_id"]], "amount_fen": 7300})
    assert status == 409 and other["error"]["code"] == "idempotency_conflict"  # the key came with another request
    assert "order_id" not in other["error"]
    assert again["payment"]["provider_order_id"] == order["payment"]["provider_order_id"]
    assert kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "pending"
    provider.patient_pays(order["payment"]["provider_order_id"])
    paid = kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
    assert paid["state"] == "paid" and paid["message_zh"] == "缴费成功，谢谢。"
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])["bills"] == []
    assert {b["state"] for b in kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"], state="paid")["bills"]} == {"paid"}
    status, dup = kiosk.post("/records/payments", {"patient_id": p["patient_id"], "bill_ids": [exams["bill_id"]], "amount_fen": 7300})
    assert status == 409 and dup["error"]["code"] == "bill_paid"


def test_an_amount_that_does_not_match_the_bills_is_refused(kiosk, console, live):
    p = new_patient(kiosk)
    bill = exam_bill(console, p["patient_id"])
    status, data = kiosk.post("/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]], "amount_fen": 7000})
    assert status == 422
    assert data["error"]["code"] == "amount_mismatch" and data["error"]["expected_fen"] == 7300
    assert "应缴¥73.00" in data["error"]["message_zh"]
    assert live.records.db.one("SELECT COUNT(*) AS n FROM rec_orders")["n"] == 0
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])["bills"][0]["state"] == "unpaid"


def test_payment_after_the_kiosk_gave_up_is_refunded_by_the_provider_and_recorded(kiosk, provider):
    p = new_patient(kiosk)
    slot = first_slot(kiosk, min_start="09:00")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    gave_up = kiosk.ok("POST", f"/records/payments/{order['order_id']}/abandon")
    assert gave_up["state"] == "abandoned" and "自动补登或原路退款" in gave_up["message_zh"]
    assert first_slot(kiosk, min_start="09:00")["remaining"] == slot["remaining"]  # the held seat is free again
    provider.patient_pays(order["payment"]["provider_order_id"])  # the phone finally gets through
    seen = kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
    assert seen["state"] == "refunded" and seen["outcome"] == "refunded_by_provider" and seen["refunded_fen"] == reg["fee_fen"]
    assert kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["registration"]["state"] == "released"


def test_late_payment_is_matched_when_the_seat_is_still_free(kiosk, admin, provider, clock):
    p = new_patient(kiosk)
    slot = first_slot(kiosk, min_start="09:00")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    clock.advance(minutes=7)  # the kiosk crashed; the hold ran out
    assert kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["registration"]["state"] == "expired"
    provider.patient_pays(order["payment"]["provider_order_id"])
    report = admin.ok("POST", "/records/payments/reconcile", {"date": "2026-11-23"})
    assert report["matched_late"] == 1 and report["mismatches"] == []
    view = kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")
    assert view["registration"]["state"] == "final" and view["registration"]["bill_state"] == "paid"
    assert view["visit"]["ticket"] == view["registration"]["ticket"]
    assert admin.ok("POST", "/records/payments/reconcile", {"date": "2026-11-23"})["agreed"] == 1


def test_late_payment_is_refunded_when_the_seat_went_to_someone_else(tmp_path, clock, provider):
    from records_helpers import Api

    from records.testing import serve_records

    with serve_records(db_path=tmp_path / "h.db", clock=clock, payments=provider, quota_general=1) as live:
        kiosk, admin = Api(live), Api(live, "admin")
        first, second = new_patient(kiosk, "甲"), new_patient(kiosk, "乙")
        slot = first_slot(kiosk, min_start="09:00", kind="general")
        reg = kiosk.ok("POST", "/records/registrations", {"patient_id": first["patient_id"], "slot_id": slot["slot_id"]})
        order = kiosk.ok("POST", "/records/payments", {"patient_id": first["patient_id"], "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
        clock.advance(minutes=6)
        kiosk.ok("POST", "/records/registrations", {"patient_id": second["patient_id"], "slot_id": slot["slot_id"]})
        provider.patient_pays(order["payment"]["provider_order_id"])
        seen = admin.ok("POST", "/records/payments/notify", {"order_id": order["order_id"]})
        assert seen["state"] == "refunded" and seen["outcome"] == "refunded" and seen["refunded_fen"] == reg["fee_fen"]
        assert provider.query(order["payment"]["provider_order_id"]).net_fen == 0
        assert live.records.db.one("SELECT taken FROM rec_slots WHERE id = ?", (slot["slot_id"],))["taken"] == 1
        status, _ = kiosk.post("/records/payments/notify", {"order_id": order["order_id"]})
        assert status == 403  # only the provider side (admin token) reports payments
        kiosk.client.close(), admin.client.close()


def test_price_list_is_public(live):
    live.records.set_prices([{"code": "LAB001", "name": "血常规", "category": "exam", "unit": "次", "unit_fen": 2500}])
    r = httpx.get(live.url + "/api/v1/records/prices")
    assert r.status_code == 200 and r.json()["prices"][0]["unit_fen"] == 2500


def test_scanned_payment_code_pays_and_a_declined_payment_keeps_the_hold(kiosk, console, provider):
    from hardware.payment import Outcome

    p = new_patient(kiosk)
    bill = exam_bill(console, p["patient_id"], items=(("尿常规", 1, 1200),))
    provider.script_next(Outcome.decline("余额不足"))
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]], "amount_fen": 1200, "method": "code"})
    declined = kiosk.ok("POST", f"/records/payments/{order['order_id']}/pay-code", {"code": "134567890123456789"})
    assert declined["state"] == "declined" and "换一种支付方式" in declined["message_zh"]
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"])["bills"][0]["state"] == "unpaid"
    status, bad = kiosk.post(f"/records/payments/{order['order_id']}/pay-code", {"code": "0000000000000000"})
    assert status == 409 and bad["error"]["code"] == "payment_refused" and bad["error"]["message_zh"]
    provider.script_next(Outcome.approve(0))
    retry = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]], "amount_fen": 1200, "method": "code"})
    paid = kiosk.ok("POST", f"/records/payments/{retry['order_id']}/pay-code", {"code": "134567890123456789"})
    assert paid["state"] == "paid"
    assert kiosk.ok("GET", "/records/bills", patient_id=p["patient_id"], state="paid")["bills"][0]["order_id"] == retry["order_id"]
