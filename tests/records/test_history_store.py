"""History does not get in the way: reads answer while a command holds the lock, old events and audit rows move
to a monthly archive that the audit query still reads, retried requests are remembered only for a while, and the
family proxies of older databases move into their own table."""
from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime

from records_helpers import logged_in, new_patient

from records.backend import open_records
from records.db import RecordsDB
from records.ids import make_id_number
from records.models import Identify
from tests.pg_fixture import connect_db

ITEMS = [{"code": "WBC", "name": "白细胞计数", "result": "11.2", "unit": "10^9/L", "ref_low": 3.5, "ref_high": 9.5}]


def test_reads_answer_while_a_command_holds_the_lock(live, kiosk, admin):
    p = new_patient(kiosk, "陈静")
    rid = live.records.add_report(p["patient_id"], "血常规", datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 23, 8, 0), ITEMS)
    admin.ok("POST", f"/records/reports/{rid}/verify", {"staff_id": "lab01"})
    admin.ok("POST", f"/records/reports/{rid}/verify", {"staff_id": "lab02"})
    held, release = threading.Event(), threading.Event()

    def long_command() -> None:
        with live.app.state.service.store.lock:  # what a slow command would do to everybody sharing the lock
            held.set()
            release.wait(30)

    worker = threading.Thread(target=long_command)
    worker.start()
    try:
        assert held.wait(10)
        kiosk.client.timeout = 5  # a read stuck behind the lock would time out here
        assert kiosk.ok("GET", f"/records/reports/{rid}")["items"][0]["name"] == "白细胞计数"
        assert kiosk.ok("GET", f"/records/patients/{p['patient_id']}")["name_masked"] == "陈*"
        assert kiosk.ok("GET", "/records/reports", patient_id=p["patient_id"])["reports"][0]["state"] == "released"
    finally:
        release.set()
        worker.join()


def test_old_audit_and_events_move_to_a_monthly_archive_and_the_audit_query_still_finds_them(live, kiosk, clock):
    service = live.app.state.service
    nurse = logged_in(live, "wanghs")
    visit = kiosk.ok("POST", "/visits", {"department": "NK", "name": "王小明", "idempotency_key": "old-visit"})["visit"]
    kiosk.ok("POST", f"/visits/{visit['visit_id']}/check-in")
    assert nurse.ok("POST", "/rooms/NK3/call-next")["visit"]["visit_id"] == visit["visit_id"]
    trail = nurse.ok("GET", "/audit", visit=visit["visit_id"])
    actions = [a["action"] for a in trail]
    assert actions[0] == "register" and actions[-1] == "call"
    events_before = service.store.last_seq()

    clock.advance(days=40)  # long after: past the audit (31 days) and event (7 days) retention
    service.reload()  # the engine of a service started that day holds only today and yesterday
    for n in range(3):  # today's work, which must stay
        kiosk.ok("POST", "/visits", {"department": "NK", "name": "李四", "idempotency_key": f"today-visit-{n}"})
    moved = service.prune()
    assert moved["audit"] >= 2 and moved["idempotency"] >= 1
    path = service.store.path
    if service.store.dialect == "sqlite":  # PostgreSQL keeps archived rows in audit_archive / events_archive
        assert service.store.archive_path("2026-11").exists()
    with connect_db(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM audit WHERE visit_id = ?", (visit["visit_id"],)).fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM idempotency WHERE key = 'register:old-visit'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM audit WHERE ts >= '2027-01-01'").fetchone()[0] == 3
        # the replay window (the last 1000 events) stays live; nothing in it is archived
        assert conn.execute("SELECT MIN(seq) FROM events").fetchone()[0] <= max(1, service.store.last_seq() - 1000 + 1)
    assert service.store.last_seq() > events_before

    trail = nurse.ok("GET", "/audit", visit=visit["visit_id"])  # a visit 40 days old: its trail from the archive
    assert [a["action"] for a in trail] == actions and trail[-1]["user"] == "wanghs"
    # a retried register of 40 days ago is no longer remembered; a new key registers a new visit
    again = kiosk.ok("POST", "/visits", {"department": "NK", "name": "王小明", "idempotency_key": "old-visit"})
    assert again["visit"]["visit_id"] != visit["visit_id"] and not again.get("replayed")
    nurse.client.close()


def test_proxies_kept_in_the_patient_row_by_older_versions_move_to_their_own_table(tmp_path):
    path = tmp_path / "old.db"
    parent, child = make_id_number("11010119600101123"), make_id_number("11010120100101456")
    conn = sqlite3.connect(path)
    conn.executescript("""CREATE TABLE rec_patients (id INTEGER PRIMARY KEY, id_number TEXT UNIQUE, id_kind TEXT,
        name TEXT NOT NULL, gender TEXT, ethnicity TEXT, birth_date TEXT, address TEXT, authority TEXT, valid_from TEXT,
        valid_to TEXT, phone TEXT, photo BLOB, medical_card_no TEXT UNIQUE, source TEXT NOT NULL,
        proxies TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);""")
    conn.execute("INSERT INTO rec_patients (id, id_number, name, source, proxies, created_at) VALUES (7, ?, '李小红', 'typed', ?, '2025-01-01')",
                 (child, json.dumps([{"name": "李建国", "relation": "父亲", "phone": "13900001111", "id_number": parent}])))
    conn.commit()
    conn.close()

    records = open_records(RecordsDB(path))
    found = records.identify(Identify(id_number=parent))
    assert found["new_patient"] and [p["patient_id"] for p in found["acting_for"]] == [7]
    assert found["acting_for"][0]["proxies"] == [{"name": "李建国", "relation": "父亲", "phone_masked": "139********",
                                                  "confirmed": True}]
    records.db.close()
    records = open_records(RecordsDB(path))  # a second start migrates nothing twice
    assert len(records.identify(Identify(id_number=parent))["acting_for"]) == 1
    records.db.close()


def test_what_records_do_reaches_the_cockpit_rollups(live, kiosk, admin, provider):
    """A kiosk registration through records counts for the kiosk channel; payment, report and rating are rolled up."""
    from datetime import date

    from records_helpers import first_slot

    from cockpit.report import Scope, scope_kpis

    p = new_patient(kiosk, "孙丽")
    slot = first_slot(kiosk, min_start="09:00")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": p["patient_id"], "slot_id": slot["slot_id"]})
    order = kiosk.ok("POST", "/records/payments", {"patient_id": p["patient_id"], "bill_ids": [reg["bill_id"]],
                                                   "amount_fen": reg["fee_fen"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
    rid = live.records.add_report(p["patient_id"], "血常规", datetime(2026, 11, 23, 7, 20), datetime(2026, 11, 23, 8, 0), ITEMS, "NK")
    admin.ok("POST", f"/records/reports/{rid}/verify", {"staff_id": "lab01"})
    admin.ok("POST", f"/records/reports/{rid}/verify", {"staff_id": "lab02"})  # released at 08:20: 60 min
    kiosk.ok("POST", f"/records/reports/{rid}/print")
    kiosk.ok("POST", "/records/ratings", {"stars": 4, "tags": [], "transaction_kind": "registration"})
    service = live.app.state.service
    with service.store.read() as conn:
        k = scope_kpis(conn, service.config, Scope("hospital"), date(2026, 11, 23), date(2026, 11, 23))
    assert (k["reg_kiosk"], k["reg_window"]) == (1, 0)
    assert k["revenue"] == reg["fee_fen"] / 100 and k["satisfaction"] == 4.0
    assert (k["report_release_median"], k["report_print_median"]) == (60, 0)
