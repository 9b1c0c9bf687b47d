"""Focused tests for the rules the scenarios do not cover."""
from __future__ import annotations

from datetime import time

import pytest
from engine_clinic import Clinic

from caller.engine.model import RuleError, VisitState

ONE_ROOM = [{"id": "R1", "name": "1诊室", "departments": ["X"]}]


# ---- check-in, early and late --------------------------------------------------------------------
def test_early_check_in_is_refused_with_the_time_it_opens():
    c = Clinic({"early_check_in": "minutes_before", "early_check_in_minutes": 30}).at("08:10")
    visit = c.reg("a", source="appointment", slot="09:00-09:15")
    with pytest.raises(RuleError) as refused:
        c.checkin(visit)
    assert refused.value.code == "too_early"
    assert "请于 08:30 后签到" in refused.value.message_zh
    assert c.engine.visit(visit.id).state == VisitState.registered
    c.at("08:30")
    c.checkin(visit)
    assert c.names() == ["a"]


def test_early_check_in_slot_start_and_any_time():
    strict = Clinic({"early_check_in": "slot_start"}).at("08:50")
    visit = strict.reg("a", slot="09:00-09:15")
    with pytest.raises(RuleError) as refused:
        strict.checkin(visit)
    assert "请于 09:00 后签到" in refused.value.message_zh
    relaxed = Clinic({"early_check_in": "any_time"}).at("06:00")
    relaxed.checkin(relaxed.reg("a", slot="11:00-11:15"))
    assert relaxed.names() == ["a"]


def test_check_in_twice_is_refused_politely():
    c = Clinic()
    visit = c.arrive("a")
    with pytest.raises(RuleError) as refused:
        c.checkin(visit)
    assert refused.value.code == "already_checked_in" and "请留意叫号" in refused.value.message_zh


def test_without_check_in_mode_a_visit_waits_once_registered():
    c = Clinic({"check_in_mode": False})
    c.reg("a")
    c.reg("b")
    assert c.names() == ["a", "b"]


def test_base_order_by_check_in_sequence():
    c = Clinic({"base_order": "check_in", "appointments_first": False})
    first = c.reg("first", seq=1)
    second = c.reg("second", seq=2)
    c.checkin(second)
    c.checkin(first)
    assert c.names() == ["second", "first"]
    assert [v.checkin_seq for v in c.engine.area_queue("OPD")] == [1, 2]


def test_appointments_first_off_keeps_plain_registration_order():
    c = Clinic({"appointments_first": False})
    c.arrive("s1", seq=3)
    c.arrive("p", seq=9, source="appointment")
    c.arrive("s2", seq=5)
    assert c.names() == ["s1", "s2", "p"]


def test_late_end_of_session_goes_after_every_normal_visit_even_later_ones():
    c = Clinic({"late_mode": "end_of_session"}).at("09:00")
    c.arrive("a")
    c.arrive("L", slot="08:00-08:15")
    c.arrive("b")
    assert c.names() == ["a", "b", "L"]
    pm = c.reg("p", session="pm")
    c.checkin(pm)
    assert c.names() == ["a", "b", "L", "p"]


def test_late_mode_normal_has_no_penalty_but_is_recorded_late():
    c = Clinic({"late_mode": "normal"}).at("09:00")
    c.arrive("a", seq=5)
    late = c.arrive("L", seq=1, slot="08:00-08:15")
    assert late.late and c.names() == ["L", "a"]


def test_late_visit_keeps_its_place_when_new_visits_check_in():
    c = Clinic({"late_interleave": 1, "appointments_first": False}).at("09:00")
    c.arrive("a", seq=1)
    c.arrive("b", seq=3)
    c.arrive("L", seq=0, slot="08:00-08:15")
    assert c.names() == ["a", "L", "b"]
    c.arrive("x", seq=2)  # registered between a and b: goes behind the late visit already placed there
    assert c.names() == ["a", "L", "x", "b"]


