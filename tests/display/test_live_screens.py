"""Over real loopback: a console command reaches the wall screen, the door screen and the speaker;
the caller service is killed and restarted; all three resume without replaying old calls."""
from __future__ import annotations

import pytest

from caller.testing import free_port, run_service_process
from client.http import CallerClient
from common.screen_layout import ScreenLayout
from display.app import make_door, make_speaker, make_wall
from hardware.speech import SpeechWorker

CONSOLE = "demo-console-nk-9c2e47b1d3a6"
WALL = "demo-wall-nk-4e1b8c6d2a93"
DOOR = "demo-door-nk1-8a5d2f7e0c16"
SPEAKER = "demo-speaker-nk-5b0e9c3f7a12"


def nurse(base_url: str) -> CallerClient:
    client = CallerClient(base_url, CONSOLE)
    client.login("wanghs", "demo1234")
    return client


def expert_visit(client: CallerClient, name: str) -> str:
    """An expert visit for 张建国 (room NK1, which has a door screen), checked in."""
    visit = client.register("NK", name=name, doctor="nk-zhang", kind="expert")["visit"]
    client.check_in(visit["visit_id"])
    return visit["ticket"]


@pytest.fixture
def speech(tmp_path):
    worker = SpeechWorker(out_dir=tmp_path / "wav", backend="espeak-ng")
    yield worker
    worker.stop()


def test_call_reaches_all_three_and_survives_a_service_restart(qtbot, tmp_path, speech):
    port, db = free_port(), tmp_path / "hospital.db"
    fast = ScreenLayout.from_settings({"flash_seconds": 0.5})
    screens, speaker = [], None
    try:
        with run_service_process(db_path=db, port=port) as service:
            url = service.base_url
            wall, door = make_wall(url, WALL, layout=fast), make_door(url, DOOR, layout=fast)
            screens = [wall, door]
            for screen in screens:
                qtbot.addWidget(screen)
                screen.show()
            speaker = make_speaker(url, SPEAKER, speech=speech, state_file=tmp_path / "speaker.json")
            console = nurse(url)
            first = expert_visit(console, "王小明")
            second = expert_visit(console, "欧阳娜娜")
            qtbot.waitUntil(lambda: wall.online and door.online and speaker.online, timeout=5000)
            qtbot.waitUntil(lambda: {d["device"]: d["status"] for d in console.devices()}.get("wall-nk") == "ok",
                            timeout=6000)  # the screens report their health to the service
            console.call_next("NK1")

            qtbot.waitUntil(lambda: wall.call_panel.ticket.text() == first, timeout=6000)
            assert wall.call_panel.name.text() == "王*明"
            assert wall.call_panel.room.text() == "请到 内科1诊室 就诊"
            qtbot.waitUntil(lambda: door.current.text() == f"{first} 王*明", timeout=6000)
            assert (door.doctor_name.text(), door.doctor_title.text()) == ("张建国", "主任医师")
            assert speaker.wait_announced(1, timeout=5)
            assert speaker.announced[0].text == "请 A 零 零 一 号 王某某 到 内科1号诊室 就诊"
            assert speaker.announced[0].repeat == 2

            service.kill()
            qtbot.waitUntil(lambda: wall.connection_banner.isVisible() and door.connection_banner.isVisible(),
                            timeout=9000)
            assert "网络连接中断" in wall.connection_banner.text()
            assert wall.call_panel.ticket.text() == first  # the last state stays up meanwhile

        with run_service_process(db_path=db, port=port) as service:
            qtbot.waitUntil(lambda: not wall.connection_banner.isVisible()
                            and not door.connection_banner.isVisible(), timeout=9000)
            assert wall.call_panel.ticket.text() == first
            console = nurse(service.base_url)
            console.call_next("NK1")
            qtbot.waitUntil(lambda: wall.call_panel.ticket.text() == second, timeout=5000)
            qtbot.waitUntil(lambda: door.current.text() == f"{second} 欧**娜", timeout=6000)
            assert speaker.wait_announced(2, timeout=5)
            assert [a.text for a in speaker.announced] == [
                "请 A 零 零 一 号 王某某 到 内科1号诊室 就诊", "请 A 零 零 二 号 欧阳某某 到 内科1号诊室 就诊"]
    finally:
        if speaker is not None:
            speaker.stop()
        for screen in screens:
            screen.shutdown()


def test_wall_started_before_the_service_connects_when_it_comes_up(qtbot, tmp_path):
    from common.config import DEMO_CONFIG

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    wall = make_wall(url, WALL, config=DEMO_CONFIG)  # nobody listens yet: the hospital file says who we are
    qtbot.addWidget(wall)
    wall.show()
    try:
        assert wall.title_label.text().startswith("内科诊区")
        assert wall.connection_banner.isVisible()
        with run_service_process(db_path=tmp_path / "late.db", port=port):
            qtbot.waitUntil(lambda: wall.online and not wall.connection_banner.isVisible(), timeout=9000)
            qtbot.waitUntil(lambda: wall.room_rows[0].room.text() == "内科1诊室", timeout=6000)

            from datetime import timedelta

            tomorrow = wall.now() + timedelta(days=1)
            wall.now = lambda: tomorrow  # days later: the first tick of a new day asks for a fresh snapshot
            with qtbot.waitSignal(wall.link.event, timeout=6000,
                                  check_params_cb=lambda message: message.get("type") == "snapshot"):
                wall.tick()
    finally:
        wall.shutdown()
