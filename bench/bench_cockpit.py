"""Cockpit benchmarks.

wait_estimate: synthetic mornings of the demo hospital (internal medicine, 4 rooms; arrivals 07:40-11:00, log-normal
consultations around 8 minutes, 3 % no-shows; seeds 1-4 with 40, 50, 60 and 70 patients) replayed through the
real engine. At each check-in the old estimate (ahead x median service minutes) and the new one (ahead / rooms
that may serve it, with a 20th-80th percentile range) are taken; at the first call the actual wait is known.
Figures: mean absolute error of both (minutes) and how often the actual wait fell inside the new range.

cockpit_browsing: the service as its own process on a day of 15,000 visits (stored as the service stores them,
with their rollups) and 650 patients waiting in NK. A nurse calls 200 patients (NK3 and NK4 in turn, 20 a second)
three times: with nobody else on the service (`call_next_p99_quiet_ms`), while a manager browses the cockpit
without pause (day / week / month x hospital / area / department views: `call_next_p99_browsing_ms`,
`cockpit_view_p95_ms`) and while a console reloads today's statistics (/stats/summary) without pause
(`call_next_p99_stats_ms`, `stats_summary_p50_ms`). Round trips over HTTP on loopback.
"""
from __future__ import annotations

from datetime import date


def wait_estimate() -> dict:
    from caller.simulate import replay, synthetic_day
    from common.config import DEMO_CONFIG, load_hospital

    config = load_hospital(DEMO_CONFIG)
    rows = []
    for seed, visits in ((1, 40), (2, 50), (3, 60), (4, 70)):
        day = date(2026, 11, 23)
        out = replay(config, day, synthetic_day(config, day, visits, seed=seed), with_estimates=True)
        rows.extend(out.estimates)
    n = len(rows)
    return {"mae_old_min": round(sum(abs(a - old) for a, old, _l, _h, _p in rows) / n, 1),
            "mae_new_min": round(sum(abs(a - p) for a, _o, _l, _h, p in rows) / n, 1),
            "coverage": round(sum(1 for a, _o, low, high, _p in rows if low <= a <= high) / n, 3)}


BENCHES = {"wait_estimate": wait_estimate}


# ------------------------------------------------------------------------------------------ cockpit_browsing
BUSY_DAY = 15_000  # visits of one day at a large hospital (the figure)
CALLS = 200  # call-next per phase, at CALL_RATE per second
CALL_RATE = 20.0


def _busy_day(path, config, day, visits: int) -> None:
    """`visits` finished visits of `day` over every department (done, some missed or cancelled), stored as the
    service stores them, and their rollups: what a day's queue and cockpit hold by the afternoon."""
    import sqlite3
    from datetime import datetime, timedelta
    from datetime import time as clock_time

    from caller.engine.model import Visit, VisitState
    from caller.service import CallerService
    from caller.store import dumps
    from caller.views import visit_row
    from cockpit import rollups

    CallerService(config, path).close()  # the schema
    depts = [d for d in config.departments if not config.area(d.area).emergency]
    rooms = {d.id: [r.id for a in config.areas for r in a.rooms if d.id in r.departments] for d in depts}
    start = datetime.combine(day, clock_time(7, 30))
    rows = []
    for i in range(visits):
        dept = depts[i % len(depts)]
        number = i // len(depts) + 1
        registered = start + timedelta(seconds=i * 2)
        called = registered + timedelta(minutes=5 + i % 40)
        state = VisitState.missed if i % 20 == 0 else VisitState.cancelled if i % 50 == 1 else VisitState.done
        served = state is VisitState.done
        v = Visit(id=f"{day:%Y%m%d}-{dept.id}-B{number:05d}", ticket=f"{dept.prefix}{number:03d}", dept_id=dept.id,
                  area_id=dept.area, day=day, session="am" if registered.hour < 12 else "pm", number_kind="general",
                  source="appointment" if i % 4 == 0 else "onsite", reg_seq=number, patient_id=str(i + 1),
                  patient_name="测试患者", registered_at=registered, state=state, ticket_no=number, serial=i + 1,
                  room_id=rooms[dept.id][i % len(rooms[dept.id])] if rooms[dept.id] and served else None,
                  checkin_at=registered + timedelta(minutes=1), called_at=called if served else None,
                  call_count=1 if served else 0, started_at=called + timedelta(minutes=1) if served else None,
                  finished_at=called + timedelta(minutes=9) if served else None)
        data = visit_row(v)
        data["channel"] = "kiosk" if i % 4 else "appointment"
        rows.append((v.id, day.isoformat(), v.area_id, state.value, dumps(data)))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO visits (id, date, area, state, data) VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    rollups.rebuild(conn)
    conn.close()


