"""Per-step figures of the journey (一票到底) from a short day played command by command through the service:
each step kind's waits, pharmacy dispensing (paid -> ready), lab turnaround (draw -> report) and the whole
journey (registration -> last step done), per day and per hour; the same after a rebuild; the wait alert per step."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from cockpit_helpers import WINDOW, Day, kpis

from caller.auth import Principal
from caller.service import CallerService
from caller.testing import ManualClock
from cockpit import report
from cockpit.report import Scope
from common.config import DEMO_CONFIG, load_hospital
from common.wire import Order

MON = date(2026, 11, 23)
DOCTOR = WINDOW
PHARMACIST = Principal(role="console", device="console-yf", area="YF", user="yaoshi-chen", user_role="nurse",
                       user_areas=("YF",))
LAB = Principal(role="console", device="console-jy", area="JY", user="caixue-wu", user_role="nurse",
                user_areas=("JY",))


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 11, 23, 8, 0))


@pytest.fixture
def service(clock, tmp_path):
    svc = CallerService(load_hospital(DEMO_CONFIG), tmp_path / "hospital.db", clock=clock)
    yield svc
    svc.close()


def clinic(day: Day, arrive: str, call: str, done: str) -> str:
    v = day.at(arrive).register()
    day.do("check_in", visit_id=v)
    assert day.at(call).call("NK3") == v
    day.do("start", visit_id=v)
    day.at(done).do("finish", visit_id=v)
    return v


def step_of(service: CallerService, visit: str, kind: str) -> str:
    return next(s.id for s in service.engine.journey(visit) if s.step_kind == kind)


def medicine(service: CallerService, day: Day, step: str, paid: str, ready: str, call: str, collected: str) -> None:
    day.at(paid).do("pay_step", visit_id=step)
    service.execute("start_dispensing", PHARMACIST, visit_id=step)
    day.at(ready)
    service.execute("mark_ready", PHARMACIST, visit_id=step, room_id="YF3")
    day.at(call)
    assert service.execute("call_next", PHARMACIST, room_id="YF3")["visit"]["visit_id"] == step
    day.at(collected)
    service.execute("collect", PHARMACIST, visit_id=step, scanned_journey=service.engine.journey(step)[0].id)


def blood(service: CallerService, day: Day, step: str, paid: str, checkin: str, call: str, drawn: str,
          reported: str) -> None:
    day.at(paid).do("pay_step", visit_id=step)
    day.at(checkin)
    service.execute("check_in", LAB, visit_id=service.codes.step_to_check_in(service.engine.journey(step)[0].id, "JY"))
    day.at(call)
    room = next(r.id for a in service.config.areas if a.id == "JY" for r in a.rooms)
    assert service.execute("call_next", LAB, room_id=room)["visit"]["visit_id"] == step
    service.execute("start", LAB, visit_id=step)
    day.at(drawn)
    service.execute("finish", LAB, visit_id=step)
    day.at(reported)
    service.execute("report_ready", LAB, visit_id=step)


@pytest.fixture
def journeys(service, clock):
    """Two patients of internal medicine. A (08:00, seen 08:10-08:20) gets medicine: paid 08:25, ready 08:40
    (dispensing 15), called 08:46 (waited 6 from ready), collected 08:50: journey 50 minutes. B (09:00, seen
    09:05-09:15) gets medicine and blood: medicine paid 09:20, ready 09:50 (30), called 09:52 (2), collected 09:55;
    blood paid 09:20, checked in at the lab 09:30, called 09:40 (10), drawn 09:44, report ready 10:44 (60):
    journey 09:00 -> 09:55, 55 minutes (the report is no step of the patient's)."""
    day = Day(service, clock)
    a = clinic(day, "08:00", "08:10", "08:20")
    b = clinic(day, "09:00", "09:05", "09:15")
    day.at("08:20")
    service.open_steps(a, [Order(kind="drug", items=[{"code": "AMOX"}])], DOCTOR)
    medicine(service, day, step_of(service, a, "pharmacy"), "08:25", "08:40", "08:46", "08:50")
    day.at("09:15")
    service.open_steps(b, [Order(kind="drug", items=[{"code": "IBU"}]), Order(kind="lab", items=[{"code": "CBC"}])],
                       DOCTOR)
    blood(service, day, step_of(service, b, "lab"), "09:20", "09:30", "09:40", "09:44", "10:44")
    medicine(service, day, step_of(service, b, "pharmacy"), "09:20", "09:50", "09:52", "09:55")
    return a, b


def test_each_steps_waits_dispensing_lab_turnaround_and_the_whole_journey(service, journeys):
    k = kpis(service, MON)
    assert k["registrations"] == 2 and k["served"] == 2  # the steps are no second registration
    assert (k["wait_median"], k["wait_p90"]) == (5, 10)  # the clinic's waits only (10 and 5), not the steps'
    assert (k["pharmacy_steps"], k["pharmacy_wait_median"], k["pharmacy_wait_p90"]) == (2, 2, 6)
    assert (k["lab_steps"], k["lab_wait_median"]) == (1, 10)
    assert (k["imaging_steps"], k["imaging_wait_median"]) == (0, None)
    assert (k["dispense_median"], k["dispense_p90"]) == (15, 30)
    assert (k["lab_tat_median"], k["lab_tat_p90"]) == (60, 60)  # to 5 minutes: 60-64
    assert (k["journey_median"], k["journey_p90"]) == (50, 55)
    pharmacy = kpis(service, MON, level="dept", key="YF")  # the pharmacy's own figures, as its console shows them
    assert (pharmacy["registrations"], pharmacy["served"], pharmacy["wait_median"]) == (2, 2, 2)


def test_per_hour_and_per_day(service, journeys):
    with service.store.read() as conn:
        v = report.view(conn, service.config, Scope("hospital"), MON, MON, "day")
    hours = v["hours"]
    assert hours["dispense"] == [{"hour": 8, "n": 1, "mean": 15.0}, {"hour": 9, "n": 1, "mean": 30.0}]
    assert hours["step_wait:pharmacy"] == [{"hour": 8, "n": 1, "mean": 6.0}, {"hour": 9, "n": 1, "mean": 2.0}]
    assert hours["lab_tat"] == [{"hour": 9, "n": 1, "mean": 60.0}]
    assert hours["journey"] == [{"hour": 8, "n": 1, "mean": 50.0}, {"hour": 9, "n": 1, "mean": 55.0}]
    steps = {s["kind"]: s["kpis"] for s in v["steps"]}
    assert steps["pharmacy"]["dispense_median"] == 15 and steps["lab"]["lab_tat_median"] == 60
    with service.store.read() as conn:
        w = report.view(conn, service.config, Scope("hospital"), MON, date(2026, 11, 29), "week")
    assert [s["kpis"]["journey_median"] for s in w["series"]][:2] == [50, None]  # per day: Monday's, then none


def test_the_rebuild_gives_the_same_step_figures(service, journeys):
    from test_cockpit_kpis import _rollup_rows

    before = _rollup_rows(service)
    assert any(row[3] == "journey" for row in before)
    with service.store.lock:
        from cockpit import rollups

        rollups.rebuild(service.store.conn)
    assert _rollup_rows(service) == before


def test_a_journey_counts_once_no_step_is_open_and_again_if_a_step_reopens_it(service, clock):
    day = Day(service, clock)
    a = clinic(day, "08:00", "08:10", "08:20")
    day.at("08:20")
    service.open_steps(a, [Order(kind="drug", items=[{"code": "AMOX"}])], DOCTOR)
    assert kpis(service, MON)["journey_median"] is None  # the medicine is still to collect
    medicine(service, day, step_of(service, a, "pharmacy"), "08:25", "08:40", "08:46", "08:50")
    assert kpis(service, MON)["journey_median"] == 50
    day.at("09:00")
    service.open_steps(a, [Order(kind="lab", items=[{"code": "CBC"}], order_id="LATE-1")], DOCTOR)
    assert kpis(service, MON)["journey_median"] is None  # open again: not counted until its last step ends


def test_the_wait_alert_works_per_step_and_reaches_the_cockpit(service, clock):
    day = Day(service, clock)
    a = clinic(day, "08:00", "08:10", "08:20")
    day.at("08:20")
    service.open_steps(a, [Order(kind="drug", items=[{"code": "AMOX"}])], DOCTOR)
    day.at("08:25").do("pay_step", visit_id=step_of(service, a, "pharmacy"))
    threshold = service.config.rules_for_area("YF").wait_alert_minutes
    clock.set(datetime(2026, 11, 23, 8, 26) + (datetime(2026, 1, 1, 0, threshold) - datetime(2026, 1, 1)))
    raised = [e.data for e in service.wait_alerts.check() if e.data.get("active", True)]
    assert [a["dept_id"] for a in raised] == ["YF"]  # a prescription waits from payment, 配药中 included
    assert kpis(service, MON, level="dept", key="YF")["wait_alerts"] == 1
    assert kpis(service, MON)["wait_alerts"] == 1
