"""预约 at the kiosk: another day within the hospital's booking days, honouring the release hour; the 挂号凭条 is
printed now and the queue number comes at check-in on the day."""
from __future__ import annotations

from datetime import timedelta

from caller.testing import DEMO_TOKENS
from client.http import CallerClient
from tests.kiosk.kiosk_driver import choose, click, pay_current_order, register_until, wait_screen
from tests.kiosk.test_kiosk_day import card_on_home
from tests.kiosk.test_kiosk_services import printed_text


def test_book_a_later_day_then_check_in_on_that_day(qtbot, kiosk, reader_sim, payment_sim, printer_sim, service, clock):
    card = register_until(qtbot, kiosk, reader_sim, last="confirm", seed=81)
    kiosk.back()  # from the confirmation back to the doctors: another day instead
    doctors = wait_screen(qtbot, kiosk, "doctors")
    click(qtbot, doctors.other_day_button)
    days = wait_screen(qtbot, kiosk, "book_day")
    today = clock().date()
    assert [d.date for d in days.days] == [(today + timedelta(days=n)).isoformat() for n in range(1, 9)]
    assert [d.released for d in days.days] == [True] * 7 + [False]  # book_days_ahead = 7: day 8 opens tomorrow 08:00
    assert "开放预约" in days.choices.button_for(7).text() and not days.choices.button_for(7).isEnabled()
    days.choices.show_page(0)
    pick = next(i for i, d in enumerate(days.days) if d.released and d.remaining > 0 and i >= 1)  # not tomorrow
    choose(qtbot, days, pick)
    booked_day = days.days[pick].date
    doctors = wait_screen(qtbot, kiosk, "doctors")
    assert f"{int(booked_day[5:7])}月{int(booked_day[8:10])}日" in doctors.subtitle_label.text()
    choose(qtbot, doctors, 0)
    choose(qtbot, wait_screen(qtbot, kiosk, "slots"), 0)  # booking ahead: the patient picks the time
    confirm = wait_screen(qtbot, kiosk, "confirm")
    assert "今天" not in " ".join(w.text() for w in confirm.findChildren(type(confirm.title_label)))
    jobs = len(printer_sim.core.jobs)
    click(qtbot, confirm.confirm_button)
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    booked = wait_screen(qtbot, kiosk, "booked")
    assert "签到" in booked.text.text()
    assert printer_sim.core.wait_for_jobs(jobs + 1, timeout=5)
    assert "挂号凭条" in printed_text(printer_sim)
    registration_id = kiosk.session.ticket.registration_id
    admin = CallerClient(service, DEMO_TOKENS["admin"])
    reg = admin.request("GET", f"/records/registrations/{registration_id}")["registration"]
    admin.close()
    assert reg["date"] == booked_day and reg["state"] == "final" and reg["source"] == "appointment"
    assert not reg["ticket"]

    kiosk.go_home("done")
    card_on_home(qtbot, kiosk, reader_sim, card)  # the same day: the booking can be cancelled from the day page
    day = wait_screen(qtbot, kiosk, "day")
    click(qtbot, day.cancel_button)
    cancel = wait_screen(qtbot, kiosk, "cancel")
    assert cancel.registration_ids == [registration_id]
    assert f"{int(booked_day[5:7])}月{int(booked_day[8:10])}日" in cancel.choices.buttons[0].text()
    kiosk.go_home("done")
    clock.set(clock() + timedelta(days=pick + 1))  # that day, at 09:00
    kiosk.backend.ping()  # the kiosk sets its clock by the service's (once a minute on its own)
    card_on_home(qtbot, kiosk, reader_sim, card)
    day = wait_screen(qtbot, kiosk, "day")
    assert len(day.check_in_buttons) == 1


def book_a_later_day(qtbot, kiosk, reader_sim, payment_sim, seed: int):
    """Card -> record -> department -> 预约其他日期 -> the first open day after tomorrow -> doctor -> time -> pay."""
    register_until(qtbot, kiosk, reader_sim, last="confirm", seed=seed)
    kiosk.back()
    click(qtbot, wait_screen(qtbot, kiosk, "doctors").other_day_button)
    days = wait_screen(qtbot, kiosk, "book_day")
    choose(qtbot, days, next(i for i, d in enumerate(days.days) if d.released and d.remaining > 0 and i >= 1))
    choose(qtbot, wait_screen(qtbot, kiosk, "doctors"), 0)
    choose(qtbot, wait_screen(qtbot, kiosk, "slots"), 0)
    click(qtbot, wait_screen(qtbot, kiosk, "confirm").confirm_button)
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    return wait_screen(qtbot, kiosk, "booked")
