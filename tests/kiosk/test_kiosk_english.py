"""Full English: names from the hospital file's name_en (doctors in pinyin), the Chinese name when one is missing,
and check-config saying which ones are missing."""
from __future__ import annotations

import subprocess
import sys

from common.english import english_name, missing_english
from kiosk.layout_check import DEMO_HOSPITAL
from tests.kiosk.kiosk_driver import choose, click, place_card, type_keys, visible_texts, wait_screen


def test_the_fallback_rule_and_the_warnings_for_what_is_missing(tmp_path):
    from common.config import load_hospital

    assert english_name("张建国", "Zhang Jianguo") == "Zhang Jianguo"
    assert english_name("张建国", "") == "张建国" and english_name("张建国", None) == "张建国"
    config = load_hospital(DEMO_HOSPITAL)
    assert missing_english(config) == []  # the demo hospital is complete
    text = DEMO_HOSPITAL.read_text(encoding="utf-8").replace('name_en = "Zhang Jianguo"\n', "").replace(
        'name_en = "Room 1"\n', "")
    partial = tmp_path / "hospital.toml"
    partial.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "caller", "check-config", str(partial), "--demo"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "1 doctors without name_en" in out.stderr and "nk-zhang" in out.stderr
    assert "1 rooms without name_en" in out.stderr and "NK1" in out.stderr
    assert "英文界面将显示中文" in out.stderr


def test_english_screens_show_doctors_in_pinyin_and_locations_in_english(qtbot, kiosk, reader_sim):
    kiosk.set_language("en")
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    place_card(reader_sim, seed=91)
    screen = wait_screen(qtbot, kiosk, "new_patient")
    type_keys(qtbot, screen.keypad, "13812345678")
    click(qtbot, screen.keypad.ok)
    departments = wait_screen(qtbot, kiosk, "departments")
    assert departments.departments[0].location_en.startswith("Outpatient Building")
    choose(qtbot, departments, 0)
    doctors = wait_screen(qtbot, kiosk, "doctors")
    texts = " ".join(visible_texts(doctors))
    assert "Zhang Jianguo" in texts and "张建国" not in texts
    choose(qtbot, doctors, 1)  # an expert
    confirm = wait_screen(qtbot, kiosk, "confirm")
    shown = " ".join(visible_texts(confirm))
    assert "Floor 2 East" in shown and not any("\u4e00" <= ch <= "\u9fff" for ch in shown.replace(
        confirm_masked_name(kiosk), ""))


def confirm_masked_name(kiosk) -> str:
    from common.privacy import mask_name

    return mask_name(kiosk.session.patient.name)
