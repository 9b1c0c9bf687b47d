"""The ten scenarios of spec/queue-rules.md, each with the exact orders the spec gives."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from engine_clinic import DAY, Clinic

from caller.engine.model import RuleError, VisitState


def test_scenario_1_interleave_late_n2():
    c = Clinic({"late_mode": "interleave", "late_interleave": 2, "dispatch": "manual"})
    a = c.arrive("a")
    for name in "bcde":
        c.arrive(name)
    c.arrive("L1", slot="07:00-07:30")
    assert c.names() == ["a", "b", "L1", "c", "d", "e"]
    c.arrive("L2", slot="07:00-07:30")
    assert c.names() == ["a", "b", "L1", "c", "d", "L2", "e"]
    c.do("dispatch", a.id, "R1")
    assert c.call("R1").patient_name == "a"
    assert c.names() == ["b", "L1", "c", "d", "L2", "e"]
    c.arrive("L3", slot="07:00-07:30")
    assert c.names() == ["b", "L1", "c", "d", "L2", "e", "L3"]


def test_scenario_1_with_automatic_dispatch_counts_the_room_queue_too():
    """Patients see one line: the room queue (filled by automatic dispatch) then the area queue."""
    c = Clinic({"late_interleave": 2, "room_cap": 2}, rooms=[{"id": "R1", "name": "1诊室", "departments": ["X"]}],
               doctors=[])
    for name in "abcde":
        c.arrive(name)
    c.arrive("L1", slot="07:00-07:30")
    c.arrive("L2", slot="07:00-07:30")
    assert c.call("R1").patient_name == "a"
    line = c.room_names("R1") + c.names()
    assert line == ["b", "L1", "c", "d", "L2", "e"]
    c.arrive("L3", slot="07:00-07:30")
    assert c.room_names("R1") + c.names() == ["b", "L1", "c", "d", "L2", "e", "L3"]


def test_scenario_2_appointments_first_by_registration_sequence():
    c = Clinic({"appointments_first": True, "base_order": "registration"})
    c.arrive("s1", seq=3)
    c.arrive("s2", seq=5)
    c.arrive("p", seq=9, source="appointment")
    assert c.names() == ["p", "s1", "s2"]


def test_scenario_3_precise_slots():
    c = Clinic({"precise_slots": True}).at("08:50")
    c.arrive("z", seq=1, source="appointment", slot="09:15-09:30")
    c.arrive("y", seq=2, source="onsite", slot="09:00-09:15")
    c.arrive("x", seq=7, source="appointment", slot="09:00-09:15")
    assert c.names() == ["x", "y", "z"]


def test_scenario_4_end_of_slot_late_with_precise_slots():
    c = Clinic({"precise_slots": True, "late_mode": "end_of_slot"})
    a = c.reg("a", seq=1, source="appointment", slot="09:00-10:00")
    b = c.reg("b", seq=2, source="appointment", slot="09:00-10:00")
    d = c.reg("d", seq=3, source="appointment", slot="08:00-09:00")
    cc = c.reg("c", seq=4, source="appointment", slot="09:00-10:00")
    c.at("09:05")
    c.checkin(a)
    c.checkin(b)
    c.at("09:20")
    c.checkin(d)
    assert c.engine.visit(d.id).late
    assert c.names() == ["a", "b", "d"]
    c.at("09:30")
    c.checkin(cc)
    assert c.names() == ["a", "b", "c", "d"]


def test_scenario_5_priority():
    c = Clinic()
    for name in "abc":
        c.arrive(name)
    e1 = c.reg("e1")
    c.do("set_priority", e1.id, "elderly")
    c.checkin(e1)
    assert c.names() == ["e1", "a", "b", "c"]
    m1 = c.reg("m1")
    c.do("set_priority", m1.id, "military")
    c.checkin(m1)
    assert c.names() == ["m1", "e1", "a", "b", "c"]
    e2 = c.arrive("e2")
    c.do("set_priority", e2.id, "elderly")
    assert c.names() == ["m1", "e1", "e2", "a", "b", "c"]


def test_scenario_6_missed_and_recall_interleave_1():
    c = Clinic({"missed_after_calls": 2, "recall_mode": "interleave", "recall_interleave": 1, "dispatch": "manual"})
    a = c.arrive("a")
    c.arrive("b")
    c.arrive("c")
    c.do("dispatch", a.id, "R1")
    assert c.call("R1").id == a.id
    c.do("call_again", a.id)
    c.do("move", "missed", a.id)
    assert c.names() == ["b", "c"]
    c.do("move", "recall", a.id)
    assert c.names() == ["b", "a", "c"]
    assert c.engine.visit(a.id).recalled


def test_scenario_7_room_cap_2_automatic_dispatch():
    c = Clinic({"dispatch": "auto", "room_cap": 2}, rooms=[{"id": "R1", "name": "1诊室", "departments": ["X"]}],
               doctors=[])
    for name in "abcd":
        c.arrive(name)
    change = c.engine.call_next("R1", actor="doctor", now=c.tick())
    steps = [(entry.action, c.engine.visit(entry.visit_id).patient_name) for entry in change.audit]
    assert steps == [("dispatch", "a"), ("dispatch", "b"), ("call", "a"), ("dispatch", "c")]
    assert change.result.patient_name == "a"
    assert c.room_names("R1") == ["b", "c"]
    assert c.names() == ["d"]


def test_scenario_8_paused_room_gets_nobody_until_resumed():
    c = Clinic({"dispatch": "auto", "room_cap": 2},
               rooms=[{"id": "R1", "name": "1诊室", "departments": ["X"]}, {"id": "R2", "name": "2诊室", "departments": ["X"]}],
               doctors=[])
    for name in "abcdefghij":
        c.arrive(name)
    c.do("pause_room", "R2")
    with pytest.raises(RuleError) as refused:
        c.call("R2")
    assert refused.value.code == "room_paused"
    for _ in range(3):
        c.call("R1")
    assert c.room_names("R2") == []
    assert all(v.room_id != "R2" for v in c.engine.visits())
    c.do("resume_room", "R2")
    called = c.call("R2")
    assert called is not None and called.room_id == "R2"
    assert len(c.room_names("R2")) == 2


def _call_at_once(c: Clinic, lock: threading.Lock, now: datetime) -> list:
    barrier = threading.Barrier(2)
    results: list = []

    def press() -> None:
        barrier.wait(timeout=5)
        with lock:
            results.append(c.engine.call_next("R1", actor="console", now=now).result)

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_scenario_9_two_consoles_call_next_at_the_same_instant():
    c = Clinic({"dispatch": "auto", "room_cap": 2}, rooms=[{"id": "R1", "name": "1诊室", "departments": ["X"]}],
               doctors=[])
    lock = threading.Lock()
    c.arrive("a")
    c.arrive("b")
    both = _call_at_once(c, lock, c.tick())
    assert sorted(v.patient_name for v in both) == ["a", "b"]
    assert all(c.engine.visit(v.id).call_count == 1 for v in both)
    c.arrive("z")
    one = _call_at_once(c, lock, c.tick())
    assert sorted((v.patient_name if v else "nobody") for v in one) == ["nobody", "z"]


def test_scenario_10_thousand_tickets_from_ten_kiosks():
    c = Clinic({"check_in_mode": False})
    lock = threading.Lock()
    tickets: list[str] = []
    now = datetime.combine(DAY, datetime.min.time()).replace(hour=7)
    barrier = threading.Barrier(10)

    def kiosk(k: int) -> None:
        barrier.wait(timeout=5)
        for i in range(100):
            with lock:
                change = c.engine.register("X", f"P{k}-{i}", "张三", "general", "onsite", "am", now, actor=f"kiosk{k}")
            tickets.append(change.result.ticket)

    threads = [threading.Thread(target=kiosk, args=(k,)) for k in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(tickets, key=lambda t: int(t[1:])) == [f"A{n:03d}" for n in range(1, 1001)]
    assert len(set(tickets)) == 1000 and "A1000" in tickets and "A999" in tickets
    next_day = c.engine.register("X", "P-next", "李四", "general", "onsite", "am", now + timedelta(days=1)).result
    assert next_day.ticket == "A001"
    assert c.engine.area_queue("OPD")[0].id == next_day.id  # yesterday's visits are not today's queue
    assert next_day.state == VisitState.waiting
