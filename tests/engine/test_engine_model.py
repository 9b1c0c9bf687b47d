"""Names, rows and rule validation: what the store and the hospital IT engineer see."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from engine_clinic import build_hospital
from pydantic import ValidationError

from caller.engine.model import RoomState, Visit, VisitState
from common.config import ConfigError
from common.privacy import mask_name, surname
from common.queue_rules import QueueRules


@pytest.mark.parametrize("name, masked", [
    ("张三", "张*"), ("王小明", "王*明"), ("欧阳娜娜", "欧**娜"), ("李", "*"), ("", ""), ("司马相如", "司**如"),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_surname_knows_compound_surnames():
    assert [surname(n) for n in ("张三", "欧阳娜娜", "王小明", "司马光")] == ["张", "欧阳", "王", "司马"]


def test_visit_row_is_plain_data_and_reads_back():
    visit = Visit(id="v1", ticket="A001", dept_id="X", area_id="OPD", day=date(2026, 11, 23), session="am",
                  number_kind="general", source="onsite", reg_seq=1, patient_id="p", patient_name="张三",
                  registered_at=datetime(2026, 11, 23, 8, 0), state=VisitState.called, call_count=2)
    row = visit.to_row()
    assert row["state"] == "called"
    assert all(isinstance(v, (str, int, float, bool, date, type(None))) or hasattr(v, "isoformat") for v in row.values())
    assert Visit.from_row(json.loads(json.dumps(row, default=str))) == visit
    assert Visit.from_row(row) == visit
    room = RoomState("R1", paused=True, doctor_id="D1", doctor_session="2026-11-23/am")
    assert RoomState.from_row(json.loads(json.dumps(room.to_row()))) == room


def test_rules_defaults_follow_the_contract():
    rules = QueueRules()
    assert (rules.check_in_mode, rules.base_order, rules.late_mode, rules.late_interleave, rules.missed_after_calls,
            rules.recall_mode, rules.recall_interleave, rules.dispatch, rules.room_cap) == \
        (True, "registration", "interleave", 2, 2, "interleave", 1, "auto", 2)
    assert [(k.kind, k.name, k.level) for k in rules.special_kinds] == [
        ("military", "军人", 1), ("elderly", "老年人", 2), ("disabled", "残疾人", 3), ("pregnant", "孕妇", 4)]
    assert rules.call_targets == ["area_screen", "room_screen", "speaker"]
    assert rules.speech_name == "surname" and rules.screen_name == "masked"


@pytest.mark.parametrize("bad, words", [
    ({"base_order": "check_in", "check_in_mode": False}, "needs check_in_mode"),
    ({"late_mode": "end_of_slot"}, "needs precise_slots"),
    ({"call_template": "请 {tickt} 号"}, "unknown field"),
    ({"call_templates": {"vip": "请 {ticket} 号"}}, "unknown number kind"),
    ({"room_cap": 0}, "greater than or equal to 1"),
    ({"late_mode": "later"}, "'interleave', 'end_of_session', 'end_of_slot' or 'normal'"),
    ({"colour": "red"}, "Extra inputs are not permitted"),
])
def test_rules_refuse_bad_settings_with_a_clear_reason(bad, words):
    with pytest.raises(ValidationError) as refused:
        QueueRules.model_validate(bad)
    assert words in str(refused.value)


def test_merged_applies_overrides_and_validates_again():
    rules = QueueRules(precise_slots=True)
    assert rules.merged({"late_mode": "end_of_slot"}).late_mode == "end_of_slot"
    assert rules.merged({}).precise_slots
    with pytest.raises(ValidationError):
        QueueRules().merged({"late_mode": "end_of_slot"})


def test_a_bad_area_override_names_the_file_key():
    with pytest.raises(ConfigError) as refused:
        build_hospital(er_rules={"late_interleave": -1})
    assert "areas[1](id=ER).rules.late_interleave" in str(refused.value)