# ---- missed and recall ------------------------------------------------------------------------------
def test_missed_needs_k_calls():
    c = Clinic({"missed_after_calls": 3}, rooms=ONE_ROOM, doctors=[])
    a = c.arrive("a")
    c.call("R1")
    c.do("call_again", a.id)
    with pytest.raises(RuleError) as refused:
        c.do("move", "missed", a.id)
    assert refused.value.code == "not_called_enough" and "请再呼叫 1 次后再过号" in refused.value.message_zh
    c.do("call_again", a.id)
    c.do("move", "missed", a.id)
    assert [v.patient_name for v in c.engine.missed("OPD")] == ["a"]


def test_recall_interleave_counts_normal_visits_only():
    c = Clinic({"recall_interleave": 2, "late_interleave": 1, "dispatch": "manual"}).at("09:00")
    a = c.arrive("a")
    r = c.arrive("r")
    for name in "bc":
        c.arrive(name)
    for visit in (a, r):
        c.do("dispatch", visit.id, "R1")
    for visit in (a, r):
        c.call("R1")
        c.do("call_again", visit.id)
        c.do("move", "missed", visit.id)
    c.arrive("L", slot="08:00-08:15")
    assert c.names() == ["b", "L", "c"]
    c.do("move", "recall", r.id)  # two normal visits: b, c (L is late, not counted)
    assert c.names() == ["b", "L", "c", "r"]
    c.arrive("d")
    c.arrive("e")
    c.do("move", "recall", a.id)  # counted from the last recalled visit r: d e
    assert c.names() == ["b", "L", "c", "r", "d", "e", "a"]


def test_recall_end_of_session():
    c = Clinic({"recall_mode": "end_of_session"}, rooms=ONE_ROOM, doctors=[])
    a = c.arrive("a")
    for name in "bcd":
        c.arrive(name)
    c.engine.call_next("R1", actor="n", now=c.tick())
    c.do("call_again", a.id)
    c.do("move", "missed", a.id)
    c.do("move", "recall", a.id)
    c.arrive("e")
    assert c.room_names("R1") + c.names() == ["b", "c", "d", "e", "a"]


def test_recall_end_of_slot_with_precise_slots():
    c = Clinic({"precise_slots": True, "recall_mode": "end_of_slot", "dispatch": "manual"}).at("09:00")
    a = c.arrive("a", slot="09:00-09:30")
    c.arrive("b", slot="09:00-09:30")
    c.arrive("n", slot="09:30-10:00")
    c.do("dispatch", a.id, "R1")
    c.call("R1")
    c.do("call_again", a.id)
    c.do("move", "missed", a.id)
    c.at("09:10")
    c.do("move", "recall", a.id)
    c.arrive("c", slot="09:00-09:30")
    assert c.names() == ["b", "c", "a", "n"]


def test_recall_end_of_slot_without_precise_slots_goes_after_the_slot_of_the_recall_time():
    c = Clinic({"recall_mode": "end_of_slot", "dispatch": "manual", "appointments_first": False}).at("09:00")
    a = c.arrive("a", slot="09:00-09:30")
    c.arrive("b", slot="09:00-09:30")
    c.arrive("n", slot="09:30-10:00")
    c.do("dispatch", a.id, "R1")
    c.call("R1")
    c.do("call_again", a.id)
    c.do("move", "missed", a.id)
    c.at("09:10")
    c.do("move", "recall", a.id)
    assert c.names() == ["b", "a", "n"]


def test_back_from_exams_is_placed_like_a_recall():
    c = Clinic({"recall_interleave": 1, "dispatch": "manual"})
    a = c.arrive("a")
    for name in "bc":
        c.arrive(name)
    c.do("move", "away", a.id)
    assert [v.patient_name for v in c.engine.away("OPD")] == ["a"] and c.names() == ["b", "c"]
    c.do("move", "back", a.id)
    assert c.names() == ["b", "a", "c"]


# ---- priority and move up ---------------------------------------------------------------------------
def test_priority_can_be_removed_and_unknown_kinds_are_refused():
    c = Clinic()
    c.arrive("a")
    b = c.arrive("b")
    c.do("set_priority", b.id, "pregnant")
    assert c.names() == ["b", "a"]
    with pytest.raises(RuleError) as refused:
        c.do("set_priority", b.id, "vip")
    assert refused.value.code == "unknown_priority" and "老年人" in refused.value.message_zh
    c.do("set_priority", b.id, None)
    assert c.names() == ["a", "b"]


