"""呼叫工作人员 end to end: the kiosk's call reaches the guide desk console, one key takes it, the kiosk shows who is
coming, the patient may cancel, staff close it; without the service the patient is sent to the information desk."""
from __future__ import annotations

from PySide6.QtCore import Qt

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, free_port
from caller_console.app import open_console
from client.http import CallerClient
from kiosk.backend import Backend
from tests.kiosk.kiosk_driver import click, visible_texts, wait_screen


def _text(screen) -> str:
    return "".join(visible_texts(screen))


def test_help_loop_from_press_to_who_is_coming_to_closed(qtbot, kiosk, service):
    desk = open_console(service, DEMO_TOKENS["console_dt"], "wangdy", DEMO_PASSWORD, area="DT")
    qtbot.addWidget(desk)
    try:
        desk.show()
        qtbot.waitUntil(lambda: desk.online, timeout=5000)
        click(qtbot, wait_screen(qtbot, kiosk, "home").tiles["register"])
        wait_screen(qtbot, kiosk, "identify")
        click(qtbot, kiosk.help_button)
        screen = wait_screen(qtbot, kiosk, "help")
        assert "正在等待工作人员回应" in _text(screen) and "马上就到" not in _text(screen)

        qtbot.waitUntil(lambda: desk.help_bar.isVisible(), timeout=6000)
        assert "门诊大厅自助机 1 号：患者请求协助" in desk.help_bar.lines[0]
        assert desk.alerts_sounded == 1
        help_id = next(iter(desk.help_calls))
        qtbot.keyClick(desk, Qt.Key_H, Qt.ControlModifier)  # 我来处理

        qtbot.waitUntil(lambda: "导医台王护士正在赶来" in _text(kiosk.current), timeout=6000)
        qtbot.waitUntil(lambda: (help_id, "resolved") in desk.help_bar.buttons, timeout=6000)
        click(qtbot, desk.help_bar.buttons[(help_id, "resolved")])
        qtbot.waitUntil(lambda: "本次呼叫已结束" in _text(kiosk.current), timeout=6000)
        qtbot.waitUntil(lambda: not desk.help_bar.isVisible(), timeout=6000)
    finally:
        desk.shutdown()
    with CallerClient(service, DEMO_TOKENS["admin"]) as admin:
        steps = [(r["action"], r["device"]) for r in admin.audit() if r["action"].startswith("help")]
    assert steps == [("help", "kiosk-lobby-1"), ("help_ack", "console-dt"), ("help_close", "console-dt")]


def test_the_patient_cancels_and_the_console_drops_the_call(qtbot, kiosk, service):
    desk = open_console(service, DEMO_TOKENS["console_dt"], "wangdy", DEMO_PASSWORD, area="DT")
    qtbot.addWidget(desk)
    try:
        qtbot.waitUntil(lambda: desk.online, timeout=5000)
        wait_screen(qtbot, kiosk, "home")
        click(qtbot, kiosk.help_button)
        screen = wait_screen(qtbot, kiosk, "help")
        qtbot.waitUntil(lambda: bool(desk.help_calls), timeout=6000)
        click(qtbot, screen.buttons[0])  # 取消呼叫
        wait_screen(qtbot, kiosk, "help_cancelled")
        qtbot.waitUntil(lambda: not desk.help_calls, timeout=6000)
    finally:
        desk.shutdown()


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
