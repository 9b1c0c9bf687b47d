"""The audit trail of records actions: who (user + device) did what, with the state change, read through the LAN API."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from records_helpers import Api, first_slot, logged_in, new_patient

from records.audit import scrub
from records.ids import make_id_number

FULL_ID = re.compile(r"\d{17}[\dXx]")
FULL_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def device_id(live, role: str) -> str:
    return next(d.id for d in live.config.devices if d.role == role)


def records_trail(admin: Api) -> list[dict]:
    """Every records.* audit row, oldest first, as GET /api/v1/audit returns them to an administrator."""
    return [row for row in admin.ok("GET", "/audit", limit=5000) if row["action"].startswith("records.")]


def steps(trail: list[dict]) -> list[tuple[str, str | None, str | None]]:
    return [(r["action"], r["before"], r["after"]) for r in trail]


def pay(kiosk: Api, provider, patient_id: int, bill_id: int, amount_fen: int) -> dict:
    order = kiosk.ok("POST", "/records/payments", {"patient_id": patient_id, "bill_ids": [bill_id], "amount_fen": amount_fen})
    provider.patient_pays(order["payment"]["provider_order_id"])
    paid = kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
    assert paid["state"] == "paid"
    return paid


def test_a_kiosk_registration_and_payment_names_the_kiosk_at_every_step_in_order(live, kiosk, admin, provider, clock):
    p = new_patient(kiosk)
    slot = first_slot(kiosk, min_start="08:30")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    order = pay(kiosk, provider, p["patient_id"], reg["bill_id"], reg["fee_fen"])
    clock.advance(minutes=10)  # 08:30: check-in is open for the slot
    checked = kiosk.ok("POST", f"/records/registrations/{reg['registration_id']}/check-in")
    assert checked["checked_in_at"]

    trail = records_trail(admin)
    assert steps(trail) == [
        ("records.patient_created", None, "created"),
        ("records.slot_held", None, "held"),
        ("records.payment_created", None, "pending"),
        ("records.registration_final", "held", "final"),
        ("records.bill_paid", "unpaid", "paid"),
        ("records.payment_paid", "pending", "paid"),
        ("records.checked_in", "final", "checked_in"),
    ]
    assert {(r["user"], r["device"]) for r in trail} == {("", device_id(live, "kiosk"))}
    held, created, bill_paid, checked_in = trail[1]["detail"], trail[2]["detail"], trail[4]["detail"], trail[6]
    assert held["registration_id"] == reg["registration_id"] and held["fee_fen"] == reg["fee_fen"]
    assert created["order_id"] == order["order_id"] and created["amount_fen"] == reg["fee_fen"]
    assert bill_paid["bill_id"] == reg["bill_id"] and bill_paid["order_id"] == order["order_id"]
    assert checked_in["visit_id"] == checked["visit_id"] and checked_in["visit_id"]  # joins the queue's own trail
    number = trail[0]["detail"]["id_number_masked"]  # staff's trail: masked, and the kiosk's answer has no part of it
    assert number.count("*") == 8 and "id_number_masked" not in p


def test_two_verifications_name_the_two_different_staff_and_the_print_names_the_kiosk(live, kiosk, admin):
    p = new_patient(kiosk)
    rid = live.records.add_report(p["patient_id"], "血常规", datetime(2026, 11, 23, 7, 50), datetime(2026, 11, 23, 8, 0),
                                  [{"name": "白细胞计数", "result": "6.1", "unit": "10^9/L", "ref_low": 3.5, "ref_high": 9.5}])
    nurse, doctor = logged_in(live, "wanghs"), logged_in(live, "zhangys")
    nurse.ok("POST", f"/records/reports/{rid}/verify")
    assert nurse.post(f"/records/reports/{rid}/verify")[0] == 409  # the same person twice is refused, and not recorded
    doctor.ok("POST", f"/records/reports/{rid}/verify")
    kiosk.ok("POST", f"/records/reports/{rid}/print")
    kiosk.ok("POST", f"/records/reports/{rid}/print")

    trail = [r for r in records_trail(admin) if r["detail"].get("report_id") == rid]
    assert [(r["action"], r["user"], r["after"]) for r in trail] == [
        ("records.report_verified", "wanghs", "verified_once"),
        ("records.report_verified", "zhangys", "verified_twice"),
        ("records.report_released", "zhangys", "released"),
        ("records.report_printed", "", "1"),
        ("records.report_printed", "", "2"),
    ]
    assert trail[0]["device"] == trail[1]["device"] == device_id(live, "console")
    assert trail[2]["detail"]["verified_by"] == ["wanghs", "zhangys"]
    assert trail[4]["device"] == device_id(live, "kiosk") and trail[4]["detail"]["print_count"] == 2
    nurse.client.close()
    doctor.client.close()


def test_cancelling_a_paid_registration_records_the_cancellation_and_the_refund(live, kiosk, admin, provider):
    p = new_patient(kiosk)
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": first_slot(kiosk, min_start="10:00")["slot_id"]})
    order = pay(kiosk, provider, p["patient_id"], reg["bill_id"], reg["fee_fen"])
    cancelled = kiosk.ok("POST", f"/records/registrations/{reg['registration_id']}/cancel")
    assert cancelled["state"] == "cancelled" and cancelled["bill_state"] == "refunded"

    tail = records_trail(admin)[-3:]
    assert steps(tail) == [("records.registration_cancelled", "final", "cancelled"),
                           ("records.bill_refund_pending", "paid", "refund_pending"),
                           ("records.bill_refunded", "refund_pending", "refunded")]
    refund = tail[2]["detail"]
    assert (refund["bill_id"], refund["order_id"], refund["amount_fen"]) == (reg["bill_id"], order["order_id"], reg["fee_fen"])
    assert all(r["device"] == device_id(live, "kiosk") for r in tail)


def test_an_abandoned_payment_that_lands_late_is_recorded_as_refunded(kiosk, admin, provider):
    p = new_patient(kiosk)
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": first_slot(kiosk, min_start="09:00")["slot_id"]})
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    kiosk.ok("POST", f"/records/payments/{order['order_id']}/abandon")
    provider.patient_pays(order["payment"]["provider_order_id"])
    assert kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "refunded"

    assert steps(records_trail(admin)[-3:]) == [("records.payment_abandoned", "pending", "abandoned"),
                                                ("records.hold_released", "held", "released"),
                                                ("records.late_payment_refunded", "abandoned", "refunded")]


def test_an_expired_hold_is_recorded_as_done_by_the_system_not_by_the_kiosk_that_noticed(kiosk, admin, clock):
    p = new_patient(kiosk)
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": first_slot(kiosk, min_start="09:00")["slot_id"]})
    clock.advance(minutes=30)
    assert kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")["registration"]["state"] == "expired"

    last = records_trail(admin)[-1]
    assert (last["action"], last["before"], last["after"], last["device"]) == ("records.hold_expired", "held", "expired", "system")
    assert last["detail"]["registration_id"] == reg["registration_id"]


def test_a_refused_command_leaves_no_audit_row(kiosk, console, admin):
    p = new_patient(kiosk)
    bill = console.ok("POST", "/records/bills", {"patient_id": p["patient_id"], "kind": "exam", "title": "检验费",
                                                 "items": [{"name": "血常规", "quantity": 1, "unit": "次", "unit_fen": 2500}]})
    before = records_trail(admin)
    status, _ = kiosk.post("/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]], "amount_fen": 1})
    assert status == 422
    assert records_trail(admin) == before
    assert before[-1]["action"] == "records.bill_added" and before[-1]["detail"]["total_fen"] == 2500


def test_no_audit_row_holds_a_full_id_number_or_phone_number(live, kiosk, console, admin, provider):
    number = make_id_number("11010119850615002")
    proxy_number = make_id_number("11010119600101003")
    phone, proxy_phone = "13812345678", "13900001111"
    created = kiosk.ok("POST", "/records/patients", {"source": "typed", "id_number": number, "name": "欧阳娜娜", "phone": phone})
    pid = created["patient"]["patient_id"]
    kiosk.ok("POST", "/records/patients", {"source": "typed", "id_number": number, "name": "欧阳娜娜", "phone": phone})
    kiosk.ok("POST", "/records/patients/identify", {"id_number": number})
    console.ok("POST", f"/records/patients/{pid}/proxies", {"name": "李四", "relation": "配偶", "phone": proxy_phone, "id_number": proxy_number})
    slot = first_slot(kiosk, min_start="09:00")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": pid, "slot_id": slot["slot_id"], "proxy_id_number": proxy_number})
    pay(kiosk, provider, pid, reg["bill_id"], reg["fee_fen"])
    kiosk.ok("POST", "/records/ratings", {"stars": 5, "tags": ["态度好"], "transaction_kind": "registration",
                                          "transaction_id": phone, "comment": f"请回电 {phone}"})
    console.ok("POST", f"/records/sessions/{slot['session']['session_id']}/stop", {"notice": f"医生临时停诊，咨询电话{proxy_phone}"})

    trail = records_trail(admin)
    actions = {r["action"] for r in trail}
    assert {"records.patient_created", "records.patient_recognised", "records.proxy_added", "records.slot_held",
            "records.rating_stored", "records.clinic_stopped"} <= actions
    for row in trail:
        text = json.dumps(row, ensure_ascii=False)
        assert not FULL_ID.search(text) and not FULL_PHONE.search(text), text
        for secret in (number, proxy_number, phone, proxy_phone):
            assert secret not in text
    stopped = next(r for r in trail if r["action"] == "records.clinic_stopped")
    assert stopped["detail"]["notice"] == "医生临时停诊，咨询电话139********"
    assert reg["registration_id"] in stopped["detail"]["affected_registration_ids"]
    proxy = next(r for r in trail if r["action"] == "records.proxy_added")["detail"]
    assert proxy["proxy_id_number_masked"] == proxy_number[:6] + "********" + proxy_number[-4:]


@pytest.mark.parametrize("raw, masked", [
    ("11010119900307803X", "110101********803X"),
    ("电话13812345678，身份证110101199003078039", "电话138********，身份证110101********8039"),
    ({"ids": ["13812345678", 7], "n": 1500}, {"ids": ["138********", 7], "n": 1500}),
    ("订单 rec-20261123 金额 12345678901234", "订单 rec-20261123 金额 12345678901234"),  # not a phone: 14 digits
])
def test_scrub_masks_id_and_phone_numbers_wherever_they_sit(raw, masked):
    assert scrub(raw) == masked


def test_records_on_its_own_database_keeps_the_same_trail(tmp_path):
    """Without the caller service (demo data, an HIS import) the audit table exists and work is done by the system."""
    from records.audit import Actor, actor_scope
    from records.backend import open_records
    from records.models import PatientCreate

    records = open_records(tmp_path / "records-only.db")
    number = make_id_number("11010119900307801")
    records.create_patient(PatientCreate(source="typed", id_number=number, name="王小明", phone="13812345678"))
    with actor_scope(Actor("lisi", "desk-3")):
        records.create_patient(PatientCreate(source="typed", id_number=number, name="王小明", phone="13812345678"))
    rows = records.db.all("SELECT user, device, action, detail FROM audit ORDER BY id")
    records.db.close()
    assert [(r["user"], r["device"], r["action"]) for r in rows] == [
        ("", "system", "records.patient_created"), ("lisi", "desk-3", "records.patient_recognised")]
    assert number not in rows[0]["detail"] and number[:6] + "********" + number[-4:] in rows[0]["detail"]
