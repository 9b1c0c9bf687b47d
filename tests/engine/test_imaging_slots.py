"""Imaging slots: each modality books its exams into a grid of slots (slot_minutes, slot_capacity of the hospital
file). A requested slot that is full is refused (slot_taken), an exam without a time gets the next free slot, and
under random orders (paid or not), cancellations and restarts no slot ever holds more exams than its capacity."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from caller.engine.engine import QueueEngine
from caller.engine.model import RuleError, VisitState
from caller.engine.slots import SlotGrid
from common.config import ConfigError, hospital_from_dict

S = VisitState
DAY = date(2026, 12, 7)


def slot_hospital(minutes: int | None = 30, capacity: int | None = 2, **schedule) -> object:
    """A clinic room and two modalities: ultrasound U (the given grid) and ECG E (the defaults: 15 min, 1 exam)."""
    us = {k: v for k, v in (("slot_minutes", minutes), ("slot_capacity", capacity)) if v is not None}
    return hospital_from_dict({
        "hospital": {"name": "测试医院"},
        "rules": {"check_in_mode": True, "early_check_in": "any_time"},
        "schedule": {"am": "08:00-12:00", "pm": "13:30-17:30", **schedule},
        "areas": [
            {"id": "OPD", "name": "内科诊区", "rooms": [{"id": "C1", "name": "1诊室", "departments": ["X"]}]},
            {"id": "IMG", "name": "检查区", "rules": {"precise_slots": True, "room_cap": 1},
             "rooms": [{"id": "US1", "name": "超声1室", "departments": ["U"]},
                       {"id": "US2", "name": "超声2室", "departments": ["U"]},
                       {"id": "ECG1", "name": "心电图室", "departments": ["E"]}]},
        ],
        "departments": [
            {"id": "X", "name": "内科", "prefix": "A", "area": "OPD"},
            {"id": "U", "name": "超声科", "prefix": "U", "area": "IMG", "service": "imaging", **us},
            {"id": "E", "name": "心电图室", "prefix": "E", "area": "IMG", "service": "imaging"},
        ],
        "catalog": {"imaging_exams": [
            {"code": "US-THY", "name": "甲状腺彩超", "price": 12000, "department": "U", "slot_minutes": 15},
            {"code": "ECG", "name": "常规心电图", "price": 2500, "department": "E", "slot_minutes": 10}]},
    })


def exam(code: str = "US-THY", slot: str | None = None, day: date | None = None, paid: bool = True) -> dict:
    order: dict = {"kind": "imaging", "items": [{"code": code}], "paid": paid}
    if slot:
        order["slot_start"] = slot
    if day:
        order["slot_day"] = day.isoformat()
    return order


class Patients:
    def __init__(self, hospital=None, at: time = time(8, 0)):
        self.engine = QueueEngine(hospital or slot_hospital())
        self.now = datetime.combine(DAY, at)
        self.n = 0

    def visit(self) -> str:
        self.n += 1
        change = self.engine.register("X", "p", f"患者{self.n}号", "general", "onsite", "am", actor="nurse", now=self.now)
        return change.result.id

    def order(self, *orders: dict):
        """The steps the doctor's orders open for a new patient: (day, slot start) of each."""
        root = self.visit()
        self.engine.open_steps(root, list(orders), actor="doctor", now=self.now)
        return [(s.day, s.slot_start) for s in self.engine.journey(root)[1:]]


def test_the_grid_is_the_opening_hours_cut_into_slots():
    grid = SlotGrid.of(slot_hospital().departments[1], [(time(8, 0), time(12, 0)), (time(13, 30), time(17, 30))])
    assert (grid.minutes, grid.capacity, len(grid.starts)) == (30, 2, 16)
    assert grid.starts[0] == time(8, 0) and grid.starts[7] == time(11, 30) and grid.starts[8] == time(13, 30)
    default = SlotGrid.of(slot_hospital().departments[2], [(time(8, 0), time(12, 0))])
    assert (default.minutes, default.capacity, len(default.starts)) == (15, 1, 16)
    assert grid.slot_of(time(8, 45)) == time(8, 30) and grid.slot_of(time(12, 40)) == time(12, 40)


