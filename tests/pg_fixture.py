"""A real PostgreSQL for tests: one throw-away cluster per test session, a fresh database per test.

    from tests.pg_fixture import pg_cluster, pg_url   # noqa: F401  (fixtures)

    def test_something(pg_url):                 # postgresql://postgres@/t_3?host=...&port=...
        store = open_store(pg_url)

The cluster lives in a fresh directory of the system temp dir (not pytest's: a pytest session starting meanwhile
makes that 0700 again, and the server runs as another user), removed at the end; it listens on a free port of 127.0.0.1 and on a unix socket there, and
runs as an unprivileged user when the tests run as root (caller/pgcluster.py). ``fsync=off``: the tests check what
a commit means to the service, not the disk's flush (the durability tests and benchmarks use ``fsync=on``).
A machine without PostgreSQL skips these tests with the reason (scripts/setup.sh installs Debian's `postgresql`).

``store_url`` is the fixture parameter that runs a test on both stores: a SQLite file in tmp_path, or a fresh
PostgreSQL database.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from caller.pgcluster import PostgresCluster, available
from caller.store import plain_connection

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's PostgreSQL server (started on first use, removed at the end)."""
    missing = available()
    if missing:
        pytest.skip(missing)
    with PostgresCluster(fsync=False) as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A fresh, empty database of the session's cluster, as a libpq URL."""
    return pg_cluster.create_database(f"t_{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """Where the service keeps its data, once per store: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "hospital.db")
    return request.getfixturevalue("pg_url")


@contextmanager
def connect_db(where: str | Path) -> Iterator[Any]:
    """A plain connection to either store's database (``execute(sql, params)`` with ``?``), closed after use."""
    conn = plain_connection(where)
    try:
        yield conn
    finally:
        conn.close()
