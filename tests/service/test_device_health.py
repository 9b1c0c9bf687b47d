"""Device health without false alarms: a kiosk in use is never "未上报", offline only after N missed heartbeats,
a fault (paper out) alerts the consoles of the device's area and clears itself when fixed."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from websockets.sync.client import connect

from caller.testing import DEMO_PASSWORD
from caller.testing import DEMO_TOKENS as T
from client.http import CallerClient
from common.device_health import evaluate

NOW = datetime(2026, 11, 23, 9, 30, 0)


def test_offline_only_after_the_configured_missed_heartbeats():
    limit = 45.0  # 3 heartbeats of 15 s
    assert evaluate("ok", "", "", NOW - timedelta(seconds=44), NOW, limit).state == "ok"
    late = evaluate("ok", "", "", NOW - timedelta(seconds=46), NOW, limit)
    assert late.state == "offline" and "没有心跳" in late.reason_zh
    assert evaluate(None, "", "", None, NOW, limit).state == "unknown"
    paper = evaluate("offline", "打印纸已用完", "paper out", NOW, NOW, limit)  # a driver's "offline" part
    assert (paper.state, paper.reason_zh) == ("fault", "打印纸已用完")
    assert evaluate("degraded", "纸将用完", "paper low", NOW, NOW, limit).state == "warning"


def _alerts(ws, n: int, device: str | None = None) -> list[dict]:
    out = []
    while len(out) < n:
        msg = json.loads(ws.recv(timeout=5))
        if msg["type"] == "alert" and msg["data"].get("kind") == "device" and device in (None, msg["data"]["device"]):
            out.append(msg["data"])
    return out


def _device(client, device_id: str) -> dict:
    return next(d for d in client.devices() if d["device"] == device_id)


def test_a_kiosk_in_use_is_never_unreported(live, kiosk, nurse):
    kiosk.hospital()  # any request: the kiosk is in use
    view = _device(nurse, "kiosk-lobby-1")
    assert view["status"] == "ok" and view["ts"] is not None
    assert _device(nurse, "kiosk-lobby-2")["status"] == "unknown"  # never switched on


def test_paper_out_alerts_the_guide_desk_and_clears_itself(live, kiosk):
    with CallerClient(live, T["console_dt"]) as desk:
        desk.login("wangdy", DEMO_PASSWORD)
        url = f"{live.replace('http', 'ws')}/api/v1/events?area=DT"
        with connect(url, additional_headers={"Authorization": f"Bearer {desk.token}"}) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
            kiosk.report_health("ok", parts=[{"device": "printer", "status": "offline", "reason_zh": "打印纸已用完",
                                              "reason_en": "paper out"}])
            raised = _alerts(ws, 1)[0]
            assert (raised["device"], raised["part"], raised["state"], raised["active"]) == (
                "kiosk-lobby-1", "printer", "fault", True)
            assert raised["message_zh"] == "门诊大厅自助机 1 号 · 打印机故障：打印纸已用完"
            assert _device(desk, "kiosk-lobby-1/printer")["status"] == "fault"
            kiosk.report_health("ok", parts=[{"device": "printer", "status": "ok"}])
            cleared = _alerts(ws, 1)[0]
    assert cleared["active"] is False and cleared["message_zh"] == "门诊大厅自助机 1 号 · 打印机已恢复正常"


def test_a_silent_wall_goes_offline_in_its_area_and_comes_back(live, clock, nurse):
    with CallerClient(live, T["wall_nk"]) as wall:
        wall.report_health("ok")
        url = f"{live.replace('http', 'ws')}/api/v1/events?area=NK"
        with connect(url, additional_headers={"Authorization": f"Bearer {nurse.token}"}) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
            clock.advance(seconds=40)
            assert [a for a in live.service.device_watch.check_alerts() if a.data["device"] == "wall-nk"] == []
            clock.advance(seconds=10)
            live.service.device_watch.check_alerts()
            offline = _alerts(ws, 1, "wall-nk")[0]
            assert offline["state"] == "offline" and "没有心跳" in offline["message_zh"]
            wall.report_health("ok")
            back = _alerts(ws, 1, "wall-nk")[0]
    assert back["device"] == "wall-nk" and back["active"] is False


def test_a_healthy_morning_has_no_false_offline(live, clock, kiosk, nurse):
    """Ten minutes of heartbeats every 15 s (each a little late): nothing ever shows offline."""
    clients = [CallerClient(live, T[name]) for name in ("wall_nk", "speaker_nk", "door_nk1")]
    try:
        for second in range(0, 600, 5):
            clock.advance(seconds=5)
            if second % 15 == 0:
                for client in (*clients, kiosk, nurse):
                    client.report_health("ok")
            live.service.device_watch.check_alerts()
        states = {d["device"]: d["status"] for d in nurse.devices()}
        assert all(states[d] == "ok" for d in ("wall-nk", "speaker-nk", "door-nk1", "kiosk-lobby-1", "console-nk"))
        alerts = [e.data for area in ("NK", "DT") for e in live.service.store.events_since(area, 0)
                  if e.type == "alert" and e.data.get("kind") == "device"]
        assert alerts == []
    finally:
        for client in clients:
            client.close()


def test_heartbeats_on_a_demo_clock_that_runs_fast_are_not_late(tmp_path):
    """The demo's clock runs 40 times faster than the wall; devices beat every 15 real seconds (10 demo
    minutes): nobody is shown offline while they all beat."""
    from caller.testing import run_service
    from demo.clock import SimClock

    wall = [1_000_000.0]
    sim = SimClock(datetime(2026, 11, 23, 8, 0, 0), wall[0], 40.0, wall=lambda: wall[0])
    with run_service(db_path=tmp_path / "h.db", clock=sim, records=False) as live:
        clients = {name: CallerClient(live, T[name]) for name in ("wall_nk", "speaker_nk", "door_nk1")}
        try:
            for _beat in range(8):
                for client in clients.values():
                    client.report_health("ok")
                wall[0] += 15 + 3  # 15 s apart, each a little late
                live.service.device_watch.check_alerts()
            states = {d["device"]: d["status"] for d in live.service.device_watch.devices()}
            assert all(states[d] == "ok" for d in ("wall-nk", "speaker-nk", "door-nk1")), states
            wall[0] += 15 * 3 + 5  # then they stop: offline after three missed beats, as on a real clock
            assert {d["device"]: d["status"] for d in live.service.device_watch.devices()}["wall-nk"] == "offline"
        finally:
            for client in clients.values():
                client.close()
