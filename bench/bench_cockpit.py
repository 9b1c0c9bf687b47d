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
