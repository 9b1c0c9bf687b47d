"""A visit booked days ahead: the hospital that sends texts offers the reminder on the 预约成功 page (opt-in)."""
from __future__ import annotations

from tests.kiosk.kiosk_driver import click, wait_screen
from tests.kiosk.test_kiosk_booking import book_a_later_day
from tests.kiosk.test_kiosk_reminders import gateway, service  # noqa: F401  (fixtures: a service that sends texts)


def test_a_booking_ahead_offers_the_text_reminder(qtbot, kiosk, reader_sim, payment_sim, service):
    booked = book_a_later_day(qtbot, kiosk, reader_sim, payment_sim, seed=82)
    assert [b.text() for b in booked.buttons] == ["完成", "短信提醒我"]
    click(qtbot, booked.buttons[1])
    qtbot.waitUntil(lambda: "已开通短信提醒" in kiosk.current.text.text(), timeout=10000)
    assert "138********" in kiosk.current.text.text()
    assert wait_screen(qtbot, kiosk, "booked").buttons[0].text() == "完成"
