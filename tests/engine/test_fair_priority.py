"""Fair priority: priority_ratio and max_priority_delay_minutes bound how often special patients go first;
the defaults keep rule 9 exactly (priority always first)."""
from __future__ import annotations

from datetime import timedelta

from engine_clinic import Clinic
from hypothesis import given, settings
from hypothesis import strategies as st

from caller.engine.fairness import is_priority

# a morning: each step a normal or an elderly patient arrives, or room R1 calls and finishes (minutes pass)
steps = st.lists(st.tuples(st.sampled_from(["normal", "elderly", "call", "call"]), st.integers(1, 12)),
                 min_size=1, max_size=40)


def _play(c: Clinic, ops) -> list[tuple]:
    """Run the steps; return per call (called visit, whether a normal visit was waiting, now)."""
    calls = []
    for i, (op, minutes) in enumerate(ops):
        c.tick(minutes)
        if op == "call":
            waiting = c.engine.room_queue("R1") + c.engine.area_queue("OPD")
            normal_waiting = any(not is_priority(v) and v.dept_id == "X" for v in waiting)
            visit = c.call("R1")
            if visit is not None:
                calls.append((visit, normal_waiting, c.now, [v.id for v in waiting]))
                c.do("move", "start", visit.id)
                c.do("move", "finish", visit.id)
        else:
            visit = c.arrive(f"{op[0]}{i}")
            if op == "elderly":
                c.do("set_priority", visit.id, "elderly")
    return calls


@settings(max_examples=120, deadline=None)
@given(ops=steps)
def test_defaults_call_priority_first_as_today(ops):
    c = Clinic({"room_cap": 1}).at("08:30")
    for visit, _normal_waiting, _now, waiting in _play(c, ops):
        assert visit.id == waiting[0] or not waiting  # the head of the waiting order, as rule 9 says


@settings(max_examples=120, deadline=None)
@given(ops=steps, ratio=st.integers(2, 4))
def test_at_most_one_priority_call_in_any_n_calls_while_normal_visits_wait(ops, ratio):
    c = Clinic({"room_cap": 1, "priority_ratio": ratio}).at("08:30")
    calls = _play(c, ops)
    for i, (visit, normal_waiting, _now, _waiting) in enumerate(calls):
        if not is_priority(visit) or not normal_waiting:
            continue
        earlier = calls[max(0, i - ratio + 1):i]
        assert not any(is_priority(v) for v, *_ in earlier), "two priority calls within N calls"


@settings(max_examples=120, deadline=None)
@given(ops=steps, limit=st.integers(5, 30))
def test_no_normal_visit_is_passed_by_priority_for_longer_than_the_limit(ops, limit):
    c = Clinic({"room_cap": 1, "max_priority_delay_minutes": limit}).at("08:30")
    passing_since = None
    for visit, normal_waiting, now, _waiting in _play(c, ops):
        if is_priority(visit) and normal_waiting:
            passing_since = passing_since or now
            assert now - passing_since < timedelta(minutes=limit), "a normal visit was passed for too long"
        elif not is_priority(visit):
            passing_since = None


def test_ratio_two_alternates_and_the_queue_order_itself_is_unchanged():
    c = Clinic({"room_cap": 1, "priority_ratio": 2}).at("08:30")
    for name in ("a", "b", "c"):
        c.arrive(name)
    for name in ("e1", "e2", "e3"):
        c.do("set_priority", c.arrive(name).id, "elderly")
    assert c.names() + c.room_names("R1") in (["e1", "e2", "e3", "a", "b", "c"], ["e2", "e3", "a", "b", "c", "e1"])
    called = []
    for _ in range(6):
        visit = c.call("R1")
        called.append(visit.patient_name)
        c.do("move", "start", visit.id)
        c.do("move", "finish", visit.id)
    assert called == ["e1", "a", "e2", "b", "e3", "c"]