def _call_next_while(base_url: str, nurse: str, load=None) -> tuple[list[float], list[float]]:
    """CALLS call-next (NK3 and NK4 in turn, CALL_RATE a second), while `load(http)` runs in a loop in another
    thread; the call-next round trips and the load's."""
    import threading
    import time

    import httpx

    stop = threading.Event()
    load_ms: list[float] = []

    def loop() -> None:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            prepare = load(http)
            while not stop.is_set():
                t0 = time.perf_counter()
                prepare()
                load_ms.append((time.perf_counter() - t0) * 1000)

    thread = threading.Thread(target=loop) if load else None
    if thread:
        thread.start()
        deadline = time.monotonic() + 30
        while not load_ms and time.monotonic() < deadline:  # the load is running before the first call
            time.sleep(0.01)
    calls = []
    try:
        with httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {nurse}"}) as http:
            started = time.monotonic()
            for i in range(CALLS):
                delay = started + i / CALL_RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                t0 = time.perf_counter()
                r = http.post(f"/api/v1/rooms/{'NK3' if i % 2 else 'NK4'}/call-next", json={})
                calls.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
    finally:
        stop.set()
        if thread:
            thread.join(60)
    return calls, load_ms


def cockpit_browsing() -> dict:
    """call-next p99 with nobody browsing, while a manager browses the cockpit without pause, and while a console
    reloads today's statistics (/stats/summary) without pause, on a day of BUSY_DAY visits."""
    import tempfile
    from pathlib import Path

    from bench.bench_caller import _fill_queue, _login
    from caller.testing import DEMO_PASSWORD, run_service_process
    from common.clock import HospitalClock
    from common.config import DEMO_CONFIG, load_hospital

    config = load_hospital(DEMO_CONFIG)
    today = HospitalClock(config.hospital.timezone)().date()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "busy.db"
        _busy_day(db, config, today, BUSY_DAY)
        with run_service_process(DEMO_CONFIG, db) as svc:
            _fill_queue(svc.base_url, 3 * CALLS + 50)
            nurse = _login(svc.base_url)

            def manager(http):
                r = http.post("/cockpit/api/login", json={"username": "yuanzhang", "password": DEMO_PASSWORD},
                              headers={"X-Cockpit": "1"})
                r.raise_for_status()
                views = [f"/cockpit/api/view?period={p}&level={lvl}&key={k}" for p in ("day", "week", "month")
                         for lvl, k in (("hospital", ""), ("area", "NK"), ("dept", "NK"))]
                turn = iter(range(10**9))
                return lambda: http.get(views[next(turn) % len(views)]).raise_for_status()

            def console(http):
                http.headers["Authorization"] = f"Bearer {nurse}"
                return lambda: http.get("/api/v1/stats/summary").raise_for_status()

            quiet, _ = _call_next_while(svc.base_url, nurse)
            browsing, views = _call_next_while(svc.base_url, nurse, manager)
            polling, stats = _call_next_while(svc.base_url, nurse, console)
    return {"visits_today": BUSY_DAY, "calls": CALLS,
            "call_next_p99_quiet_ms": _p(quiet, 0.99), "call_next_p99_browsing_ms": _p(browsing, 0.99),
            "call_next_p99_stats_ms": _p(polling, 0.99), "cockpit_view_p95_ms": _p(views, 0.95),
            "cockpit_views": len(views), "stats_summary_p50_ms": _p(stats, 0.5), "stats_summaries": len(stats)}


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))], 2)


BENCHES["cockpit_browsing"] = cockpit_browsing


# ------------------------------------------------------------------------------------------------ cockpit_year
YEAR_VISITS_PER_DAY = 400  # synthetic visits a day whose facts fill the rollups (every dimension and bucket used)
YEAR_VIEWS = 3  # rounds over the views


