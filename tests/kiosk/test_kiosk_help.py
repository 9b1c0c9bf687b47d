"""呼叫工作人员: the kiosk's help button reaches the nurse consoles at once, or sends the patient to the desk."""
from __future__ import annotations

from caller.client import CallerClient
from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, free_port
from caller_console.app import open_console
from kiosk.backend import Backend
from tests.kiosk.kiosk_driver import click, visible_texts, wait_screen


def test_help_button_shows_the_kiosk_on_an_area_console_with_sound(qtbot, kiosk, service):
    console = open_console(service, DEMO_TOKENS["console_nk"], "wanghs", DEMO_PASSWORD, area="NK")
    qtbot.addWidget(console)
    try:
        console.show()
        qtbot.waitUntil(lambda: console.online, timeout=5000)
        click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["register"])
        wait_screen(qtbot, kiosk, "identify")
        click(qtbot, kiosk.help_button)
        screen = wait_screen(qtbot, kiosk, "help")
        assert any("请稍候，工作人员马上就到" in t for t in visible_texts(screen))
        qtbot.waitUntil(lambda: console.alert_bar.isVisible(), timeout=6000)
        assert "门诊大厅自助机 1 号：患者请求协助" in console.alert_label.text()
        assert console.alerts_sounded == 1
        click(qtbot, console.alert_ack)
        assert not console.alert_bar.isVisible()
    finally:
        console.shutdown()
    with CallerClient(service, DEMO_TOKENS["admin"]) as admin:
        helps = [r for r in admin.audit() if r["action"] == "help"]
    assert [(r["device"], r["detail"]["screen"]) for r in helps] == [("kiosk-lobby-1", "identify")]


def test_help_without_the_service_sends_the_patient_to_the_information_desk(qtbot, kiosk):
    wait_screen(qtbot, kiosk, "home")
    live_backend = kiosk.backend
    kiosk.backend = Backend(f"http://127.0.0.1:{free_port()}", DEMO_TOKENS["kiosk"], timeout=1.0)
    try:
        click(qtbot, kiosk.current.help_button)
        screen = wait_screen(qtbot, kiosk, "help_failed")
        texts = "".join(visible_texts(screen))
        assert "暂时无法通知工作人员" in texts and "请到服务台咨询" in texts
    finally:
        kiosk.backend.close()
        kiosk.backend = live_backend
