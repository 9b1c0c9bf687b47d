"""history_year: does a year of history slow down what a request does?

Builds, once, a database holding one year of a 10,000-visits-a-day hospital (deterministic, with bulk SQL, not the
HTTP API; cached in ~/.cache/hospital-queue/, or $HISTORY_YEAR_CACHE): 3.65 M visits over the demo hospital's
departments, 1 M patients (5 % with a family proxy), one lab report per three visits with 10 result rows each
(12 M rows) and a first print, the daily rollups, and what retention keeps live: the last 31 days of audit (9 rows
a visit) and the last 7 days of events (6 a visit). Registrations, bills and orders are not generated (their
queries are covered by the query-plan test). $HISTORY_YEAR_SCALE (default 1) shrinks the year for a quick look.

Each run first takes out what an earlier run wrote into the cached year (its day's visits, rollups, stored
answers, events and audit rows), so every run measures the same year: otherwise the registers of a second run
would be answered from the first run's stored idempotent answers and look far too fast.

Then, in one run, against that database and against an empty one (same code, in-process, no HTTP):
identify by ID number p99, lab report view p99, register p99 quiet and while 4 threads identify in a loop (as 4
kiosks reading cards), every cockpit view (day / week / month x hospital / area / department) p95, and the live
database's bytes per visit, and (`archive_bytes_per_visit`) what the monthly archive files grow by per visit:
the last day's events and audit rows moved into an archive file as retention moves them.
"""
from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

DAYS = 365
PER_DAY = 10_000
PATIENTS = 1_000_000
FIRST_DAY = date(2025, 11, 24)  # the year ends on 2026-11-23; the service runs on the 24th
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
VERSION = 1


def _cache(scale: float) -> Path:
    root = Path(os.environ.get("HISTORY_YEAR_CACHE", Path.home() / ".cache" / "hospital-queue"))
    root.mkdir(parents=True, exist_ok=True)
    return root / f"history-year-v{VERSION}-x{scale:g}.db"


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))], 2)


