"""The scripted morning's plan and figures (pure parts): every fault is in a short script, the late patient
comes after their slot, the simulated clock runs at its speed, percentiles are nearest-rank."""
from __future__ import annotations

from datetime import datetime, timedelta

from demo.clock import SimClock, clinic_clock
from demo.ledger import percentile
from demo.prepare import Appointment, KnownPatient
from demo.script import LATE, MISSED, PAPER_OUT, PAYMENT_TIMEOUT, morning_script

START = datetime(2026, 11, 23, 8, 25)


def _cast():
    known = [KnownPatient(n, f"患者{n}", f"MC26{n:06d}", "1940-01-01" if n % 3 == 0 else "1990-05-05",
                          has_bill=n % 7 == 0, has_report=n % 11 == 0) for n in range(1, 60)]
    appts = [Appointment(100 + n, KnownPatient(500 + n, f"预约{n}", f"MC26{500 + n:06d}", "1980-01-01"), "NK",
                         start, end) for n, (start, end) in enumerate([("08:00", "08:30"), ("08:30", "09:00"),
                                                                        ("09:00", "09:30")])]
    return known, appts


def test_a_short_script_still_has_every_fault_and_the_late_patient_comes_after_the_slot():
    known, appts = _cast()
    script = morning_script(8, START, 12, known, appts, seed=7)
    assert len(script) == 8
    assert {a.fault for a in script if a.fault} == {PAPER_OUT, PAYMENT_TIMEOUT, LATE, MISSED}
    late = next(a for a in script if a.fault == LATE)
    assert late.via_kiosk and late.at >= START.replace(hour=8, minute=35)
    assert [a.at for a in script] == sorted(a.at for a in script)
    assert all(a.via_kiosk for a in script if a.fault in (PAPER_OUT, PAYMENT_TIMEOUT, LATE))


def test_sixty_patients_arrive_within_the_window_and_no_patient_comes_twice():
    known, appts = _cast()
    script = morning_script(60, START, 60, known, appts, seed=7)
    assert len(script) == 60
    assert all(START <= a.at <= START + timedelta(minutes=60) for a in script if a.fault != LATE)
    people = [a.known.patient_id for a in script if a.known] + [a.appointment.registration_id for a in script if a.appointment]
    assert len(people) == len(set(people))


def test_simulated_clock_runs_at_its_speed_and_agrees_across_instances():
    wall = [1000.0]
    clock = SimClock(START, 1000.0, 40.0, wall=lambda: wall[0])
    same = SimClock(START, 1000.0, 40.0, wall=lambda: wall[0])
    wall[0] += 3.0
    assert clock() == same() == START + timedelta(minutes=2)
    assert clock.wall_seconds_until(START + timedelta(minutes=4)) == 3.0


def test_outside_clinic_hours_the_demo_clock_starts_at_nine():
    night = clinic_clock(datetime(2026, 11, 23, 22, 15), wall=0.0)
    assert night.anchor_sim == datetime(2026, 11, 23, 9, 0)
    day = clinic_clock(datetime(2026, 11, 23, 10, 15), wall=0.0)
    assert day.anchor_sim == datetime(2026, 11, 23, 10, 15)


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 50) == 5.0
    assert percentile(values, 90) == 9.0
    assert percentile([], 90) is None
