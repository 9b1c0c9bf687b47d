"""The command line, device health, wait alerts and monitoring."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from caller.testing import DEMO_TOKENS as T
from client.http import CallerClient, CallerError
from common.config import DEMO_CONFIG
from common.passwords import verify_password

REPO = Path(__file__).resolve().parents[2]


def _caller(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "caller", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60)


def test_check_config_accepts_the_demo_and_names_file_key_and_problem_of_a_bad_one(tmp_path):
    ok = _caller("check-config", "--demo", str(DEMO_CONFIG))
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_CONFIG.read_text(encoding="utf-8").replace('room_cap = 2 ', 'room_cap = "two" ', 1),
                   encoding="utf-8")
    result = _caller("check-config", str(bad))
    assert result.returncode != 0
    assert str(bad) in result.stderr and "room_cap" in result.stderr


def test_the_demo_files_public_secrets_are_refused_without_the_demo_flag(tmp_path):
    checked = _caller("check-config", str(DEMO_CONFIG))
    assert checked.returncode != 0 and "demo-kiosk" not in checked.stderr  # names keys, never the secret itself
    assert "devices[id=kiosk-lobby-1].token" in checked.stderr and "users[username=wanghs].password_hash" in checked.stderr
    assert "admin_pin" in checked.stderr and "演示" in checked.stderr and "--demo" in checked.stderr
    served = _caller("serve", "--config", str(DEMO_CONFIG), "--db", str(tmp_path / "x.db"), "--port", "1")
    assert served.returncode != 0 and "--demo" in served.stderr and not (tmp_path / "x.db").exists()
    own = tmp_path / "own.toml"  # the same hospital with its own secrets passes
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    import re
    import secrets

    from common.passwords import hash_password

    text = re.sub(r'token = "demo-[^"]+"', lambda m: f'token = "{secrets.token_urlsafe(24)}"', text)
    fresh = hash_password("new-password-1")
    text = re.sub(r'password_hash = "[^"]+"', f'password_hash = "{fresh}"', text)
    text = text.replace('admin_pin = "2580"', 'admin_pin = "863417"')
    own.write_text(text, encoding="utf-8")
    assert _caller("check-config", str(own)).returncode == 0


def test_serve_refuses_a_bad_config_before_starting(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[hospital]\nname = 1\n", encoding="utf-8")
    result = _caller("serve", "--config", str(bad), "--db", str(tmp_path / "x.db"), "--port", "1")
    assert result.returncode != 0 and str(bad) in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_hash_password_prints_a_hash_the_login_accepts():
    result = _caller("hash-password", "--password", "s3cret-pw")
    assert result.returncode == 0
    assert verify_password("s3cret-pw", result.stdout.strip())
    assert not verify_password("other", result.stdout.strip())


def test_devices_report_health_and_consoles_see_it(live, nurse):
    with CallerClient(live, T["kiosk"]) as kiosk:
        kiosk.report_health("degraded", "打印纸即将用完", "paper low", device="printer")
        kiosk.report_health("ok")
    devices = {d["device"]: d for d in nurse.devices()}
    assert devices["kiosk-lobby-1"]["status"] == "ok"
    assert devices["kiosk-lobby-1/printer"]["status"] == "warning"  # a device's "degraded" is a warning on the pane
    assert devices["kiosk-lobby-1/printer"]["reason_zh"] == "打印纸即将用完"
    assert devices["wall-nk"]["status"] == "unknown"


def test_wait_over_threshold_raises_an_alert_event_and_query(live, nurse, register_waiting, clock):
    register_waiting(1)
    assert nurse.wait_alerts() == []
    clock.advance(minutes=31)
    alerts = nurse.wait_alerts()
    assert [(a["dept_id"], a["kind"]) for a in alerts] == [("NK", "wait")]
    published = live.service.wait_alerts.check()
    assert [e.type for e in published] == ["alert"] and published[0].data["active"] is True
    assert live.service.wait_alerts.check() == []  # once per crossing, not every check


def test_healthz_needs_no_token(live):
    body = httpx.get(f"{live}/healthz").json()
    assert body["status"] == "ok" and "seq" in body
    assert httpx.get(f"{live}/openapi.json").json()["paths"]["/api/v1/rooms/{room_id}/call-next"]


def test_ticket_qr_page_shows_place_and_estimate_with_the_masked_name_only(live, nurse, register_waiting):
    visits = register_waiting(4, name="王小明")
    token = nurse.visit_status(visits[3]["visit_id"])["ticket_token"]
    page = httpx.get(f"{live}/t/{token}")
    assert page.status_code == 200
    assert visits[3]["ticket"] in page.text and "王*明" in page.text and "王小明" not in page.text
    assert '<b id="ahead">3</b>' in page.text
    assert re.search(r"预计等候约 <b>\d+-\d+</b> 分钟", page.text)  # a range, not a single figure
    assert httpx.get(f"{live}/t/nope").status_code == 404
    assert httpx.get(f"{live}/t/{visits[3]['visit_id']}").status_code == 404  # a visit id is no link


def test_client_says_unreachable_in_chinese_when_the_service_is_down():
    from caller.testing import free_port

    with CallerClient(f"http://127.0.0.1:{free_port()}", T["kiosk"], timeout=2) as client:
        with pytest.raises(CallerError) as err:
            client.hospital()
    assert err.value.code == "unreachable" and err.value.status == 0
    assert "请稍候" in err.value.message_zh
