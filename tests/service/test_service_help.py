"""A kiosk's "呼叫工作人员": an alert to the consoles of its areas, in the audit trail, for kiosks only."""
from __future__ import annotations

import json
import tomllib

import pytest
from websockets.sync.client import connect

from caller.client import CallerClient, CallerError
from caller.config import DEMO_CONFIG, hospital_from_dict
from caller.testing import DEMO_TOKENS as T
from caller.testing import run_service


def _next_alert(ws) -> dict:
    """The next alert on the socket (recv times out after 5 s when none comes)."""
    while True:
        msg = json.loads(ws.recv(timeout=5))
        if msg["type"] == "alert":
            return msg


def test_help_from_a_kiosk_alerts_an_area_console_with_the_kiosk_name(live, kiosk, nurse):
    url = f"{live.replace('http', 'ws')}/api/v1/events?area=NK"
    with connect(url, additional_headers={"Authorization": f"Bearer {nurse.token}"}) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        answer = kiosk.request_help("pay_bills")
        alert = _next_alert(ws)
    assert alert["area"] == "NK" and alert["seq"] <= answer["seq"]
    assert alert["data"]["kind"] == "help" and alert["data"]["device"] == "kiosk-lobby-1"
    assert alert["data"]["message_zh"] == "门诊大厅自助机 1 号：患者请求协助"
    assert "NK" in answer["areas"] and "JZ" in answer["areas"]  # default: every area


def test_help_request_is_in_the_audit_with_the_kiosk_and_its_screen(live, kiosk):
    kiosk.request_help("identify")
    with CallerClient(live, T["admin"]) as admin:
        rows = [r for r in admin.audit() if r["action"] == "help"]
    assert len(rows) == 1
    assert rows[0]["device"] == "kiosk-lobby-1" and rows[0]["detail"]["screen"] == "identify"


def test_a_retried_help_request_alerts_once(live, kiosk):
    first = kiosk.request_help("home", idempotency_key="help-press-0001")
    again = kiosk.request_help("home", idempotency_key="help-press-0001")
    assert again["replayed"] and again["seq"] == first["seq"]
    assert len([e for e in live.service.store.events_since("NK", 0) if e.type == "alert"]) == 1


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
        assert store.events_since("NK", 0) == []
