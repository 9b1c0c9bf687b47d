"""/metrics as Prometheus reads it, and changing the hospital file without a restart."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from caller.testing import DEMO_TOKENS, REPO, run_service, run_service_process
from client.http import CallerClient, CallerError, EventSubscriber
from common.config import DEMO_CONFIG

ADMIN, KIOSK, WALL = DEMO_TOKENS["admin"], DEMO_TOKENS["kiosk"], DEMO_TOKENS["wall_nk"]


def scrape(base_url: str, token: str) -> dict[str, list]:
    answer = httpx.get(base_url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list], name: str, **labels: str) -> float:
    found = [s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, samples.get(name))
    return found[0]


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_metrics_count_commands_queues_subscribers_and_the_database(tmp_path):
    with run_service(db_path=tmp_path / "h.db") as live, CallerClient(live, KIOSK) as kiosk:
        seen: list[dict] = []
        wall = EventSubscriber(live, WALL, "NK", seen.append).start()
        try:
            visits = [kiosk.register("NK", name=name)["visit"] for name in ("李四", "王五", "赵六")]
            kiosk.check_in(visits[0]["visit_id"])
            with pytest.raises(CallerError):
                kiosk.check_in(visits[0]["visit_id"])  # refused by the rules: already checked in
            wait_for(lambda: wall.status == "connected")
            samples = scrape(live, ADMIN)
            waiting = len(kiosk.area_queue("NK")["waiting"])
        finally:
            wall.stop()
    assert value(samples, "hospital_commands_total", command="register", result="ok") == 3
    assert value(samples, "hospital_commands_total", command="check_in", result="ok") == 1
    assert value(samples, "hospital_commands_total", command="check_in", result="refused") == 1
    assert value(samples, "hospital_command_seconds_count", command="register") == 3
    assert value(samples, "hospital_queue_length", area="NK") == waiting
    assert value(samples, "hospital_queue_length", area="JZ") == 0
    assert value(samples, "hospital_subscribers", role="display", area="NK") == 1
    assert value(samples, "hospital_database_bytes", file="db") > 0
    assert value(samples, "hospital_last_backup_timestamp_seconds") == 0  # never backed up: alert fires
    assert "hospital_event_fanout_seconds_count" in samples
    assert value(samples, "hospital_device_status", device="wall-wy", status="unknown") == 1  # never reported
    assert value(samples, "hospital_device_status", device="kiosk-lobby-1") == 1  # one status per device
    assert not any("李" in str(s.labels) for family in samples.values() for s in family)  # no patient data


def test_metrics_need_a_monitor_or_admin_token_and_a_monitor_token_reads_nothing_else(tmp_path):
    import tomllib

    from common.config import hospital_from_dict

    raw = tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))
    monitor = "prometheus-token-0123456789"
    raw["devices"].append({"id": "prometheus", "role": "monitor", "token": monitor})
    with run_service(hospital_from_dict(raw), tmp_path / "h.db") as live:
        assert httpx.get(live + "/metrics").status_code == 401
        assert httpx.get(live + "/metrics", headers={"Authorization": f"Bearer {KIOSK}"}).status_code == 403
        assert "hospital_queue_length" in scrape(live, monitor)
        for path in ("/api/v1/hospital", "/api/v1/areas/NK/queue", "/api/v1/audit"):
            assert httpx.get(live + path, headers={"Authorization": f"Bearer {monitor}"}).status_code == 403


NEW_DEVICE = '''
[[devices]]
id = "kiosk-new"
role = "kiosk"
token = "fresh-kiosk-token-0123456789"
name = "新增自助机"
'''


def test_reload_applies_notices_and_devices_keeps_queues_and_links_and_refuses_a_bad_file(tmp_path):
    config = tmp_path / "hospital.toml"
    shutil.copy(DEMO_CONFIG, config)
    original = config.read_text(encoding="utf-8")
    with run_service(config, tmp_path / "h.db") as live, CallerClient(live, KIOSK) as kiosk, \
            CallerClient(live, ADMIN) as admin:
        before = kiosk.register("NK", name="李四")["visit"]
        seen: list[dict] = []
        wall = EventSubscriber(live, WALL, "NK", seen.append).start()
        try:
            wait_for(lambda: wall.status == "connected")
            with pytest.raises(CallerError):
                CallerClient(live, "fresh-kiosk-token-0123456789").request("GET", "/auth/me")
            notice = "冬季流感高发，请佩戴口罩"
            config.write_text(original.replace('notices = [', f'notices = ["{notice}", ', 1) + NEW_DEVICE,
                              encoding="utf-8")
            answer = admin.request("POST", "/admin/reload")
            assert answer["status"] == "reloaded" and answer["changes"]["devices_added"] == ["kiosk-new"]
            assert answer["changes"]["notices_changed"] == ["NK"]
            wait_for(lambda: any(notice in str(m) for m in seen))  # the wall got the notice on its open link
            assert wall.status == "connected"
            with CallerClient(live, "fresh-kiosk-token-0123456789") as new_kiosk:
                assert new_kiosk.request("GET", "/auth/me")["device"] == "kiosk-new"
            assert admin.visit_status(before["visit_id"])["ticket"] == before["ticket"]  # the queue is intact

            config.write_text(original.replace('late_mode = "', 'late_mode = "whenever', 1), encoding="utf-8")
            with pytest.raises(CallerError) as refused:
                admin.request("POST", "/admin/reload")
            assert refused.value.code == "config_refused" and "late_mode" in refused.value.message_en
            with CallerClient(live, "fresh-kiosk-token-0123456789") as new_kiosk:  # still the last good file
                assert new_kiosk.request("GET", "/auth/me")["device"] == "kiosk-new"
            assert notice in str(kiosk.hospital())
            actions = [a["action"] for a in admin.audit()]
            assert "config_reload" in actions and "config_reload_refused" in actions
        finally:
            wall.stop()


def test_a_reload_may_not_remove_an_area_with_patients_waiting(tmp_path):
    config = tmp_path / "hospital.toml"
    shutil.copy(DEMO_CONFIG, config)
    with run_service(config, tmp_path / "h.db") as live, CallerClient(live, ADMIN) as admin:
        with CallerClient(live, KIOSK) as kiosk:
            kiosk.register("NK", name="李四")
        config.write_text(config.read_text(encoding="utf-8").replace('timezone = "Asia/Shanghai"',
                                                                     'timezone = "Europe/Berlin"'), encoding="utf-8")
        with pytest.raises(CallerError) as refused:
            admin.request("POST", "/admin/reload")
        assert "hospital.timezone" in refused.value.message_en and "restart" in refused.value.message_en
        with pytest.raises(CallerError) as not_admin, CallerClient(live, KIOSK) as kiosk:
            kiosk.request("POST", "/admin/reload")
        assert not_admin.value.status == 403


def test_under_systemd_the_service_says_ready_pings_the_watchdog_and_reloads_on_sighup(tmp_path):
    config = tmp_path / "hospital.toml"
    shutil.copy(DEMO_CONFIG, config)
    notify_path = str(tmp_path / "notify.sock")
    messages: list[str] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(notify_path)
        sock.settimeout(0.2)
        stop = threading.Event()

        def listen() -> None:
            while not stop.is_set():
                try:
                    messages.append(sock.recv(4096).decode())
                except TimeoutError:
                    continue

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        env = {"NOTIFY_SOCKET": notify_path, "WATCHDOG_USEC": "600000"}  # a ping every 0.3 s
        try:
            with run_service_process(config, tmp_path / "h.db", extra_env=env) as proc:
                wait_for(lambda: "READY=1" in messages and messages.count("WATCHDOG=1") >= 2)
                notice = "门诊楼电梯检修，请走楼梯"
                config.write_text(config.read_text(encoding="utf-8").replace('notices = [', f'notices = ["{notice}", ', 1),
                                  encoding="utf-8")
                os.kill(proc.process.pid, signal.SIGHUP)
                with CallerClient(proc.base_url, KIOSK) as client:
                    wait_for(lambda: notice in str(client.hospital()))
                assert "RELOADING=1" in messages
                assert proc.process.poll() is None  # SIGHUP reloads, never stops the service
        finally:
            stop.set()
            listener.join(2)


def test_the_alert_rules_in_the_operations_guide_use_metrics_the_service_exports(tmp_path):
    import re

    import yaml

    guide = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    block = guide.split("# hospital-rules.yml\n", 1)[1].split("```", 1)[0]
    rules = yaml.safe_load(block)["groups"][0]["rules"]
    used = {name for rule in rules for name in re.findall(r"\bhospital_[a-z_]+", rule["expr"])}
    with run_service(db_path=tmp_path / "h.db") as live, CallerClient(live, KIOSK) as kiosk:
        kiosk.register("NK", name="李四")
        wall = EventSubscriber(live, WALL, "NK", lambda _m: None).start()
        try:
            wait_for(lambda: wall.status == "connected")
            exported = set(scrape(live, ADMIN))
        finally:
            wall.stop()
    base = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in exported}
    assert used and {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in used} <= base
