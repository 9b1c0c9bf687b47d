"""The demo's clock runs 40 times faster than the wall: a console on it shows no device alert while every device of
its area beats at its normal interval, and does show one when a device stops (the first picture of the product must
not be a false "offline")."""
from __future__ import annotations

import json
from datetime import datetime

from console_helpers import NK_CONSOLE, PASSWORD, register

from caller.testing import DEMO_TOKENS, run_service
from caller_console.app import open_console
from client.http import CallerClient
from common.clock import HospitalClock
from demo.clock import SimClock

BEATING = ("wall_nk", "speaker_nk", "door_nk1")  # a wall, a speaker and a door of 内科
HEARTBEAT_S = 15  # [device_health] heartbeat_s of the demo hospital: real seconds between beats


def test_a_console_on_the_demos_fast_clock_shows_no_offline_until_a_device_stops(qtbot, tmp_path):
    wall = [1_000_000.0]  # real seconds, moved by the test
    sim = SimClock(datetime.combine(HospitalClock().today(), datetime.min.time()).replace(hour=8), wall[0], 40.0,
                   wall=lambda: wall[0])
    with run_service(db_path=tmp_path / "h.db", clock=sim, records=False) as live:
        devices = {name: CallerClient(live, DEMO_TOKENS[name]) for name in BEATING}
        console_device = CallerClient(live, NK_CONSOLE)  # the console is a device of the area too
        console_device.login("wanghs", PASSWORD)
        console = open_console(live, NK_CONSOLE, "wanghs", PASSWORD, area="NK")
        qtbot.addWidget(console)
        try:
            console.show()
            qtbot.waitUntil(lambda: console.online, timeout=8000)
            seen: list[dict] = []  # every event the console's link hands it, in the order the service sent them
            console.link.event.connect(seen.append)

            def beat(names) -> None:
                for name in names:
                    devices[name].report_health("ok")
                console_device.report_health("ok")
                wall[0] += HEARTBEAT_S + 3  # the next beat, a little late, as on a busy PC
                live.service.device_watch.check_alerts()

            for _ in range(8):  # two real minutes of beats: 48 minutes of the demo's time
                beat(BEATING)
            console.runner.submit("devices", console.client.devices)
            watched = {"wall-nk", "speaker-nk", "door-nk1", "console-nk"}
            qtbot.waitUntil(lambda: {d["device"]: d["status"] for d in console.devices if d["device"] in watched}
                            == dict.fromkeys(watched, "ok"), timeout=8000)
            marker = register(console_device, "测试患者")["visit_id"]  # events come in order: once this one is
            qtbot.waitUntil(lambda: any(marker in json.dumps(e) for e in seen), timeout=8000)  # in, any alert is too
            assert [e for e in seen if (e.get("data") or {}).get("kind") == "device"] == []
            assert console.device_alerts == {}
            assert not console.alert_bar.isVisible(), console.alert_label.text()

            for _ in range(4):  # the wall stops; the speaker and the door go on
                beat(BEATING[1:])
            qtbot.waitUntil(lambda: console.alert_bar.isVisible(), timeout=8000)
            text = console.alert_label.text()
            assert "没有心跳" in text and "离线" in text, text
            assert list(console.device_alerts) == ["wall-nk"]
        finally:
            console.shutdown()
            console_device.close()
            for client in devices.values():
                client.close()
