"""A reload of the hospital file (POST /admin/reload, like SIGHUP) gives the running sender its new gateway and
limits: messages waiting for a gateway that is down go through the new one, once, and a new rate limit holds."""
from __future__ import annotations

import time

from caller.notify.simulator import GatewaySimulator
from caller.testing import DEMO_TOKENS, free_port, run_service
from client.http import CallerClient
from common.config import DEMO_CONFIG
from tests.phone.conftest import SECRET, waiting

PHONE = "13812345678"


def hospital_file(path, gateway_url: str, callback: str, rate_limit: int) -> None:
    path.write_text(DEMO_CONFIG.read_text(encoding="utf-8") + f"""
[notify]
rate_limit = {rate_limit}
retry_base_seconds = 0.05
retry_max_seconds = 0.3

[notify.sms]
url = "{gateway_url}"
secret = "{SECRET}"
callback_url = "{callback}"
""", encoding="utf-8")


def test_a_reload_sends_waiting_messages_through_the_new_gateway_once_and_applies_new_limits(tmp_path, clock):
    port = free_port()
    callback = f"http://127.0.0.1:{port}/api/v1/notify/sms/status"
    path = tmp_path / "hospital.toml"
    with GatewaySimulator(SECRET) as old, GatewaySimulator(SECRET) as new:
        old.fail_for(3600)  # the gateway the hospital is leaving is down: messages wait in the outbox
        hospital_file(path, old.url, callback, rate_limit=6)
        with run_service(path, tmp_path / "h.db", clock=clock, records=False, port=port) as live, \
                CallerClient(live, DEMO_TOKENS["kiosk"]) as kiosk, \
                CallerClient(live, DEMO_TOKENS["admin"]) as admin, \
                CallerClient(live, DEMO_TOKENS["console_nk"]) as nurse:
            nurse.login("wanghs", "demo1234")
            visits = waiting(kiosk, 3)
            mine = visits[2]["visit_id"]
            nurse.notify(mine, "sms", PHONE)  # two ahead: "ahead" is due at once, and the gateway is down
            deadline = time.monotonic() + 10
            while old.stats()["received"] < 2:  # tried, refused, tried again
                assert time.monotonic() < deadline
                time.sleep(0.02)

            hospital_file(path, new.url, callback, rate_limit=1)
            answer = admin.request("POST", "/admin/reload")
            assert answer["changes"].get("notify_changed") is True
            assert new.wait_for(1)
            assert [(d.to, d.key) for d in new.delivered] == [(PHONE, f"{mine}:ahead:3:0:sms")]
            assert old.delivered == []

            for _ in range(3):  # now it is called: a second text within 10 minutes, over the new limit of 1
                nurse.call_next("NK3")
            deadline = time.monotonic() + 10
            while not any(m["event"] == "called" and m["last_error"] == "rate limit"
                          for m in nurse.notifications(mine)["messages"]):
                assert time.monotonic() < deadline, nurse.notifications(mine)
                time.sleep(0.02)
            assert len(new.delivered) == 1 and new.stats()["duplicates"] == 0
