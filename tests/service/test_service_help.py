"""The help loop: a kiosk's "呼叫工作人员" reaches the guide desk, one console takes it, the kiosk learns who is
coming, an unanswered call escalates honestly, and every step is audited with its time."""
from __future__ import annotations

import json
import threading
import tomllib

import pytest
from websockets.sync.client import connect

from caller.testing import DEMO_PASSWORD, run_service
from caller.testing import DEMO_TOKENS as T
from client.http import CallerClient, CallerError
from common.config import DEMO_CONFIG, hospital_from_dict


def _next_alert(ws) -> dict:
    """The next alert on the socket (recv times out after 5 s when none comes)."""
    while True:
        msg = json.loads(ws.recv(timeout=5))
        if msg["type"] == "alert":
            return msg


@pytest.fixture
def desk(live):
    """The lobby guide desk console with nurse 王芳 (wangdy) logged in."""
    with CallerClient(live, T["console_dt"]) as client:
        client.login("wangdy", DEMO_PASSWORD)
        yield client


def _ws(live, token: str, area: str):
    url = f"{live.replace('http', 'ws')}/api/v1/events?area={area}"
    ws = connect(url, additional_headers={"Authorization": f"Bearer {token}"})
    assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
    return ws


def test_help_goes_to_the_guide_desk_not_to_every_clinic_area(live, kiosk, desk):
    with _ws(live, desk.token, "DT") as ws:
        answer = kiosk.request_help("pay_bills")
        alert = _next_alert(ws)
    assert answer["areas"] == ["DT"] and answer["state"] == "open"
    assert answer["title_zh"] == "已通知工作人员" and "正在等待工作人员回应" in answer["message_zh"]
    assert "马上就到" not in answer["message_zh"]  # nobody has confirmed yet
    assert alert["data"]["kind"] == "help" and alert["data"]["help_id"] == answer["help_id"]
    assert alert["data"]["message_zh"] == "门诊大厅自助机 1 号：患者请求协助"
    assert [e for e in live.service.store.events_since("NK", 0) if e.type == "alert"] == []
    assert [c["help_id"] for c in desk.open_help_calls("DT")] == [answer["help_id"]]


def test_acknowledge_tells_the_waiting_kiosk_who_is_coming(live, kiosk, desk):
    call = kiosk.request_help("identify")
    seen: list[dict] = []
    waiting = threading.Thread(target=lambda: seen.append(kiosk.help_status(call["help_id"], call["version"], wait=10)))
    waiting.start()
    desk.acknowledge_help(call["help_id"])
    waiting.join(12)
    assert seen and seen[0]["state"] == "acknowledged"
    assert seen[0]["title_zh"] == "导医台王护士正在赶来"  # surname only: the kiosk stands in the lobby
    assert "王芳" not in json.dumps(seen[0], ensure_ascii=False)
    assert seen[0]["title_en"] == "Nurse 王 (导医台) is on the way"


def test_a_second_console_cannot_take_a_call_already_taken_nor_one_of_another_area(live, kiosk, desk, nurse):
    call = kiosk.request_help("home")
    with pytest.raises(CallerError) as other_area:
        nurse.acknowledge_help(call["help_id"])  # NK nurse: the call did not reach NK
    assert other_area.value.status == 403
    desk.acknowledge_help(call["help_id"])
    with CallerClient(live, T["console_dt"]) as second:
        second.login("admin", DEMO_PASSWORD)
        with pytest.raises(CallerError) as taken:
            second.acknowledge_help(call["help_id"])
    assert taken.value.status == 409 and "王芳" in taken.value.message_zh


def test_an_unanswered_call_escalates_and_the_kiosk_says_so(live, kiosk, clock, nurse):
    call = kiosk.request_help("home")
    with _ws(live, nurse.token, "NK") as ws:
        clock.advance(seconds=59)
        assert live.service.help_desk.check_escalations() == []
        clock.advance(seconds=2)
        live.service.help_desk.check_escalations()
        alert = _next_alert(ws)
    assert alert["data"]["help_id"] == call["help_id"] and alert["data"]["escalated"]
    status = kiosk.help_status(call["help_id"])
    assert status["escalated"] and status["title_zh"] == "暂时还没有工作人员回应"
    assert "已同时通知更多工作人员" in status["message_zh"]
    nurse.acknowledge_help(call["help_id"])  # an NK nurse may now take it
    assert kiosk.help_status(call["help_id"])["responder_zh"] == "内科分诊台王护士"


