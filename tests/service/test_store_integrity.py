"""The store never lies: one service per database file, a vanished or replaced file and a full disk stop the
acknowledgements (with a clear answer and a failed health) instead of losing what was acknowledged, and every
commit is fsynced (synchronous=FULL or above)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

from fastapi.testclient import TestClient

from caller.api.app import create_app
from caller.store import DURABLE_SYNCHRONOUS, FILE_CHECK_S
from caller.testing import DEMO_TOKENS, REPO, ManualClock, free_port, run_service_process
from common.config import DEMO_CONFIG, load_hospital
from records.plugins import PLUGINS

ADMIN = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}


def _app(db):
    return create_app(load_hospital(DEMO_CONFIG), db, plugins=PLUGINS, clock=ManualClock(datetime(2026, 11, 23, 9, 0)))


def _register(client, name="张三"):
    return client.post("/api/v1/visits", headers=ADMIN, json={"department": "NK", "name": name})


def test_every_commit_is_fsynced(tmp_path):
    app = _app(tmp_path / "h.db")
    try:
        store = app.state.service.store
        assert store.synchronous_level() >= DURABLE_SYNCHRONOUS, "the store commits below synchronous=FULL"
        assert app.state.records.db.conn.raw is store.conn  # records commit on the same connection
    finally:
        app.state.service.close()


def test_a_second_service_on_the_same_database_refuses_to_start_and_names_the_first(tmp_path):
    db = tmp_path / "h.db"
    with run_service_process(DEMO_CONFIG, db) as first:
        second = subprocess.run(
            [sys.executable, "-m", "caller", "serve", "--config", str(DEMO_CONFIG), "--db", str(db),
             "--host", "127.0.0.1", "--port", str(free_port()), "--demo"],
            cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=60)
        assert second.returncode != 0
        assert f"pid {first.process.pid}" in second.stderr and "另一个进程" in second.stderr
        assert first.process.poll() is None  # the first one goes on serving


def _until_refused(send, timeout: float = 10 * FILE_CHECK_S):
    """Send until the service refuses: it looks at its file again within FILE_CHECK_S (not on every commit)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = send()
        if answer.status_code != 200 or time.monotonic() > deadline:
            return answer


def test_a_deleted_database_file_stops_the_acknowledgements(tmp_path):
    db = tmp_path / "h.db"
    with TestClient(_app(db)) as client:
        assert _register(client).status_code == 200
        os.remove(db)
        refused = _until_refused(lambda: _register(client, "李四"))
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "storage_unavailable"
        assert "信息科" in refused.json()["error"]["message_zh"]
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "failed"
        assert health.json()["problem"] == "storage_unavailable"


def test_a_replaced_database_file_stops_the_acknowledgements(tmp_path):
    db = tmp_path / "h.db"
    with TestClient(_app(db)) as client:
        assert _register(client).status_code == 200
        (tmp_path / "other.db").write_bytes(db.read_bytes())
        os.replace(tmp_path / "other.db", db)
        assert _until_refused(lambda: _register(client, "李四")).status_code == 503
        refused = client.post("/api/v1/records/patients", headers=ADMIN, json={
            "source": "typed", "id_number": "11010119900307803X", "name": "王小明", "phone": "13800000000"})
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "storage_unavailable"
        assert client.get("/healthz").json()["status"] == "failed"


def test_a_database_overwritten_in_place_stops_the_acknowledgements_and_the_restore_stays(tmp_path):
    """A restore copied over the file while the service runs (same inode, other bytes) is noticed like a deleted
    file: 503, health failed, and the service does not write its own pages back over the restored file."""
    db = tmp_path / "h.db"
    with TestClient(_app(db)) as client:
        assert _register(client).status_code == 200
        backup = tmp_path / "backup.db"
        source, target = sqlite3.connect(db), sqlite3.connect(backup)
        source.backup(target)
        source.close()
        target.close()
        for n in range(3):  # the day goes on after the backup
            assert _register(client, f"王{n}").status_code == 200
        inode = os.stat(db).st_ino
        with open(backup, "rb") as restored, open(db, "r+b") as live:  # cp backup.db h.db: same inode
            live.write(restored.read())
            live.truncate()
        assert os.stat(db).st_ino == inode
        refused = _until_refused(lambda: _register(client, "李四"))
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "storage_unavailable"
        assert "overwritten" in refused.json()["error"]["message_en"]
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["problem"] == "storage_unavailable"
        client.app.state.service.close()  # the service stops: its log is not written over the restore
    assert db.read_bytes() == backup.read_bytes()
    reopened = subprocess.run(  # as the next start would: the restored day, not the lost one, no log applied
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "print([r[0] for r in c.execute('SELECT data FROM visits')])", str(db)],
        capture_output=True, text=True, timeout=60, check=True).stdout
    assert "王0" not in reopened and "张三" in reopened
    assert list(tmp_path.glob("h.db-wal.not-applied-*"))


def test_a_full_disk_answers_507_says_so_in_health_and_recovers_by_itself(tmp_path):
    db = tmp_path / "h.db"
    with TestClient(_app(db)) as client:
        store = client.app.state.service.store
        assert _register(client).status_code == 200
        with store.lock:
            pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
            store.conn.execute(f"PRAGMA max_page_count={pages}")  # not one page more: the disk is full
        names = [f"患者{i}" for i in range(60)]
        answers = [_register(client, name) for name in names]
        full = [a for a in answers if a.status_code != 200]
        assert full and all(a.status_code == 507 and a.json()["error"]["code"] == "disk_full" for a in full)
        assert "磁盘已满" in full[0].json()["error"]["message_zh"]
        health = client.get("/healthz").json()
        assert health["status"] == "failed" and health["problem"] == "disk_full"
        pane = client.get("/api/v1/devices", headers=ADMIN).json()
        assert pane[0]["device"] == "caller-service" and pane[0]["status"] == "offline"
        acknowledged = [n for n, a in zip(names, answers) if a.status_code == 200]
        with store.lock:
            store.conn.execute("PRAGMA max_page_count=1073741823")  # space is back
        assert _register(client, "王五").status_code == 200
        assert client.get("/healthz").json()["status"] == "ok"
        stored = {v.patient_name for v in client.app.state.service.engine.visits()}
        assert set(acknowledged) <= stored and not ({n for n, a in zip(names, answers) if a.status_code == 507} & stored)
