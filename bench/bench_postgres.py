"""The caller service on PostgreSQL next to SQLite, in the same run on the same machine.

throughput_postgresql: the `throughput` load (20 concurrent clients sending register, check-in, call next, start,
    finish for THROUGHPUT_SECONDS) against `caller serve --db postgresql://...` on a throw-away local PostgreSQL 15
    cluster (fsync=on, synchronous_commit=on: every acknowledged command is on disk, as with SQLite's
    synchronous=FULL), then the same load against a SQLite file. ``ops_per_s`` is PostgreSQL's durable commands per
    second, ``sqlite_ops_per_s`` SQLite's. The service's counters of each run (bench_caller.WriteSplit): commands
    per commit, COMMIT time, writer and process CPU per command (``sqlite_``-prefixed for the SQLite run).
"""
from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bench.bench_caller import THROUGHPUT_CLIENTS, THROUGHPUT_SECONDS, WriteSplit, _login, _mixed_load
from caller.pgcluster import PostgresCluster, available
from caller.testing import run_service_process
from common.config import DEMO_CONFIG


def _ops_per_s(db: str) -> tuple[float, int, dict]:
    with run_service_process(DEMO_CONFIG, db) as svc:
        nurse = _login(svc.base_url)
        split = WriteSplit(svc.base_url, svc.process.pid)
        total, elapsed = asyncio.run(_mixed_load(svc.base_url, nurse, THROUGHPUT_CLIENTS, THROUGHPUT_SECONDS))
        counters = split.result()
    return total / elapsed, total, counters


def throughput_postgresql() -> dict:
    missing = available()
    if missing:
        return {"error": missing}
    with PostgresCluster(fsync=True) as cluster:
        url = cluster.create_database("bench")
        pg_rate, pg_ops, pg_counters = _ops_per_s(url)
        commit = cluster.psql("SHOW synchronous_commit", "bench")[0][0]
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_rate, sqlite_ops, sqlite_counters = _ops_per_s(str(Path(tmp) / "bench.db"))
    return {"clients": THROUGHPUT_CLIENTS, "seconds": THROUGHPUT_SECONDS, "ops": pg_ops, "sqlite_ops": sqlite_ops,
            "ops_per_s": round(pg_rate, 1), "sqlite_ops_per_s": round(sqlite_rate, 1),
            "ratio": round(pg_rate / sqlite_rate, 3), "synchronous_commit": commit, "fsync": "on",
            **pg_counters, **{f"sqlite_{k}": v for k, v in sqlite_counters.items()}}


BENCHES = {"throughput_postgresql": throughput_postgresql}
