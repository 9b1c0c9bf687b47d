"""Wait estimates with a range: the formula by hand, the range in the visit status and on the ticket page, the
estimate shown at check-in kept with the visit, and its accuracy (MAE, range coverage) in the cockpit."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from cockpit_helpers import Day, kpis

from caller.service import CallerService
from caller.testing import ManualClock
from cockpit.estimate import estimate
from common.config import DEMO_CONFIG, load_hospital


def test_the_estimate_by_hand():
    # 4 ahead, 2 rooms, recent consultations of 10 and 20 minutes: each room gives 2 consultations first, plus half
    # of the one under way (median 10): 25 min; the range from 2 x 10 (none left) to 3 x 20 (a whole one left)
    e = estimate(4, 2, [10.0, 20.0], 15.0)
    assert (e.minutes, e.low, e.high) == (25.0, 20, 60)
    assert estimate(4, 1, [10.0, 20.0], 15.0).minutes == 45.0  # one room: 4.5 consultations
    early = estimate(4, 2, [10.0, 20.0], 15.0, opens_in=20)  # checked in 20 minutes before the session starts
    assert (early.minutes, early.low, early.high) == (45.0, 40, 80)
    first = estimate(0, 3, [], 15.0)  # nobody ahead, nothing timed yet: the hospital's default service time
    assert first.low == 0 and first.low <= first.minutes <= first.high


@pytest.fixture
def service(store_url):
    clock = ManualClock(datetime(2026, 11, 23, 8, 0))
    svc = CallerService(load_hospital(DEMO_CONFIG), store_url, clock=clock)
    svc.test_clock = clock
    yield svc
    svc.close()


def test_status_and_ticket_page_show_a_range_and_the_cockpit_measures_it(service):
    day = Day(service, service.test_clock)
    timed = []
    for n, minutes in enumerate((10, 20)):  # two consultations give the department its service times
        v = day.at(f"08:0{n}").register()
        day.do("check_in", visit_id=v)
        timed.append((v, minutes))
    for _ in timed:
        called = day.at("08:05").call("NK3") or day.call("NK4")
        day.do("start", visit_id=called)
    for (v, _m), end in zip(timed, ("08:15", "08:25")):
        day.at(end).do("finish", visit_id=v)
    waiting = []
    for n in range(3):
        v = day.at(f"08:3{n}").register()
        day.do("check_in", visit_id=v)
        waiting.append(v)
    status = service.visit_status(waiting[2])
    assert status["ahead"] == 2 and status["estimate_min"] <= status["estimate_minutes"] <= status["estimate_max"]
    shown = json.loads(service.store.conn.execute("SELECT data FROM visits WHERE id = ?", (waiting[2],)).fetchone()[0])["estimate"]
    assert (shown["min"], shown["max"]) == (status["estimate_min"], status["estimate_max"])

    for v, at in zip(waiting, ("08:31", "08:45", "09:50")):
        assert day.at(at).call("NK3") == v
        day.do("start", visit_id=v)
        day.do("finish", visit_id=v)
    errors, inside = [], {}
    for visit_id, data in service.store.conn.execute("SELECT id, data FROM visits WHERE date = '2026-11-23'"):
        v = json.loads(data)  # by hand: the estimate kept with each visit against its check-in and first call
        actual = (datetime.fromisoformat(v["first_called_at"]) - datetime.fromisoformat(v["checkin_at"])).total_seconds() / 60
        errors.append(abs(actual - v["estimate"]["minutes"]))
        inside[visit_id] = v["estimate"]["min"] <= actual <= v["estimate"]["max"]
    assert len(errors) == 5
    k = kpis(service, date(2026, 11, 23), level="dept", key="NK")
    assert k["estimate_mae"] == pytest.approx(round(sum(errors) / 5, 2))
    assert k["estimate_coverage"] == pytest.approx(round(100 * sum(inside.values()) / 5, 1))
    assert not inside[waiting[2]]  # the last one waited far longer than shown: it counts as a miss
