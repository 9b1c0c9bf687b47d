"""The same claims and invoices on PostgreSQL: a settlement with its 自付 and e-invoice, and a lost 2207 answer undone."""
from __future__ import annotations

import pytest

from records.testing import serve_records
from tests.insurance.test_claims_api import insured, start
from tests.insurance.test_einvoice_ehealth_api import wait_issued
from tests.pg_fixture import pg_cluster, pg_url  # noqa: F401 - fixtures


@pytest.fixture
def live(pg_url, clock, provider, medins, einvoice, ehealth, monkeypatch):  # noqa: F811 - pg_url is the fixture
    monkeypatch.setenv("HOSPITAL_MEDINS_URL", medins.url)
    monkeypatch.setenv("HOSPITAL_EINVOICE_URL", einvoice.url)
    monkeypatch.setenv("HOSPITAL_EHEALTH_URL", ehealth.url)
    with serve_records(db_path=pg_url, clock=clock, payments=provider) as service:
        yield service


def test_settlement_own_part_and_invoice_on_postgresql(kiosk, admin, live, medins, einvoice, provider, clock):
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    assert claim["state"] == "presettled" and claim["cash_fen"] == 2000
    kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [bill["bill_id"]],
                                                   "amount_fen": 2000, "insurance_claim_id": claim["claim_id"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    assert kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")["state"] == "paid"
    assert kiosk.ok("GET", f"/records/insurance/claims/{claim['claim_id']}")["state"] == "complete"
    invoice = wait_issued(kiosk, live, clock, p["patient_id"], claim_id=claim["claim_id"])
    assert invoice["pay_modes"] == {"fund": 7000, "acct": 1000, "cash": 2000} and len(einvoice.invoices) == 1


def test_lost_settlement_answer_is_undone_on_postgresql(kiosk, admin, medins):
    p, person, bill = insured(kiosk, admin, medins)
    claim = start(kiosk, p, bill, "01", person.qr)[1]
    medins.faults.add("2207", "lose_answer")
    assert kiosk.ok("POST", f"/records/insurance/claims/{claim['claim_id']}/settle")["state"] == "reversed"
    assert medins.platform.settled() == []
