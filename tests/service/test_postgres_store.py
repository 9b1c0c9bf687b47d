"""The PostgreSQL store keeps the SQLite store's promises: the same tables, commits that wait for the disk, event
numbers from the database that go on after a restart, no acknowledgement while the server is out of reach (and
service again by itself when it is back), a writer connection that a fencing hook can refuse, and databases of
earlier versions migrated on both."""
from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from caller.api.app import create_app
from caller.pgcluster import PostgresCluster, available
from caller.pgstore import open_store
from caller.store import DURABLE_SYNCHRONOUS, StorageError
from caller.testing import DEMO_TOKENS, ManualClock, run_service_process
from client.http import CallerClient
from common.config import DEMO_CONFIG, load_hospital
from records.plugins import PLUGINS
from tests.pg_fixture import connect_db

ADMIN = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}


def _app(db):
    return create_app(load_hospital(DEMO_CONFIG), db, plugins=PLUGINS, clock=ManualClock(datetime(2026, 11, 23, 9, 0)))


def _register(client, name="张三", key=None):
    body = {"department": "NK", "name": name, **({"idempotency_key": key} if key else {})}
    return client.post("/api/v1/visits", headers=ADMIN, json=body)


def _tables(where) -> dict[str, list[str]]:
    with connect_db(where) as conn:
        if str(where).startswith("postgresql://"):
            rows = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                                "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position").fetchall()
        else:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            rows = [(t, r[1]) for t in names for r in conn.execute(f"PRAGMA table_info({t})")]
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def test_both_stores_have_the_same_tables_and_columns(tmp_path, pg_url):
    for where in (str(tmp_path / "h.db"), pg_url):
        app = _app(where)  # the service with records: every table of the hospital database
        app.state.service.close()
    assert _tables(tmp_path / "h.db") == _tables(pg_url)


def test_commits_wait_for_the_disk_and_events_are_numbered_by_the_database(pg_url, pg_cluster):
    pg_cluster.psql("ALTER SYSTEM SET synchronous_commit = off")  # a careless server setting
    pg_cluster.reload()
    try:
        with TestClient(_app(pg_url)) as client:
            store = client.app.state.service.store
            assert store.synchronous_level() >= DURABLE_SYNCHRONOUS  # raised to 'on' for the writer
            assert store.conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
            seqs = [_register(client, key=f"key-{n:04d}").json()["seq"] for n in range(3)]
            assert seqs == sorted(seqs) and len(set(seqs)) == 3
            assert _register(client, key="key-0001").json()["seq"] == seqs[1]  # a retry is the first answer
            client.app.state.service.close()
    finally:
        pg_cluster.psql("ALTER SYSTEM RESET synchronous_commit")
        pg_cluster.reload()
    with TestClient(_app(pg_url)) as client:  # a restart (or another machine) numbers on from the database
        after = _register(client, "李四").json()
        assert after["seq"] > seqs[-1]
        assert [e.seq for e in client.app.state.service.store.events_since("NK", 0)][-1] == after["seq"]
        client.app.state.service.close()


@pytest.mark.skipif(bool(available()), reason=available() or "-")
def test_a_database_out_of_reach_stops_the_acknowledgements_and_service_comes_back_by_itself():
    with PostgresCluster(fsync=False) as cluster:
        url = cluster.create_database("hospital")
        with TestClient(_app(url)) as client:
            first = _register(client, key="key-before")
            assert first.status_code == 200
            cluster.stop("immediate")  # the database server loses power
            refused = _register(client, "李四", key="key-during")
            assert refused.status_code == 503 and refused.json()["error"]["code"] == "storage_unavailable"
            assert "数据库" in refused.json()["error"]["message_zh"]
            assert client.get("/healthz").json()["status"] == "failed"
            cluster.start()
            again = _register(client, "李四", key="key-during")  # the kiosk retries: done once, now
            assert again.status_code == 200
            assert client.get("/healthz").json()["status"] == "ok"
            tickets = [v["ticket"] for v in client.get("/api/v1/areas/NK/queue", headers=ADMIN).json().get("waiting", [])]
            visits = client.app.state.service.engine.visits()
            assert sorted(v.id for v in visits) == sorted({first.json()["visit"]["visit_id"], again.json()["visit"]["visit_id"]})
            assert len(set(v.ticket for v in visits)) == 2, tickets
            client.app.state.service.close()


def test_a_fencing_hook_refuses_a_new_writer_connection(pg_url):
    held = []

    def leader_only(conn):  # what a leadership object does: hold an advisory lock on the writer, or refuse
        if not conn.execute("SELECT pg_try_advisory_lock(4711)").fetchone()[0]:
            raise StorageError("standby", "本服务为备用服务。", "This service is the standby.")
        held.append(conn)

    first = open_store(pg_url, on_connect=leader_only)
    assert len(held) == 1
    with pytest.raises(StorageError) as refused:
        open_store(pg_url, on_connect=leader_only)
    assert refused.value.code == "standby"
    first.close()  # the connection (and its lock) goes: another may lead
    second = open_store(pg_url, on_connect=leader_only)
    assert len(held) == 2
    second.close()


def test_a_database_of_an_earlier_version_gets_the_new_columns_on_both_stores(store_url):
    with connect_db(store_url) as conn:  # the idempotency table as the first versions made it (no body_hash)
        conn.execute("CREATE TABLE idempotency (key TEXT PRIMARY KEY, actor TEXT, status INTEGER, response TEXT, ts TEXT)")
        conn.execute("INSERT INTO idempotency VALUES ('register:k1', 'kiosk', 200, '{\"ok\": true}', '2026-11-22T09:00:00')")
    store = open_store(store_url)
    try:
        assert "body_hash" in store.columns("idempotency")
        assert store.idempotent_response("register:k1") == ("kiosk", 200, {"ok": True}, "")  # kept, still answered
    finally:
        store.close()
    open_store(store_url).close()  # a second start adds nothing twice


def test_caller_serve_with_a_postgresql_url_serves_the_queue_and_records_from_it(pg_url):
    with run_service_process(DEMO_CONFIG, pg_url) as proc, CallerClient(proc.base_url, DEMO_TOKENS["kiosk"]) as kiosk:
        visit = kiosk.register("NK", name="王小明")["visit"]
        departments = httpx.get(proc.base_url + "/api/v1/records/departments",
                                headers={"Authorization": f"Bearer {DEMO_TOKENS['kiosk']}"}, timeout=10)
        assert departments.status_code == 200 and departments.json()["departments"]
    with connect_db(pg_url) as conn:  # in PostgreSQL, where the command was acknowledged
        assert conn.execute("SELECT state FROM visits WHERE id = ?", (visit["visit_id"],)).fetchone() == ("registered",)
        assert conn.execute("SELECT COUNT(*) FROM rec_sessions").fetchone()[0] > 0
