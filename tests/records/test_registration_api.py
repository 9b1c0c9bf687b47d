"""Registration and appointments over the LAN API: slots, hold -> pay -> final -> queue, check-in, cancel."""
from __future__ import annotations

from records_helpers import first_slot, new_patient


def pay(kiosk, provider, patient_id: int, bill_ids: list[int], amount: int) -> dict:
    order = kiosk.ok("POST", "/records/payments", {"patient_id": patient_id, "bill_ids": bill_ids, "amount_fen": amount})
    provider.patient_pays(order["payment"]["provider_order_id"])
    return kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")


def test_departments_doctors_and_slots_show_remaining_counts_and_fees(kiosk, live):
    deps = kiosk.ok("GET", "/records/departments")
    nk = next(d for d in deps["departments"] if d["department_id"] == "NK")
    assert nk["name"] == "内科" and nk["remaining"] > 0
    assert set(nk["fees_fen"]) == {live.config.fees.general, live.config.fees.expert}
    doctors = kiosk.ok("GET", "/records/doctors", department="NK")["doctors"]
    expert = next(d for d in doctors if d["expert"])
    assert {s["kind"] for s in expert["sessions"]} == {"expert"}
    assert all(s["fee_fen"] == live.config.fees.expert for s in expert["sessions"])
    slot = first_slot(kiosk, min_start="09:00")
    before = slot["remaining"]
    p = new_patient(kiosk)
    kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    after = first_slot(kiosk, min_start="09:00")
    assert after["slot_id"] == slot["slot_id"] and after["remaining"] == before - 1


def test_registration_for_today_is_held_paid_final_and_queued_with_a_ticket(kiosk, provider):
    p = new_patient(kiosk, "王小明")
    slot = first_slot(kiosk, min_start="09:00")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"], "idempotency_key": "hold-0001"})
    assert reg["state"] == "held" and reg["hold_expires_at"] == "2026-11-23T08:25:00" and reg["visit_id"] is None
    again = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"], "idempotency_key": "hold-0001"})
    assert again["registration_id"] == reg["registration_id"]  # a retry does not take a second seat
    order = pay(kiosk, provider, p["patient_id"], [reg["bill_id"]], reg["fee_fen"])
    assert order["state"] == "paid"
    status = kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")
    assert status["registration"]["state"] == "final"
    assert status["registration"]["ticket"].startswith("A")
    assert status["visit"]["state"] == "waiting"  # at the kiosk and inside the early check-in window (60 min)
    assert status["visit"]["position"] == 1 and status["visit"]["name"] == "王*明"


def test_slot_taken_between_choosing_and_confirming_offers_the_next_free_slots(kiosk, live):
    slot = first_slot(kiosk, min_start="09:00")
    for _ in range(slot["remaining"]):
        other = new_patient(kiosk, "李四")
        kiosk.ok("POST", "/records/registrations", {"patient_id": other["patient_id"], "slot_id": slot["slot_id"]})
    late = new_patient(kiosk, "张三")
    status, data = kiosk.post("/records/registrations", {"patient_id": late["patient_id"], "slot_id": slot["slot_id"]})
    assert status == 409
    err = data["error"]
    assert err["code"] == "slot_taken" and "请选择其他时段" in err["message_zh"]
    assert err["next_free"] and all(s["slot_id"] != slot["slot_id"] and s["remaining"] > 0 for s in err["next_free"])
    taken = live.records.db.one("SELECT taken, quota FROM rec_slots WHERE id = ?", (slot["slot_id"],))
    assert taken["taken"] == taken["quota"]
    assert live.records.db.one("SELECT COUNT(*) AS n FROM rec_registrations WHERE patient_id = ?", (late["patient_id"],))["n"] == 0