def test_move_up_before_a_visit_and_to_the_head():
    c = Clinic({"dispatch": "manual"})
    visits = {name: c.arrive(name) for name in "abcde"}
    c.do("move_up", visits["d"].id, visits["b"].id)
    assert c.names() == ["a", "d", "b", "c", "e"]
    c.do("move_up", visits["e"].id)
    assert c.names() == ["e", "a", "d", "b", "c"]
    with pytest.raises(RuleError) as refused:
        c.do("move_up", visits["a"].id, visits["c"].id)
    assert refused.value.code == "not_ahead"


def test_move_up_never_passes_a_more_urgent_special_patient():
    c = Clinic({"dispatch": "manual"})
    visits = {name: c.arrive(name) for name in ["a", "m", "e1", "e2"]}
    c.do("set_priority", visits["m"].id, "military")
    c.do("set_priority", visits["e1"].id, "elderly")
    c.do("set_priority", visits["e2"].id, "elderly")
    assert c.names() == ["m", "e1", "e2", "a"]
    c.do("move_up", visits["a"].id, visits["m"].id)
    assert c.names() == ["m", "e1", "e2", "a"]
    c.do("move_up", visits["e2"].id, visits["m"].id)  # stops at the head of the elderly
    assert c.names() == ["m", "e2", "e1", "a"]


# ---- emergency ----------------------------------------------------------------------------------------
def test_emergency_order_by_level_then_arrival_room_levels_and_alerts():
    c = Clinic()
    changes = {}
    for name, level in [("c3a", 3), ("c1", 1), ("c4", 4), ("c2", 2), ("c3b", 3)]:
        change = c.engine.register("E", f"P-{name}", name, "emergency", "onsite", "am", c.tick(), triage_level=level)
        changes[name] = change
    assert c.names("ER") == ["c1", "c2", "c3a", "c3b", "c4"]
    alerts = {name: [e for e in ch.events if e.type == "alert"] for name, ch in changes.items()}
    assert [n for n, found in alerts.items() if found] == ["c1", "c2"]
    assert alerts["c1"][0].data["triage_level"] == 1 and alerts["c1"][0].area_id == "ER"
    minor = c.engine.call_next("E2", actor="n", now=c.tick()).result
    assert minor.patient_name == "c3a"
    assert all(v.triage_level in (3, 4) for v in c.engine.room_queue("E2"))
    assert c.engine.call_next("E1", actor="n", now=c.tick()).result.patient_name == "c1"
    assert [v.patient_name for v in c.engine.room_queue("E1")] == ["c2"]
    assert [v.patient_name for v in c.engine.room_queue("E2")] == ["c3b", "c4"]
    newcomer = c.engine.register("E", "P-n", "n", "emergency", "onsite", "am", c.tick(), triage_level=3).result
    with pytest.raises(RuleError) as refused:
        c.do("dispatch", newcomer.id, "E1")
    assert refused.value.code == "triage_level"


# ---- dispatch, doctors, transfer ---------------------------------------------------------------------
def test_expert_visits_go_only_to_their_doctor_and_general_never_to_an_expert_room():
    c = Clinic({"room_cap": 3})
    c.arrive("g1")
    c.arrive("x1", kind="expert", doctor="D3")
    c.arrive("g2")
    c.call("R1")
    assert c.room_names("R1") == ["g2"]
    assert c.call("R3").patient_name == "x1"
    assert c.room_names("R3") == []


def test_expert_number_needs_an_expert_doctor_of_the_department():
    c = Clinic()
    with pytest.raises(RuleError) as refused:
        c.reg("x", kind="expert", doctor="D1")
    assert refused.value.code == "expert_needs_doctor"
    assert c.engine.counters() == {}  # nothing issued, no number used


