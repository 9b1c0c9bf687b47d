"""The director's figures on a small hand-made history whose answers are known: 环比 (vs the period before) and 同比
(vs the same period a year before), targets met or missed, waits by hour of day, departments ranked, and room use
with one definition for the cockpit's card and the what-if replay."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from cockpit_helpers import Day

from caller import simulate
from caller.service import CallerService
from caller.testing import ManualClock
from cockpit import report
from cockpit.kpis import change, room_use
from cockpit.report import Scope
from common.config import DEMO_CONFIG, load_hospital

MON = date(2026, 11, 23)
SUN = date(2026, 11, 22)
LAST_YEAR = date(2025, 11, 24)  # 52 weeks before MON: a Monday too


@pytest.fixture
def clock():
    return ManualClock(datetime(2025, 11, 24, 8, 0))


@pytest.fixture
def service(clock, tmp_path):
    config = load_hospital(DEMO_CONFIG)
    config = config.model_copy(update={"cockpit": config.cockpit.model_copy(
        update={"targets": {"wait_median": 15, "registrations": 3, "room_utilisation": 60}})})
    svc = CallerService(config, tmp_path / "hospital.db", clock=clock)
    yield svc
    svc.close()


def seen(day: Day, when: date, dept: str, room: str, arrive: str, call: str, end: str) -> str:
    """One patient: registers and checks in at `arrive`, called at `call`, seen until `end` in `room`."""
    v = day.at(arrive, when).register(dept=dept)
    day.do("check_in", visit_id=v)
    assert day.at(call, when).call(room) == v
    day.do("start", visit_id=v)
    day.at(end, when).do("finish", visit_id=v)
    return v


@pytest.fixture
def history(service, clock):
    """A year ago: 2 NK patients waiting 20 min each. Yesterday (Sunday): 1 NK patient waiting 10.
    Today: NK at 08:00 waits 10 and at 09:05 waits 30; WK at 09:00 waits 5 (each seen 12 minutes)."""
    day = Day(service, clock)
    seen(day, LAST_YEAR, "NK", "NK3", "08:00", "08:20", "08:32")
    seen(day, LAST_YEAR, "NK", "NK3", "08:40", "09:00", "09:12")
    seen(day, SUN, "NK", "NK3", "08:00", "08:10", "08:22")
    seen(day, MON, "NK", "NK3", "08:00", "08:10", "08:22")
    seen(day, MON, "WK", "WK2", "09:00", "09:05", "09:17")
    seen(day, MON, "NK", "NK3", "09:05", "09:35", "09:47")
    return day


def view(service, first: date, last: date | None = None, kind: str = "day", level: str = "hospital", key: str = "",
         today: date | None = None) -> dict:
    with service.store.read() as conn:
        return report.view(conn, service.config, Scope(level, key), first, last or first, kind, today)


def test_each_figure_beside_the_period_before_and_the_same_period_last_year(service, history):
    v = view(service, MON)
    assert (v["kpis"]["registrations"], v["kpis"]["wait_median"]) == (3, 10)
    mom, yoy = v["compare"]["mom"], v["compare"]["yoy"]
    assert (mom["from"], yoy["from"]) == ("2026-11-22", "2025-11-24")
    assert (mom["kpis"]["registrations"], yoy["kpis"]["registrations"]) == (1, 2)
    assert mom["change"]["registrations"] == {"before": 1, "delta": 200.0, "kind": "pct", "better": True}
    assert yoy["change"]["registrations"]["delta"] == 50.0
    # the median wait fell from 20 a year ago to 10: -50 %, the good way for a wait
    assert yoy["change"]["wait_median"] == {"before": 20, "delta": -50.0, "kind": "pct", "better": True}
    assert mom["change"]["wait_median"] == {"before": 10, "delta": 0.0, "kind": "pct", "better": None}
    # a rate moves in percentage points: room use 36 min of 480 today against 12 of 480 yesterday
    assert v["kpis"]["room_utilisation"] == room_use(36, 2 * 480) == 3.8  # NK3 and WK2 saw patients: two rooms
    assert mom["change"]["room_utilisation"] == {"before": 2.5, "delta": 1.3, "kind": "pp", "better": True}
    assert change("wait_median", 12, None) is None and change("registrations", 5, 0) is None
    under_way = view(service, MON, today=MON)  # a day not over: its counts are not set against whole days
    assert under_way["partial"] and under_way["compare"]["mom"]["change"]["registrations"] is None
    assert under_way["compare"]["mom"]["change"]["room_utilisation"] is None
    assert under_way["compare"]["yoy"]["change"]["wait_median"]["delta"] == -50.0  # a median is fair at any hour


def test_a_period_under_way_meets_as_many_days_of_the_others(service, history):
    weeks = report.earlier("week", date(2026, 11, 23), date(2026, 11, 29), today=date(2026, 11, 24))
    assert weeks == {"mom": (date(2026, 11, 16), date(2026, 11, 17)), "yoy": (date(2025, 11, 24), date(2025, 11, 25))}
    months = report.earlier("month", date(2026, 3, 1), date(2026, 3, 31))
    assert months == {"mom": (date(2026, 2, 1), date(2026, 2, 28)), "yoy": (date(2025, 3, 1), date(2025, 3, 31))}
    month = view(service, date(2026, 11, 1), date(2026, 11, 30), "month", today=MON)
    assert month["compare"]["mom"]["to"] == "2026-10-23"  # October's first 23 days against November's
    assert month["compare"]["yoy"]["kpis"]["registrations"] == 0  # last year's two came on the 24th: not yet
    over = view(service, date(2026, 11, 1), date(2026, 11, 30), "month", today=date(2026, 12, 1))
    assert over["compare"]["yoy"]["kpis"]["registrations"] == 2  # the month is over: all of last November


def test_targets_from_the_hospital_file_are_met_or_missed(service, history):
    v = view(service, MON)
    assert v["targets"] == {"wait_median": 15, "registrations": 3, "room_utilisation": 60}
    assert v["met"] == {"wait_median": True, "registrations": True, "room_utilisation": False}
    nk = view(service, MON, level="dept", key="NK")
    assert (nk["kpis"]["wait_median"], nk["kpis"]["wait_p90"]) == (10, 30)  # NK's waits 10 and 30
    assert nk["met"]["registrations"] is False  # 2 of the hospital-wide target of 3


def test_waits_by_hour_of_day_and_departments_ranked(service, history):
    v = view(service, MON)
    assert v["hours"]["wait"] == [{"hour": 8, "n": 1, "mean": 10.0}, {"hour": 9, "n": 2, "mean": 17.5}]
    assert [(r["rank"], r["key"], r["kpis"]["wait_median"]) for r in v["ranking"]] == [(1, "NK", 10), (2, "WK", 5)]
    assert v["ranking"][0]["met"]["wait_median"] is True
    area = view(service, MON, level="area", key="NK")
    assert [r["key"] for r in area["ranking"]] == ["NK"]  # an area ranks its own departments
    assert view(service, MON, level="dept", key="NK")["ranking"] == []


def test_room_use_is_one_figure_for_the_card_and_the_replay(service, history, clock):
    """The what-if's "happened" column is the cockpit's card of that day, and the day replayed as it was gives
    the same room use: both count the rooms that saw anyone open for both sessions of the schedule."""
    card = view(service, MON)["kpis"]["room_utilisation"]
    with service.store.read() as conn:
        arrivals, happened = simulate.stored_day(conn, MON.isoformat(), service.config)
    replayed = simulate.replay(service.config, MON, arrivals, rooms=happened.rooms)
    rows = {r["measure"]: r for r in simulate.compare(happened, replayed, replayed)}
    assert rows["room_utilisation"]["happened"] == card == 3.8
    assert rows["room_utilisation"]["replayed as it was"] == card


def test_docs_list_every_target_key_of_the_code():
    from pathlib import Path

    from cockpit.kpis import targets_table

    doc = (Path(__file__).parents[2] / "docs" / "settings.md").read_text(encoding="utf-8")
    begin, end = "<!-- targets-table: generated from cockpit/kpis.py (targets_table) -->\n", "<!-- /targets-table -->"
    assert doc[doc.index(begin) + len(begin):doc.index(end)] == targets_table(), \
        "docs/settings.md: paste cockpit.kpis.targets_table() between the markers"
