"""Typing at the kiosk: Qt Virtual Keyboard (pinyin and English) opens for a text field, is driven by taps on
its keys and candidates, follows the screen's language, and is bigger in elderly mode."""
from __future__ import annotations

from PySide6.QtCore import Qt

from tests.kiosk.kiosk_driver import click, keyboard_types, tap_key, wait_screen
from tests.kiosk.test_kiosk_day import card_on_home
from tests.kiosk.test_kiosk_services import new_patient


def to_child_name(qtbot, kiosk, reader_sim, seed: int):
    card, _parent = new_patient(qtbot, kiosk, reader_sim, seed=seed)
    card_on_home(qtbot, kiosk, reader_sim, card)
    departments = wait_screen(qtbot, kiosk, "departments")
    click(qtbot, departments.family_button)
    click(qtbot, wait_screen(qtbot, kiosk, "family").add_button)
    click(qtbot, wait_screen(qtbot, kiosk, "child_id").none_button)
    birth = wait_screen(qtbot, kiosk, "child_birth")
    for ch in "20240315":
        click(qtbot, birth.keypad.buttons[ch])
    click(qtbot, birth.sex_buttons[0])  # the date typed: choosing the sex goes on by itself
    return wait_screen(qtbot, kiosk, "child_name")


def test_a_childs_name_typed_in_pinyin(qtbot, kiosk, reader_sim):
    named = to_child_name(qtbot, kiosk, reader_sim, seed=71)
    qtbot.waitUntil(lambda: kiosk.keyboard.isVisible(), timeout=10000)  # opened by itself, the name field focused
    assert kiosk.keyboard.key_point("简体中文") is not None or kiosk.keyboard.key_point(" ") is not None
    keyboard_types(qtbot, kiosk, "王小明")
    assert named.edit.text() == "王小明"
    click(qtbot, named.confirm_button)
    wait_screen(qtbot, kiosk, "departments")
    assert kiosk.session.patient.name == "王小明"
    assert not kiosk.keyboard.isVisible()  # no text field on the next screen: the keyboard is gone


def test_a_wrong_letter_is_taken_back(qtbot, kiosk, reader_sim):
    named = to_child_name(qtbot, kiosk, reader_sim, seed=72)
    tap_key(qtbot, kiosk, "q")
    qtbot.waitUntil(lambda: kiosk.keyboard.candidates() != [], timeout=10000)  # "q" is being composed
    tap_key(qtbot, kiosk, key=Qt.Key_Backspace)
    qtbot.waitUntil(lambda: kiosk.keyboard.candidates() == [], timeout=10000)
    keyboard_types(qtbot, kiosk, "李雨")
    assert named.edit.text() == "李雨"


def test_english_screens_get_the_english_keyboard_and_elderly_mode_bigger_keys(qtbot, kiosk, reader_sim):
    to_child_name(qtbot, kiosk, reader_sim, seed=73)
    keyboard = kiosk.keyboard
    qtbot.waitUntil(lambda: keyboard.isVisible(), timeout=10000)
    normal = keyboard.view.width()
    kiosk.set_elderly(True)
    qtbot.waitUntil(lambda: keyboard.isVisible() and keyboard.view.width() > normal, timeout=10000)
    assert keyboard.view.height() > 0
    kiosk.set_language("en")
    named = wait_screen(qtbot, kiosk, "child_name")
    qtbot.waitUntil(lambda: keyboard.key_point("English") is not None or keyboard.panel.property("kioskLocale") == "en_US",
                    timeout=10000)
    for letter in "tom":
        tap_key(qtbot, kiosk, letter)
    qtbot.waitUntil(lambda: named.edit.text().lower() == "tom", timeout=10000)  # English: letters go straight in
