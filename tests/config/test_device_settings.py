"""Each role's settings are a checked model: a typo or a bad value is refused at load with its place in the file,
the service sends each device its own, and the list in docs/settings.md is the models'."""
from __future__ import annotations

import copy
import pathlib
import tomllib

import pytest

from caller.__main__ import main
from common.config import DEMO_CONFIG, ConfigError, Device, hospital_from_dict, load_hospital
from common.demo_accounts import DEMO_TOKENS
from common.device_settings import (
    DeviceSettings,
    DoorSettings,
    KioskSettings,
    SpeakerSettings,
    WallSettings,
    settings_table,
)
from common.screen_layout import ScreenLayout

REPO = pathlib.Path(__file__).resolve().parents[2]
RAW = tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))


def _with(device_id: str, **settings) -> dict:
    raw = copy.deepcopy(RAW)
    device = next(d for d in raw["devices"] if d["id"] == device_id)
    device.setdefault("settings", {}).update(settings)
    return raw


def _problems(raw: dict) -> str:
    with pytest.raises(ConfigError) as refused:
        hospital_from_dict(raw, source="hospital.toml")
    return str(refused.value)


def test_every_device_of_the_demo_has_the_settings_model_of_its_role():
    kinds = {d.id: type(d.settings) for d in load_hospital(DEMO_CONFIG).devices}
    assert kinds["kiosk-lobby-1"] is KioskSettings and kinds["wall-nk"] is WallSettings
    assert kinds["door-nk1"] is DoorSettings and kinds["speaker-nk"] is SpeakerSettings
    assert Device.model_fields["settings"].annotation is DeviceSettings  # never a free dict again


@pytest.mark.parametrize("device_id, key, value, says", [
    ("wall-nk", "viewing_distance_m", 50, "devices[6](id=wall-nk).settings.viewing_distance_m: Input should be less "
                                          "than or equal to 40"),
    ("wall-nk", "font_sacle", 1.2, "devices[6](id=wall-nk).settings.font_sacle: unknown key (check the spelling)"),
    ("wall-nk", "speak", "yes", "settings.speak: Input should be a valid boolean"),
    ("door-nk1", "rooms", ["NK1"], "devices[7](id=door-nk1).settings.rooms: unknown key"),
    ("kiosk-lobby-1", "printer_profile", "generic-80", "settings.printer_profile: unknown printer profile"),
    ("kiosk-lobby-1", "timeout_s", True, "settings.timeout_s: must be a number"),
    ("speaker-nk", "name_mode", "first", "settings.name_mode: Input should be 'none', 'surname' or 'full'"),
    ("console-nk", "rows", 6, "settings.rows: unknown key"),
])
def test_a_bad_setting_is_refused_at_load_with_its_place_in_the_file(device_id, key, value, says):
    assert says in _problems(_with(device_id, **{key: value}))


def test_check_config_names_the_bad_setting_and_refuses_the_file(tmp_path, capsys):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("viewing_distance_m = 5.0", "viewing_distance_m = 50", 1)
    bad = tmp_path / "hospital.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as refused:
        main(["check-config", str(bad)])
    assert refused.value.code == 2
    assert "devices[6](id=wall-nk).settings.viewing_distance_m" in capsys.readouterr().err


def test_a_screen_lays_itself_out_with_what_the_service_serves():
    wall = load_hospital(DEMO_CONFIG).device("wall-nk").settings
    served = wall.served()
    assert served["recent_calls"] == 5 and "last_calls" not in served and "rows" not in served  # only what is set
    layout = ScreenLayout.from_settings(served)
    assert layout.rooms == ["NK1", "NK2", "NK3", "NK4"] and layout.recent_calls == 5 and layout.problems == ()


def test_docs_list_every_setting_of_the_models():
    doc = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    begin, end = "<!-- settings-table: generated from common/device_settings.py (settings_table) -->\n", \
        "<!-- /settings-table -->"
    assert doc[doc.index(begin) + len(begin):doc.index(end)] == settings_table(), \
        "docs/settings.md: paste common.device_settings.settings_table() between the markers"


def test_every_service_area_of_the_demo_has_its_wall_and_speaker():
    """The pharmacy, the lab, imaging and the cashier each have a wall (over their windows) and a speaker, whose
    demo tokens are the shared demo accounts' (docs/journey.md: every service has its own wall and calls)."""
    hospital = load_hospital(DEMO_CONFIG)
    service_areas = {d.area for d in hospital.departments if d.service not in (None, "clinic")}
    assert {"YF", "JY", "YX", "SF"} <= service_areas
    for area in service_areas:
        walls = [d for d in hospital.devices if d.area == area and d.role == "display"
                 and getattr(d.settings, "kind", "") == "wall"]
        speakers = [d for d in hospital.devices if d.area == area and d.role == "speaker"]
        assert walls and speakers, area
        rooms = {r.id for r in hospital.area(area).rooms}
        assert all(set(w.settings.rooms) <= rooms for w in walls), area
    tokens = {d.id: d.token for d in hospital.devices}
    assert tokens["wall-sf"] == DEMO_TOKENS["wall_sf"] and tokens["speaker-sf"] == DEMO_TOKENS["speaker_sf"]
