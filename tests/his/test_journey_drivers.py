"""The same patient's morning on each driver of [his]: what the kiosk and the clinic see does not depend on which
one runs; with a HIS, the HIS hears of it too."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from his_helpers import journey, msh, pid, settled

from common.config import DEMO_CONFIG, load_hospital
from records.his.testing import Hl7Peer, with_his
from records.testing import serve_records
from tests.records.records_helpers import Api


@pytest.fixture(params=["local", "hl7v2", "fhir"])
def driver_live(request, tmp_path, clock, provider):
    driver = request.param
    config = load_hospital(DEMO_CONFIG)
    if driver == "local":
        with serve_records(config, db_path=tmp_path / "h.db", clock=clock, payments=provider) as live:
            yield driver, live, None
    elif driver == "hl7v2":
        with Hl7Peer() as his, serve_records(with_his(config, "hl7v2", his_port=his.port), db_path=tmp_path / "h.db",
                                             clock=clock, payments=provider) as live:
            yield driver, live, his
    else:
        fhir_peer = request.getfixturevalue("fhir_peer")
        with serve_records(with_his(config, "fhir", base_url=fhir_peer.url, orders_poll_seconds=0.1),
                           db_path=tmp_path / "h.db", clock=clock, payments=provider) as live:
            yield driver, live, fhir_peer


def test_the_same_journey_on_every_driver(driver_live, provider):
    driver, live, peer = driver_live
    made = journey(live, provider, name="林黛玉", seed=7)
    admin = Api(live, "admin")
    visit = admin.ok("GET", f"/visits/{made['visit']}/status")
    assert visit["state"] == "done" and visit["ticket"] == made["registration"]["ticket"]
    bills = admin.ok("GET", "/records/bills", patient_id=made["patient"]["patient_id"], state="paid")["bills"]
    assert [b["kind"] for b in bills] == ["registration"]
    admin.client.close()
    status = settled(live.app.state.his)
    assert status["driver"] == driver and status["backlog"]["waiting"] == 0
    if driver == "hl7v2":
        assert [r.kind for r in peer.wait_for(6)] == ["ADT^A04", "SIU^S12", "DFT^P03", "ADT^A10", "ADT^A10", "ADT^A09"]
    elif driver == "fhir":
        number = made["patient"]["id_number"]
        found = httpx.get(f"{peer.url}/Patient", params={"identifier": f"urn:oid:2.16.156.10011.1.3|{number}"}).json()
        assert [e["resource"]["name"][0]["text"] for e in found["entry"]] == ["林黛玉"]
        tasks = httpx.get(f"{peer.url}/Task", params={"identifier": f"urn:hospital:kiosk|queue-step-{made['visit']}-NK"}).json()
        assert [e["resource"]["status"] for e in tasks["entry"]] == ["completed"]
    else:
        assert status["up"] is True and status["backlog"]["sent"] == 0  # nothing leaves the hospital


def _orders_arrive(driver: str, live, peer, made: dict, tmp_path: Path) -> str:
    """The doctor's orders after the visit (a prescription of two boxes of AMOX and a blood count), as each source
    gives them: the console's doctor view, the HIS's ORM^O01 + RDE^O11 through python-hl7's `mllp_send`, or the
    HIS's MedicationRequest + ServiceRequest on its FHIR server."""
    visit = made["visit"]
    if driver == "local":
        doctor = Api(live, "admin")
        doctor.ok("POST", f"/visits/{visit}/orders", {"idempotency_key": "doctor-orders-1", "orders": [
            {"kind": "drug", "items": [{"code": "AMOX", "quantity": 2}], "order_id": "RX-1"},
            {"kind": "lab", "items": [{"code": "CBC"}], "order_id": "LAB-1"}]})
        doctor.client.close()
        return ""
    if driver == "hl7v2":
        patient = pid("HIS-9001", "林黛玉", made["patient"]["id_number"], sex="F", birth="19700101")
        visit_no = f"PV1|1|O|NK3^^^^^^NK|||||||||||||||||{visit}^^^KIOSK^VN"
        texts = ["\r".join([msh("RDE^O11^RDE_O11", "utf-8", "HISRX1"), patient, visit_no,
                             "ORC|NW|RX-1|||||||20261123082000||||||||NK",
                             "RXE|^^^20261123|AMOX^阿莫西林胶囊^DRUG||||||||2|盒"]),
                 "\r".join([msh("ORM^O01^ORM_O01", "utf-8", "HISLAB1"), patient, visit_no,
                             "ORC|NW|LAB-1|||||||20261123082000||||||||NK",
                             "OBR|1|LAB-1||CBC^血常规^L|||20261123082000|||||||||||||||||LAB"])]
        file = tmp_path / "orders.hl7"
        file.write_bytes(("\n".join(texts) + "\n").encode("utf-8"))
        port = live.app.state.his.listener.port
        mllp_send = Path(sys.executable).with_name("mllp_send")
        sent = subprocess.run([str(mllp_send), "--port", str(port), "--loose", "--file", str(file), "127.0.0.1"],
                              capture_output=True, timeout=30)
        acks = sent.stdout.decode("utf-8")
        assert sent.returncode == 0 and acks.count("MSA|AA|") == 2, acks + sent.stderr.decode()
        return acks
    number = made["patient"]["id_number"]
    his_patient = httpx.get(f"{peer.url}/Patient", params={
        "identifier": f"urn:oid:2.16.156.10011.1.3|{number}"}).json()["entry"][0]["resource"]
    encounter = httpx.get(f"{peer.url}/Encounter", params={
        "identifier": f"urn:hospital:kiosk|visit-{visit}"}).json()["entry"][0]["resource"]
    ref = {"subject": {"reference": f"Patient/{his_patient['id']}"},
           "encounter": {"reference": f"Encounter/{encounter['id']}"}}
    for resource in (
        {"resourceType": "MedicationRequest", "status": "active", "intent": "order", **ref,
         "medicationCodeableConcept": {"coding": [{"system": "urn:hospital:drug", "code": "AMOX"}],
                                       "text": "阿莫西林胶囊"},
         "dispenseRequest": {"quantity": {"value": 2, "unit": "盒"}}},
        {"resourceType": "ServiceRequest", "status": "active", "intent": "order", **ref,
         "code": {"coding": [{"system": "urn:hospital:lab", "code": "CBC"}], "text": "血常规"}},
    ):
        assert httpx.post(f"{peer.url}/{resource['resourceType']}", json=resource).status_code == 201
    return ""