@pytest.mark.parametrize("now, booked", [
    (time(8, 0), [(DAY, time(8, 0)), (DAY, time(8, 0)), (DAY, time(8, 30))]),    # 2 per slot, then the next
    (time(8, 50), [(DAY, time(8, 30)), (DAY, time(8, 30)), (DAY, time(9, 0))]),  # the running slot still counts
    (time(11, 45), [(DAY, time(11, 30)), (DAY, time(11, 30)), (DAY, time(13, 30))]),  # the afternoon's first
    (time(17, 10), [(DAY, time(17, 0)), (DAY, time(17, 0)), (DAY + timedelta(days=1), time(8, 0))]),
    (time(18, 0), [(DAY + timedelta(days=1), time(8, 0))] * 2 + [(DAY + timedelta(days=1), time(8, 30))]),
])
def test_an_exam_without_a_time_gets_the_next_free_slot(now, booked):
    patients = Patients(at=now)
    assert [patients.order(exam())[0] for _ in booked] == booked


def test_a_requested_slot_that_is_full_is_refused_in_chinese_and_changes_nothing():
    patients = Patients()
    assert patients.order(exam(slot="09:10")) == [(DAY, time(9, 10))]
    assert patients.order(exam(slot="09:00")) == [(DAY, time(9, 0))]  # the same 09:00-09:30 slot, its 2nd exam
    root = patients.visit()
    before = [v.to_row() for v in patients.engine.visits()]
    with pytest.raises(RuleError) as refused:
        patients.engine.open_steps(root, [exam(slot="09:20")], actor="doctor", now=patients.now)
    assert refused.value.code == "slot_taken" and refused.value.status == 409
    assert "已约满" in refused.value.message_zh and "请选择其他时段" in refused.value.message_zh
    assert [v.to_row() for v in patients.engine.visits()] == before
    # another slot, another modality, another day are free; the full slot frees when an exam is cancelled
    assert patients.order(exam(slot="09:30")) == [(DAY, time(9, 30))]
    assert patients.order(exam("ECG", slot="09:20")) == [(DAY, time(9, 20))]
    assert patients.order(exam(slot="09:20", day=DAY + timedelta(days=1))) == [(DAY + timedelta(days=1), time(9, 20))]
    first = next(v for v in patients.engine.visits() if v.slot_start == time(9, 10))
    patients.engine.cancel(first.id, actor="nurse", now=patients.now)
    assert patients.order(exam(slot="09:20")) == [(DAY, time(9, 20))]


def test_exams_of_one_order_count_against_each_other_and_unpaid_ones_hold_their_slot():
    patients = Patients(hospital=slot_hospital(minutes=30, capacity=1))
    assert patients.order(exam(paid=False), exam(paid=False), exam("ECG")) == [
        (DAY, time(8, 0)), (DAY, time(8, 30)), (DAY, time(8, 0))]
    with pytest.raises(RuleError, match="slot_taken|约满"):
        patients.engine.open_steps(patients.visit(), [exam("ECG"), exam("ECG", slot="08:05")], actor="doctor",
                                   now=patients.now)


def test_a_later_day_without_a_time_gets_that_days_first_free_slot():
    patients = Patients(at=time(15, 0))
    later = DAY + timedelta(days=3)
    assert patients.order(exam(day=later)) == [(later, time(8, 0))]
    assert patients.order(exam(day=later)) == [(later, time(8, 0))]
    assert patients.order(exam(day=later)) == [(later, time(8, 30))]


def test_a_full_fortnight_is_refused():
    hospital = slot_hospital(minutes=120, capacity=1, am="08:00-10:00", pm="13:30-15:30", book_days_ahead=1)
    patients = Patients(hospital=hospital)
    assert [patients.order(exam())[0] for _ in range(4)] == [
        (DAY, time(8, 0)), (DAY, time(13, 30)), (DAY + timedelta(days=1), time(8, 0)),
        (DAY + timedelta(days=1), time(13, 30))]
    with pytest.raises(RuleError) as refused:
        patients.order(exam())
    assert refused.value.code == "slot_taken" and "都已约满" in refused.value.message_zh


