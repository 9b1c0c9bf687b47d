"""The caller service on PostgreSQL next to SQLite, in the same run on the same machine.

throughput_postgresql: the `throughput` load (20 concurrent clients sending register, check-in, call next, start,
    finish for THROUGHPUT_SECONDS) against `caller serve --db postgresql://...` on a throw-away local PostgreSQL 15
    cluster (fsync=on, synchronous_commit=on: every acknowledged command is on disk, as with SQLite's
    synchronous=FULL), then the same load against a SQLite file. ``ops_per_s`` is PostgreSQL's durable commands per
    second, ``sqlite_ops_per_s`` SQLite's. The service's counters of each run (bench_caller.WriteSplit): commands
    per commit, COMMIT time, writer and process CPU per command (``sqlite_``-prefixed for the SQLite run).
    With ``BENCH_PG_STATEMENTS=1`` (the server loads pg_stat_statements, which costs it a little, so not by
    default): ``server_exec_ms_per_commit``, the time PostgreSQL itself spent executing a transaction's statements,
    next to ``commit_ms``, the time the service's writer waited for that transaction's answers; the difference is
    the fsync and the writer waiting to run again.
"""
from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Callable

from bench.bench_caller import THROUGHPUT_CLIENTS, THROUGHPUT_SECONDS, WriteSplit, _login, _mixed_load
from caller.pgcluster import PG_BIN, PostgresCluster, available
from caller.testing import run_service_process
from common.config import DEMO_CONFIG

STATEMENTS_LIBRARY = PG_BIN.parent / "lib" / "pg_stat_statements.so"  # Debian's postgresql-15 ships it


def _ops_per_s(db: str, before_load: Callable[[], object] = lambda: None) -> tuple[float, int, dict, float]:
    """Commands per second, commands, the service's counters, and the transactions it committed in the run."""
    with run_service_process(DEMO_CONFIG, db) as svc:
        nurse = _login(svc.base_url)
        split = WriteSplit(svc.base_url, svc.process.pid)
        before_load()
        total, elapsed = asyncio.run(_mixed_load(svc.base_url, nurse, THROUGHPUT_CLIENTS, THROUGHPUT_SECONDS))
        counters = split.result()
    return total / elapsed, total, counters, split.commits


def _server_exec_ms(cluster: PostgresCluster, commits: float) -> dict:
    """What the server spent executing statements since the reset, per transaction the writer committed."""
    rows = cluster.psql("SELECT coalesce(sum(total_exec_time), 0) FROM pg_stat_statements", "bench")
    return {"server_exec_ms_per_commit": round(float(rows[0][0]) / commits, 3)} if commits else {}


def throughput_postgresql() -> dict:
    missing = available()
    if missing:
        return {"error": missing}
    statements = os.environ.get("BENCH_PG_STATEMENTS") == "1" and STATEMENTS_LIBRARY.exists()
    settings = {"shared_preload_libraries": "pg_stat_statements"} if statements else {}
    with PostgresCluster(fsync=True, settings=settings) as cluster:
        url = cluster.create_database("bench")
        if statements:
            cluster.psql("CREATE EXTENSION pg_stat_statements", "bench")
            pg_rate, pg_ops, pg_counters, commits = _ops_per_s(
                url, lambda: cluster.psql("SELECT pg_stat_statements_reset()", "bench"))
            pg_counters.update(_server_exec_ms(cluster, commits))
        else:
            pg_rate, pg_ops, pg_counters, _ = _ops_per_s(url)
        commit = cluster.psql("SHOW synchronous_commit", "bench")[0][0]
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_rate, sqlite_ops, sqlite_counters, _ = _ops_per_s(str(Path(tmp) / "bench.db"))
    return {"clients": THROUGHPUT_CLIENTS, "seconds": THROUGHPUT_SECONDS, "ops": pg_ops, "sqlite_ops": sqlite_ops,
            "ops_per_s": round(pg_rate, 1), "sqlite_ops_per_s": round(sqlite_rate, 1),
            "ratio": round(pg_rate / sqlite_rate, 3), "synchronous_commit": commit, "fsync": "on",
            **pg_counters, **{f"sqlite_{k}": v for k, v in sqlite_counters.items()}}


BENCHES = {"throughput_postgresql": throughput_postgresql}