def _id_number_sql(n: str) -> str:
    """SQL for the valid ID number of patient n: 110101 + a birth date from 1940 on + sequence + check character."""
    first17 = (f"('110101' || replace(date('1940-01-01', '+' || ({n} / 1000) || ' days'), '-', '') "
               f"|| substr('000' || ({n} % 1000), -3))")
    total = " + ".join(f"CAST(substr(f, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(WEIGHTS))
    return f"(SELECT f || substr('10X98765432', ({total}) % 11 + 1, 1) FROM (SELECT {first17} AS f))"


def id_number(n: int) -> str:
    from records.ids import make_id_number

    birth = (date(1940, 1, 1) + timedelta(days=n // 1000)).strftime("%Y%m%d")
    return make_id_number(f"110101{birth}{n % 1000:03d}")


def build(path: Path, config, scale: float) -> None:
    """The year, written with recursive-CTE bulk inserts into the schema the service and records create."""
    from caller.service import CallerService
    from records.db import RecordsDB

    tmp = path.with_suffix(".partial")
    for old in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        old.unlink(missing_ok=True)
    service = CallerService(config, tmp)  # creates the queue tables and the rollups
    RecordsDB.on_store(service.store)  # and the records tables
    service.close()
    days, per_day, patients = DAYS, int(PER_DAY * scale), int(PATIENTS * scale)
    depts = [(d.id, d.area) for d in config.departments if d.id != "JZ"]
    rooms = {d: [r.id for a in config.areas for r in a.rooms if d in r.departments] for d, _ in depts}
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("CREATE TEMP TABLE dept (k INTEGER PRIMARY KEY, id TEXT, area TEXT, room TEXT)")
    conn.executemany("INSERT INTO dept VALUES (?, ?, ?, ?)",
                     [(k, d, a, rooms[d][0]) for k, (d, a) in enumerate(depts)])
    ndept = len(depts)
    conn.execute("BEGIN")
    conn.execute(f"""
        INSERT INTO rec_patients (id, id_number, id_kind, name, gender, source, created_at)
        WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {patients})
        SELECT x, {_id_number_sql('x')}, 'resident', '患者' || x, CASE x % 2 WHEN 0 THEN '女' ELSE '男' END,
               'typed', '2025-11-01T08:00:00' FROM n""")
    conn.execute(f"""
        INSERT INTO rec_proxies (patient_id, id_number, name, relation, phone)
        WITH RECURSIVE n(x) AS (SELECT 20 UNION ALL SELECT x + 20 FROM n WHERE x + 20 <= {patients})
        SELECT x, {_id_number_sql('(x + 7) % ' + str(patients) + ' + 1')}, '家属' || x, '子女', '13900000000' FROM n""")
    conn.execute(f"""
        INSERT INTO visits (id, date, area, state, data)
        WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x + 1 < {days * per_day}),
        v AS (SELECT x, date('{FIRST_DAY.isoformat()}', '+' || (x / {per_day}) || ' days') AS day,
                     (SELECT id FROM dept WHERE k = x % {ndept}) AS dept, (SELECT area FROM dept WHERE k = x % {ndept}) AS area,
                     (SELECT room FROM dept WHERE k = x % {ndept}) AS room,
                     (x % {per_day}) * 36 / {per_day} AS slot, x % 37 AS wait FROM n)
        SELECT 'Y' || replace(day, '-', '') || '-' || x, day, area, 'done', json_object(
            'id', 'Y' || replace(day, '-', '') || '-' || x, 'ticket', 'A' || (x % {per_day}), 'dept_id', dept,
            'area_id', area, 'day', day, 'session', 'am', 'number_kind', 'general', 'source',
            CASE x % 4 WHEN 0 THEN 'appointment' ELSE 'onsite' END, 'reg_seq', x % {per_day} + 1,
            'patient_id', CAST(x % {patients} + 1 AS TEXT), 'patient_name', '患者', 'state', 'done', 'room_id', room,
            'registered_at', datetime(day, '+7 hours', '+' || (slot * 15) || ' minutes'),
            'checkin_at', datetime(day, '+7 hours', '+' || (slot * 15 + 2) || ' minutes'),
            'called_at', datetime(day, '+7 hours', '+' || (slot * 15 + 2 + wait) || ' minutes'),
            'first_called_at', datetime(day, '+7 hours', '+' || (slot * 15 + 2 + wait) || ' minutes'),
            'started_at', datetime(day, '+7 hours', '+' || (slot * 15 + 3 + wait) || ' minutes'),
            'finished_at', datetime(day, '+7 hours', '+' || (slot * 15 + 11 + wait) || ' minutes'),
            'call_count', 1, 'channel', CASE x % 4 WHEN 0 THEN 'appointment' WHEN 1 THEN 'window' ELSE 'kiosk' END,
            'estimate', json_object('minutes', 20, 'min', 10, 'max', 30, 'old', 40))
        FROM v""")
    conn.execute(f"""
        INSERT INTO rec_reports (id, patient_id, title, department_id, specimen, sampled_at, ready_at, verified_by_1,
                                 verified_by_2, released_at, print_count)
        WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {days * per_day // 3}),
        r AS (SELECT x, datetime('{FIRST_DAY.isoformat()}', '+' || (x * 3 / {per_day}) || ' days', '+8 hours') AS t FROM n)
        SELECT x, x % {patients} + 1, '血常规', 'NK', '血液', t, datetime(t, '+2 hours'), 'lab-li', 'lab-zhou',
               datetime(t, '+2 hours'), 1 FROM r""")
    conn.execute("""
        INSERT INTO rec_report_items (report_id, seq, code, name, result, unit, ref_low, ref_high, flag)
        WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < 10)
        SELECT r.id, s.k, 'I' || s.k, '项目' || s.k, CAST(4 + (r.id + s.k) % 7 AS TEXT), 'g/L', 3.5, 9.5, ''
        FROM rec_reports r, s""")
    conn.execute("INSERT INTO rec_report_prints (report_id, printed_at, device) "
                 "SELECT id, datetime(released_at, '+30 minutes'), 'kiosk-lobby-1' FROM rec_reports")
    last_day = FIRST_DAY + timedelta(days=days - 1)
    kept_audit = (last_day - timedelta(days=30)).isoformat()
    kept_events = (last_day - timedelta(days=6)).isoformat()
    conn.execute(f"""
        INSERT INTO audit (ts, user, device, action, visit_id, before, after, detail)
        WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < 9)
        SELECT json_extract(v.data, '$.registered_at'), 'wanghs', 'console-nk',
               CASE s.k WHEN 1 THEN 'register' WHEN 2 THEN 'check_in' WHEN 3 THEN 'call' WHEN 4 THEN 'start'
                        WHEN 5 THEN 'finish' ELSE 'records.patient_recognised' END, v.id, 'waiting', 'done', '{{}}'
        FROM visits v, s WHERE v.date >= '{kept_audit}'""")
    conn.execute(f"""
        INSERT INTO events (ts, type, area, data)
        WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < 6)
        SELECT json_extract(v.data, '$.called_at'), CASE s.k WHEN 1 THEN 'call' ELSE 'queue' END, v.area,
               json_object('visit_id', v.id, 'ticket', json_extract(v.data, '$.ticket'))
        FROM visits v, s WHERE v.date >= '{kept_events}'""")
    conn.execute("COMMIT")
    _rollups(conn)
    conn.execute("VACUUM")
    conn.close()
    tmp.rename(path)


def _rollups(conn: sqlite3.Connection) -> None:
    """The rollups of the generated visits with SQL aggregates (a Python rebuild of 3.65 M rows takes long):
    the measures the generated visits have, per hospital / area / department / room."""
    minutes = "(julianday(json_extract(data, '$.{b}')) - julianday(json_extract(data, '$.{a}'))) * 1440"
    wait = minutes.format(a="checkin_at", b="first_called_at")
    service = minutes.format(a="started_at", b="finished_at")
    dims = {"hospital": "''", "area": "area", "dept": "json_extract(data, '$.dept_id')",
            "room": "json_extract(data, '$.room_id')"}
    conn.execute("BEGIN")
    for dim, key in dims.items():
        counts = [("registered", "1"), ("reg_' || json_extract(data, '$.channel') || '", "1")]
        for measure, _ in counts:
            if dim == "room":
                continue
            conn.execute(f"INSERT INTO rollup (dim, day, key, measure, n, total) SELECT '{dim}', date, {key}, "
                         f"'{measure}', COUNT(*), 0 FROM visits GROUP BY date, {key}, '{measure}'")
        for measure, expr in (("wait", wait), ("service", service)):
            conn.execute(f"INSERT INTO rollup (dim, day, key, measure, n, total) SELECT '{dim}', date, {key}, "
                         f"'{measure}', COUNT(*), SUM({expr}) FROM visits GROUP BY date, {key}")
            conn.execute(f"INSERT INTO rollup_hist (dim, day, key, measure, bucket, n) SELECT '{dim}', date, {key}, "
                         f"'{measure}', MIN(600, CAST(round({expr}, 6) AS INTEGER)) AS b, COUNT(*) FROM visits "
                         f"GROUP BY date, {key}, b")
    conn.execute("COMMIT")


def archive_bytes_per_visit(path: Path, day: date) -> int | None:
    """What the monthly archive grows by per visit: the events and audit rows of one day of the year moved into
    an archive file as retention moves them (same schema and index), its size over the day's visits."""
    from caller.store import archive_connection

    start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        visits = src.execute("SELECT COUNT(*) FROM visits WHERE date = ?", (start,)).fetchone()[0]
        if not visits:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "archive.sqlite"
            with archive_connection(target, create=True) as archive:
                archive.execute("BEGIN")
                for table in ("events", "audit"):
                    columns = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
                    rows = src.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE ts >= ? AND ts < ?",
                                       (start, end)).fetchall()
                    archive.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                        f"VALUES ({', '.join('?' * len(columns))})", rows)
                archive.execute("COMMIT")
                archive.execute("VACUUM")
            return round(target.stat().st_size / visits)
    finally:
        src.close()


def forget_earlier_runs(path: Path, day: date) -> None:
    """Take out what an earlier measurement wrote into the cached year (the day it measures on: its visits,
    tickets, rollups, answers kept for retries, events and audit rows), so every run starts from the same year
    (otherwise a retried idempotency key would answer from the stored response and the queue would grow)."""
    conn = sqlite3.connect(path, isolation_level=None)
    start = day.isoformat()
    conn.execute("BEGIN")
    conn.execute("DELETE FROM visits WHERE date >= ?", (start,))
    conn.execute("DELETE FROM counters WHERE key LIKE 'ticket:%' AND substr(key, -10) >= ?", (start,))
    conn.execute("DELETE FROM rollup WHERE day >= ?", (start,))
    conn.execute("DELETE FROM rollup_hist WHERE day >= ?", (start,))
    conn.execute("DELETE FROM idempotency")
    conn.execute("DELETE FROM events WHERE ts >= ?", (start,))
    conn.execute("DELETE FROM audit WHERE ts >= ?", (start,))
    conn.execute("COMMIT")
    conn.close()


def measure(path: Path, config, label: str, visits: int, patients: int, sample_ids: list[int]) -> dict:
    from caller.api.models import RegisterBody
    from caller.auth import Principal
    from caller.service import CallerService
    from caller.testing import ManualClock
    from cockpit import report
    from cockpit.report import Scope
    from records.backend import open_records
    from records.db import RecordsDB
    from records.models import Identify

    clock = ManualClock(datetime.combine(FIRST_DAY + timedelta(days=DAYS), datetime.min.time()).replace(hour=9))
    service = CallerService(config, path, clock=clock)
    records = open_records(RecordsDB.on_store(service.store), config, clock=clock)
    rng = random.Random(7)
    numbers = [id_number(n) for n in sample_ids]
    identify = []
    for number in numbers:
        t = time.perf_counter()
        records.identify(Identify(id_number=number))
        identify.append((time.perf_counter() - t) * 1000)
    report_ids = [r[0] for r in service.store.conn.execute("SELECT id FROM rec_reports ORDER BY id DESC LIMIT 1")]
    top = report_ids[0] if report_ids else 0
    views = []
    for _ in range(300 if top else 0):
        t = time.perf_counter()
        records.get_report(rng.randint(1, top))
        views.append((time.perf_counter() - t) * 1000)
    kiosk = Principal(role="kiosk", device="kiosk-lobby-1")
    serial = iter(range(10**6))

    def registers(n: int) -> list[float]:
        out = []
        for _ in range(n):
            body = RegisterBody(department="NK", name="王小明", idempotency_key=f"bench-{label}-{next(serial):07d}")
            t = time.perf_counter()
            service.execute("register", kiosk, idempotency_key=body.idempotency_key, body=body)
            out.append((time.perf_counter() - t) * 1000)
        return out

    quiet = registers(300)
    stop = threading.Event()

    def card_reader(k: int) -> None:
        i = k
        while not stop.is_set():
            records.identify(Identify(id_number=numbers[i % len(numbers)]))
            i += 4

    readers = [threading.Thread(target=card_reader, args=(k,)) for k in range(4)]
    for r in readers:
        r.start()
    try:
        busy = registers(300)
    finally:
        stop.set()
        for r in readers:
            r.join()
    cockpit = []
    today = clock().date() - timedelta(days=1)
    with service.store.read() as conn:
        for period in ("day", "week", "month"):
            first, last = report.period(period, today)
            for scope in (Scope("hospital"), Scope("area", "NK"), Scope("dept", "NK")):
                for _ in range(5):
                    t = time.perf_counter()
                    report.view(conn, config, scope, first, last)
                    cockpit.append((time.perf_counter() - t) * 1000)
    service.close()
    size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return {"database": label, "visits": visits, "patients": patients,
            "identify_p99_ms": _p(identify, 0.99), "report_p99_ms": _p(views, 0.99) if views else None,
            "register_p99_busy_ms": _p(busy, 0.99), "register_p99_quiet_ms": _p(quiet, 0.99),
            "cockpit_p95_ms": _p(cockpit, 0.95), "bytes_per_visit": round(size / visits) if visits else None}


def history_year() -> list[dict]:
    from common.config import DEMO_CONFIG, load_hospital

    config = load_hospital(DEMO_CONFIG)
    scale = float(os.environ.get("HISTORY_YEAR_SCALE", "1"))
    path = _cache(scale)
    started = time.monotonic()
    if not path.exists():
        build(path, config, scale)
    built_s = round(time.monotonic() - started, 1)
    patients = int(PATIENTS * scale)
    sample = random.Random(3).sample(range(1, patients + 1), 300)
    forget_earlier_runs(path, FIRST_DAY + timedelta(days=DAYS))
    year = measure(path, config, "year", DAYS * int(PER_DAY * scale), patients, sample)
    year["build_s"] = built_s
    # what retention moves out of the live database is not gone: the monthly archive keeps it
    year["archive_bytes_per_visit"] = archive_bytes_per_visit(path, FIRST_DAY + timedelta(days=DAYS - 1))
    with tempfile.TemporaryDirectory() as tmp:
        empty_path = Path(tmp) / "empty.db"
        from caller.service import CallerService
        from records.db import RecordsDB

        svc = CallerService(config, empty_path)
        RecordsDB.on_store(svc.store)
        with svc.store.transaction() as conn:  # the same 300 patients, so identify finds someone
            conn.executemany("INSERT INTO rec_patients (id, id_number, name, source, created_at) VALUES (?, ?, ?, 'typed', ?)",
                             [(n, id_number(n), f"患者{n}", "2025-11-01T08:00:00") for n in sample])
        svc.close()
        empty = measure(empty_path, config, "empty", 0, len(sample), sample)
    return [year, empty]


BENCHES = {"history_year": history_year}
