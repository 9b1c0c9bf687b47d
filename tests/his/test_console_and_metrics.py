"""Staff see the HIS link: the nurse console's top bar (state, backlog, errors) and /metrics."""
from __future__ import annotations

import httpx
import pytest

from caller.testing import DEMO_TOKENS, free_port, run_service
from caller_console.app import open_console
from client.http import CallerClient
from common.config import DEMO_CONFIG, load_hospital
from common.fonts import load_cjk_font
from records.his.testing import Hl7Peer, with_his

NK_CONSOLE = DEMO_TOKENS["console_nk"]


@pytest.fixture(autouse=True)
def cjk_font(qapp):
    load_cjk_font(qapp)


def new_record(base_url: str, number: str, name: str) -> None:
    admin = CallerClient(base_url, DEMO_TOKENS["admin"])
    admin.request("POST", "/records/patients", json_body={"source": "typed", "id_number": number, "name": name,
                                                          "phone": "13812345678"})
    admin.close()


def test_the_console_shows_the_his_away_with_its_backlog_then_back(qtbot, tmp_path):
    port = free_port()
    config = with_his(load_hospital(DEMO_CONFIG), "hl7v2", his_port=port)
    with run_service(config, db_path=tmp_path / "h.db") as base_url:
        new_record(base_url, "11010119900307803X", "张三")
        qtbot.waitUntil(lambda: base_url.app.state.his.status()["away"], timeout=10000)
        window = open_console(base_url, NK_CONSOLE, "wanghs", "demo1234", area="NK", room="NK3")
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.his_label.isVisible() and "连接中断" in window.his_label.text(), timeout=10000)
        assert window.his_label.text().startswith("HIS 连接中断：待发 1 条")
        metrics = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}).text
        assert 'hospital_his_link_up{driver="hl7v2"} 0.0' in metrics
        assert "hospital_his_backlog_messages 1.0" in metrics
        assert 'hospital_his_errors_total{kind="outage"}' in metrics
        with Hl7Peer(port=port) as his:  # the HIS is back on its address
            his.wait_for(1)
            qtbot.waitUntil(lambda: base_url.app.state.his.status()["backlog"]["waiting"] == 0, timeout=10000)
            window._periodic()
            qtbot.waitUntil(lambda: window.his_label.text().startswith("HIS 正常：待发 0 条"), timeout=10000)
            metrics = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}).text
            assert 'hospital_his_link_up{driver="hl7v2"} 1.0' in metrics
            assert "hospital_his_backlog_messages 0.0" in metrics
        window.shutdown()


def test_with_local_records_the_console_shows_no_his(qtbot, tmp_path):
    with run_service(db_path=tmp_path / "h.db") as base_url:
        window = open_console(base_url, NK_CONSOLE, "wanghs", "demo1234", area="NK", room="NK3")
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.online, timeout=5000)
        status = CallerClient(base_url, NK_CONSOLE).request("GET", "/records/his/status")
        assert status["driver"] == "local" and status["up"] is True
        assert not window.his_label.isVisible()
        window.shutdown()
