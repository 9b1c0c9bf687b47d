"""为家人建档, 补打 and the 退号 rule on both stores (SQLite and PostgreSQL): the same answers from the same SQL."""
from __future__ import annotations

from datetime import datetime

from records_helpers import Api, first_slot

from caller.testing import ManualClock
from hardware.idcard.demo_cards import demo_card
from hardware.payment import Outcome, SimulatedProvider
from records.testing import serve_records
from tests.pg_fixture import pg_cluster, pg_url, store_url  # noqa: F401  (fixtures)


def test_a_child_registered_by_a_parent_then_a_reprint_and_a_refused_cancel(store_url):
    clock = ManualClock(datetime(2026, 11, 23, 8, 20))
    provider = SimulatedProvider(Outcome.no_answer(), clock=lambda: clock().timestamp(), expires_after_s=900)
    with serve_records(db_path=store_url, clock=clock, payments=provider, reprint_limit=1) as live:
        kiosk = Api(live, "kiosk")
        parent = demo_card(seed=201)
        guardian = kiosk.ok("POST", "/records/patients", {"source": "id_card", "phone": "13812345678",
                                                          "id_card": {"name": parent.name, "id_number": parent.id_number}})
        gid = guardian["patient"]["patient_id"]
        child = kiosk.ok("POST", f"/records/patients/{gid}/family",
                         {"name": "李小雨", "gender": "女", "birth_date": "2024-03-15"})
        cid = child["patient"]["patient_id"]
        again = kiosk.ok("POST", f"/records/patients/{gid}/family",
                         {"name": "李小雨", "gender": "女", "birth_date": "2024-03-15"})
        assert again["returning"] and again["patient"]["patient_id"] == cid
        slot = first_slot(kiosk, min_start="08:30")
        reg = kiosk.ok("POST", "/records/registrations", {"patient_id": cid, "slot_id": slot["slot_id"]})
        order = kiosk.ok("POST", "/records/payments", {"patient_id": cid, "bill_ids": [reg["bill_id"]],
                                                       "amount_fen": reg["fee_fen"]})
        provider.patient_pays(order["payment"]["provider_order_id"])
        kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
        rid = reg["registration_id"]
        assert kiosk.ok("GET", f"/records/registrations/{rid}")["registration"]["proxy_name"] == parent.name
        done = kiosk.ok("POST", f"/records/registrations/{rid}/reprint", {"kind": "receipt"})
        assert done["reprints_left"] == 0 and done["order"]["order_id"] == order["order_id"]
        status, refused = kiosk.post(f"/records/registrations/{rid}/reprint", {"kind": "receipt"})
        assert status == 409 and refused["error"]["code"] == "reprint_limit"
        clock.set(datetime(2026, 11, 24, 9, 0))  # the next day: a past visit is not cancelled by the patient
        status, late = kiosk.post(f"/records/registrations/{rid}/cancel", {})
        assert status == 409 and late["error"]["code"] == "too_late_to_cancel"
        rows = live.records.db.all("SELECT detail FROM audit WHERE action = ?", ("records.slot_held",))
        assert any(f'"proxy_patient_id":{gid}' in r["detail"] for r in rows)
        kiosk.client.close()
