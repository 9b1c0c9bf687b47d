"""Bearer tokens bound to role and place: 401 for who-are-you, 403 for not-here / not-you."""
from __future__ import annotations

import json

import httpx
import pytest
from websockets.sync.client import connect

from caller.testing import DEMO_PASSWORD
from caller.testing import DEMO_TOKENS as T
from client.http import CallerClient, CallerError


def _status(fn, *args, **kwargs) -> tuple[int, str]:
    with pytest.raises(CallerError) as err:
        fn(*args, **kwargs)
    assert err.value.message_zh and err.value.message_en
    return err.value.status, err.value.code


def test_missing_or_unknown_token_is_401(live):
    resp = httpx.post(f"{live}/api/v1/rooms/NK3/call-next")
    assert resp.status_code == 401
    assert resp.json()["error"]["message_zh"]
    with CallerClient(live, "not-a-real-token-123456") as stranger:
        assert _status(stranger.area_queue, "NK") == (401, "unauthorized")


def test_wrong_password_is_401_and_right_one_gives_a_user_token(live):
    with CallerClient(live, T["console_nk"]) as console:
        assert _status(console.login, "wanghs", "wrong") == (401, "bad_login")
        me = console.login("wanghs", DEMO_PASSWORD)
        assert me["role"] == "nurse" and me["areas"] == ["NK"] and me["token"] != T["console_nk"]


def test_roles_and_places_are_enforced_with_403(live, kiosk, register_waiting):
    visit = register_waiting(1)[0]
    with CallerClient(live, T["wall_nk"]) as wall:
        assert _status(wall.call_next, "NK3") == (403, "forbidden")
        assert _status(wall.register, "NK", name="张三") == (403, "forbidden")
        assert _status(wall.devices) == (403, "forbidden")
    with CallerClient(live, T["console_nk"]) as console:
        assert _status(console.call_next, "NK3") == (403, "login_required")  # device token alone
        console.login("wanghs", DEMO_PASSWORD)
        assert _status(console.call_next, "WK2") == (403, "forbidden")  # another area
        assert console.call_next("NK3")["visit"]["visit_id"] == visit["visit_id"]
    assert _status(kiosk.call_next, "NK3") == (403, "forbidden")  # kiosks register and check in only
    with CallerClient(live, T["console_wy"]) as other:
        assert _status(other.login, "wanghs", DEMO_PASSWORD) == (403, "forbidden")  # NK nurse at the WY desk


def test_a_user_with_no_areas_commands_no_area(live, register_waiting):
    """The laboratory's doctors sign reports and have no clinic area: that means no area, not every area."""
    register_waiting(1)
    with CallerClient(live, T["console_nk"]) as console:
        console.login("lab-li", DEMO_PASSWORD)
        assert _status(console.call_next, "NK3") == (403, "forbidden")


def test_display_token_may_not_follow_another_area(live):
    with connect(f"{live.replace('http', 'ws')}/api/v1/events?area=JZ",
                 additional_headers={"Authorization": f"Bearer {T['wall_nk']}"}) as ws:
        msg = ws.recv(timeout=5)
    assert '"forbidden"' in msg


def test_room_commands_pause_resume_and_doctor_are_audited_with_user_and_device(live, nurse, register_waiting):
    register_waiting(1)
    nurse.pause_room("NK3")
    assert _status(nurse.call_next, "NK3") == (409, "room_paused")
    assert nurse.room_queue("NK3")["paused"] is True
    nurse.set_room_doctor("NK3", "nk-chen")
    nurse.resume_room("NK3")
    room = nurse.room_queue("NK3")
    assert room["paused"] is False and room["doctor_id"] == "nk-chen"
    trail = live.service.store.audit()
    assert [(a["action"], a["user"], a["device"]) for a in trail[-3:]] == [
        ("pause_room", "wanghs", "console-nk"), ("set_room_doctor", "wanghs", "console-nk"),
        ("resume_room", "wanghs", "console-nk")]


def test_the_audit_shows_the_newest_entries_oldest_first(live, nurse, register_waiting):
    register_waiting(1)
    for _ in range(3):
        nurse.pause_room("NK4")
        nurse.resume_room("NK4")
    everything = live.service.store.audit(limit=10_000)
    newest = live.service.store.audit(limit=2)
    assert newest == everything[-2:]  # what happened last, not the morning's first actions
    assert [a["action"] for a in newest] == ["pause_room", "resume_room"]


def test_emergency_triage_level_1_raises_an_alert_for_the_emergency_console(live, kiosk):
    visit = kiosk.register("JZ", name="李雷")["visit"]  # emergency area: waits at once
    with CallerClient(live, T["console_jz"]) as console:
        console.login("zhouhs", DEMO_PASSWORD)
        url = f"{live.replace('http', 'ws')}/api/v1/events?area=JZ"
        with connect(url, additional_headers={"Authorization": f"Bearer {console.token}"}) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
            seq = console.set_triage(visit["visit_id"], 1)["seq"]
            alerts = []
            while True:
                msg = json.loads(ws.recv(timeout=5))
                if msg["type"] == "alert":
                    alerts.append(msg["data"])
                if msg.get("seq") == seq:
                    break
    assert alerts and alerts[0]["kind"] == "emergency" and alerts[0]["ticket"] == visit["ticket"]


def test_me_gives_each_screen_its_own_settings_from_the_hospital_file(live, hospital):
    wall = httpx.get(f"{live}/api/v1/auth/me", headers={"Authorization": f"Bearer {T['wall_nk']}"}).json()
    door = httpx.get(f"{live}/api/v1/auth/me", headers={"Authorization": f"Bearer {T['door_nk1']}"}).json()
    assert wall["device"] == "wall-nk" and wall["settings"] == hospital.device("wall-nk").settings.served()
    assert wall["settings"]["kind"] == "wall" and wall["settings"]["rooms"] == ["NK1", "NK2", "NK3", "NK4"]
    assert door["settings"]["kind"] == "door" and door["room"] == "NK1"
    speaker = httpx.get(f"{live}/api/v1/auth/me", headers={"Authorization": f"Bearer {T['speaker_nk']}"}).json()
    assert speaker["settings"] == hospital.device(speaker["device"]).settings.served()
