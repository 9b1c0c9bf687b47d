"""电子票据 after every payment (through the outbox, retried while the platform fails) and 电子健康卡 identification,
through the running service against the simulated platforms."""
from __future__ import annotations

import time

from tests.insurance.test_claims_api import exam_bill, insured, start
from tests.records.records_helpers import Api, new_patient


def wait_issued(kiosk, live, clock, patient_id: int, **which) -> dict:
    """Let the outbox's sender work (moving the service's clock past its backoff) until the invoice is issued."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = kiosk.ok("GET", "/records/einvoices", patient_id=patient_id, **which)["invoices"]
        if found and found[0]["state"] == "issued":
            return found[0]
        clock.advance(seconds=30)
        live.app.state.insurance.outbox.wake()
        time.sleep(0.2)
    raise AssertionError(f"no invoice issued: {found}")


def test_a_payment_gets_an_invoice_even_when_the_platform_fails_first(kiosk, admin, live, einvoice, provider, clock):
    p = new_patient(kiosk, name="钱多多")
    bill = exam_bill(admin, p["patient_id"])
    einvoice.faults.add("issue", "down", times=2)
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                   "amount_fen": 10000})
    provider.patient_pays(order["payment"]["provider_order_id"])
    kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
    invoice = wait_issued(kiosk, live, clock, p["patient_id"], order_id=order["order_id"])
    assert einvoice.faults.used == [("issue", "down"), ("issue", "down")]
    issued = einvoice.invoices[f"ORD{order['order_id']:010d}"]
    assert (invoice["batch_code"], invoice["bill_no"], invoice["check_code"]) == \
        (issued["billBatchCode"], issued["billNo"], issued["random"])
    assert invoice["qr"] == issued["billQRCode"] and issued["payer"] == "钱多多" and issued["totalAmt"] == "100.00"
    assert len(einvoice.invoices) == 1  # retried, never issued twice
    printed = kiosk.ok("POST", f"/records/einvoices/{invoice['invoice_id']}/print", {"idempotency_key": "p1"})
    kiosk.ok("POST", f"/records/einvoices/{invoice['invoice_id']}/print", {"idempotency_key": "p1"})
    again = kiosk.ok("POST", f"/records/einvoices/{invoice['invoice_id']}/print", {"idempotency_key": "p2"})
    assert (printed["print_count"], again["print_count"]) == (1, 2)
    actions = [r["action"] for r in live.records.db.all("SELECT action FROM audit WHERE action LIKE 'records.einvoice%'")]
    assert actions == ["records.einvoice_requested", "records.einvoice_issued", "records.einvoice_printed",
                       "records.einvoice_printed"]


def test_an_insurance_payment_gets_one_invoice_with_its_split(kiosk, admin, live, medins, einvoice, provider, clock):
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                   "amount_fen": 2000, "insurance_claim_id": claim["claim_id"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
    invoice = wait_issued(kiosk, live, clock, p["patient_id"], claim_id=claim["claim_id"])
    assert invoice["pay_modes"] == {"fund": 7000, "acct": 1000, "cash": 2000} and invoice["order_id"] == order["order_id"]
    assert len(einvoice.invoices) == 1
    issued = einvoice.invoices[f"CLM{claim['claim_id']:010d}"]
    assert issued["totalAmt"] == "100.00"
    assert {m["payChannel"]: m["payAmt"] for m in issued["payMode"]} == \
        {"医保统筹支付": "70.00", "医保个人账户支付": "10.00", "个人自付": "20.00"}


def test_an_invoice_not_issued_yet_is_not_printed(kiosk, admin, live, einvoice, provider):
    p = new_patient(kiosk, name="孙悟")
    bill = exam_bill(admin, p["patient_id"])
    einvoice.faults.add("issue", "error", times=50)
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                   "amount_fen": 10000})
    provider.patient_pays(order["payment"]["provider_order_id"])
    kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
    invoice = kiosk.ok("GET", "/records/einvoices", patient_id=p["patient_id"])["invoices"][0]
    assert invoice["state"] == "requested" and "补打" in invoice["message_zh"]
    s, data = kiosk.post(f"/records/einvoices/{invoice['invoice_id']}/print")
    assert s == 409 and data["error"]["code"] == "einvoice_not_ready" and "请稍候" in data["error"]["message_zh"]


def test_e_health_card_identifies_like_a_card_read(kiosk, live, ehealth):
    p = new_patient(kiosk, name="周杰")
    kiosk.client.headers.pop("X-Patient-Session", None)
    _card, qr = ehealth.add_card("周杰", p["id_number"])
    other = Api(live, "kiosk")
    found = other.ok("POST", "/records/ehealth/identify", {"qr": qr})
    assert found["found"] and found["patient"]["patient_id"] == p["patient_id"] and found["session_token"]
    assert p["id_number"] not in str(found)  # masked only
    assert other.ok("GET", f"/records/patients/{p['patient_id']}")["name"] == "周杰"  # the session is open
    assert ehealth.verified[-1][1] == next(d.id for d in live.config.devices if d.role == "kiosk")
    other.client.close()


def test_e_health_card_refusals_say_what_to_do(kiosk, live, ehealth):
    p = new_patient(kiosk, name="吴用")
    card, _qr = ehealth.add_card("吴用", p["id_number"])
    stale = ehealth.qr_of(card, at=time.time() - 3600)
    fresh = Api(live, "kiosk")
    s, data = fresh.post("/records/ehealth/identify", {"qr": stale})
    assert s == 422 and "已过期" in data["error"]["message_zh"] and "刷新" in data["error"]["message_zh"]
    s, data = fresh.post("/records/ehealth/identify", {"qr": "EHC:" + "0" * 64 + ":1"})
    assert s == 422 and data["error"]["code"] == "ehealth_card_refused"
    ehealth.faults.add("verify", "down")
    s, data = fresh.post("/records/ehealth/identify", {"qr": ehealth.qr_of(card)})
    assert s == 503 and "身份证" in data["error"]["message_zh"]
    assert "X-Patient-Session" not in fresh.client.headers  # no session was opened by any of them
    fresh.client.close()


def test_insurance_qr_identifies_like_a_card_read(kiosk, live, medins):
    p = new_patient(kiosk, name="郑和")
    person = medins.platform.add_person("郑和", p["id_number"])
    fresh = Api(live, "kiosk")
    found = fresh.ok("POST", "/records/insurance/identify", {"qr": person.qr})
    assert found["found"] and found["patient"]["patient_id"] == p["patient_id"] and found["session_token"]
    s, data = fresh.post("/records/insurance/identify", {"qr": "YBEC:" + "f" * 32})
    assert s == 422 and "刷新" in data["error"]["message_zh"]
    fresh.client.close()
