"""Faults the kiosk must survive: printer, card reader, service, payment, a slot taken meanwhile."""
from __future__ import annotations

import pytest

from caller.testing import DEMO_TOKENS, free_port, run_service_process
from client.http import CallerClient
from hardware.payment import Outcome
from tests.kiosk.kiosk_driver import (
    click,
    orders,
    pay_current_order,
    place_card,
    register_until,
    type_keys,
    wait_screen,
)


def test_printer_out_of_paper_is_found_before_paying(qtbot, kiosk, reader_sim, printer_sim, payment_sim):
    register_until(qtbot, kiosk, reader_sim, last="confirm")
    printer_sim.core.set_state(paper_out=True)
    click(qtbot, kiosk.current.confirm_button)
    screen = wait_screen(qtbot, kiosk, "message")
    assert "打印机暂时无法使用" in screen.title_label.text()
    assert "打印纸已用完" in screen.text.text()
    assert orders(payment_sim) == []  # no order was opened, nothing can be charged
    assert kiosk.session.hold is None


def test_printer_cover_opened_after_payment_gives_reprint_code_and_keeps_the_registration(
        qtbot, kiosk, reader_sim, printer_sim, payment_sim, service):
    register_until(qtbot, kiosk, reader_sim)
    printer_sim.core.set_state(cover_open=True)
    pay_current_order(payment_sim)
    screen = wait_screen(qtbot, kiosk, "ticket")
    note = screen.print_note.text()
    assert "没有打印出来" in note and "无需重复缴费" in note
    assert kiosk.session.ticket.reprint_code in note
    assert len(orders(payment_sim, "paid")) == 1  # paid once
    queue = CallerClient(service, DEMO_TOKENS["admin"])
    assert queue.visit_status(kiosk.session.ticket.visit_id)["ticket"] == screen.number.text()
    queue.close()
    health = {h.device: h for h in kiosk.devices.healths()}
    assert health["printer"].status.value == "offline"


def test_card_reader_offline_offers_typed_id_and_shows_on_device_page(qtbot, kiosk, reader_sim):
    click(qtbot, kiosk.current.tiles["register"])
    screen = wait_screen(qtbot, kiosk, "identify")
    qtbot.waitUntil(lambda: not screen.reader_fault.isVisible(), timeout=5000)  # the reader is up
    reader_sim.unplug()  # the reader fails while the patient looks at the screen
    qtbot.waitUntil(lambda: screen.reader_fault.isVisible(), timeout=8000)
    assert "请输入身份证号码" in screen.reader_fault.text()
    click(qtbot, screen.type_button)
    wait_screen(qtbot, kiosk, "type_id")
    kiosk.flows.admin()
    pin = wait_screen(qtbot, kiosk, "admin_pin")
    type_keys(qtbot, pin.keypad, kiosk.settings.admin_pin)
    click(qtbot, pin.keypad.ok)
    page = wait_screen(qtbot, kiosk, "devices")
    assert page.rows["idcard"].text().startswith("离线")


def test_payment_timeout_charges_nothing_and_registers_nothing(qtbot, kiosk, reader_sim, payment_sim, service):
    kiosk.settings.payment_timeout_s = 2
    register_until(qtbot, kiosk, reader_sim)
    hold = kiosk.session.hold
    screen = wait_screen(qtbot, kiosk, "payment_failed")
    assert "超时" in screen.title_label.text()
    assert "没有扣费" in screen.text.text()
    assert orders(payment_sim, "paid") == []
    click(qtbot, screen.buttons[1])  # 返回首页
    wait_screen(qtbot, kiosk, "home")
    records = CallerClient(service, DEMO_TOKENS["admin"])
    qtbot.waitUntil(lambda: records.request("GET", f"/records/registrations/{hold.id}")["registration"]["state"]
                    in ("released", "cancelled", "expired"), timeout=5000)
    records.close()


def test_walking_away_from_the_payment_closes_the_order_and_frees_the_slot(qtbot, kiosk, reader_sim, payment_sim,
                                                                        service):
    register_until(qtbot, kiosk, reader_sim)
    hold = kiosk.session.hold
    click(qtbot, kiosk.home_button)
    wait_screen(qtbot, kiosk, "home")
    qtbot.waitUntil(lambda: orders(payment_sim) and all(o.state.value == "cancelled" for o in orders(payment_sim)),
                    timeout=5000)
    records = CallerClient(service, DEMO_TOKENS["admin"])
    qtbot.waitUntil(lambda: records.request("GET", f"/records/registrations/{hold.id}")["registration"]["state"]
                    in ("released", "cancelled"), timeout=5000)
    records.close()