def test_assign_doctor_binds_a_general_visit_to_that_doctors_room():
    c = Clinic({"room_cap": 2})
    a = c.arrive("a")
    c.arrive("b")
    c.do("assign_doctor", a.id, "D2")
    assert c.call("R1").patient_name == "b"
    assert c.call("R2").patient_name == "a"
    expert = c.arrive("x", kind="expert", doctor="D3")
    with pytest.raises(RuleError) as refused:
        c.do("assign_doctor", expert.id, "D1")
    assert refused.value.code == "expert_has_doctor"
    with pytest.raises(RuleError):
        c.do("assign_doctor", c.arrive("y").id, "D4")  # a doctor of another department


def test_manual_dispatch_and_calling_only_from_the_room_queue():
    c = Clinic({"dispatch": "manual"})
    a = c.arrive("a")
    b = c.arrive("b")
    assert c.call("R1") is None
    c.do("dispatch", b.id, "R1")
    assert c.call("R1").id == b.id and c.names() == ["a"]
    c.do("pause_room", "R2")
    with pytest.raises(RuleError) as refused:
        c.do("dispatch", a.id, "R2")
    assert refused.value.code == "room_paused"
    with pytest.raises(RuleError):
        c.do("dispatch", a.id, "R4")  # a room of another department


def test_pausing_a_room_returns_its_queue_to_the_area_queue_in_place():
    c = Clinic({"room_cap": 2}, rooms=[{"id": "R1", "name": "1诊室", "departments": ["X"]},
                                       {"id": "R2", "name": "2诊室", "departments": ["X"]}], doctors=[])
    for name in "abcde":
        c.arrive(name)
    c.call("R1")
    assert c.room_names("R1") == ["b", "c"]
    change = c.do("pause_room", "R1")
    assert c.names() == ["b", "c", "d", "e"]
    assert [e.type for e in change.events] == ["room", "queue"] and change.rooms[0].paused


def test_transfer_keeps_registration_time_unless_at_end():
    c = Clinic({"dispatch": "manual"})
    moved = c.arrive("t")  # registered first, in department X
    y1 = c.arrive("y1", dept="Y")
    y2 = c.arrive("y2", dept="Y")
    c.do("transfer", moved.id, dept_id="Y")
    assert [v.patient_name for v in c.engine.area_queue("OPD") if v.dept_id == "Y"] == ["t", "y1", "y2"]
    assert c.engine.visit(moved.id).ticket == moved.ticket
    late_comer = c.arrive("u")
    c.do("transfer", late_comer.id, dept_id="Y")
    c.do("transfer", moved.id, dept_id="Y", room_id=None, at_end=True)
    assert [v.patient_name for v in c.engine.area_queue("OPD") if v.dept_id == "Y"] == ["y1", "y2", "u", "t"]
    c.do("transfer", y1.id, room_id="R4")
    assert c.room_names("R4") == ["y1"] and c.engine.visit(y1.id).state == VisitState.room_waiting
    assert y2.dept_id == "Y"


def test_transfer_to_a_room_overrides_an_assigned_doctor():
    c = Clinic({"dispatch": "manual"})
    a = c.arrive("a")
    c.do("assign_doctor", a.id, "D2")
    c.do("transfer", a.id, room_id="R1")
    assert c.room_names("R1") == ["a"] and c.engine.visit(a.id).doctor_id is None
    with pytest.raises(RuleError) as refused:
        c.do("transfer", a.id, room_id="R3")  # the expert's room takes only the expert's visits
    assert refused.value.code == "wrong_doctor"


def test_expert_visit_cannot_be_transferred_to_another_department():
    c = Clinic()
    x = c.arrive("x", kind="expert", doctor="D3")
    with pytest.raises(RuleError) as refused:
        c.do("transfer", x.id, dept_id="Y")
    assert refused.value.code == "expert_transfer"


def test_set_room_doctor_sends_visits_that_no_longer_fit_back():
    c = Clinic({"room_cap": 2, "dispatch": "manual"})
    a = c.arrive("a")
    c.do("assign_doctor", a.id, "D2")
    c.do("dispatch", a.id, "R2")
    change = c.do("set_room_doctor", "R2", "D5")
    assert c.engine.visit(a.id).state == VisitState.waiting and c.room_names("R2") == []
    assert change.rooms[0].doctor_id == "D5" and change.events[0].type == "room"


