"""智能导诊 at the kiosk: a symptom gives a department with why, taken in one tap (or overruled); a red flag sends
to 急诊 and puts a call on the guide desk's console that a nurse confirms."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS
from caller_console.app import open_console
from client.http import CallerClient
from common.config import DEMO_CONFIG, load_hospital
from kiosk.screens.triage import SYMPTOM_ICON_PX
from tests.kiosk.kiosk_driver import click, place_card, visible_texts, wait_screen


def test_a_headache_suggests_internal_medicine_with_why_and_goes_there(qtbot, kiosk, reader_sim):
    click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["triage"])
    triage = wait_screen(qtbot, kiosk, "triage")
    click(qtbot, triage.region_buttons["head"])
    assert "headache" in triage.symptom_buttons and "chest_pain" not in triage.symptom_buttons
    click(qtbot, triage.symptom_buttons["headache"])
    advice = wait_screen(qtbot, kiosk, "triage_advice")
    assert list(advice.department_buttons) == ["NK"]
    assert "头痛、头晕多数先看内科" in " ".join(visible_texts(advice))
    click(qtbot, advice.department_buttons["NK"])
    wait_screen(qtbot, kiosk, "identify")
    place_card(reader_sim, seed=81)
    wait_screen(qtbot, kiosk, "new_patient")  # a new patient makes a record first, then the suggested department


def test_the_suggestion_can_be_overruled(qtbot, kiosk):
    click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["triage"])
    triage = wait_screen(qtbot, kiosk, "triage")
    click(qtbot, triage.region_buttons["belly"])
    click(qtbot, triage.symptom_buttons["belly_pain"])
    advice = wait_screen(qtbot, kiosk, "triage_advice")
    assert list(advice.department_buttons) == ["NK", "WK"]  # two, the likelier first
    click(qtbot, advice.myself_button)
    wait_screen(qtbot, kiosk, "identify")  # then the full department list, as 挂号 does


def test_chest_pain_sends_to_emergency_and_a_nurse_confirms(qtbot, kiosk, service):
    desk = open_console(service, DEMO_TOKENS["console_dt"], "wangdy", DEMO_PASSWORD, area="DT")
    qtbot.addWidget(desk)
    try:
        desk.show()
        qtbot.waitUntil(lambda: desk.online, timeout=5000)
        click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["triage"])
        triage = wait_screen(qtbot, kiosk, "triage")
        click(qtbot, triage.region_buttons["chest"])
        click(qtbot, triage.symptom_buttons["chest_pain"])
        advice = wait_screen(qtbot, kiosk, "triage_advice")
        assert "请马上到急诊" in advice.title_label.text() and list(advice.department_buttons) == ["JZ"]
        qtbot.waitUntil(lambda: desk.help_bar.isVisible(), timeout=8000)
        assert "急症信号" in desk.help_bar.lines[0]
        qtbot.keyClick(desk, Qt.Key_H, Qt.ControlModifier)  # the nurse confirms: 我来处理
        with CallerClient(service, DEMO_TOKENS["admin"]) as admin:
            qtbot.waitUntil(lambda: any(r["action"] == "help_ack" for r in admin.audit()), timeout=8000)
            calls = [r for r in admin.audit() if r["action"] == "help"]
        assert calls and calls[0]["device"] == "kiosk-lobby-1"
    finally:
        desk.shutdown()


def _dark_pixels(icon, size: QSize) -> int:
    image = icon.pixmap(size).toImage()
    return sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
               if QColor(image.pixel(x, y)).alpha() > 128 and QColor(image.pixel(x, y)).lightness() < 160)


@pytest.mark.parametrize("lang,elderly", [("zh", False), ("en", False), ("zh", True), ("en", True)])
def test_every_symptom_button_shows_its_picture_in_both_languages_and_in_elderly_mode(qtbot, kiosk, lang, elderly):
    kiosk.set_language(lang)
    kiosk.set_elderly(elderly)
    side = round(SYMPTOM_ICON_PX[kiosk.settings.portrait] * (kiosk.settings.elderly_scale if elderly else 1.0))
    rules = load_hospital(DEMO_CONFIG).triage
    click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["triage"])
    triage = wait_screen(qtbot, kiosk, "triage")
    seen = set()
    for region in rules.regions:
        click(qtbot, triage.region_buttons[region.id])
        expected = {s.id for s in rules.symptoms if s.region == region.id}
        assert set(triage.symptom_buttons) == expected
        qtbot.waitUntil(lambda: all(b.isVisible() for b in triage.symptom_buttons.values()), timeout=3000)
        for symptom_id, btn in triage.symptom_buttons.items():
            assert not btn.icon().isNull(), symptom_id
            assert btn.iconSize() == QSize(side, side), symptom_id
            assert _dark_pixels(btn.icon(), btn.iconSize()) > 20, symptom_id  # the picture was drawn, not an empty icon
            assert btn.text()  # the words stay beside the picture
            seen.add(symptom_id)
    assert seen == {s.id for s in rules.symptoms}
    if lang == "en":
        assert triage.symptom_buttons["child_fever"].text().startswith("A child")
