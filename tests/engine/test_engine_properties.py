"""Property tests: random command sequences under random rules keep the engine's promises."""
from __future__ import annotations

import inspect
import json
from collections import defaultdict

from engine_clinic import Clinic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from caller.commands import COMMANDS
from caller.engine import ordering
from caller.engine.engine import QueueEngine
from caller.engine.model import STATE_CHANGES, RoomState, RuleError, Visit, VisitState
from common.privacy import mask_name

S = VisitState
ROOMS = ["R1", "R2", "R3", "R4"]
SLOTS = [None, "08:00-08:15", "08:30-08:45", "09:00-09:30", "09:30-10:00"]
# the commands that take nothing but the visit (the others have their own rules below); which states each may
# start from and end in is the engine's own table, keyed by the command's one name (caller/commands.py)
ONE_VISIT = sorted(c for c in STATE_CHANGES
                   if list(inspect.signature(COMMANDS[c].engine).parameters)[1:] == ["visit_id", "actor", "now"])

rule_sets = st.fixed_dictionaries({
    "check_in_mode": st.just(True),
    "base_order": st.sampled_from(["registration", "check_in"]),
    "appointments_first": st.booleans(),
    "precise_slots": st.booleans(),
    "early_check_in": st.sampled_from(["slot_start", "any_time", "minutes_before"]),
    "late_mode": st.sampled_from(["interleave", "end_of_session", "normal"]),
    "late_interleave": st.integers(0, 3),
    "missed_after_calls": st.integers(1, 3),
    "recall_mode": st.sampled_from(["interleave", "end_of_slot", "end_of_session"]),
    "recall_interleave": st.integers(0, 3),
    "dispatch": st.sampled_from(["manual", "auto"]),
    "room_cap": st.integers(1, 3),
    "extra_numbers_called": st.booleans(),
})


def rows(engine: QueueEngine) -> dict[str, dict]:
    return {v.id: v.to_row() for v in engine.visits()}