def test_extra_numbers_not_called_like_others():
    c = Clinic({"extra_numbers_called": False, "room_cap": 3}, rooms=ONE_ROOM, doctors=[])
    extra = c.arrive("x", kind="extra")
    c.arrive("a")
    c.call("R1")
    assert c.room_names("R1") == []  # never dispatched automatically
    public = c.engine.snapshot("OPD", public=True)
    assert [item["ticket"] for item in public["waiting"]] == []
    assert [item["visit_id"] for item in c.engine.snapshot("OPD", public=False)["waiting"]] == [extra.id]
    c.do("dispatch", extra.id, "R1")
    call = [e for e in c.engine.call_next("R1", actor="n", now=c.tick()).events if e.type == "call"][0]
    assert call.data["targets"] == ["room_screen"]


# ---- calls, privacy ---------------------------------------------------------------------------------
@pytest.mark.parametrize("speech_name, spoken", [
    ("none", "请 A 零 零 一 号 到 1号诊室 就诊"),   # what the speaker says, word for word
    ("surname", "请 A 零 零 一 号 欧阳某某 到 1号诊室 就诊"),
    ("full", "请 A 零 零 一 号 欧阳娜娜 到 1号诊室 就诊"),
])
def test_call_text_per_speech_name(speech_name, spoken):
    c = Clinic({"speech_name": speech_name, "call_repeat": 3}, rooms=ONE_ROOM, doctors=[])
    c.arrive("欧阳娜娜")
    change = c.engine.call_next("R1", actor="n", now=c.tick())
    call = [e for e in change.events if e.type == "call"][0]
    assert call.data["speech"] == spoken
    assert call.data["text"] == "请 A001 号 欧**娜 到 1诊室 就诊"
    assert call.data["name"] == "欧**娜" and call.data["repeat"] == 3 and call.data["call_count"] == 1
    again = [e for e in c.do("call_again", change.result.id).events if e.type == "call"][0]
    assert again.data["speech"] == spoken and again.data["call_count"] == 2


def test_screen_name_none_and_template_per_number_kind():
    c = Clinic({"screen_name": "none", "call_templates": {"expert": "请 {ticket} 号到 {room} {doctor}专家处就诊"}})
    c.arrive("王小明", kind="expert", doctor="D3")
    call = [e for e in c.engine.call_next("R3", actor="n", now=c.tick()).events if e.type == "call"][0]
    assert call.data["text"] == "请 A001 号到 3诊室 李专家专家处就诊"
    assert call.data["name"] == ""


def test_public_snapshot_is_masked_and_has_no_patient_ids():
    c = Clinic()
    c.arrive("王小明")
    public = c.engine.snapshot("OPD", public=True)
    text = str(public)
    assert "王小明" not in text and "P-王小明" not in text and public["waiting"][0]["name"] == "王*明"
    private = c.engine.snapshot("OPD", public=False)
    assert private["waiting"][0]["patient_name"] == "王小明" and private["waiting"][0]["patient_id"] == "P-王小明"
    import json
    json.dumps(private)


# ---- waiting time ---------------------------------------------------------------------------------------
def test_position_and_estimate_use_the_rolling_median_service_time():
    c = Clinic({"default_service_minutes": 8.0, "room_cap": 1}, rooms=ONE_ROOM, doctors=[])
    visits = [c.arrive(name) for name in "abcde"]
    assert c.engine.position(visits[4].id) == (4, 32.0)
    for minutes in (4, 6, 20):
        called = c.call("R1")
        c.do("move", "start", called.id)
        c.tick(minutes - 1)
        c.do("move", "finish", called.id)
    # a b c done (4, 6, 20 minutes: median 6); d in the room queue, e waiting behind it
    assert c.engine.position(visits[4].id) == (1, 6.0)
    assert c.engine.position(visits[3].id) == (0, 0.0)


def test_wait_alert_when_the_longest_wait_passes_the_threshold():
    c = Clinic({"wait_alert_minutes": 30})
    c.arrive("a")
    assert c.engine.wait_alerts(c.now) == []
    alerts = c.engine.wait_alerts(c.tick(31))
    assert [(a.type, a.data["dept_id"], a.data["kind"]) for a in alerts] == [("alert", "X", "wait")]
    assert "内科" in alerts[0].data["message_zh"]