def _year_of_rollups(path, config, last_day, days: int, per_day: int) -> int:
    """`days` days up to `last_day` of rollups, each from `per_day` synthetic visits (clinic visits with waits and
    service times, a third with a journey of pharmacy and lab steps) through the real facts and rollup code:
    what a year of history leaves in the two tables the cockpit reads (it reads nothing else)."""
    import random
    import sqlite3
    from datetime import datetime, timedelta
    from datetime import time as clock_time

    from caller.service import CallerService
    from cockpit import rollups
    from cockpit.facts import visit_facts

    try:
        from cockpit.facts import journey_end
    except ImportError:  # a version before the journey's figures (the "before" of a comparison)
        def journey_end(rows):
            return None

    CallerService(config, path).close()  # the schema
    rng = random.Random(5)
    clinic = [d for d in config.departments if d.service == "clinic" and not config.area(d.area).emergency]
    rooms = {d.id: [r.id for a in config.areas for r in a.rooms if d.id in r.departments] for d in clinic}
    step_dept = {d.service: d for d in config.departments if d.service in ("pharmacy", "lab")}
    conn = sqlite3.connect(path)
    for back in range(days - 1, -1, -1):
        day = last_day - timedelta(days=back)
        changes = []
        for n in range(per_day):
            dept = rng.choice(clinic)
            reg = datetime.combine(day, clock_time(7, 30)) + timedelta(minutes=rng.uniform(0, 540))
            called = reg + timedelta(minutes=rng.lognormvariate(2.7, 0.6))
            done = called + timedelta(minutes=rng.uniform(3, 18))
            v = {"id": f"{day}-{n}", "day": day.isoformat(), "area_id": dept.area, "dept_id": dept.id,
                 "room_id": rng.choice(rooms[dept.id] or [None]), "state": "done", "source": "onsite",
                 "channel": rng.choice(("kiosk", "window", "appointment")), "registered_at": reg.isoformat(),
                 "checkin_at": reg.isoformat(), "called_at": called.isoformat(), "started_at": called.isoformat(),
                 "finished_at": done.isoformat()}
            rows = [v]
            if n % 3 == 0:
                for kind in ("pharmacy", "lab"):
                    sd = step_dept[kind]
                    paid = done + timedelta(minutes=rng.uniform(2, 15))
                    ready = paid + timedelta(minutes=rng.uniform(5, 40))
                    call = ready + timedelta(minutes=rng.uniform(0, 20))
                    fin = call + timedelta(minutes=rng.uniform(1, 5))
                    rows.append({"id": f"{v['id']}-{kind}", "day": v["day"], "area_id": sd.area, "dept_id": sd.id,
                                 "state": "done", "step_kind": kind, "journey_id": v["id"],
                                 "stage": "reported" if kind == "lab" else "collected",
                                 "paid_at": paid.isoformat(), "checkin_at": (ready if kind == "pharmacy" else paid).isoformat(),
                                 "ready_at": (ready if kind == "pharmacy" else fin + timedelta(minutes=60)).isoformat(),
                                 "called_at": call.isoformat(), "started_at": call.isoformat(),
                                 "finished_at": fin.isoformat()})
                v["journey_end"] = journey_end(rows)
            for row in rows:
                changes.extend((m, val, dims, +1) for m, val, dims in visit_facts(row))
        rollups.add(conn, day.isoformat(), changes)
        conn.commit()
    count = conn.execute("SELECT (SELECT COUNT(*) FROM rollup) + (SELECT COUNT(*) FROM rollup_hist)").fetchone()[0]
    conn.close()
    return count


def cockpit_year() -> dict:
    """The cockpit's views over a year of rollups: day, week and month x hospital, area and department (each view
    now also has its 环比 and 同比 periods, read once and kept a few minutes as the service does, the ranking and
    the hourly figures), YEAR_VIEWS rounds. p50 / p95 in ms, in process."""
    import inspect
    import tempfile
    import time as wall
    from datetime import date
    from pathlib import Path

    from caller.store import Store
    from cockpit import report
    from cockpit.report import Scope
    from common.config import DEMO_CONFIG, load_hospital

    config = load_hospital(DEMO_CONFIG)
    today = date(2026, 11, 25)
    with tempfile.TemporaryDirectory(prefix="cockpit-year-") as tmp:
        path = str(Path(tmp) / "hospital.db")
        rows = _year_of_rollups(path, config, today, 372, YEAR_VISITS_PER_DAY)
        store = Store(path)
        with_kind = "kind" in inspect.signature(report.view).parameters
        kept = report.EarlierKept() if with_kind else None  # as the service keeps past periods' figures
        times: list[float] = []
        try:
            for _ in range(YEAR_VIEWS):
                for kind in ("day", "week", "month"):
                    first, last = report.period(kind, today)
                    for scope in (Scope("hospital"), Scope("area", "NK"), Scope("dept", "NK")):
                        t0 = wall.perf_counter()
                        with store.read() as conn:
                            if with_kind:
                                report.view(conn, config, scope, first, last, kind, today,
                                            before=kept.reader(conn, config, today))
                            else:
                                report.view(conn, config, scope, first, last)
                        times.append((wall.perf_counter() - t0) * 1000)
        finally:
            store.close()
    return {"rollup_rows": rows, "days": 372, "views": len(times), "view_p50_ms": _p(times, 0.5),
            "view_p95_ms": _p(times, 0.95), "view_max_ms": round(max(times), 1)}


BENCHES["cockpit_year"] = cockpit_year