def test_paying_after_the_hold_expired_is_refused_and_the_seat_is_back(kiosk, clock, live):
    p = new_patient(kiosk)
    slot = first_slot(kiosk, min_start="09:00")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    clock.advance(minutes=6)
    status, data = kiosk.post("/records/payments", {"patient_id": p["patient_id"], "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    assert status == 409 and data["error"]["code"] == "hold_expired"
    assert "请重新挂号" in data["error"]["message_zh"]
    assert first_slot(kiosk, min_start="09:00")["remaining"] == slot["remaining"]
    assert kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["registration"]["state"] == "expired"
    assert live.records.db.one("SELECT COUNT(*) AS n FROM rec_orders")["n"] == 0


def test_cancel_after_paying_refunds_and_puts_the_slot_back(kiosk, provider):
    p = new_patient(kiosk)
    slot = first_slot(kiosk, min_start="10:00")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    order = pay(kiosk, provider, p["patient_id"], [reg["bill_id"]], reg["fee_fen"])
    cancelled = kiosk.ok("POST", f"/records/registrations/{reg['registration_id']}/cancel", {})
    assert cancelled["state"] == "cancelled" and cancelled["bill_state"] == "refunded"
    seen = provider.query(order["payment"]["provider_order_id"])
    assert seen.refunded_fen == reg["fee_fen"]
    assert first_slot(kiosk, min_start="10:00")["remaining"] == slot["remaining"]
    status = kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")
    assert status["visit"]["state"] == "cancelled"


def test_appointment_check_in_follows_the_early_check_in_rule(kiosk, provider, clock):
    p = new_patient(kiosk)
    slot = first_slot(kiosk, min_start="10:30")  # NK checks in at most 60 minutes before the slot
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    pay(kiosk, provider, p["patient_id"], [reg["bill_id"]], reg["fee_fen"])
    view = kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")
    assert view["registration"]["checked_in_at"] is None and view["visit"]["state"] == "registered"
    status, data = kiosk.post(f"/records/registrations/{reg['registration_id']}/check-in")
    assert status == 409 and data["error"]["code"] == "too_early"
    assert "请于09:30以后签到" in data["error"]["message_zh"]
    assert data["error"]["allowed_from"] == "2026-11-23T09:30:00"
    clock.set(clock().replace(hour=9, minute=31))
    done = kiosk.ok("POST", f"/records/registrations/{reg['registration_id']}/check-in")
    assert done["checked_in_at"] == "2026-11-23T09:31:00"
    assert kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["visit"]["state"] == "waiting"


def test_appointment_for_a_later_day_cannot_be_checked_in_today(kiosk, provider):
    p = new_patient(kiosk)
    slot = first_slot(kiosk, date="2026-11-25")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    assert reg["source"] == "appointment"
    pay(kiosk, provider, p["patient_id"], [reg["bill_id"]], reg["fee_fen"])
    status, data = kiosk.post(f"/records/registrations/{reg['registration_id']}/check-in")
    assert status == 409 and data["error"]["code"] == "not_today"
    assert "11月25日" in data["error"]["message_zh"]
    listed = kiosk.ok("GET", "/records/registrations", patient_id=p["patient_id"])["registrations"]
    assert [r["registration_id"] for r in listed] == [reg["registration_id"]] and listed[0]["state"] == "final"


def test_days_beyond_the_booking_window_are_not_released_yet(kiosk):
    data = kiosk.ok("GET", "/records/slots", department="NK", date="2026-12-01")  # 8 days ahead, window is 7
    assert data["released"] is False and "开放预约" in data["message_zh"]
    assert all(s["remaining"] == 0 for s in data["sessions"])
    p = new_patient(kiosk)
    status, err = kiosk.post("/records/registrations", {"patient_id": p["patient_id"], "slot_id": data["sessions"][0]["slots"][0]["slot_id"]})
    assert status == 409 and err["error"]["code"] == "not_released"
    assert err["error"]["release_at"] == "2026-11-24T08:00:00"


def test_stopped_session_sells_nothing_and_shows_a_notice(kiosk, console):
    slot = first_slot(kiosk, min_start="09:00")
    stopped = console.ok("POST", f"/records/sessions/{slot['session']['session_id']}/stop", {"notice": "王医生今日上午临时停诊"})
    assert stopped["status"] == "stopped"
    notices = kiosk.ok("GET", "/records/notices")["notices"]
    assert notices[0]["notice"] == "王医生今日上午临时停诊"
    p = new_patient(kiosk)
    status, err = kiosk.post("/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    assert status == 409 and err["error"]["code"] == "clinic_stopped" and "停诊" in err["error"]["message_zh"]
    status, err = kiosk.post(f"/records/sessions/{slot['session']['session_id']}/stop", {"notice": "x"})
    assert status == 403


def test_pay_at_visit_makes_the_registration_final_at_once(tmp_path, clock, provider):
    from records_helpers import Api

    from records.testing import serve_records

    with serve_records(db_path=tmp_path / "h2.db", clock=clock, payments=provider, pay_at_visit=True) as live:
        kiosk = Api(live)
        p = new_patient(kiosk)
        reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": first_slot(kiosk, min_start="09:00")["slot_id"]})
        assert reg["state"] == "final" and reg["hold_expires_at"] is None
        assert reg["ticket"] and reg["bill_state"] == "unpaid"
        kiosk.client.close()
