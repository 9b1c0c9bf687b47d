"""The ticket screen offers text reminders (off until the patient taps 短信提醒我), and "my queue" shows the live
ticket page's QR code: the real kiosk widgets, the live service and its SMS gateway simulator."""
from __future__ import annotations

import httpx
import pytest

from caller.notify.simulator import GatewaySimulator
from caller.testing import DEMO_TOKENS, run_service
from client.http import CallerClient, CallerError
from common.config import DEMO_CONFIG, load_hospital
from common.notify_settings import NotifySettings, SmsSettings
from tests.kiosk.kiosk_driver import click, pay_current_order, register_until, visible_texts, wait_screen

PHONE = "13812345678"  # what register_until types as the patient's phone


@pytest.fixture
def gateway():
    with GatewaySimulator() as sim:
        yield sim


@pytest.fixture
def service(tmp_path, clock, payment_sim, monkeypatch, gateway):
    """The kiosk's service, with an SMS gateway (the simulator): the hospital sends texts."""
    monkeypatch.setenv("HOSPITAL_PAYMENT_URL", payment_sim.url)
    config = load_hospital(DEMO_CONFIG).model_copy(
        update={"notify": NotifySettings(sms=SmsSettings(url=gateway.url), retry_base_seconds=0.05)})
    with run_service(config, tmp_path / "hospital.db", clock=clock) as base_url:
        yield base_url


def call_next(staff: CallerClient, room: str) -> str | None:
    """The visit a room calls next (None: nobody fits that room)."""
    try:
        return (staff.call_next(room).get("visit") or {}).get("visit_id")
    except CallerError:
        return None


def test_a_tap_on_the_ticket_screen_turns_on_texts_and_my_queue_shows_the_ticket_page_qr(
        qtbot, kiosk, reader_sim, payment_sim, service, gateway):
    card = register_until(qtbot, kiosk, reader_sim, seed=41)
    pay_current_order(payment_sim)
    ticket = wait_screen(qtbot, kiosk, "ticket")
    patient, visit_id, number = kiosk.session.patient.id, kiosk.session.ticket.visit_id, ticket.number.text()
    assert ticket.remind_button.text() == "短信提醒我" and ticket.remind_button.isEnabled()
    assert "138********" in ticket.remind_note.text() and PHONE not in " ".join(visible_texts(ticket))
    with CallerClient(service, DEMO_TOKENS["admin"]) as admin:
        assert admin.request("GET", f"/records/patients/{patient}/reminders")["reminders"] == []  # off by default

        click(qtbot, ticket.remind_button)
        qtbot.waitUntil(lambda: ticket.remind_button.text() == "已开通短信提醒", timeout=10000)
        assert not ticket.remind_button.isEnabled() and "已开通短信提醒" in ticket.remind_note.text()
        assert admin.request("GET", f"/records/patients/{patient}/reminders")["reminders"][0]["to"] == "138********"
        assert admin.notifications(visit_id)["optins"] == [{"channel": "sms", "to": "138********"}]

        assert any(call_next(admin, r["room_id"]) == visit_id for r in admin.request("GET", "/areas/NK/queue")["rooms"])
        assert gateway.wait_for(1)
        text = gateway.delivered[0]
        assert text.to == PHONE and f"请 {number} 号到" in text.text and card.name not in text.text

    click(qtbot, ticket.done_button)
    click(qtbot, wait_screen(qtbot, kiosk, "rating").skip_button)
    wait_screen(qtbot, kiosk, "home")
    click(qtbot, kiosk.current.tiles["queue"])
    wait_screen(qtbot, kiosk, "identify")
    reader_sim.remove_card()
    qtbot.waitUntil(lambda: kiosk.devices._reader.current_card is None, timeout=5000)
    reader_sim.place_card(card)
    queue = wait_screen(qtbot, kiosk, "my_queue")
    token = kiosk.backend.my_visits(kiosk.session.patient)[0].ticket_token
    assert queue.links == [f"{service}/t/{token}"] and not queue.qr_codes[0].pixmap().isNull()
    page = httpx.get(queue.links[0], timeout=5)  # the phone that scans it opens the live ticket page
    assert page.status_code == 200 and number in page.text and card.name not in page.text
