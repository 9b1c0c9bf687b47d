"""Identify by typed ID, timeouts that wipe the patient, elderly mode with speech, English, staff page."""
from __future__ import annotations

import re

from common.device_settings import KioskSettings
from hardware.idcard.idnumber import MSG_CHECK
from kiosk.i18n.build import source_strings
from kiosk.i18n.strings_en import DYNAMIC, EN
from tests.kiosk.kiosk_driver import click, place_card, register_until, type_keys, visible_texts, wait_screen

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_typed_id_with_wrong_check_digit_is_refused_before_anything_is_sent(qtbot, kiosk):
    click(qtbot, kiosk.current.tiles["register"])
    click(qtbot, wait_screen(qtbot, kiosk, "identify").type_button)
    screen = wait_screen(qtbot, kiosk, "type_id")
    finished = []
    kiosk.runner.task_finished.connect(lambda: finished.append(1))
    type_keys(qtbot, screen.keypad, "110101199003078031")  # the valid number ends in X
    click(qtbot, screen.keypad.ok)
    assert screen.error.isVisible() and screen.error.text() == MSG_CHECK
    assert kiosk.current is screen and finished == [] and not kiosk.runner.busy


def test_typed_id_of_a_known_patient_goes_on_to_departments(qtbot, kiosk, reader_sim):
    card = register_until(qtbot, kiosk, reader_sim, last="slots")
    kiosk.go_home("home")
    reader_sim.remove_card()
    click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["register"])
    click(qtbot, wait_screen(qtbot, kiosk, "identify").type_button)
    screen = wait_screen(qtbot, kiosk, "type_id")
    type_keys(qtbot, screen.keypad, card.id_number)
    click(qtbot, screen.keypad.ok)
    # a typed number alone shows no name: the last 4 digits of the phone on record come first
    factor = wait_screen(qtbot, kiosk, "second_factor")
    assert kiosk.session.patient is None
    type_keys(qtbot, factor.keypad, "0000")
    click(qtbot, factor.keypad.ok)
    qtbot.waitUntil(lambda: factor.error.isVisible() and "不正确" in factor.error.text())
    assert kiosk.session.patient is None and kiosk.current is factor
    type_keys(qtbot, factor.keypad, "5678")  # register_until's phone 13812345678
    click(qtbot, factor.keypad.ok)
    wait_screen(qtbot, kiosk, "departments")
    assert kiosk.session.patient.name == card.name


def fast_countdown(kiosk) -> None:
    """3-"second" timeouts with 100 ms seconds, warning for the last 2."""
    kiosk.settings.timeout_s, kiosk.settings.elderly_timeout_s, kiosk.settings.warn_s = 3, 3, 2
    kiosk.tick_timer.setInterval(100)
    kiosk.reset_countdown()


def test_timeout_warns_then_goes_home_and_wipes_the_patient(qtbot, kiosk, reader_sim):
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    card = place_card(reader_sim, seed=21)
    screen = wait_screen(qtbot, kiosk, "new_patient")
    fast_countdown(kiosk)
    assert any(card.name in t for t in visible_texts(screen))
    assert kiosk.countdown_label.isVisible()
    qtbot.waitUntil(lambda: kiosk.warning.isVisible(), timeout=5000)
    assert "返回首页" in kiosk.warning.text()
    with qtbot.waitSignal(kiosk.went_home, timeout=5000) as gone:
        pass
    assert gone.args == ["timeout"]
    assert kiosk.current.name == "home" and not kiosk.warning.isVisible()
    assert kiosk.session.patient is None and kiosk.session.card is None
    assert not any(card.name in t for t in visible_texts(kiosk))


def test_touch_resets_the_countdown(qtbot, kiosk):
    click(qtbot, kiosk.current.tiles["register"])
    screen = wait_screen(qtbot, kiosk, "identify")
    fast_countdown(kiosk)
    qtbot.waitUntil(lambda: kiosk.remaining <= 2, timeout=5000)
    qtbot.mouseClick(screen.title_label, __import__("PySide6.QtCore").QtCore.Qt.LeftButton)
    assert kiosk.remaining == 3


class RecordedSpeech:
    """A speech worker writing WAV files (espeak-ng), so the test can see what was said."""

    def __init__(self, out_dir):
        from hardware.speech import SpeechWorker

        self.texts: list[str] = []
        self.worker = SpeechWorker(out_dir, chime=None, backend="espeak-ng")

    def announce_broadcast(self, text: str) -> str:
        self.texts.append(text)
        return self.worker.announce_broadcast(text)

    def stop(self, timeout: float = 1.0) -> None:
        self.worker.stop(timeout)


