"""Backups while the service works, and restoring one on a spare machine: nothing acknowledged is lost."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import httpx

from caller.ops.backup import keep
from caller.testing import DEMO_TOKENS, REPO, run_service_process
from client.http import CallerClient

KIOSKS = (DEMO_TOKENS["kiosk"], DEMO_TOKENS["kiosk2"])


def caller_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "caller", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_backup_under_load_then_restore_on_a_spare_keeps_every_acknowledged_command(tmp_path):
    db, backups, spare = tmp_path / "live" / "hospital.db", tmp_path / "backups", tmp_path / "spare" / "hospital.db"
    acknowledged: list[tuple[float, str, str]] = []  # (when acknowledged, visit id, ticket)
    lock = threading.Lock()
    stop = threading.Event()

    failures: list[BaseException] = []

    def patient_flow(token: str, department: str) -> None:
        try:
            with CallerClient(base_url, token, timeout=30) as kiosk:
                while not stop.is_set():
                    visit = kiosk.register(department, name="张三")["visit"]
                    with lock:
                        acknowledged.append((time.monotonic(), visit["visit_id"], visit["ticket"]))
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
            stop.set()

    with run_service_process(db_path=db) as proc:
        base_url = proc.base_url
        workers = [threading.Thread(target=patient_flow, args=(KIOSKS[i % 2], ("NK", "WK", "EK")[i % 3]))
                   for i in range(6)]
        for w in workers:
            w.start()
        try:
            while len(acknowledged) < 60 and not stop.is_set():
                time.sleep(0.01)
            started = time.monotonic()
            done = caller_cli("backup", str(backups), "--db", str(db), "--daily", "3", "--monthly", "2")
            with lock:
                during = sum(1 for t, _, _ in acknowledged if t >= started)
        finally:
            stop.set()
            for w in workers:
                w.join(30)
        assert not failures, failures
        assert done.returncode == 0, done.stderr
        assert "integrity ok" in done.stdout
        assert during > 0  # the service kept answering while the backup ran
        before = [(vid, ticket) for t, vid, ticket in acknowledged if t < started]
        files = sorted(backups.glob("hospital-*.db"))
        assert len(files) == 1

        refused = caller_cli("restore", str(files[0]), "--db", str(db))
        assert refused.returncode == 1 and "stop it first" in refused.stderr  # never under a running service
        with httpx.Client() as client:
            metrics = client.get(base_url + "/metrics", headers={"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}).text
        assert "hospital_last_backup_timestamp_seconds 0.0" not in metrics

    restored = caller_cli("restore", str(files[0]), "--db", str(spare))
    assert restored.returncode == 0, restored.stderr
    with run_service_process(db_path=spare) as proc, CallerClient(proc.base_url, DEMO_TOKENS["admin"]) as admin:
        for visit_id, ticket in before:
            assert admin.visit_status(visit_id)["ticket"] == ticket


def test_restore_checks_the_file_first(tmp_path):
    garbage = tmp_path / "hospital-20261124-023000.db"
    garbage.write_bytes(b"this is not a database" * 100)
    answer = caller_cli("restore", str(garbage), "--db", str(tmp_path / "target.db"))
    assert answer.returncode == 1 and "not a usable SQLite database" in answer.stderr
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    answer = caller_cli("restore", str(other), "--db", str(tmp_path / "target.db"))
    assert answer.returncode == 1 and "not a hospital queue database" in answer.stderr
    assert not (tmp_path / "target.db").exists()  # nothing was put in place


def test_retention_keeps_the_newest_of_each_recent_day_and_month():
    names = [f"hospital-202609{d:02d}-023000.db" for d in (1, 15, 30)] + \
            [f"hospital-202610{d:02d}-023000.db" for d in range(1, 32)] + \
            ["hospital-20261101-023000.db", "hospital-20261101-120000.db", "hospital-20261102-023000.db"]
    kept = keep(names, daily=3, monthly=2)
    assert kept == {"hospital-20261102-023000.db", "hospital-20261101-120000.db", "hospital-20261031-023000.db"}
    kept = keep(names, daily=2, monthly=3)
    assert kept == {"hospital-20261102-023000.db", "hospital-20261101-120000.db", "hospital-20261031-023000.db",
                    "hospital-20260930-023000.db"}
