"""KPIs on constructed days whose right answers are known by hand: rollups updated command by command, the same
after a rebuild, across an empty day, a day rollover, a transfer, a recall and a paused room."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pytest

from caller.config import DEMO_CONFIG, load_hospital
from caller.service import CallerService
from caller.testing import ManualClock
from cockpit_helpers import WINDOW, Day, kpis

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)


@pytest.fixture
def hospital():
    return load_hospital(DEMO_CONFIG)


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 11, 23, 8, 0))


@pytest.fixture
def service(hospital, clock, store_url):
    svc = CallerService(hospital, store_url, clock=clock)
    yield svc
    svc.close()


def morning(day: Day) -> dict[str, str]:
    """Monday in NK: A waits 10 and is seen 10 min; B (window) is called after 30, missed, recalled, seen 10 min
    (its wait is to the FIRST call); C registers, checks in and is transferred to WK; room NK4 pauses."""
    a = day.at("08:00").register()
    day.do("check_in", visit_id=a)
    b = day.at("08:02").register(who=WINDOW)
    day.do("check_in", visit_id=b)
    c = day.at("08:05").register()
    day.do("check_in", visit_id=c)
    assert day.at("08:10").call("NK3") == a
    day.at("08:11").do("start", visit_id=a)
    day.at("08:21").do("finish", visit_id=a)
    day.at("08:25").do("transfer", visit_id=c, dept_id="WK")
    assert day.at("08:32").call("NK3") == b
    day.at("08:40").miss(b)
    day.at("08:45").do("recall", visit_id=b)
    day.do("pause_room", room_id="NK4")
    assert day.at("08:50").call("NK3") == b
    day.do("start", visit_id=b)
    day.at("09:00").do("finish", visit_id=b)
    return {"a": a, "b": b, "c": c}


def test_a_morning_by_hand(service, clock):
    morning(Day(service, clock))
    k = kpis(service, MON)
    assert (k["registrations"], k["reg_kiosk"], k["reg_window"], k["reg_appointment"]) == (3, 2, 1, 0)
    assert (k["wait_median"], k["wait_p90"]) == (10, 30)  # waits 10 and 30 (B's first call, not its recall)
    assert (k["served"], k["service_median"]) == (2, 10)
    assert k["missed_rate"] == 0.0 and k["recalled_rate"] == pytest.approx(33.3)  # B came back
    # one room (NK3) served: open for both sessions (4 h + 4 h); 20 service minutes
    assert k["room_utilisation"] == pytest.approx(round(100 * 20 / 480, 1))
    assert k["visits_per_room_hour"] == 0.25
    nk, wk = kpis(service, MON, level="dept", key="NK"), kpis(service, MON, level="dept", key="WK")
    assert (nk["registrations"], wk["registrations"]) == (2, 1)  # the transfer moved C to WK
    assert kpis(service, MON, level="room", key="NK3")["served"] == 2
    assert kpis(service, MON, level="room", key="NK4")["served"] == 0  # paused, nothing counted
    assert kpis(service, MON, level="kiosk", key="kiosk-lobby-1")["registrations"] == 2


def test_missed_for_good_empty_day_and_a_wait_across_midnight(service, clock):
    day = Day(service, clock)
    gone = day.at("09:00").register()
    day.do("check_in", visit_id=gone)
    day.at("09:30").call("NK3")
    day.at("09:40").miss(gone)
    late = day.at("23:20", WED).register()
    day.do("check_in", visit_id=late)
    assert day.at("23:50").call("NK3") == late
    day.do("start", visit_id=late)
    clock.set(datetime(2026, 11, 26, 0, 6))
    day.do("finish", visit_id=late)  # the consultation ends after midnight
    monday, tuesday, wednesday = kpis(service, MON), kpis(service, TUE), kpis(service, WED)
    assert monday["missed_rate"] == 100.0 and monday["wait_median"] == 30
    assert tuesday["registrations"] == 0 and tuesday["wait_median"] is None and tuesday["room_utilisation"] is None
    assert (wednesday["registrations"], wednesday["wait_median"], wednesday["service_median"]) == (1, 30, 16)
    assert kpis(service, date(2026, 11, 26))["served"] == 0  # counted on the day of the visit, not of the finish
    week = kpis(service, MON, date(2026, 11, 29))
    assert week["registrations"] == 2 and (week["wait_median"], week["wait_p90"]) == (30, 30)


def test_rebuild_gives_the_same_rollups_as_the_commands(service, clock):
    morning(Day(service, clock))
    before = _rollup_rows(service)
    assert before
    with service.store.lock:
        service.store.conn.execute("DELETE FROM rollup")  # lost, or written by an older version
    out = subprocess.run([sys.executable, "-m", "caller", "rollups", "--db", service.store.path, "rebuild"],
                         capture_output=True, text=True, check=True).stdout
    assert "3" in out
    assert _rollup_rows(service) == before


def _rollup_rows(service) -> list[tuple]:
    with service.store.read() as conn:
        return (sorted(conn.execute("SELECT dim, day, key, measure, n, round(CAST(total AS NUMERIC), 3) FROM rollup WHERE n != 0 OR total != 0"))
                + sorted(conn.execute("SELECT dim, day, key, measure, bucket, n FROM rollup_hist WHERE n != 0")))


def test_every_kpi_is_documented_with_its_unit():
    from pathlib import Path

    from cockpit.kpis import KPIS

    doc = (Path(__file__).parents[2] / "docs" / "cockpit.md").read_text(encoding="utf-8")
    for k in KPIS:
        assert f"| `{k.id}` | {k.zh} / {k.en} | {k.unit} | {k.formula} | {k.source} |" in doc, k.id


def test_help_calls_with_their_answer_time_and_device_faults_reach_the_cockpit(service, clock):
    from caller.api.models import HealthBody
    from caller.auth import Principal

    kiosk = Principal(role="kiosk", device="kiosk-lobby-1")
    desk = Principal(role="console", device="console-dt", area="DT", user="admin", user_role="admin")
    call = service.request_help(kiosk, screen="home")
    clock.advance(minutes=3)
    service.acknowledge_help(desk, call["help_id"])
    service.record_health(kiosk, HealthBody(status="fault", reason_zh="打印机缺纸", reason_en="paper out"))
    service.record_health(kiosk, HealthBody(status="fault", reason_zh="打印机缺纸", reason_en="paper out"))  # same fault
    k = kpis(service, MON)
    assert (k["help_requests"], k["help_ack_median"], k["kiosk_faults"]) == (1, 3, 1)
    assert kpis(service, MON, level="kiosk", key="kiosk-lobby-1")["kiosk_faults"] == 1
