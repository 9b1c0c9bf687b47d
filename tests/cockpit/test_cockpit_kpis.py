"""KPIs on constructed days whose right answers are known by hand: rollups updated command by command, the same
after a rebuild, across an empty day, a day rollover, a transfer, a recall and a paused room."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pytest
from cockpit_helpers import WINDOW, Day, kpis

from caller.service import CallerService
from caller.testing import ManualClock
from common.config import DEMO_CONFIG, load_hospital

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
    call = service.help_desk.request(kiosk, screen="home")
    clock.advance(minutes=3)
    service.help_desk.acknowledge(desk, call["help_id"])
    service.device_watch.record_health(kiosk, HealthBody(status="fault", reason_zh="打印机缺纸", reason_en="paper out"))
    service.device_watch.record_health(kiosk, HealthBody(status="fault", reason_zh="打印机缺纸", reason_en="paper out"))  # same fault
    k = kpis(service, MON)
    assert (k["help_requests"], k["help_ack_median"], k["kiosk_faults"]) == (1, 3, 1)
    assert kpis(service, MON, level="kiosk", key="kiosk-lobby-1")["kiosk_faults"] == 1


def test_todays_statistics_on_the_console_are_the_cockpits_figures(service, clock):
    morning(Day(service, clock))
    summary = {d["department"]: d for d in service.cockpit_feed.stats_summary()["departments"]}
    nk, wk = summary["NK"], summary["WK"]
    assert (nk["registered"], nk["waiting"], nk["done"], nk["missed"], nk["cancelled"]) == (2, 0, 2, 0, 0)
    assert (wk["registered"], wk["waiting"], wk["done"]) == (1, 1, 0)  # C, transferred, waits in WK
    cockpit = kpis(service, MON, level="dept", key="NK")
    assert (nk["median_wait_minutes"], nk["median_service_minutes"]) == (cockpit["wait_median"], cockpit["service_median"]) == (10, 10)


def test_a_paused_room_is_not_counted_as_open_and_the_rebuild_agrees(service, clock):
    day = Day(service, clock)
    a = day.at("08:00").register()
    day.do("check_in", visit_id=a)
    assert day.at("08:10").call("NK3") == a
    day.do("start", visit_id=a)
    day.at("08:20").do("finish", visit_id=a)
    day.at("09:00").do("pause_room", room_id="NK3")
    day.at("09:30").do("resume_room", room_id="NK3")
    day.at("11:30").do("pause_room", room_id="NK3")  # over lunch: 30 min of the morning, 60 of the afternoon
    day.at("14:30").do("resume_room", room_id="NK3")
    k = kpis(service, MON, level="room", key="NK3")
    assert k["room_utilisation"] == pytest.approx(round(100 * 10 / (480 - 120), 1))  # 8 h open less 2 h paused
    assert k["visits_per_room_hour"] == pytest.approx(round(1 / 6, 2))
    _rebuilt_equal(service)


def test_time_from_a_wait_alert_to_the_first_staff_action_on_it(service, clock):
    day = Day(service, clock)
    first = day.at("08:00").register()
    day.do("check_in", visit_id=first)
    clock.set(datetime(2026, 11, 23, 8, 40))
    assert [e.data["dept_id"] for e in service.wait_alerts.check()] == ["NK"]  # waited 40 min > 30
    late = day.at("08:43").register()  # a kiosk registering someone else is no answer
    day.do("check_in", visit_id=late)
    assert kpis(service, MON, level="dept", key="NK")["alert_response_median"] is None
    assert day.at("08:47").call("NK3") == first  # the nurse acts: 7 minutes after the alert
    day.at("08:50").call("NK4")  # a second action answers nothing more
    k = kpis(service, MON, level="dept", key="NK")
    assert (k["wait_alerts"], k["alert_response_median"]) == (1, 7)
    assert kpis(service, MON)["alert_response_median"] == 7
    trail = [r for r in service.store.audit() if r["action"] == "wait_alert_answered"]
    assert [(r["user"], r["detail"]["dept_id"], r["detail"]["by"]) for r in trail] == [("wanghs", "NK", "call_next")]
    _rebuilt_equal(service)


def test_sending_a_waiting_patient_to_another_department_answers_the_alert(service, clock):
    day = Day(service, clock)
    first = day.at("08:00").register()
    day.do("check_in", visit_id=first)
    clock.set(datetime(2026, 11, 23, 8, 40))
    assert [e.data["dept_id"] for e in service.wait_alerts.check()] == ["NK"]
    day.at("08:52").do("transfer", visit_id=first, dept_id="WK")  # moved out of NK: NK's alert is answered
    assert kpis(service, MON, level="dept", key="NK")["alert_response_median"] == 12


def test_kiosk_uptime_from_the_history_of_its_health_even_across_a_restart(hospital, clock, store_url):
    from caller.api.models import HealthBody
    from caller.auth import Principal

    kiosk = Principal(role="kiosk", device="kiosk-lobby-1")
    svc = CallerService(hospital, store_url, clock=clock)
    Day(svc, clock).at("08:30").register()  # the hospital is open that day
    clock.set(datetime(2026, 11, 23, 9, 0))
    svc.device_watch.record_health(kiosk, HealthBody(status="fault", reason_zh="读卡器故障", reason_en="card reader fault"))
    svc.close()
    clock.set(datetime(2026, 11, 23, 9, 20))
    svc = CallerService(hospital, store_url, clock=clock)  # the service restarts meanwhile
    svc.device_watch.record_health(kiosk, HealthBody(status="fault", reason_zh="读卡器故障", reason_en="card reader fault"))
    clock.set(datetime(2026, 11, 23, 9, 30))
    svc.device_watch.record_health(kiosk, HealthBody(status="ok"))
    try:
        hospital_k, one = kpis(svc, MON), kpis(svc, MON, level="kiosk", key="kiosk-lobby-1")
        assert hospital_k["kiosk_faults"] == 1  # one fault, not one per restart
        assert hospital_k["kiosk_uptime"] == pytest.approx(round(100 * (1 - 30 / (2 * 480)), 1))  # two kiosks
        assert one["kiosk_uptime"] == pytest.approx(round(100 * (1 - 30 / 480), 1))
        assert kpis(svc, TUE)["kiosk_uptime"] is None  # nobody registered: the hospital was not open
        _rebuilt_equal(svc)
    finally:
        svc.close()


def _rebuilt_equal(service) -> None:
    before = _rollup_rows(service)
    with service.store.lock:
        from cockpit import rollups

        rollups.rebuild(service.store.conn)
    assert _rollup_rows(service) == before