def test_the_hospital_file_is_checked_at_load():
    with pytest.raises(ConfigError, match="for imaging departments"):
        hospital_from_dict({**_dict(), "departments": [{"id": "X", "name": "内科", "prefix": "A", "area": "OPD",
                                                          "slot_minutes": 10}]})
    with pytest.raises(ConfigError, match="slot_capacity"):
        slot_hospital(capacity=0)
    with pytest.raises(ConfigError, match="longer than a session"):
        slot_hospital(minutes=240, am="08:00-11:00")


def _dict() -> dict:
    return {"hospital": {"name": "测试医院"}, "rules": {},
            "areas": [{"id": "OPD", "name": "内科诊区", "rooms": [{"id": "C1", "name": "1诊室", "departments": ["X"]}]}]}


class SlotMachine(RuleBasedStateMachine):
    """Random orders (with and without a time, today or later), payments, cancellations and restarts."""

    @initialize(minutes=st.sampled_from([10, 30, 60]), capacity=st.integers(1, 3))
    def setup(self, minutes: int, capacity: int) -> None:
        self.hospital = slot_hospital(minutes, capacity)
        self.capacity = {"U": capacity, "E": 1}
        self.patients = Patients(self.hospital, at=time(7, 50))

    @rule(codes=st.lists(st.sampled_from(["US-THY", "ECG"]), min_size=1, max_size=3),
          slot=st.sampled_from([None, "08:00", "08:10", "08:40", "09:05", "11:55", "13:30", "19:00"]),
          later=st.sampled_from([0, 0, 1, 2]), paid=st.booleans())
    def order(self, codes, slot, later, paid) -> None:
        day = DAY + timedelta(days=later) if later else None
        root = self.patients.visit()
        before = Counter(self._counts())
        try:
            self.patients.engine.open_steps(root, [exam(c, slot, day, paid) for c in codes], actor="doctor",
                                            now=self.patients.now)
        except RuleError as refused:
            assert refused.code == "slot_taken" and slot is not None, refused
            assert Counter(self._counts()) == before
            return
        if slot is None:  # every slot before the one given, on its day and not over yet, was full
            for step in self.patients.engine.journey(root)[1:]:
                grid = self.patients.engine._slot_grids[step.dept_id]
                used = Counter(self._counts())
                after = self.patients.now.time() if step.day == self.patients.now.date() else time(0, 0)
                for start in grid.starts:
                    if start >= step.slot_start:
                        break
                    if (datetime.combine(step.day, start) + timedelta(minutes=grid.minutes)).time() > after:
                        assert used[(step.dept_id, step.day, start)] >= self.capacity[step.dept_id]

    @rule(data=st.data())
    def cancel(self, data) -> None:
        steps = [v for v in self.patients.engine.visits() if v.step_kind == "imaging" and v.state != S.cancelled]
        if steps:
            self.patients.engine.cancel(data.draw(st.sampled_from(steps)).id, actor="nurse", now=self.patients.now)

    @rule(minutes=st.integers(1, 200))
    def time_passes(self, minutes: int) -> None:
        self.patients.now += timedelta(minutes=minutes)
        if self.patients.now.date() > DAY:
            self.patients.now = datetime.combine(DAY, time(17, 50))

    @rule()
    def restart(self) -> None:
        engine = QueueEngine(self.hospital)
        old = self.patients.engine
        engine.load([v.to_row() for v in old.visits()], [], dict(old._counters), now=self.patients.now)
        self.patients.engine = engine

    def _counts(self) -> list[tuple[str, date, time]]:
        """Every booked exam not cancelled, in its grid slot, counted from the visits themselves."""
        engine = self.patients.engine
        return [(v.dept_id, v.day, engine._slot_grids[v.dept_id].slot_of(v.slot_start)) for v in engine.visits()
                if v.step_kind == "imaging" and v.state != S.cancelled]

    @invariant()
    def no_slot_over_capacity(self) -> None:
        for (dept_id, _, _), count in Counter(self._counts()).items():
            assert count <= self.capacity[dept_id]


SlotMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
test_no_slot_is_ever_over_capacity = SlotMachine.TestCase
