"""Nothing a request does grows with history: every statement the service runs during a working morning, on a
database already holding months of history, is answered through an index (EXPLAIN QUERY PLAN shows no full scan
of a history table). Also: proxies live in their own table, reads do not hold the command lock, retention archives
old events and audit rows and the audit query still finds them."""
from __future__ import annotations

import re
import sqlite3
import threading
from datetime import datetime, timedelta

import pytest
from records_helpers import first_slot, logged_in, new_patient

from records.ids import make_id_number

# Tables that grow with every visit, payment, report, day: a full scan of one of these is a request that slows down
# a little more every day.
HISTORY = {
    "visits", "events", "audit", "idempotency", "rec_patients", "rec_proxies", "rec_sessions", "rec_slots",
    "rec_registrations", "rec_bills", "rec_bill_items", "rec_orders", "rec_reports", "rec_report_items",
    "rec_report_prints", "rec_ratings", "rec_idempotency",
}
_ALIAS = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(?!WHERE|JOIN|ON|ORDER|GROUP|LIMIT|LEFT|INNER|USING|SET)(\w+))?",
                    re.IGNORECASE)
ITEMS = [{"code": "WBC", "name": "白细胞计数", "result": "11.2", "unit": "10^9/L", "ref_low": 3.5, "ref_high": 9.5}]


def seed_history(path: str, days: int = 60, per_day: int = 60) -> None:
    """Months of plain history written straight into the file, the way years of use would leave it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    start = datetime(2026, 11, 22, 8, 0) - timedelta(days=days)
    n = 0
    for d in range(days):
        day = start + timedelta(days=d)
        for i in range(per_day):
            n += 1
            ts = (day + timedelta(minutes=i)).isoformat()
            number = make_id_number(f"3201021960{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}")
            conn.execute("INSERT OR IGNORE INTO rec_patients (id, id_number, name, source, created_at) VALUES (?, ?, ?, 'typed', ?)",
                         (100_000 + n, number, "历史患者", ts))
            conn.execute("INSERT INTO rec_proxies (patient_id, id_number, name, relation) VALUES (?, ?, '家属', '子女')",
                         (100_000 + n, make_id_number(f"3201021980{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}")))
            conn.execute("INSERT INTO rec_bills (id, patient_id, kind, title, total_fen, state, created_at) VALUES (?, ?, 'registration', '挂号费', 1500, 'paid', ?)",
                         (100_000 + n, 100_000 + n, ts))
            conn.execute("INSERT INTO rec_orders (patient_id, bill_ids, amount_fen, method, state, created_at, provider_key, provider_order_id) "
                         "VALUES (?, '[]', 1500, 'wechat', 'paid', ?, ?, ?)", (100_000 + n, ts, f"hist-{n}", f"hist-po-{n}"))
            rid = conn.execute("INSERT INTO rec_reports (patient_id, title, sampled_at, ready_at, released_at) VALUES (?, '血常规', ?, ?, ?)",
                               (100_000 + n, ts, ts, ts)).lastrowid
            conn.executemany("INSERT INTO rec_report_items (report_id, seq, name, result) VALUES (?, ?, '项目', '1')",
                             [(rid, k) for k in range(1, 6)])
            conn.execute("INSERT INTO rec_report_prints (report_id, printed_at) VALUES (?, ?)", (rid, ts))
            conn.execute("INSERT INTO rec_ratings (stars, tags, transaction_kind, created_at) VALUES (5, '[]', 'registration', ?)", (ts,))
            conn.execute("INSERT INTO rec_idempotency (key, operation, response, created_at) VALUES (?, 'x', '{}', ?)", (f"old-{n}", ts))
            vid = f"hist-{n}"
            conn.execute("INSERT INTO visits (id, date, area, state, data) VALUES (?, ?, 'NK', 'done', '{}')", (vid, day.date().isoformat()))
            conn.executemany("INSERT INTO events (ts, type, area, data) VALUES (?, 'queue', 'NK', '{}')", [(ts,)] * 3)
            conn.executemany("INSERT INTO audit (ts, user, device, action, visit_id, detail) VALUES (?, 'wanghs', 'console-nk', 'call', ?, '{}')",
                             [(ts, vid)] * 4)
            conn.execute("INSERT INTO idempotency (key, actor, status, response, ts) VALUES (?, 'kiosk', 200, '{}', ?)", (f"register:{vid}", ts))
    conn.execute("COMMIT")
    conn.close()


def full_scans(path: str, statements: set[str]) -> list[tuple[str, str]]:
    """(statement, plan line) for every full scan of a history table among `statements`."""
    conn = sqlite3.connect(path)
    found = []
    for sql in sorted(statements):
        head = sql.lstrip().split(None, 1)[0].upper()
        if head not in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH"):
            continue
        aliases = {}
        for table, alias in _ALIAS.findall(sql):
            aliases[table] = table
            if alias:
                aliases[alias] = table
        for _id, _parent, _unused, detail in conn.execute("EXPLAIN QUERY PLAN " + sql):
            scanned = re.match(r"SCAN (\w+)", detail)
            if scanned and aliases.get(scanned.group(1), scanned.group(1)) in HISTORY:
                found.append((sql, detail))
    conn.close()
    return found


@pytest.fixture
def store_url(tmp_path) -> str:
    """SQLite only: these tests read SQLite's own query plans (PostgreSQL plans on the same indexes)."""
    return str(tmp_path / "hospital.db")


