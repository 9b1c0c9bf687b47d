"""The hospital TOML: the demo file loads, and a bad file is refused with the file, the key and the problem."""
from __future__ import annotations

import tomllib

import pytest

from common.config import DEMO_CONFIG, ConfigError, hospital_from_dict, load_hospital
from common.passwords import hash_password, verify_password


@pytest.fixture(scope="module")
def demo():
    return load_hospital(DEMO_CONFIG)


@pytest.fixture()
def raw():
    return tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))


def test_demo_hospital_has_the_departments_areas_rooms_and_doctors_it_promises(demo):
    names = {d.name for d in demo.departments}
    assert {"内科", "外科", "儿科", "妇产科", "眼科", "急诊"} <= names
    assert len(demo.areas) >= 3
    assert sum(len(a.rooms) for a in demo.areas) >= 12
    assert len(demo.doctors) >= 20
    emergency = [a for a in demo.areas if a.emergency]
    assert emergency and any(room.triage_levels for room in emergency[0].rooms)


def test_area_rules_are_hospital_rules_with_the_area_overrides(demo):
    assert demo.rules.precise_slots is False
    assert demo.rules_for_area("WY").precise_slots is True
    assert demo.rules_for_area("WY").late_mode == "end_of_slot"
    # untouched keys come from the hospital level
    assert demo.rules_for_area("WY").call_repeat == demo.rules.call_repeat
    assert demo.rules_for_area("NK").precise_slots is False


def test_lookups_find_devices_by_token_and_rooms_by_department(demo):
    wall = demo.device_by_token("demo-wall-nk-4e1b8c6d2a93")
    assert wall is not None and wall.role == "display" and wall.area == "NK"
    assert demo.device_by_token("not-a-token") is None
    assert [r.id for r in demo.rooms_of("NK")] == ["NK1", "NK2", "NK3", "NK4"]
    assert demo.area_of_room("YK2").id == "WY"


def test_demo_users_log_in_with_the_documented_password(demo):
    user = demo.user("wanghs")
    assert user is not None and verify_password("demo1234", user.password_hash)
    assert not verify_password("wrong", user.password_hash)
    assert verify_password("秘密", hash_password("秘密"))


def _problems(raw) -> str:
    with pytest.raises(ConfigError) as info:
        hospital_from_dict(raw, source="hospital.toml")
    return str(info.value)


def test_unknown_key_names_the_key(raw):
    raw["rules"]["late_mod"] = "interleave"
    message = _problems(raw)
    assert "hospital.toml" in message and "rules.late_mod" in message and "unknown key" in message


def test_bad_rule_value_in_an_area_names_the_area_and_key(raw):
    raw["areas"][1]["rules"]["late_mode"] = "sometimes"
    message = _problems(raw)
    assert "areas[1](id=WY).rules.late_mode" in message


def test_reference_to_a_missing_department_is_refused(raw):
    raw["doctors"][0]["department"] = "XX"
    assert "department 'XX' is not defined" in _problems(raw)


def test_duplicate_ticket_prefix_is_refused(raw):
    raw["departments"][1]["prefix"] = raw["departments"][0]["prefix"]
    assert "ticket prefix 'A' appears twice" in _problems(raw)


def test_plain_text_password_is_refused(raw):
    raw["users"][0]["password_hash"] = "demo1234"
    assert "users[0]" in _problems(raw) and "hash-password" in _problems(raw)


def test_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[hospital]\nname = "仁和\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_hospital(path)
    assert str(path) in str(info.value) and "TOML syntax error" in str(info.value)


def test_a_file_that_is_not_utf8_says_which_line_and_what_to_do(tmp_path):
    path = tmp_path / "gbk.toml"
    path.write_bytes('[hospital]\nname = "仁和医院"\n'.encode("gbk"))
    with pytest.raises(ConfigError) as info:
        load_hospital(path)
    assert "line 2: not UTF-8" in str(info.value) and "UTF-8" in str(info.value)


def test_a_shared_device_token_is_named_by_its_devices_never_printed(raw):
    token = raw["devices"][0]["token"]
    raw["devices"][1]["token"] = token
    problems = _problems(raw)
    assert raw["devices"][0]["id"] in problems and raw["devices"][1]["id"] in problems and token not in problems


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_hospital(tmp_path / "nope.toml")
    assert "cannot read the file" in str(info.value)


def test_kiosk_help_areas_must_be_defined_areas(raw):
    kiosk = next(d for d in raw["devices"] if d["role"] == "kiosk")
    kiosk.setdefault("settings", {})["help_areas"] = ["NK", "XX"]
    assert "settings.help_areas must list defined areas" in _problems(raw)
    kiosk["settings"]["help_areas"] = ["NK", "JZ"]
    assert hospital_from_dict(raw).device(kiosk["id"]).settings.help_areas == ["NK", "JZ"]


def test_a_triage_symptom_whose_picture_is_missing_is_refused_at_load(raw):
    raw["triage"]["symptoms"][1]["icon"] = "no_such_picture"
    message = _problems(raw)
    assert "icon 'no_such_picture' has no picture no_such_picture.svg in assets/triage" in message
    assert "headache" in message  # names the pictures there are


def test_every_demo_triage_symptom_has_a_picture(demo):
    assert demo.triage.symptoms and all(s.icon for s in demo.triage.symptoms)
