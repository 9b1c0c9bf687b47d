"""The FHIR driver against a real FHIR engine (Medplum's router with its in-memory repository): a patient the HIS
knows is identified at the kiosk, books, pays, is called, and prints a report the LIS released; afterwards every
resource the engine holds is checked with fhir.resources."""
from __future__ import annotations

import httpx
from fhir.resources.R4B import get_fhir_model_class
from his_helpers import id_number, settled

from records.his.fhir.resources import check
from tests.records.records_helpers import Api, first_slot

ID_SYSTEM = "urn:oid:2.16.156.10011.1.3"


def create(peer, resource: dict) -> dict:
    answer = httpx.post(f"{peer.url}/{resource['resourceType']}", json=check(resource), timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def everything(peer, kind: str, **params) -> list[dict]:
    answer = httpx.get(f"{peer.url}/{kind}", params={"_count": "100", **params}, timeout=10)
    return [e["resource"] for e in answer.json().get("entry", [])]


def test_identify_book_pay_call_and_print_through_the_his(fhir_live, fhir_peer, provider):
    number = id_number("19651010")
    his_patient = create(fhir_peer, {"resourceType": "Patient", "identifier": [{"system": ID_SYSTEM, "value": number}],
                                     "name": [{"text": "诸葛亮"}], "gender": "male", "birthDate": "1965-10-10",
                                     "telecom": [{"system": "phone", "value": "13611112222"}]})
    ref = {"reference": f"Patient/{his_patient['id']}"}
    kiosk, admin = Api(fhir_live, "kiosk"), Api(fhir_live, "admin")

    # the card is read: the HIS knows the patient, so the kiosk does too
    found = kiosk.ok("POST", "/records/patients/identify", {"id_number": number, "card_name": "诸葛亮"})
    assert found["found"] is True and found["patient"]["name"] == "诸葛亮" and found["patient"]["source"] == "his"
    patient_id = found["patient"]["patient_id"]

    # booked and paid
    slot = first_slot(kiosk, "NK", kind="general")
    reg = kiosk.ok("POST", "/records/registrations", {"idempotency_key": "f-1", "patient_id": patient_id,
                                                      "slot_id": slot["slot_id"]})
    order = kiosk.ok("POST", "/records/payments", {"idempotency_key": "f-2", "patient_id": patient_id,
                                                   "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    assert kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "paid"
    reg = kiosk.ok("POST", f"/records/registrations/{reg['registration_id']}/check-in", {"idempotency_key": "f-3"})

    # called and seen
    visit, room = reg["visit_id"], reg["room_id"] or "NK3"
    for step, body in (("call", {"room": room, "reason": "复诊"}), ("start", {}), ("finish", {})):
        admin.ok("POST", f"/visits/{visit}/{step}", body)

    # the doctor's orders and their invoice, issued by the HIS: the kiosk takes the payment
    create(fhir_peer, {"resourceType": "ServiceRequest", "status": "active", "intent": "order", "subject": ref,
                       "code": {"text": "血常规"}})
    create(fhir_peer, {"resourceType": "MedicationRequest", "status": "active", "intent": "order", "subject": ref,
                       "medicationCodeableConcept": {"text": "阿莫西林胶囊"}})
    invoice = create(fhir_peer, {"resourceType": "Invoice", "status": "issued", "subject": ref, "lineItem": [
        {"sequence": 1, "chargeItemCodeableConcept": {"text": "阿莫西林胶囊"},
         "priceComponent": [{"type": "base", "amount": {"value": 47.0, "currency": "CNY"}, "factor": 2}]},
        {"sequence": 2, "chargeItemCodeableConcept": {"text": "血常规"},
         "priceComponent": [{"type": "base", "amount": {"value": 20.0, "currency": "CNY"}, "factor": 1}]}]})
    bills = kiosk.ok("GET", "/records/bills", patient_id=patient_id)["bills"]
    assert [(b["title"], b["total_fen"]) for b in bills] == [("阿莫西林胶囊 等2项", 6700)]
    order = kiosk.ok("POST", "/records/payments", {"idempotency_key": "f-4", "patient_id": patient_id,
                                                   "bill_ids": [bills[0]["bill_id"]], "amount_fen": 6700})
    provider.patient_pays(order["payment"]["provider_order_id"])
    assert kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "paid"

    # the LIS's report: listed at the kiosk and printed
    wbc = create(fhir_peer, {"resourceType": "Observation", "status": "final", "subject": ref,
                             "code": {"text": "白细胞计数"}, "valueQuantity": {"value": 11.2, "unit": "10^9/L"},
                             "referenceRange": [{"low": {"value": 3.5}, "high": {"value": 9.5}}],
                             "interpretation": [{"coding": [{"code": "H"}]}]})
    create(fhir_peer, {"resourceType": "DiagnosticReport", "status": "final", "subject": ref, "code": {"text": "血常规"},
                       "effectiveDateTime": "2026-11-23T07:30:00+08:00", "issued": "2026-11-23T08:10:00+08:00",
                       "performer": [{"display": "李建华"}], "resultsInterpreter": [{"display": "周雪梅"}],
                       "result": [{"reference": f"Observation/{wbc['id']}"}]})
    reports = kiosk.ok("GET", "/records/reports", patient_id=patient_id)["reports"]
    assert [(r["title"], bool(r["released_at"])) for r in reports] == [("血常规", True)]
    printed = kiosk.ok("POST", f"/records/reports/{reports[0]['report_id']}/print", {"idempotency_key": "f-5"})
    assert printed["print_count"] == 1
    assert [(i["name"], i["result"], i["flag"]) for i in printed["items"]] == [("白细胞计数", "11.2", "↑")]

    status = settled(fhir_live.app.state.his)
    assert status["up"] is True and status["backlog"]["waiting"] == 0 and status["backlog"]["refused"] == 0

    # what the engine holds afterwards: one patient (the HIS's own), the booking, the payments, the visit's steps
    held = {kind: everything(fhir_peer, kind) for kind in (
        "Patient", "Schedule", "Slot", "Appointment", "Encounter", "Task", "ChargeItem", "Invoice", "PaymentNotice",
        "DiagnosticReport", "Observation", "ServiceRequest", "MedicationRequest")}
    for kind, found in held.items():
        for resource in found:
            resource.pop("meta", None)  # the engine's own bookkeeping
            get_fhir_model_class(kind).model_validate(resource)
    assert [p["id"] for p in held["Patient"]] == [his_patient["id"]]
    (appointment,) = held["Appointment"]
    assert appointment["status"] == "booked" and appointment["participant"][0]["actor"] == ref
    assert [s["status"] for s in held["Slot"]] == ["busy"]
    (encounter,) = held["Encounter"]
    assert encounter["status"] == "finished" and encounter["subject"] == ref
    (task,) = held["Task"]
    assert task["status"] == "completed" and task["for"] == ref and task["businessStatus"]["text"] == "就诊完成"
    notices = held["PaymentNotice"]
    assert sorted(n["amount"]["value"] for n in notices) == sorted([reg["fee_fen"] / 100, 67.0])
    assert f"Invoice/{invoice['id']}" in [n["request"]["reference"] for n in notices]
    assert sorted(i["status"] for i in held["Invoice"]) == ["balanced", "issued"]  # ours (the fee), the HIS's
    kiosk.client.close()
    admin.client.close()


def test_identify_goes_on_from_the_local_records_while_the_his_is_away(tmp_path, clock, provider):
    from caller.testing import free_port
    from common.config import DEMO_CONFIG, load_hospital
    from records.his.testing import with_his
    from records.testing import serve_records

    config = with_his(load_hospital(DEMO_CONFIG), "fhir", base_url=f"http://127.0.0.1:{free_port()}",
                      timeout_seconds=1)
    with serve_records(config, db_path=tmp_path / "h.db", clock=clock, payments=provider) as live:
        kiosk = Api(live, "kiosk")
        number = id_number("19800101")
        made = kiosk.ok("POST", "/records/patients", {"source": "typed", "id_number": number, "name": "孙悟空",
                                                      "phone": "13812345678"})
        again = kiosk.ok("POST", "/records/patients/identify", {"id_number": number, "card_name": "孙悟空"})
        assert again["found"] is True and again["patient"]["patient_id"] == made["patient"]["patient_id"]
        status = live.app.state.his.status()
        assert status["away"] is True and status["backlog"]["waiting"] >= 1  # the new record waits to be sent
        kiosk.client.close()