def test_payment_declined_then_retried_and_paid(qtbot, kiosk, reader_sim, payment_sim, printer_sim):
    payment_sim.provider.script_next(Outcome.decline("余额不足"))
    register_until(qtbot, kiosk, reader_sim)
    screen = wait_screen(qtbot, kiosk, "payment_failed")
    assert "没有成功" in screen.title_label.text()
    assert orders(payment_sim, "paid") == []
    click(qtbot, screen.buttons[0])  # 重新支付
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "ticket")
    assert len(orders(payment_sim, "paid")) == 1
    assert printer_sim.core.wait_for_jobs(1, timeout=5)


def test_slot_taken_while_choosing_offers_the_free_slots(qtbot, kiosk, reader_sim, service):
    register_until(qtbot, kiosk, reader_sim, last="confirm", doctor=1)  # an expert: one doctor, one slot
    slot = kiosk.session.slot
    other = CallerClient(service, DEMO_TOKENS["kiosk2"])
    for n in range(slot.remaining):  # other patients take every remaining seat of that slot meanwhile
        number = make_id(n)
        created = other.request("POST", "/records/patients", json_body={
            "source": "typed", "id_number": number, "name": f"测试{n}", "phone": "13900000000"})
        other.headers["X-Patient-Session"] = created["session_token"]  # that kiosk's patient session
        patient = created["patient"]
        other.request("POST", "/records/registrations", json_body={
            "patient_id": patient["patient_id"], "slot_id": int(slot.id)})
    other.close()
    click(qtbot, kiosk.current.confirm_button)
    screen = wait_screen(qtbot, kiosk, "slots")
    assert screen.notice.isVisible() and "刚刚被约满" in screen.notice.text()
    assert screen.slots and slot.start not in [s.start for s in screen.slots]


def make_id(n: int) -> str:
    from datetime import date

    from hardware.idcard import make_id_number

    return make_id_number("110101", date(1980, 1, 1 + n), 101 + 2 * n)


@pytest.fixture
def dead_service_url():
    return f"http://127.0.0.1:{free_port()}"


def test_service_unreachable_shows_out_of_service_and_recovers_by_itself(qtbot, tmp_path, reader_sim, printer_sim,
                                                                        dead_service_url):
    from common.device_settings import KioskSettings
    from kiosk.app import build_kiosk

    window = build_kiosk(dead_service_url, DEMO_TOKENS["kiosk"], reader=reader_sim.url, printer=printer_sim.url,
                         settings=KioskSettings(out_of_service_retry_ms=200))
    qtbot.addWidget(window)
    try:
        screen = wait_screen(qtbot, window, "out_of_service")
        assert "暂停服务" in screen.title_label.text()
        click(qtbot, window.help_button)  # the footer button; nobody can be alerted: the desk is named, and back leads out of service again
        failed = wait_screen(qtbot, window, "help_failed")
        assert "请到服务台咨询" in failed.text.text()
        click(qtbot, failed.buttons[0])
        wait_screen(qtbot, window, "out_of_service")
        port = int(dead_service_url.rsplit(":", 1)[1])
        with run_service_process(db_path=tmp_path / "h.db", port=port):
            wait_screen(qtbot, window, "home", timeout=20000)
            click(qtbot, window.current.tiles["register"])
            wait_screen(qtbot, window, "identify")
            place_card(reader_sim, seed=3)
            wait_screen(qtbot, window, "new_patient")
        # the service goes away mid-flow: out of service again, nothing of the patient left on screen
        type_keys(qtbot, window.current.keypad, "13812345678")
        click(qtbot, window.current.keypad.ok)
        wait_screen(qtbot, window, "out_of_service")
        assert window.session.patient is None and window.session.card is None
    finally:
        window.admin_exit()
        window.backend.close()


def test_silent_printer_shows_busy_then_refuses_before_paying(qtbot, kiosk, reader_sim, printer_sim, payment_sim,
                                                             service):
    register_until(qtbot, kiosk, reader_sim, last="confirm")
    printer_sim.core.set_state(silent=True)  # a printer that does not answer is never "paper OK"
    click(qtbot, kiosk.current.confirm_button)
    qtbot.waitUntil(lambda: kiosk.busy.isVisible(), timeout=3000)  # the status query takes longer than 300 ms
    screen = wait_screen(qtbot, kiosk, "message")
    assert not kiosk.busy.isVisible()
    assert "打印机无响应" in screen.text.text()
    assert orders(payment_sim) == []
    admin = CallerClient(service, DEMO_TOKENS["admin"])
    qtbot.waitUntil(lambda: any(d["device"].endswith("/printer") and d["status"] == "fault" for d in admin.devices()),
                    timeout=5000)
    admin.close()
