"""The same patient's morning on each driver of [his]: what the kiosk and the clinic see does not depend on which
one runs; with a HIS, the HIS hears of it too."""
from __future__ import annotations

import httpx
import pytest
from his_helpers import journey, settled

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
        with serve_records(with_his(config, "fhir", base_url=fhir_peer.url), db_path=tmp_path / "h.db", clock=clock,
                           payments=provider) as live:
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
