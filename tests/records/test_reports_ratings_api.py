"""Lab reports (双人签字, print count) and service ratings over the LAN API."""
from __future__ import annotations

from datetime import datetime

import pytest
from records_helpers import Api, logged_in, new_patient


@pytest.fixture
def nurse(live):
    api = logged_in(live, "wanghs")
    yield api
    api.client.close()


@pytest.fixture
def doctor(live):
    api = logged_in(live, "zhangys")
    yield api
    api.client.close()

ITEMS = [{"code": "WBC", "name": "白细胞计数", "result": "11.2", "unit": "10^9/L", "ref_low": 3.5, "ref_high": 9.5},
         {"code": "HGB", "name": "血红蛋白", "result": "102", "unit": "g/L", "ref_low": 115, "ref_high": 150},
         {"code": "PLT", "name": "血小板计数", "result": "210", "unit": "10^9/L", "ref_low": 125, "ref_high": 350}]


def test_report_is_released_only_after_two_different_staff_verified_it(kiosk, console, nurse, doctor, live):
    p = new_patient(kiosk)
    rid = live.records.add_report(p["patient_id"], "血常规", datetime(2026, 11, 23, 7, 50), datetime(2026, 11, 23, 10, 0), ITEMS, "NK")
    listed = kiosk.ok("GET", "/records/reports", patient_id=p["patient_id"])["reports"]
    assert listed[0]["state"] == "pending" and "11月23日 10:00" in listed[0]["message_zh"]
    status, data = kiosk.post(f"/records/reports/{rid}/print")
    assert status == 409 and data["error"]["code"] == "report_not_ready"
    assert "预计11月23日 10:00可以打印" in data["error"]["message_zh"] and data["error"]["ready_at"] == "2026-11-23T10:00:00"

    status, anonymous = Api(live, "console").post(f"/records/reports/{rid}/verify", {"staff_id": "lab01"})
    assert status == 403 and anonymous["error"]["code"] == "login_required"  # a signature needs a person
    nurse.ok("POST", f"/records/reports/{rid}/verify", {"staff_id": "someone-else"})  # the login signs, not the body
    status, same = nurse.post(f"/records/reports/{rid}/verify")
    assert status == 409 and same["error"]["code"] == "same_verifier" and "另一位工作人员" in same["error"]["message_zh"]
    assert kiosk.get(f"/records/reports/{rid}")[0] == 409  # one signature is not enough
    released = doctor.ok("POST", f"/records/reports/{rid}/verify")
    assert released["state"] == "released"
    status, _ = kiosk.post(f"/records/reports/{rid}/verify", {"staff_id": "lab03"})
    assert status == 403  # a kiosk cannot sign

    report = kiosk.ok("GET", f"/records/reports/{rid}")
    assert [(i["name"], i["flag"], i["reference"]) for i in report["items"]] == [
        ("白细胞计数", "↑", "3.5-9.5"), ("血红蛋白", "↓", "115-150"), ("血小板计数", "", "125-350")]
    assert report["verified_by"] == ["wanghs", "zhangys"]


def test_released_report_prints_any_number_of_times_with_count_and_times(kiosk, admin, live, clock):
    p = new_patient(kiosk)
    rid = live.records.add_report(p["patient_id"], "肝功能", datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 23, 8, 0), ITEMS[:1])
    admin.ok("POST", f"/records/reports/{rid}/verify", {"staff_id": "lab01"})  # the laboratory system signs by name
    admin.ok("POST", f"/records/reports/{rid}/verify", {"staff_id": "lab02"})
    first = kiosk.ok("POST", f"/records/reports/{rid}/print", {"idempotency_key": "print-0001"})
    retried = kiosk.ok("POST", f"/records/reports/{rid}/print", {"idempotency_key": "print-0001"})
    assert retried["print_count"] == 1  # a retried print is counted once
    clock.advance(minutes=3)
    second = kiosk.ok("POST", f"/records/reports/{rid}/print")
    assert (first["print_count"], second["print_count"]) == (1, 2)
    assert [x["printed_at"] for x in second["prints"]] == ["2026-11-23T08:20:00", "2026-11-23T08:23:00"]
    kiosk_id = next(d.id for d in live.config.devices if d.token == live.token("kiosk"))
    assert {x["device"] for x in second["prints"]} == {kiosk_id}
    assert kiosk.ok("GET", "/records/reports", patient_id=p["patient_id"])["reports"][0]["print_count"] == 2


def test_ratings_are_stored_for_statistics(kiosk, console):
    kiosk.ok("POST", "/records/ratings", {"stars": 5, "tags": ["态度好", "等候时间短"], "transaction_kind": "registration", "transaction_id": "1"})
    kiosk.ok("POST", "/records/ratings", {"stars": 3, "tags": ["态度好"], "transaction_kind": "payment", "idempotency_key": "rate-0001"})
    again = kiosk.ok("POST", "/records/ratings", {"stars": 3, "tags": ["态度好"], "transaction_kind": "payment", "idempotency_key": "rate-0001"})
    assert again["message_zh"].startswith("感谢您的评价")
    stats = console.ok("GET", "/records/ratings/stats")
    assert stats["count"] == 2 and stats["average"] == 4.0
    assert stats["tags"] == {"态度好": 2, "等候时间短": 1} and stats["by_star"]["5"] == 1
    status, bad = kiosk.post("/records/ratings", {"stars": 6, "tags": [], "transaction_kind": "payment"})
    assert status == 422 and bad["error"]["message_zh"].startswith("对不起")
