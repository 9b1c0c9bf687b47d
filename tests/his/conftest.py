"""Fixtures: the caller service with records on the HL7 v2 driver, a HIS peer (python-hl7's MLLP server) and a
movable clock."""
from __future__ import annotations

from typing import Iterator

import pytest

from common.config import DEMO_CONFIG, load_hospital
from records.his.testing import Hl7Peer, with_his
from records.testing import LiveRecords, serve_records
from tests.records_fixtures import clock, provider  # noqa: F401 - fixtures


@pytest.fixture
def his_peer() -> Iterator[Hl7Peer]:
    with Hl7Peer(charset="utf-8") as peer:
        yield peer


@pytest.fixture
def hl7_live(tmp_path, clock, provider, his_peer) -> Iterator[LiveRecords]:
    config = with_his(load_hospital(DEMO_CONFIG), "hl7v2", his_port=his_peer.port)
    with serve_records(config, db_path=tmp_path / "hospital.db", clock=clock, payments=provider) as live:
        yield live


@pytest.fixture(scope="module")
def fhir_peer():
    """Medplum's FHIR engine (tools/fhir-peer, installed by scripts/setup.sh) on a free loopback port."""
    from records.his.testing import FhirPeer

    why = FhirPeer.available()
    if why:
        pytest.skip(why)
    with FhirPeer() as peer:
        yield peer


@pytest.fixture
def fhir_live(tmp_path, clock, provider, fhir_peer) -> Iterator[LiveRecords]:
    config = with_his(load_hospital(DEMO_CONFIG), "fhir", base_url=fhir_peer.url)
    with serve_records(config, db_path=tmp_path / "hospital.db", clock=clock, payments=provider) as live:
        yield live