class QueueMachine(RuleBasedStateMachine):
    """Drives one engine with random commands; a refusal must change nothing."""

    @initialize(rules=rule_sets, end_of_slot=st.booleans(), data=st.data(), arrivals=st.integers(2, 8))
    def setup(self, rules: dict, end_of_slot: bool, data, arrivals: int) -> None:
        if end_of_slot and rules["precise_slots"]:
            rules = {**rules, "late_mode": "end_of_slot"}
        self.clinic = Clinic(rules)
        self.clinic.at("08:20")
        self.engine = self.clinic.engine
        self.issued: list[Visit] = []
        for _ in range(arrivals):
            self.arrive(data)

    # ---- running commands -------------------------------------------------------------------------
    def run(self, command: str, *args, **kwargs) -> None:
        before_rows, before_counters = rows(self.engine), self.engine.counters()
        before_rooms = {r.room_id: r.to_row() for r in self.engine.rooms()}
        table = COMMANDS[command].state_change  # the command by its one name: its engine call and its row
        before_state = self.engine.visit(args[0]).state if table else None
        try:
            change = COMMANDS[command].engine(self.engine, *args, actor="nurse", now=self.clinic.tick(1), **kwargs)
        except RuleError as refused:
            assert refused.code and refused.message_zh and refused.message_en
            assert rows(self.engine) == before_rows, f"refused {command} changed visits"
            assert self.engine.counters() == before_counters
            assert {r.room_id: r.to_row() for r in self.engine.rooms()} == before_rooms
            return
        if table:  # done: it may start where the table says (elsewhere it is refused) and ends where it says
            after_state = self.engine.visit(args[0]).state
            assert before_state in table.start and after_state in table.end, (command, before_state, after_state)
        after = rows(self.engine)
        changed = {vid for vid, row in after.items() if before_rows.get(vid) != row}
        assert {v.id for v in change.visits} == changed, f"{command}: Change.visits must list exactly the changed visits"
        for event in change.events:
            if event.type == "call":  # public screens and speakers never get a full name
                name = self.engine.visit(event.data["visit_id"]).patient_name
                assert event.data["name"] == mask_name(name)
                if len(name) > 1:
                    assert name not in event.data["text"] and name not in event.data["speech"]
        for entry in change.audit:
            if entry.action == "dispatch":
                room_id = entry.detail["room_id"]
                visit = self.engine.visit(entry.visit_id)
                assert not self.engine.room_state(room_id).paused, "dispatched to a paused room"
                if visit.number_kind == "expert":
                    assert visit.doctor_id == self.engine.room_doctor(room_id), "expert visit sent to another doctor"

    def pick(self, data, states: frozenset[VisitState] | tuple[VisitState, ...] | None = None) -> Visit | None:
        pool = [v for v in self.engine.visits() if states is None or v.state in states]
        if not pool:
            return None
        return data.draw(st.sampled_from(pool))

    def arrive(self, data) -> None:
        """Register a visit of random kind, source, slot and session, and (mostly) check it in."""
        dept = data.draw(st.sampled_from(["X", "X", "Y"]))
        kind = data.draw(st.sampled_from(["general", "general", "expert", "extra"]))
        if kind == "expert" and dept == "Y":
            kind = "general"
        visit = self.clinic.reg(
            data.draw(st.text("张王李赵欧阳", min_size=1, max_size=4)), dept=dept,
            source=data.draw(st.sampled_from(["appointment", "onsite"])), slot=data.draw(st.sampled_from(SLOTS)),
            kind=kind, doctor="D3" if kind == "expert" else None, session=data.draw(st.sampled_from(["am", "am", "pm"])))
        self.issued.append(visit)
        if data.draw(st.integers(0, 4)):
            self.run("check_in", visit.id)

    @rule(data=st.data())
    def register(self, data):
        self.arrive(data)

    @rule(data=st.data())
    def check_in(self, data):
        visit = self.pick(data, (S.registered,))
        if visit:
            self.run("check_in", visit.id)

    @rule(room=st.sampled_from(ROOMS))
    def call_next(self, room):
        self.run("call_next", room)

    @rule(room=st.sampled_from(ROOMS), outcome=st.sampled_from(["serve", "miss", "leave"]))
    def call_and_handle(self, room, outcome):
        """A room calls its next patient, who comes (served), never comes (missed) or is left called."""
        self.run("call_next", room)
        called = [v for v in self.engine.called("OPD") if v.room_id == room]
        if not called:
            return
        visit = called[0]
        if outcome == "serve":
            self.run("start", visit.id)
            self.run("finish", visit.id)
        elif outcome == "miss":
            while self.engine.visit(visit.id).call_count < self.engine.hospital.area("OPD").rules.missed_after_calls:
                self.run("call_again", visit.id)
            self.run("missed", visit.id)

    @rule(minutes=st.integers(5, 45))
    def time_passes(self, minutes):
        self.clinic.tick(minutes)

    @rule(data=st.data(), command=st.sampled_from(ONE_VISIT), anyone=st.integers(0, 9))
    def visit_command(self, data, command, anyone):
        """A command on a visit in a state the table allows (now and then on anyone, to be refused)."""
        visit = self.pick(data, None if anyone == 0 else STATE_CHANGES[command].start)
        if visit:
            self.run(command, visit.id)

    @rule(data=st.data())
    def move_up(self, data):
        visit = self.pick(data, STATE_CHANGES["move_up"].start)
        target = self.pick(data)
        if visit:
            self.run("move_up", visit.id, data.draw(st.sampled_from([None, target.id if target else None])))

    @rule(data=st.data(), kind=st.sampled_from([None, "military", "elderly", "disabled", "pregnant"]))
    def set_priority(self, data, kind):
        visit = self.pick(data)
        if visit:
            self.run("priority", visit.id, kind)

    @rule(data=st.data(), doctor=st.sampled_from([None, "D1", "D2", "D3", "D4", "D5"]))
    def assign_doctor(self, data, doctor):
        visit = self.pick(data)
        if visit:
            self.run("assign_doctor", visit.id, doctor)

    @rule(data=st.data(), dept=st.sampled_from([None, "X", "Y"]), room=st.sampled_from([None] + ROOMS), at_end=st.booleans())
    def transfer(self, data, dept, room, at_end):
        visit = self.pick(data)
        if visit:
            self.run("transfer", visit.id, dept_id=dept, room_id=room, at_end=at_end)

    @rule(data=st.data(), room=st.sampled_from(ROOMS))
    def dispatch(self, data, room):
        visit = self.pick(data, STATE_CHANGES["dispatch"].start)
        if visit:
            self.run("dispatch", visit.id, room)

    @rule(room=st.sampled_from(ROOMS), command=st.sampled_from(["pause_room", "resume_room", "resume_room"]))
    def room_command(self, room, command):
        self.run(command, room)

    @rule(room=st.sampled_from(["R2"]), doctor=st.sampled_from([None, "D2", "D5"]))
    def set_room_doctor(self, room, doctor):
        self.run("room_doctor", room, doctor)

    # ---- invariants ------------------------------------------------------------------------------------
    def queues(self) -> list[list[Visit]]:
        return [self.engine.area_queue("OPD")] + [self.engine.room_queue(room) for room in ROOMS]

    @invariant()
    def no_visit_lost_or_duplicated(self):
        if not hasattr(self, "engine"):
            return
        assert sorted(v.id for v in self.issued) == sorted(v.id for v in self.engine.visits())
        listed = [v.id for queue in self.queues() for v in queue]
        assert len(listed) == len(set(listed))
        in_queue = {v.id for v in self.engine.visits() if v.state in (S.waiting, S.room_waiting) and v.area_id == "OPD"}
        assert set(listed) == in_queue

    @invariant()
    def positions_of_an_area_in_one_pass_equal_each_position(self):
        """The phone pages read every waiting visit's place at once; it must be what ``position`` says."""
        if not hasattr(self, "engine"):
            return
        batch = self.engine.positions("OPD")
        waiting = [v for v in self.engine.visits() if v.state in (S.waiting, S.room_waiting) and v.area_id == "OPD"]
        assert set(batch) == {v.id for v in waiting}
        for visit in waiting:
            assert batch[visit.id] == self.engine.position(visit.id), visit.id

    @invariant()
    def why_here_of_an_area_in_one_pass_equals_each_why_here(self):
        """The phone pages read every waiting visit's "why here" at once; it must be what ``why_here`` says."""
        if not hasattr(self, "engine"):
            return
        batch = self.engine.whys("OPD")
        waiting = [v for v in self.engine.visits() if v.state in (S.waiting, S.room_waiting) and v.area_id == "OPD"]
        assert set(batch) == {v.id for v in waiting}
        for visit in waiting:
            assert batch[visit.id] == self.engine.why_here(visit.id), visit.id

    @invariant()
    def rooms_next_in_one_pass_equal_each_rooms_next(self):
        """A snapshot reads every room's next patients in one pass over the area queue; each must be what the room
        would call next by the rules: its own queue, then (automatic dispatch) the waiting visits that fit it."""
        if not hasattr(self, "engine"):
            return
        rules = self.clinic.engine._area_rules("OPD")
        shown = {room["room_id"]: [v["visit_id"] for v in room["next"]] for room in self.engine.snapshot("OPD", False)["rooms"]}
        for room in ROOMS:
            expected = [v.id for v in self.engine.room_queue(room)][:3]
            if rules.dispatch == "auto" and not self.engine.room_state(room).paused:
                expected += [v.id for v in self.engine.area_queue("OPD") if self.engine._fits(v, room)
                             and (v.number_kind != "extra" or rules.extra_numbers_called)][:3 - len(expected)]
            assert shown[room] == expected, room
            assert [v.id for v in self.engine.room_next(room)] == expected, room

    @invariant()
    def kept_lists_equal_a_full_sort_of_the_day(self):
        """The engine keeps its lists in order between commands; they must match sorting everything afresh."""
        if not hasattr(self, "engine"):
            return
        everyone = self.engine.visits()

        def fresh(state: VisitState, where=lambda v: v.area_id == "OPD") -> list[str]:
            found = [v for v in everyone if v.state == state and where(v)]
            return [v.id for v in sorted(found, key=lambda v: ordering.sort_key(v, False))]

        assert [v.id for v in self.engine.area_queue("OPD")] == fresh(S.waiting)
        for room in ROOMS:
            assert [v.id for v in self.engine.room_queue(room)] == fresh(S.room_waiting, lambda v, r=room: v.room_id == r)
        called = sorted((v for v in everyone if v.state == S.called and v.area_id == "OPD"),
                        key=lambda v: (v.called_at, v.serial), reverse=True)
        assert [v.id for v in self.engine.called("OPD")] == [v.id for v in called]
        for state, listed in ((S.missed, self.engine.missed), (S.away, self.engine.away),
                              (S.in_service, self.engine.in_service)):
            assert [v.id for v in listed("OPD")] == [v.id for v in everyone if v.state == state and v.area_id == "OPD"]

    @invariant()
    def paused_rooms_hold_nobody_and_priority_comes_first(self):
        if not hasattr(self, "engine"):
            return
        for room in ROOMS:
            if self.engine.room_state(room).paused:
                assert self.engine.room_queue(room) == []
        for queue in self.queues():
            flags = [v.priority_kind is not None for v in queue]
            assert flags == sorted(flags, reverse=True), "a visit without priority is ahead of a special patient"
            levels = [v.priority_level for v in queue if v.priority_kind]
            assert levels == sorted(levels)

    @invariant()
    def expert_visits_wait_only_for_their_doctor(self):
        if not hasattr(self, "engine"):
            return
        for room in ROOMS:
            doctor = self.engine.room_doctor(room)
            for visit in self.engine.room_queue(room):
                if visit.number_kind == "expert" or visit.doctor_id:
                    assert visit.doctor_id == doctor

    @invariant()
    def tickets_are_unique_and_gapless_in_issue_order(self):
        if not hasattr(self, "engine"):
            return
        by_dept: dict[str, list[str]] = defaultdict(list)
        for visit in self.issued:
            by_dept[visit.ticket[0]].append(visit.ticket)
        for prefix, tickets in by_dept.items():
            assert tickets == [f"{prefix}{n:03d}" for n in range(1, len(tickets) + 1)]

    @invariant()
    def load_of_the_persisted_rows_reproduces_the_queues(self):
        if not hasattr(self, "engine"):
            return
        stored_visits = [json.loads(json.dumps(v.to_row(), default=str)) for v in self.engine.visits()]
        stored_rooms = [json.loads(json.dumps(r.to_row())) for r in self.engine.rooms()]
        again = QueueEngine(self.engine.hospital)
        again.load(stored_visits, [RoomState.from_row(r) for r in stored_rooms], self.engine.counters())
        for area in ("OPD", "ER"):
            assert [v.id for v in again.area_queue(area)] == [v.id for v in self.engine.area_queue(area)]
            assert again.snapshot(area, public=False) == self.engine.snapshot(area, public=False)
        for room in ROOMS:
            assert [v.id for v in again.room_queue(room)] == [v.id for v in self.engine.room_queue(room)]
        assert again.counters() == self.engine.counters()


QueueMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestQueueMachine = QueueMachine.TestCase


@settings(max_examples=150, deadline=None)
@given(n=st.integers(0, 3), ops=st.lists(st.sampled_from(["normal", "normal", "late", "call"]), max_size=30),
       recall_n=st.integers(0, 2))
def test_late_goes_after_n_normal_visits_and_nobody_changes_places(n, ops, recall_n):
    """Rule 6 interleave as stated, for any N and any history; and no call or arrival reorders the others."""
    c = Clinic({"late_interleave": n, "recall_interleave": recall_n, "dispatch": "manual",
                "appointments_first": False}).at("09:00")
    for step, op in enumerate(ops):
        before = [v.id for v in c.engine.area_queue("OPD")]
        if op == "call":
            if not before:
                continue
            c.do("dispatch", before[0], "R1")
            c.call("R1")
        else:
            visit = c.arrive(f"v{step}", slot="08:00-08:15" if op == "late" else None)
        queue = c.engine.area_queue("OPD")
        after = [v.id for v in queue]
        kept = [vid for vid in after if vid in before]
        assert kept == [vid for vid in before if vid in after], "a visit already placed changed places"
        if op == "late":
            index = after.index(visit.id)
            previous_late = max((i for i, v in enumerate(queue[:index]) if v.placed == "late"), default=-1)
            normal_between = sum(1 for v in queue[previous_late + 1:index] if v.placed == "")
            assert not any(v.placed == "late" for v in queue[index + 1:]), "placed behind a later late visit"
            assert normal_between == n or (index == len(after) - 1 and normal_between < n)