def test_elderly_mode_bigger_text_a_full_page_longer_timeout_and_spoken_steps(qtbot, service, tmp_path):
    from caller.testing import DEMO_TOKENS
    from kiosk.app import build_kiosk

    speech = RecordedSpeech(tmp_path / "speech")
    window = build_kiosk(service, DEMO_TOKENS["kiosk"], settings=KioskSettings(), speech=speech)
    qtbot.addWidget(window)
    try:
        normal_size = window.current.title_label.font().pixelSize()
        click(qtbot, window.current.elderly_button)
        home = wait_screen(qtbot, window, "home")
        assert home.title_label.font().pixelSize() >= 1.5 * normal_size
        click(qtbot, home.tiles["register"])
        identify = wait_screen(qtbot, window, "identify")
        assert window.remaining >= window.settings.elderly_timeout_s > window.settings.timeout_s
        assert window.per_page >= 6  # larger items, still a full page of them: fewer pages to turn
        assert identify.speech in speech.texts
        assert speech.worker.wait_idle(10)
        wavs = list((tmp_path / "speech").glob("*.wav"))
        assert wavs and all(w.stat().st_size > 1000 for w in wavs)
    finally:
        window.admin_exit()
        window.backend.close()


def test_every_kiosk_string_has_english():
    missing = sorted((source_strings() | set(DYNAMIC)) - set(EN))
    assert missing == []


def test_english_at_a_touch_and_no_chinese_left_on_screen(qtbot, kiosk):
    click(qtbot, kiosk.current.language_button)
    home = wait_screen(qtbot, kiosk, "home")
    assert home.title_label.text() == "Hello, welcome to self-service"
    texts = visible_texts(kiosk)
    assert texts and not [t for t in texts if CJK.search(t) and t != "中文"]
    click(qtbot, home.tiles["register"])
    identify = wait_screen(qtbot, kiosk, "identify")
    assert not [t for t in visible_texts(kiosk) if CJK.search(t)]
    click(qtbot, identify.type_button)
    screen = wait_screen(qtbot, kiosk, "type_id")
    type_keys(qtbot, screen.keypad, "11010119900307803")
    click(qtbot, screen.keypad.ok)
    assert screen.error.text() == "An ID number has 18 characters. Please check it and type it again."


def test_staff_page_needs_the_pin_and_is_the_only_way_out(qtbot, kiosk):
    kiosk.close()
    assert kiosk.isVisible()  # closing the window is refused
    for _ in range(5):
        qtbot.mouseClick(kiosk.hospital_label, __import__("PySide6.QtCore").QtCore.Qt.LeftButton)
    pin = wait_screen(qtbot, kiosk, "admin_pin")
    type_keys(qtbot, pin.keypad, "1111")
    click(qtbot, pin.keypad.ok)
    assert pin.error.isVisible() and kiosk.current is pin
    type_keys(qtbot, pin.keypad, kiosk.settings.admin_pin)
    click(qtbot, pin.keypad.ok)
    page = wait_screen(qtbot, kiosk, "devices")
    assert set(page.rows) == {"idcard", "printer", "scanner", "payment"}
    click(qtbot, page.exit_button)
    assert not kiosk.isVisible()


def test_after_a_timeout_the_next_patient_gets_chinese_normal_mode(qtbot, kiosk):
    click(qtbot, kiosk.current.language_button)
    click(qtbot, wait_screen(qtbot, kiosk, "home").elderly_button)
    click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    assert kiosk.current.title_label.text() == "Please show your ID"
    fast_countdown(kiosk)
    with qtbot.waitSignal(kiosk.went_home, timeout=5000):
        pass
    assert kiosk.current.title_label.text() == "您好，欢迎使用自助服务"
    assert not kiosk.elderly


def test_survives_a_long_day_of_qt_calls(qtbot, kiosk):
    """PySide6 6.12 on Python 3.11 drops a reference to None on every void Qt call; the kiosk must outlive that."""
    label = kiosk.current.title_label
    for n in range(20000):  # a few minutes of the card animation and countdown
        label.setText(str(n))
    assert label.text() == "19999"


def test_a_kiosk_without_a_configured_pin_has_no_default_pin():
    assert not KioskSettings().pin_matches("000000")
    assert not KioskSettings().pin_matches("")
    assert KioskSettings(admin_pin="2580").pin_matches("2580")


def test_the_kiosk_takes_its_timeouts_from_its_entry_in_the_hospital_file_through_the_service(kiosk):
    """kiosk-lobby-1 says timeout_s = 90, elderly_timeout_s = 180 in the hospital file; the kiosk was built without
    the file, so it has them from GET /auth/me (the built-in defaults are 60 and 150)."""
    assert KioskSettings().timeout_s == 60 and KioskSettings().elderly_timeout_s == 150
    assert kiosk.settings.timeout_s == 90 and kiosk.settings.elderly_timeout_s == 180
    assert kiosk.settings.device_id == "kiosk-lobby-1"
