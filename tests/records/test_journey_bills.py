"""The doctor's orders as the patient's bills (docs/journey.md): each unpaid step of today's journey is one bill
at the kiosk, priced from the hospital's catalog; a step the patient pays at a cashier window, one the HIS ordered
(and bills itself), or one paid elsewhere, is not billed twice; paying the bill opens the step, audited as done by the kiosk."""
from __future__ import annotations

from records_helpers import paid_registration


def order(admin, visit_id: str, orders: list[dict], pay_at_window: bool = False) -> dict:
    return admin.ok("POST", f"/visits/{visit_id}/orders", {"orders": orders, "pay_at_window": pay_at_window})


def test_unpaid_steps_are_bills_once_and_go_when_paid_elsewhere(kiosk, admin, provider):
    reg = paid_registration(kiosk, provider, "00:00")
    pid, visit_id = reg["patient_id"], reg["visit_id"]
    drug = order(admin, visit_id, [{"kind": "drug", "items": [{"code": "AMOX", "quantity": 2}]}])["visit"]["visit_id"]
    order(admin, visit_id, [{"kind": "lab", "items": [{"code": "CBC"}]}], pay_at_window=True)  # paid at the window
    order(admin, visit_id, [{"kind": "imaging", "order_id": "HIS-9001", "items": [{"code": "ECG"}]}])  # the HIS bills it
    bills = kiosk.ok("GET", "/records/bills", patient_id=pid)["bills"]
    assert [(b["kind"], b["title"], b["total_fen"], b["step_id"]) for b in bills] == [
        ("drug", "取药：阿莫西林胶囊", 3700, drug)]
    assert bills[0]["items"] == [{"name": "阿莫西林胶囊", "quantity": 2, "unit": "盒", "unit_fen": 1850, "amount_fen": 3700}]
    assert kiosk.ok("GET", "/records/bills", patient_id=pid)["bills"] == bills  # asked again: the same bill

    admin.ok("POST", f"/visits/{drug}/pay", {})  # paid at a window meanwhile
    assert kiosk.ok("GET", "/records/bills", patient_id=pid)["bills"] == []
    every = kiosk.ok("GET", "/records/bills", patient_id=pid, state="all")["bills"]
    assert [b["state"] for b in every if b["step_id"] == drug] == ["cancelled"]


def test_paying_a_step_bill_opens_the_step_as_the_kiosk(kiosk, admin, provider):
    reg = paid_registration(kiosk, provider, "00:00")
    pid, visit_id = reg["patient_id"], reg["visit_id"]
    lab = order(admin, visit_id, [{"kind": "lab", "items": [{"code": "CBC"}, {"code": "GLU"}]}])["visit"]["visit_id"]
    bill = kiosk.ok("GET", "/records/bills", patient_id=pid)["bills"][0]
    placed = kiosk.ok("POST", "/records/payments", {"patient_id": pid, "bill_ids": [bill["bill_id"]],
                                                    "amount_fen": bill["total_fen"]})
    provider.patient_pays(placed["payment"]["provider_order_id"])
    assert kiosk.ok("POST", f"/records/payments/{placed['order_id']}/confirm")["state"] == "paid"
    step = next(s for s in admin.ok("GET", f"/visits/{lab}/journey")["steps"] if s["visit_id"] == lab)
    assert step["paid"] and step["state"] == "registered"  # open: the patient checks in at the lab
    paid = [r for r in admin.ok("GET", "/audit", visit=lab) if r["action"] == "pay"]
    kiosk_device = next(d.id for d in kiosk.live.config.devices if d.role == "kiosk")
    assert [r["device"] for r in paid] == [kiosk_device]