def test_the_patient_cancels_and_staff_close_and_every_step_is_audited_with_times(live, kiosk, desk, clock):
    first = kiosk.request_help("home")
    assert kiosk.request_help("home")["help_id"] == first["help_id"]  # pressing again: the same call
    cancelled = kiosk.cancel_help(first["help_id"])
    assert cancelled["state"] == "closed" and cancelled["outcome"] == "cancelled"
    assert desk.open_help_calls("DT") == []

    second = kiosk.request_help("payment")
    assert second["help_id"] != first["help_id"]
    clock.advance(seconds=20)
    desk.acknowledge_help(second["help_id"])
    with pytest.raises(CallerError) as wrong:
        kiosk.request("POST", f"/help/{second['help_id']}/close", json_body={"outcome": "resolved"})
    assert wrong.value.status == 403
    clock.advance(seconds=100)
    closed = desk.close_help(second["help_id"], "patient_gone")
    assert closed["outcome"] == "patient_gone"

    with CallerClient(live, T["admin"]) as admin:
        steps = [(r["action"], r["device"], r["user"]) for r in admin.audit() if r["action"].startswith("help")]
    assert steps == [("help", "kiosk-lobby-1", ""), ("help_cancel", "kiosk-lobby-1", ""),
                     ("help", "kiosk-lobby-1", ""), ("help_ack", "console-dt", "wangdy"),
                     ("help_close", "console-dt", "wangdy")]
    row = next(r for r in live.service.store.help_calls() if r["id"] == second["help_id"])
    assert (row["created_at"], row["acked_at"], row["closed_at"]) == (
        "2026-11-23T09:00:00.000", "2026-11-23T09:00:20.000", "2026-11-23T09:02:00.000")


def test_a_retried_help_request_alerts_once(live, kiosk):
    first = kiosk.request_help("home", idempotency_key="help-press-0001")
    again = kiosk.request_help("home", idempotency_key="help-press-0001")
    assert again["replayed"] and again["seq"] == first["seq"]
    assert len([e for e in live.service.store.events_since("DT", 0) if e.type == "alert"]) == 1


def test_only_kiosks_may_call_for_help(live, nurse):
    for token in (T["wall_nk"], T["speaker_nk"]):
        with CallerClient(live, token) as display:
            with pytest.raises(CallerError) as err:
                display.request_help("home")
        assert err.value.status == 403
    with pytest.raises(CallerError) as err:
        nurse.request_help("home")
    assert err.value.status == 403


def test_help_areas_setting_limits_which_consoles_hear_it(tmp_path):
    raw = tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))
    kiosk_device = next(d for d in raw["devices"] if d["token"] == T["kiosk"])
    kiosk_device["settings"]["help_areas"] = ["JZ"]
    with run_service(hospital_from_dict(raw), tmp_path / "h.db", records=False) as url:
        with CallerClient(url, T["kiosk"]) as kiosk:
            assert kiosk.request_help("home")["areas"] == ["JZ"]
        store = url.service.store
        assert [e.type for e in store.events_since("JZ", 0)] == ["alert"]
        assert store.events_since("DT", 0) == []


def test_open_calls_survive_a_restart(tmp_path, hospital, clock):
    with run_service(hospital, tmp_path / "h.db", clock=clock, records=False) as url:
        with CallerClient(url, T["kiosk"]) as kiosk:
            call = kiosk.request_help("home")
    clock.advance(seconds=5)
    with run_service(hospital, tmp_path / "h.db", clock=clock, records=False) as url:
        with CallerClient(url, T["console_dt"]) as desk:
            desk.login("wangdy", DEMO_PASSWORD)
            assert [c["help_id"] for c in desk.open_help_calls("DT")] == [call["help_id"]]