def _journey_steps(admin: Api, visit: str, count: int, timeout: float = 20.0) -> list[dict]:
    """The journey's steps once it has ``count`` of them (the FHIR driver finds new orders on its next look)."""
    deadline = time.monotonic() + timeout
    while True:
        steps = admin.ok("GET", f"/visits/{visit}/journey")["steps"]
        if len(steps) >= count or time.monotonic() > deadline:
            return steps
        time.sleep(0.05)  # polls the service's answer: the HIS's orders come on the driver's own schedule


def test_the_his_orders_open_journey_steps_on_every_driver(driver_live, provider, tmp_path):
    """ORM^O01 / RDE^O11, MedicationRequest / ServiceRequest and the console's orders alike: the steps appear in
    the journey unpaid, paying opens them (the pharmacy's 待配药, the lab's draw list), the same orders again open
    nothing new."""
    driver, live, peer = driver_live
    made = journey(live, provider, name="林黛玉", seed=11)
    settled(live.app.state.his)  # the HIS knows the patient and the visit (hl7v2, fhir)
    visit = made["visit"]
    acks = _orders_arrive(driver, live, peer, made, tmp_path)
    assert driver != "hl7v2" or acks.count(f"steps opened on visit {visit}") == 2
    admin = Api(live, "admin")
    steps = _journey_steps(admin, visit, 3)
    assert [(s["kind"], s["stage"], s["paid"]) for s in steps] == [
        ("clinic", "", True), ("pharmacy", "unpaid", False), ("lab", "unpaid", False)]
    assert steps[1]["amount"] == 2 * 1850 and steps[2]["amount"] == 2500  # the hospital file's prices
    assert "缴费" in admin.ok("GET", f"/visits/{visit}/journey")["next_text"]
    trail = admin.ok("GET", "/audit", visit=steps[1]["visit_id"])
    assert [t["action"] for t in trail] == ["open_step"] and (trail[0]["device"] == "his") == (driver != "local")

    # paid at the cashier window, as any order: the pharmacy prepares it, the lab draws it
    for step in steps[1:]:
        admin.ok("POST", f"/visits/{step['visit_id']}/pay")
    steps = admin.ok("GET", f"/visits/{visit}/journey")["steps"]
    assert [(s["kind"], s["stage"]) for s in steps[1:]] == [("pharmacy", "pending"), ("lab", "open")]
    pharmacy = admin.ok("POST", f"/visits/{steps[1]['visit_id']}/ready", {"room": "YF2"})
    assert pharmacy["visit"]["room_id"] == "YF2"
    window = next(r for r in admin.ok("GET", "/areas/YF/queue")["rooms"] if r["room_id"] == "YF2")
    assert [v["visit_id"] for v in window["queue"]] == [steps[1]["visit_id"]]
    code = admin.ok("GET", f"/visits/{visit}/status")["ticket_token"]
    lab = admin.ok("POST", "/areas/JY/check-in", {"code": code})
    assert lab["visit"]["visit_id"] == steps[2]["visit_id"]
    assert steps[2]["visit_id"] in [v["visit_id"] for v in admin.ok("GET", "/areas/JY/queue")["waiting"]]

    # the same orders again: nothing new
    if driver == "hl7v2":
        assert _orders_arrive(driver, live, peer, made, tmp_path).count("already applied; nothing changed") == 2
    elif driver == "fhir":
        live.app.state.his.driver.poll_orders()
    assert len(admin.ok("GET", f"/visits/{visit}/journey")["steps"]) == 3
    admin.client.close()
