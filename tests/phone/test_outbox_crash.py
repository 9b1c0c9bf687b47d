"""SIGKILL the service while messages are waiting or on their way: after a restart each is delivered exactly once."""
from __future__ import annotations

import sqlite3
import time

from caller.notify.simulator import GatewaySimulator
from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, free_port, run_service_process
from client.http import CallerClient
from common.config import DEMO_CONFIG
from tests.phone.conftest import SECRET

VISITS = 10


def config_with_gateway(tmp_path, gateway_url: str, port: int):
    text = DEMO_CONFIG.read_text(encoding="utf-8") + f"""
[notify]
retry_base_seconds = 0.1
retry_max_seconds = 0.5

[notify.sms]
url = "{gateway_url}"
secret = "{SECRET}"
callback_url = "http://127.0.0.1:{port}/api/v1/notify/sms/status"
"""
    path = tmp_path / "hospital.toml"
    path.write_text(text, encoding="utf-8")
    return path


def outbox_rows(db) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT key, state FROM notify_outbox ORDER BY id").fetchall()


def test_messages_survive_sigkill_and_are_delivered_exactly_once(tmp_path):
    db = tmp_path / "hospital.db"
    port = free_port()
    with GatewaySimulator(SECRET) as gateway:
        config = config_with_gateway(tmp_path, gateway.url, port)
        gateway.delay = 0.15  # a slow gateway: messages pile up, one is on its way when the service dies
        with run_service_process(config, db, port=port) as service:
            kiosk = CallerClient(service.base_url, DEMO_TOKENS["kiosk"])
            nurse = CallerClient(service.base_url, DEMO_TOKENS["console_nk"])
            nurse.login("wanghs", DEMO_PASSWORD)  # staff opt patients in (the kiosk does it for its own patient)
            for i in range(VISITS):
                visit = kiosk.register("NK", name="王小明")["visit"]
                kiosk.check_in(visit["visit_id"])
                nurse.notify(visit["visit_id"], "sms", f"1370000{i:04d}")
            for _ in range(6):
                nurse.call_next("NK3")
            assert gateway.wait_for(2, timeout=10)
            service.kill()
            kiosk.close()
            nurse.close()
        waiting_at_kill = [key for key, state in outbox_rows(db) if state in ("pending", "sending")]
        assert waiting_at_kill  # the crash really left messages behind
        delivered_before = {d.key for d in gateway.delivered}

        gateway.delay = 0.0
        with run_service_process(config, db, port=port):
            deadline = time.monotonic() + 20
            while any(state in ("pending", "sending") for _, state in outbox_rows(db)):
                assert time.monotonic() < deadline, outbox_rows(db)
                time.sleep(0.05)
            rows = outbox_rows(db)

        keys = [d.key for d in gateway.delivered]
        assert len(keys) == len(set(keys))  # nothing delivered twice
        done = {key for key, state in rows if state in ("sent", "delivered")}
        assert done <= set(keys)  # nothing the outbox counts as sent is missing at the gateway
        assert set(waiting_at_kill) & done  # messages left by the crash went out after the restart
        assert delivered_before <= done | {key for key, state in rows if state == "dropped"}
        assert not [key for key, state in rows if state in ("failed", "unknown")]
