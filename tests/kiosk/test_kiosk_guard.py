"""A patient session needs the patient: a guessed second factor locks, a kiosk opening sessions faster than a lobby
could is suspended, and both show the patient in Chinese what to do; staff lift them and the kiosk comes back."""
from __future__ import annotations

import httpx

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS
from common.config import SecurityConfig
from tests.kiosk.kiosk_driver import click, place_card, register_until, type_keys, visible_texts, wait_screen


def staff(service) -> httpx.Client:
    """The lobby guide desk's console with its nurse logged in."""
    token = httpx.post(f"{service}/api/v1/auth/login", json={"username": "wangdy", "password": DEMO_PASSWORD},
                       headers={"Authorization": f"Bearer {DEMO_TOKENS['console_dt']}"}, timeout=30).json()["token"]
    return httpx.Client(base_url=f"{service}/api/v1", timeout=30, headers={"Authorization": f"Bearer {token}"})


def security_alerts(service) -> list[dict]:
    return [d for d in service.service.device_watch.devices() if d["device"] == "kiosk-lobby-1/security"]


def type_id_then_digits(qtbot, kiosk, number: str):
    click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["register"])
    click(qtbot, wait_screen(qtbot, kiosk, "identify").type_button)
    screen = wait_screen(qtbot, kiosk, "type_id")
    type_keys(qtbot, screen.keypad, number)
    click(qtbot, screen.keypad.ok)
    return wait_screen(qtbot, kiosk, "second_factor")


def test_wrong_phone_digits_lock_the_record_say_what_to_do_and_staff_unlock_it(qtbot, kiosk, reader_sim, service):
    card = register_until(qtbot, kiosk, reader_sim, last="slots")  # phone on record 13812345678
    patient_id = int(kiosk.session.patient.id)
    kiosk.go_home("home")
    reader_sim.remove_card()
    factor = type_id_then_digits(qtbot, kiosk, card.id_number)
    for attempt in range(4):
        type_keys(qtbot, factor.keypad, f"{attempt:04d}")
        click(qtbot, factor.keypad.ok)
        qtbot.waitUntil(lambda: factor.error.isVisible() and "不正确" in factor.error.text())
        factor.error.hide()
    type_keys(qtbot, factor.keypad, "9999")  # the fifth wrong guess: locked
    click(qtbot, factor.keypad.ok)
    locked = wait_screen(qtbot, kiosk, "factor_locked")
    text = " ".join(visible_texts(locked))
    assert "身份证" in text and "服务台" in text and kiosk.session.patient is None
    assert security_alerts(service)[0]["status"] == "fault"  # the consoles see it

    kiosk.go_home("home")  # even the right digits open nothing now
    factor = type_id_then_digits(qtbot, kiosk, card.id_number)
    type_keys(qtbot, factor.keypad, "5678")
    click(qtbot, factor.keypad.ok)
    wait_screen(qtbot, kiosk, "factor_locked")
    assert kiosk.session.patient is None

    with staff(service) as desk:  # at the desk, staff check the person and lift the lock
        assert [lock["key"] for lock in desk.get("/devices/locks").json()] == [str(patient_id)]
        assert desk.post(f"/records/patients/{patient_id}/unlock").status_code == 200
    trail = {(row["action"], row["user"]) for row in service.service.store.audit(limit=50)}
    assert ("second_factor_locked", "") in trail and ("second_factor_unlocked", "wangdy") in trail
    kiosk.go_home("home")
    factor = type_id_then_digits(qtbot, kiosk, card.id_number)
    type_keys(qtbot, factor.keypad, "5678")
    click(qtbot, factor.keypad.ok)
    wait_screen(qtbot, kiosk, "departments")
    assert kiosk.session.patient.name == card.name
    assert security_alerts(service)[0]["status"] == "ok"


def test_a_kiosk_opening_sessions_too_fast_is_suspended_until_staff_reinstate_it(qtbot, kiosk, reader_sim, service):
    service.service.guard.limits = SecurityConfig(kiosk_sessions_per_minute=2)  # a lobby's pace, scaled down
    kiosk.settings.out_of_service_retry_ms = 200
    for seed in (31, 32):
        click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["register"])
        wait_screen(qtbot, kiosk, "identify")
        place_card(reader_sim, seed=seed)
        wait_screen(qtbot, kiosk, "new_patient")
        reader_sim.remove_card()
        kiosk.go_home("home")
    click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    place_card(reader_sim, seed=33)  # the third session within the minute
    suspended = wait_screen(qtbot, kiosk, "suspended")
    assert "暂停服务" in " ".join(visible_texts(suspended)) and kiosk.session.patient is None
    assert security_alerts(service)[0]["status"] == "fault"
    probes = []
    kiosk.runner.task_finished.connect(lambda: probes.append(1))
    qtbot.waitUntil(lambda: len(probes) >= 2)  # it keeps asking, and stays suspended until staff reviewed it
    assert kiosk.current.name == "suspended"
    reader_sim.remove_card()
    with staff(service) as desk:
        assert desk.post("/devices/kiosk-lobby-1/reinstate").status_code == 200
    wait_screen(qtbot, kiosk, "home")  # back by itself
    assert security_alerts(service)[0]["status"] == "ok"