@pytest.fixture
def traced(live):
    """Every statement the service runs from now on, on its writing connection and on every reader."""
    seed_history(live.records.db.path)
    seen: set[str] = set()
    lock = threading.Lock()

    def record(sql: str) -> None:
        with lock:
            seen.add(sql)

    store = live.app.state.service.store
    store.conn.set_trace_callback(record)
    store.read.set_trace(record)
    yield seen
    store.conn.set_trace_callback(None)
    store.read.set_trace(None)


def test_a_working_morning_on_months_of_history_never_scans_a_history_table(live, kiosk, console, admin, provider, traced, clock):
    nurse = logged_in(live, "wanghs")
    # a patient with a family member who may act for them; both identify at the kiosk
    child = new_patient(kiosk, "李小红")
    parent_number = make_id_number("11010119600101123")
    nurse.ok("POST", f"/records/patients/{child['patient_id']}/proxies",
             {"name": "李建国", "relation": "父亲", "id_number": parent_number, "phone": "13900001111"})
    parent = kiosk.ok("POST", "/records/patients/identify", {"id_number": parent_number, "card_name": "李建国"})
    assert [p["patient_id"] for p in parent["acting_for"]] == [child["patient_id"]]
    kiosk.ok("POST", "/records/patients/identify", {"id_number": child["id_number"], "phone_last4": "5678"})
    kiosk.ok("GET", f"/records/patients/{child['patient_id']}")
    # register, pay, check in, see the queue
    slot = first_slot(kiosk, min_start="09:00")
    reg = kiosk.ok("POST", "/records/registrations", {"patient_id": child["patient_id"], "slot_id": slot["slot_id"],
                                                      "proxy_id_number": parent_number, "idempotency_key": "plan-hold"})
    order = kiosk.ok("POST", "/records/payments", {"patient_id": child["patient_id"], "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
    provider.patient_pays(order["payment"]["provider_order_id"])
    kiosk.ok("POST", f"/records/payments/{order['order_id']}/confirm")
    kiosk.ok("GET", f"/records/payments/{order['order_id']}")
    kiosk.post(f"/records/registrations/{reg['registration_id']}/check-in")
    kiosk.ok("GET", f"/records/registrations/{reg['registration_id']}")
    kiosk.ok("GET", "/records/registrations", patient_id=child["patient_id"], include_past=True)
    kiosk.ok("GET", "/records/bills", patient_id=child["patient_id"], state="all")
    extra = new_patient(kiosk, "赵六")
    console.post("/records/registrations", {"patient_id": extra["patient_id"], "slot_id": slot["slot_id"], "extra": True})
    # lab report: verify twice, view, print twice
    rid = live.records.add_report(child["patient_id"], "血常规", datetime(2026, 11, 23, 7, 50), datetime(2026, 11, 23, 8, 0), ITEMS, "NK")
    admin.ok("POST", f"/records/reports/{rid}/verify", {"staff_id": "lab01"})
    admin.ok("POST", f"/records/reports/{rid}/verify", {"staff_id": "lab02"})
    kiosk.ok("GET", "/records/reports", patient_id=child["patient_id"])
    kiosk.ok("GET", f"/records/reports/{rid}")
    kiosk.ok("POST", f"/records/reports/{rid}/print", {"idempotency_key": "plan-print"})
    kiosk.ok("POST", f"/records/reports/{rid}/print")
    kiosk.ok("POST", "/records/ratings", {"stars": 5, "tags": ["态度好"], "transaction_kind": "registration"})
    console.ok("GET", "/records/ratings/stats", since="2026-11-23")
    # the queue: an on-site visit, called, started, finished; audit of it
    visit = kiosk.ok("POST", "/visits", {"department": "NK", "name": "王小明", "idempotency_key": "plan-visit"})
    nurse.ok("POST", "/rooms/NK3/call-next")
    nurse.ok("GET", "/audit", visit=visit["visit"]["visit_id"])
    admin.ok("GET", "/audit", limit=50)
    # stop a clinic, the notices, the day's reconciliation
    console.ok("POST", f"/records/sessions/{slot['session']['session_id']}/stop", {"notice": "临时停诊"})
    kiosk.ok("GET", "/records/notices")
    admin.ok("POST", "/records/payments/reconcile", {"date": "2026-11-23"})
    # the live stream's replay and the retention sweep
    store = live.app.state.service.store
    store.events_since("NK", store.last_seq() - 5)
    clock.advance(minutes=1)
    live.app.state.service.prune()
    nurse.client.close()

    assert len(traced) > 40  # the morning really ran through the traced connections
    assert full_scans(live.records.db.path, traced) == []


def test_the_checker_catches_a_full_scan(live, traced):
    """The check itself: the old proxy lookup (json_each over every patient) is reported."""
    old = ("SELECT p.* FROM rec_patients p, json_each(p.proxies) j "
           "WHERE json_extract(j.value, '$.id_number') = '11010119600101123X'")
    assert full_scans(live.records.db.path, {old}) == [(old, "SCAN p")]