# ---- tickets, refusals, restart ----------------------------------------------------------------------
def test_ticket_numbers_grow_past_999_and_are_never_reused_after_cancel():
    c = Clinic({"check_in_mode": False})
    first = c.reg("a")
    c.do("cancel", first.id)
    assert c.reg("b").ticket == "A002"
    assert c.reg("y", dept="Y").ticket == "B001"


def test_a_refused_command_changes_nothing():
    c = Clinic()
    c.reg("a")
    before = ({v.id: v.to_row() for v in c.engine.visits()}, c.engine.counters())
    with pytest.raises(RuleError):
        c.engine.register("X", "p", "b", "general", "onsite", "am", c.tick(), visit_id=c.engine.visits()[0].id)
    assert ({v.id: v.to_row() for v in c.engine.visits()}, c.engine.counters()) == before


def test_rows_round_trip_through_json_text():
    import json

    c = Clinic()
    visit = c.arrive("a", source="appointment", slot="08:00-08:15")
    c.do("set_priority", visit.id, "elderly")
    row = json.loads(json.dumps(visit.to_row(), default=str))
    again = type(visit).from_row(row)
    assert again == c.engine.visit(visit.id)
    assert again.slot_start == time(8, 0) and again.state == VisitState.waiting


def test_the_room_doctor_follows_the_session_schedule_unless_a_nurse_sets_it():
    doctors = [
        {"id": "DA", "name": "郑专家", "department": "X", "room": "R1", "expert": True, "sessions": ["am"]},
        {"id": "DP", "name": "何医生", "department": "X", "room": "R1", "sessions": ["pm"]},
    ]
    c = Clinic({"room_cap": 2}, rooms=ONE_ROOM, doctors=doctors).at("09:00")
    c.arrive("g")
    c.arrive("x1", kind="expert", doctor="DA")
    c.arrive("x2", kind="expert", doctor="DA")
    c.arrive("x3", kind="expert", doctor="DA")
    assert c.call("R1").patient_name == "x1"  # the expert's morning: general numbers wait
    assert c.room_names("R1") == ["x2", "x3"]
    c.at("13:30")
    assert c.engine.room_doctor("R1", c.now) == "DP"
    assert c.call("R1").patient_name == "g"  # the afternoon doctor: the expert's visits go back to wait
    assert c.names() == ["x2", "x3"]
    c.do("set_room_doctor", "R1", "DA")
    assert c.call("R1").patient_name == "x2"


def test_emergency_triage_level_comes_before_special_priority():
    c = Clinic()
    minor = c.engine.register("E", "P-m", "m", "emergency", "onsite", "am", c.tick(), triage_level=4).result
    c.do("set_priority", minor.id, "military")
    c.engine.register("E", "P-s", "s", "emergency", "onsite", "am", c.tick(), triage_level=2)
    other = c.engine.register("E", "P-o", "o", "emergency", "onsite", "am", c.tick(), triage_level=4).result
    assert c.names("ER") == ["s", "m", "o"]
    c.do("move_up", other.id, minor.id)  # the special patient of the same level stays ahead
    assert c.names("ER") == ["s", "m", "o"]


def test_set_triage_reorders_and_alerts_for_levels_1_and_2():
    c = Clinic()
    first = c.engine.register("E", "P-a", "a", "emergency", "onsite", "am", c.tick()).result  # not triaged yet
    later = c.engine.register("E", "P-b", "b", "emergency", "onsite", "am", c.tick(), triage_level=3).result
    assert c.names("ER") == ["b", "a"]  # no level yet counts as 4
    c.engine.register("E", "P-c", "c", "emergency", "onsite", "am", c.tick(), triage_level=2)
    change = c.do("set_triage", first.id, 2)
    assert c.names("ER") == ["a", "c", "b"]  # level 2 by arrival: a came before c
    assert [e.data["kind"] for e in change.events if e.type == "alert"] == ["emergency"]
    with pytest.raises(RuleError):
        c.do("set_triage", later.id, 5)
