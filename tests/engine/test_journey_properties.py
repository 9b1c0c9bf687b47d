"""Journeys (一票到底) under random commands: a patient is never called in two places, a step waiting while its
patient is elsewhere keeps its place and is called when free, and a moved step keeps its priority and arrival order."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from caller.engine import ordering
from caller.engine.engine import QueueEngine
from caller.engine.model import RoomState, RuleError, Visit, VisitState
from common.config import hospital_from_dict

S = VisitState
DAY = date(2026, 12, 7)
BUSY = (S.called, S.in_service)
KINDS = [{"kind": "military", "name": "军人", "level": 1}, {"kind": "elderly", "name": "老年人", "level": 2},
         {"kind": "fasting", "name": "空腹", "level": 3}]


def journey_hospital(pharmacy_dispatch: str = "manual", lab_cap: int = 1) -> object:
    """A clinic area (rooms C1 C2), a pharmacy (windows W1 W2), a lab (draw stations L1 L2), imaging (US1) and a
    cashier (S1), with a small catalog."""
    rules = {"special_kinds": KINDS}
    return hospital_from_dict({
        "hospital": {"name": "测试医院"},
        "rules": {**rules, "check_in_mode": True, "early_check_in": "any_time"},
        "areas": [
            {"id": "OPD", "name": "内科诊区", "rooms": [{"id": "C1", "name": "1诊室", "departments": ["X"]},
                                                    {"id": "C2", "name": "2诊室", "departments": ["X"]}]},
            {"id": "PH", "name": "药房", "rules": {"base_order": "check_in", "appointments_first": False,
                                                 "dispatch": pharmacy_dispatch, "auto_priority": ["elderly"],
                                                 "call_template": "请 {ticket} 号 {name} 到 {room}取药"},
             "rooms": [{"id": "W1", "name": "1号窗口", "departments": ["P"]},
                       {"id": "W2", "name": "2号窗口", "departments": ["P"]}]},
            {"id": "LAB", "name": "采血处", "rules": {"base_order": "check_in", "appointments_first": False,
                                                   "room_cap": lab_cap, "auto_priority": ["elderly", "fasting"]},
             "rooms": [{"id": "L1", "name": "1号采血窗口", "departments": ["L"]},
                       {"id": "L2", "name": "2号采血窗口", "departments": ["L"]}]},
            {"id": "IMG", "name": "超声", "rules": {"precise_slots": True, "room_cap": 1},
             "rooms": [{"id": "US1", "name": "超声1室", "departments": ["U"]}]},
            {"id": "CASH", "name": "收费处", "rules": {"base_order": "check_in", "room_cap": 1},
             "rooms": [{"id": "S1", "name": "1号收费窗口", "departments": ["C"]}]},
        ],
        "departments": [
            {"id": "X", "name": "内科", "prefix": "A", "area": "OPD"},
            {"id": "P", "name": "药房", "prefix": "Y", "area": "PH", "service": "pharmacy"},
            {"id": "L", "name": "检验科", "prefix": "J", "area": "LAB", "service": "lab"},
            {"id": "U", "name": "超声科", "prefix": "U", "area": "IMG", "service": "imaging"},
            {"id": "C", "name": "收费处", "prefix": "S", "area": "CASH", "service": "cashier"},
        ],
        "catalog": {
            "drugs": [{"code": "AMOX", "name": "阿莫西林", "price": 1850}, {"code": "IBU", "name": "布洛芬", "price": 1620}],
            "lab_panels": [{"code": "CBC", "name": "血常规", "tube": "purple", "price": 2500},
                           {"code": "GLU", "name": "空腹血糖", "tube": "grey", "price": 800, "fasting": True}],
            "imaging_exams": [{"code": "US-ABD", "name": "腹部彩超", "price": 18000, "fasting_hours": 8},
                              {"code": "US-PELV", "name": "盆腔彩超", "price": 15000, "water_minutes": 45},
                              {"code": "US-THY", "name": "甲状腺彩超", "price": 12000}],
        },
    })


ORDERS = st.lists(st.sampled_from([
    {"kind": "drug", "items": [{"code": "AMOX"}]},
    {"kind": "drug", "items": [{"code": "AMOX"}, {"code": "IBU", "quantity": 2}]},
    {"kind": "lab", "items": [{"code": "CBC"}]},
    {"kind": "lab", "items": [{"code": "CBC"}, {"code": "GLU"}]},
    {"kind": "imaging", "items": [{"code": "US-THY"}]},
    {"kind": "imaging", "items": [{"code": "US-PELV"}]},
    {"kind": "imaging", "items": [{"code": "US-ABD"}]},
]), min_size=1, max_size=4)
POINTS = ["C1", "C2", "W1", "W2", "L1", "L2", "US1", "S1"]
AREAS = ["OPD", "PH", "LAB", "IMG", "CASH"]


class JourneyMachine(RuleBasedStateMachine):
    """Patients go from the clinic to the pharmacy, lab, imaging and cashier under random commands."""

    @initialize(dispatch=st.sampled_from(["manual", "auto"]), cap=st.integers(1, 2))
    def setup(self, dispatch: str, cap: int) -> None:
        self.engine = QueueEngine(journey_hospital(dispatch, cap))
        self.now = datetime.combine(DAY, time(8, 0))
        self.names = iter(f"患者{n}号" for n in range(1000))

    def tick(self, minutes: float = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    def run(self, command: str, *args, **kwargs):
        before = {v.id: v.to_row() for v in self.engine.visits()}
        try:
            return getattr(self.engine, command)(*args, actor="staff", now=self.tick(1), **kwargs)
        except RuleError as refused:
            assert refused.code and refused.message_zh and refused.message_en
            assert {v.id: v.to_row() for v in self.engine.visits()} == before, f"refused {command} changed visits"
            return None

    def pick(self, data, where=lambda v: True) -> Visit | None:
        pool = [v for v in self.engine.visits() if where(v)]
        return data.draw(st.sampled_from(pool)) if pool else None

    # ---- patients arrive, see the doctor, get orders ------------------------------------------------------
    @rule(elderly=st.booleans())
    def arrive(self, elderly: bool) -> None:
        change = self.run("register", "X", "p", next(self.names), "general", "onsite", "am")
        if change is None:
            return
        self.run("check_in", change.result.id)
        if elderly:
            self.run("set_priority", change.result.id, "elderly")

    @rule(window=st.sampled_from([None, "W1", "W2"]), elderly=st.booleans(), fasting=st.booleans())
    def patient_in_two_queues(self, window, elderly, fasting) -> None:
        """The usual case, in one go: a paid prescription ready at a window and a lab draw checked in."""
        change = self.run("register", "X", "p", next(self.names), "general", "onsite", "am")
        if change is None:
            return
        lab = [{"code": "CBC"}] + ([{"code": "GLU"}] if fasting else [])
        opened = self.run("open_steps", change.result.id, [{"kind": "drug", "items": [{"code": "AMOX"}], "paid": True},
                                                           {"kind": "lab", "items": lab, "paid": True}],
                          flags=("elderly",) if elderly else ())
        if opened is None:
            return
        drug, lab_step = self.engine.journey(change.result.id)[1:]
        self.run("mark_ready", drug.id, window)
        self.run("check_in", lab_step.id)

    @rule(data=st.data(), orders=ORDERS, flags=st.sampled_from([(), ("elderly",)]), pay_at_window=st.booleans(),
          paid=st.booleans(), slot=st.sampled_from([None, "08:30", "09:00", "10:00"]))
    def doctor_orders(self, data, orders, flags, pay_at_window, paid, slot) -> None:
        visit = self.pick(data, lambda v: v.journey_id is None and v.state != S.cancelled)
        if visit is None:
            return
        orders = [{**o, "paid": paid, **({"slot_start": slot} if o["kind"] == "imaging" and slot else {})}
                  for o in orders]
        self.run("open_steps", visit.id, orders, flags=flags, pay_at_window=pay_at_window)

    @rule(data=st.data())
    def pay(self, data) -> None:
        step = self.pick(data, lambda v: v.stage == "unpaid")
        if step is not None:
            self.run("pay_step", step.id)

    @rule(data=st.data(), window=st.sampled_from([None, "W1", "W2"]), dispense_first=st.booleans())
    def pharmacist_marks_ready(self, data, window, dispense_first) -> None:
        step = self.pick(data, lambda v: v.step_kind == "pharmacy" and v.stage in ("pending", "dispensing"))
        if step is None:
            return
        if dispense_first:
            self.run("start_dispensing", step.id)
        self.run("mark_ready", step.id, window)

    @rule(data=st.data())
    def check_in_at_lab_or_imaging(self, data) -> None:
        step = self.pick(data, lambda v: v.step_kind in ("lab", "imaging") and v.state == S.registered)
        if step is not None:
            self.run("check_in", step.id)

    @rule(data=st.data(), ate=st.integers(0, 12 * 60), drank=st.integers(0, 90), consent=st.booleans())
    def preparation(self, data, ate, drank, consent) -> None:
        step = self.pick(data, lambda v: v.step_kind == "imaging" and v.state in (S.registered, S.waiting, S.room_waiting))
        if step is not None:
            self.run("set_gate", step.id, fasting_since=self.now - timedelta(minutes=ate),
                     water_at=self.now - timedelta(minutes=drank), consent=consent)

    # ---- service points call and serve ----------------------------------------------------------------------
    @rule(room=st.sampled_from(POINTS))
    def call_next(self, room: str) -> None:
        keys = {v.id: ordering.sort_key(v) for v in self.engine.visits() if v.state in (S.waiting, S.room_waiting)}
        queued = {v.id for v in self.engine.room_queue(room)}
        change = self.run("call_next", room)
        if change is None:
            return
        called = change.result
        for visit in self.engine.room_queue(room):  # who the call went past in the room's own queue
            if visit.id in keys:
                assert ordering.sort_key(visit) == keys[visit.id], "a passed-over visit lost its place"
            if visit.id in queued and (called is None or ordering.sort_key(visit) < keys[called.id]):
                elsewhere = self.engine.busy_elsewhere(visit.id)
                held = not self.engine.step_gate(visit.id, self.now).met
                assert elsewhere is not None or held, f"{visit.id} was passed over though free"

    @rule(data=st.data(), outcome=st.sampled_from(["serve", "collect", "again", "miss", "recall", "settle"]))
    def serve(self, data, outcome) -> None:
        visit = self.pick(data, lambda v: v.state in BUSY or v.state == S.missed)
        if visit is None:
            return
        if outcome == "serve":
            if visit.state == S.called:
                self.run("move", "start", visit.id)
            self.run("move", "finish", visit.id)
        elif outcome == "collect":
            self.run("collect", visit.id, visit.journey_id)
        elif outcome == "settle":
            self.run("settle", visit.id)
        elif outcome == "again":
            self.run("call_again", visit.id)
        elif outcome == "miss":
            self.run("move", "missed", visit.id)
        else:
            self.run("move", "recall", visit.id)

    @rule(data=st.data(), room=st.sampled_from(POINTS))
    def call_by_hand(self, data, room) -> None:
        visit = self.pick(data, lambda v: v.state in (S.waiting, S.room_waiting))
        if visit is None:
            return
        elsewhere = self.engine.busy_elsewhere(visit.id)
        change = self.run("call_visit", visit.id, room, "急")
        if elsewhere is not None:
            assert change is None, "called by hand while at another point"

    @rule(data=st.data(), kind=st.sampled_from([None, "military", "elderly"]))
    def priority(self, data, kind) -> None:
        visit = self.pick(data, lambda v: v.state in (S.waiting, S.room_waiting, S.registered))
        if visit is not None:
            self.run("set_priority", visit.id, kind)

    @rule(data=st.data(), window=st.sampled_from(["W1", "W2", "L1", "L2"]))
    def redirect(self, data, window) -> None:
        """A step sent to another window of its service keeps its priority and its arrival order."""
        step = self.pick(data, lambda v: v.journey_id is not None and v.state in (S.waiting, S.room_waiting))
        if step is None:
            return
        if self.engine._room_cfg[window].departments != [step.dept_id]:
            with pytest.raises(RuleError):  # a step moves between the windows of its own service only
                self.engine.transfer(step.id, room_id=window, actor="staff", now=self.tick(1))
            return
        same_dept = [v for v in self.engine.visits() if v.dept_id == step.dept_id and v.id != step.id
                     and v.state in (S.waiting, S.room_waiting)]
        before = {v.id: ordering.sort_key(v) < ordering.sort_key(step) for v in same_dept}
        kind = step.priority_kind
        change = self.run("transfer", step.id, room_id=window)
        if change is None:
            return
        moved = self.engine.visit(step.id)
        assert moved.priority_kind == kind and moved.ticket == step.ticket
        for other in same_dept:
            other = self.engine.visit(other.id)
            if other.state in (S.waiting, S.room_waiting):
                assert (ordering.sort_key(other) < ordering.sort_key(moved)) == before[other.id], "arrival order lost"

    @rule(minutes=st.integers(5, 60))
    def time_passes(self, minutes) -> None:
        self.tick(minutes)

    # ---- invariants ---------------------------------------------------------------------------------------
    @invariant()
    def never_called_in_two_places(self) -> None:
        if not hasattr(self, "engine"):
            return
        busy: dict[str, list[str]] = {}
        for visit in self.engine.visits():
            if visit.state in BUSY:
                busy.setdefault(visit.journey_id or visit.id, []).append(visit.id)
        assert all(len(ids) == 1 for ids in busy.values()), busy

    @invariant()
    def steps_carry_their_journey(self) -> None:
        if not hasattr(self, "engine"):
            return
        for visit in self.engine.visits():
            if visit.journey_id:
                root = self.engine.visit(visit.journey_id)
                assert (visit.ticket, visit.patient_id, visit.patient_name) == (root.ticket, root.patient_id,
                                                                               root.patient_name)
                assert root.journey_id is None
                if visit.stage == "unpaid":
                    assert visit.state == S.registered, "an unpaid step is in a queue"

    @invariant()
    def queues_hold_each_visit_once_and_reload_the_same(self) -> None:
        if not hasattr(self, "engine"):
            return
        for area in AREAS:
            listed = [v.id for v in self.engine.area_queue(area)]
            listed += [v.id for room in POINTS if self.engine._room_area[room] == area
                       for v in self.engine.room_queue(room)]
            assert len(listed) == len(set(listed))
        stored = [json.loads(json.dumps(v.to_row(), default=str)) for v in self.engine.visits()]
        again = QueueEngine(self.engine.hospital)
        again.load(stored, [RoomState.from_row(r.to_row()) for r in self.engine.rooms()], self.engine.counters())
        for room in POINTS:
            assert [v.id for v in again.room_queue(room)] == [v.id for v in self.engine.room_queue(room)]
        for visit in self.engine.visits():
            if visit.state not in BUSY and visit.state in (S.waiting, S.room_waiting):
                assert (again.busy_elsewhere(visit.id) is None) == (self.engine.busy_elsewhere(visit.id) is None)


JourneyMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestJourneyMachine = JourneyMachine.TestCase


# ---- the rules as a person reads them -------------------------------------------------------------------
@pytest.fixture
def engine() -> QueueEngine:
    return QueueEngine(journey_hospital("manual", 1))


def at(hh_mm: str) -> datetime:
    return datetime.combine(DAY, time.fromisoformat(hh_mm))


def patient(engine: QueueEngine, name: str, when: str) -> Visit:
    visit = engine.register("X", "p-" + name, name, "general", "onsite", "am", at(when)).result
    engine.check_in(visit.id, actor="n", now=at(when))
    return visit


def test_a_patient_at_the_lab_keeps_the_pharmacy_place_and_is_called_when_free(engine):
    a, b = patient(engine, "王小明", "08:00"), patient(engine, "李四", "08:01")
    for visit in (a, b):
        engine.open_steps(visit.id, [{"kind": "drug", "items": [{"code": "AMOX"}], "paid": True},
                                     {"kind": "lab", "items": [{"code": "CBC"}], "paid": True}], actor="d", now=at("08:10"))
    a_drug, a_lab = engine.journey(a.id)[1:]
    b_drug = engine.journey(b.id)[1]
    engine.check_in(a_lab.id, actor="lab", now=at("08:11"))
    assert engine.call_next("L1", actor="lab", now=at("08:12")).result.id == a_lab.id
    engine.mark_ready(a_drug.id, "W1", actor="ph", now=at("08:13"))
    engine.mark_ready(b_drug.id, "W1", actor="ph", now=at("08:14"))
    assert [v.id for v in engine.room_queue("W1")] == [a_drug.id, b_drug.id]
    # 王小明 is at the lab: the window calls 李四, and 王小明 stays first on the list
    assert engine.call_next("W1", actor="ph", now=at("08:15")).result.id == b_drug.id
    assert [v.id for v in engine.room_queue("W1")] == [a_drug.id]
    with pytest.raises(RuleError) as refused:
        engine.call_visit(a_drug.id, "W1", "急", actor="ph", now=at("08:15"))
    assert refused.value.code == "busy_elsewhere" and "1号采血窗口" in refused.value.message_zh
    engine.move("start", a_lab.id, actor="lab", now=at("08:16"))
    engine.move("finish", a_lab.id, actor="lab", now=at("08:18"))
    engine.collect(b_drug.id, b.id, actor="ph", now=at("08:19"))
    change = engine.call_next("W1", actor="ph", now=at("08:20"))
    assert change.result.id == a_drug.id
    call = next(e for e in change.events if e.type == "call")
    assert call.data["text"] == "请 A001 号 王*明 到 1号窗口取药" and "王小明" not in call.data["speech"]


def test_the_imaging_gate_holds_the_call_until_met(engine):
    a = patient(engine, "张三", "08:00")
    engine.open_steps(a.id, [{"kind": "imaging", "items": [{"code": "US-PELV"}], "paid": True}], actor="d", now=at("08:05"))
    step = engine.journey(a.id)[1]
    engine.check_in(step.id, actor="desk", now=at("08:06"))
    assert engine.call_next("US1", actor="t", now=at("08:07")).result is None  # water not recorded
    engine.set_gate(step.id, water_at=at("08:10"), actor="desk", now=at("08:10"))
    gate = engine.step_gate(step.id, at("08:30"))
    assert not gate.met and gate.ready_at == at("08:55") and gate.seconds_left(at("08:30")) == 25 * 60
    assert engine.call_next("US1", actor="t", now=at("08:30")).result is None
    with pytest.raises(RuleError) as refused:
        engine.call_visit(step.id, "US1", "急", actor="t", now=at("08:31"))
    assert refused.value.code == "preparation_pending" and "憋尿" in refused.value.message_zh
    assert engine.call_next("US1", actor="t", now=at("08:55")).result.id == step.id


def test_an_unpaid_step_waits_nowhere_and_the_cashier_pays_it(engine):
    a = patient(engine, "张三", "08:00")
    engine.open_steps(a.id, [{"kind": "lab", "items": [{"code": "GLU"}]}], pay_at_window=True, actor="d", now=at("08:05"))
    lab, cashier = engine.journey(a.id)[1:]
    assert lab.stage == "unpaid" and lab.amount == 800 and cashier.state == S.waiting and cashier.amount == 800
    with pytest.raises(RuleError) as refused:
        engine.check_in(lab.id, actor="lab", now=at("08:06"))
    assert refused.value.code == "not_paid" and "缴费" in refused.value.message_zh
    assert engine.call_next("S1", actor="cash", now=at("08:07")).result.id == cashier.id
    engine.settle(cashier.id, actor="cash", now=at("08:08"))
    assert engine.visit(lab.id).stage == "open" and engine.visit(lab.id).paid_at == at("08:08")
    engine.check_in(lab.id, actor="lab", now=at("08:09"))
    assert engine.visit(lab.id).priority_kind == "fasting"  # the lab's auto_priority: fasting panels first


def test_the_same_order_sent_twice_opens_once_and_bad_codes_are_refused(engine):
    a = patient(engine, "张三", "08:00")
    order = {"kind": "drug", "items": [{"code": "AMOX"}], "order_id": "RX-77"}
    engine.open_steps(a.id, [order], actor="his", now=at("08:05"))
    engine.open_steps(a.id, [order], actor="his", now=at("08:06"))
    assert len(engine.journey(a.id)) == 2
    with pytest.raises(RuleError) as refused:
        engine.open_steps(a.id, [{"kind": "drug", "items": [{"code": "NOPE"}]}], actor="d", now=at("08:07"))
    assert refused.value.code == "unknown_item" and "NOPE" in refused.value.message_zh


def test_the_wait_alert_works_per_step_and_a_prescription_waits_from_payment(engine):
    a = patient(engine, "张三", "08:00")
    engine.open_steps(a.id, [{"kind": "drug", "items": [{"code": "AMOX"}], "paid": True},
                             {"kind": "lab", "items": [{"code": "CBC"}], "paid": True}], actor="d", now=at("08:05"))
    drug, lab = engine.journey(a.id)[1:]
    engine.check_in(lab.id, actor="lab", now=at("08:20"))
    engine.start_dispensing(drug.id, actor="ph", now=at("08:30"))
    alerts = {e.data["dept_id"]: e.data for e in engine.wait_alerts(at("08:40"))}
    assert "P" in alerts and alerts["P"]["wait_minutes"] == 35.0  # paid at 08:05, still 配药中
    assert "L" not in alerts  # 20 minutes at the lab: under the 30 minutes of the rules
    assert "L" in {e.data["dept_id"] for e in engine.wait_alerts(at("08:51"))}
    assert alerts["P"]["message_zh"].startswith("药房已有患者等候 35 分钟")
