"""Fixtures: the caller service with records, connected over HTTP to the simulated 医保, e-health card and e-invoice
platforms and to the payment gateway simulator; a kiosk's and staff's view of the API."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from platforms.ehealth.simulator import EHealthSimulator
from platforms.einvoice.simulator import EInvoiceSimulator
from platforms.medins.simulator import MedInsSimulator
from records.testing import LiveRecords, serve_records
from tests.records.records_helpers import Api
from tests.records_fixtures import clock, provider  # noqa: F401 - fixtures


@pytest.fixture
def medins() -> Iterator[MedInsSimulator]:
    with MedInsSimulator() as sim:
        yield sim


@pytest.fixture
def einvoice() -> Iterator[EInvoiceSimulator]:
    with EInvoiceSimulator() as sim:
        yield sim


@pytest.fixture
def ehealth() -> Iterator[EHealthSimulator]:
    with EHealthSimulator() as sim:
        yield sim


@pytest.fixture
def live(tmp_path, clock, provider, medins, einvoice, ehealth, monkeypatch) -> Iterator[LiveRecords]:
    monkeypatch.setenv("HOSPITAL_MEDINS_URL", medins.url)
    monkeypatch.setenv("HOSPITAL_EINVOICE_URL", einvoice.url)
    monkeypatch.setenv("HOSPITAL_EHEALTH_URL", ehealth.url)
    with serve_records(db_path=tmp_path / "hospital.db", clock=clock, payments=provider) as service:
        yield service


@pytest.fixture
def kiosk(live) -> Iterator[Api]:
    api = Api(live, "kiosk")
    yield api
    api.client.close()


@pytest.fixture
def admin(live) -> Iterator[Api]:
    api = Api(live, "admin")
    yield api
    api.client.close()
