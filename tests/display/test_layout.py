"""Screen layout settings from the hospital TOML."""
from pathlib import Path

from common.config import load_hospital
from common.screen_layout import ScreenLayout

DEMO = Path(__file__).resolve().parents[2] / "assets" / "demo-hospital.toml"


def test_every_demo_display_layout_reads_without_problems():
    cfg = load_hospital(DEMO)
    displays = [d for d in cfg.devices if d.role == "display"]
    assert displays
    for device in displays:
        layout = ScreenLayout.from_settings(device.settings)
        assert layout.problems == (), device.id
        area_rooms = {r.id for r in cfg.area(device.area).rooms}
        assert set(layout.rooms) <= area_rooms, device.id


def test_bad_values_fall_back_with_a_readable_problem():
    layout = ScreenLayout.from_settings({"rows": 0, "font_scale": "big", "speak": "yes", "last_calls": 4})
    assert layout.rows == ScreenLayout.model_fields["rows"].default
    assert layout.recent_calls == 4
    assert len(layout.problems) == 3
    assert any("settings.rows" in p for p in layout.problems)


def test_font_scale_multiplies_sizes():
    layout = ScreenLayout.from_settings({"font_scale": 1.5, "font_row": 40})
    assert layout.font("row") == 60
