"""The PostgreSQL store: the same methods, schema and promise as the SQLite one (caller/store.py), on a server.

``caller serve --db postgresql://user@host/hospital`` (or ``open_store("postgresql://...")``) selects it; records share it.

Writes: ONE writer connection (autocommit off by our own ``BEGIN`` ... ``COMMIT``), guarded by the store's lock,
exactly like the SQLite writer. A command is acknowledged only after ``COMMIT`` returned, and the store insists on
``synchronous_commit`` at least ``on`` (``off`` is raised to ``on`` for our session; ``remote_apply`` and friends,
set for synchronous replication, are kept): an acknowledged command is on the primary's disk, and on the synchronous
standby's too when one is configured (docs/high-availability.md). Event ``seq`` comes from an identity column.

The writer connection is the unit of fencing. :attr:`PostgresStore.on_connect` (when set) runs on every new writer
connection before it writes anything; :attr:`before_write` before every transaction. A leadership object takes a
session-level advisory lock in ``on_connect`` (raising to refuse), so every write goes through the connection that
holds the lock: when that connection is lost the lock is gone with it, the store refuses writes (503
``storage_unavailable``) and reconnects only through ``on_connect`` again (notes in docs/high-availability.md).

Reads that are not part of a command use a small pool of read-only connections (caller/pgdb.py).
Retention: old events and audit rows move into ``events_archive`` / ``audit_archive`` tables of the same database
(SQLite moves them into monthly files).
"""
from __future__ import annotations

import json
import logging
import re
import threading
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import psycopg

from caller.pgdb import PgConnection, PgReaders, RetryOnce, connect
from caller.store import (
    DURABLE_SYNCHRONOUS,
    HELD_TABLES,
    MIGRATIONS,
    SCHEMA,
    ChangeRows,
    EventRow,
    HeldRows,
    StorageError,
    Store,
    is_postgres_url,
)
from common.clock import HospitalClock

log = logging.getLogger("caller.store")

_DURABLE_COMMIT = ("on", "remote_write", "remote_apply", "local")  # 'local': this server's disk, no standby wait


def unreachable() -> StorageError:
    return StorageError("storage_unavailable",
                        "对不起，叫号服务暂时连不上数据库，操作未完成，请稍候再试或联系信息科。",
                        "The PostgreSQL server cannot be reached; nothing was changed. It is retried by itself; "
                        "please call IT support if this lasts.")


def safe_url(url: str) -> str:
    """The URL without its password (for logs and /healthz)."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def _unnest_insert(table: str, columns: tuple[str, ...], types: tuple[str, ...], key: tuple[str, ...] = (),
                   tail: str = "") -> str:
    """INSERT of many rows from one array per column (binary parameters), upserting on `key` when given, or ending
    with `tail` (an ON CONFLICT clause of its own)."""
    names = ", ".join(f'"{c}"' for c in columns)
    arrays = ", ".join(f"%b::{t}[]" for t in types)
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"
    if key:
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
        sql += f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    return f"{sql} {tail}" if tail else sql


_NOT_TEXT = {("counters", "value"): "bigint", ("events", "seq"): "bigint"}  # the held tables' other columns: text
_TABLES = tuple(  # what write_change writes, in one statement (a data-modifying WITH per table)
    (table, _unnest_insert(table, columns, tuple(_NOT_TEXT.get((table, c), "text") for c in columns), key), len(columns))
    for table, columns, key in HELD_TABLES)
_HELD_TABLES = {name for name, _, _ in _TABLES}
# the identity's own counter follows the numbers given (a row inserted without one never collides)
_SEQ_FOLLOWS = (" SELECT setval(pg_get_serial_sequence('events', 'seq'), last) FROM (SELECT %b::bigint AS last) n"
                " WHERE last IS NOT NULL")
_PLAIN_INSERT = re.compile(r"\s*INSERT INTO (?P<table>\w+) \((?P<columns>[^)]*)\) VALUES \(\s*\?(?:\s*,\s*\?)*\s*\)"
                           r"(?P<tail>[^?%]*)$", re.S | re.I)


class DeferredRows(HeldRows):
    """The rows of a transaction's commands (:class:`caller.store.HeldRows`), written in ONE statement (an array per
    column): a batch of commands costs the server and this process one statement, not five per command, and the
    pipeline one wait for the socket. The writer connection sends them before any other statement (a read sees
    them) and before COMMIT. Rows inserted meanwhile through ``insert_rows`` (the batch's rollups) join the same
    statement."""

    def __init__(self) -> None:
        super().__init__()
        self._types: dict[str, dict[str, str]] = {}  # table -> column -> type (for the arrays' casts)
        self._statements: dict[tuple[str, ...], str] = {}

    def __bool__(self) -> bool:
        return super().__bool__() or bool(self.joined)

    def join(self, conn: PgConnection, sql: str, rows: list[tuple]) -> bool:
        """Hold the rows of an ``INSERT INTO t (...) VALUES (?, ...) [ON CONFLICT ...]`` (keys all different) to go
        out in the same statement as the rest (the rollups of a command batch). False when it cannot: the table has
        rows held already (one statement may not change a row twice), or the SQL is of another shape."""
        found = _PLAIN_INSERT.match(sql)
        if found is None or found["table"] in self.joined or found["table"] in _HELD_TABLES or not rows:
            return False
        table, tail = found["table"], found["tail"]
        columns = [c.strip().strip('"') for c in found["columns"].split(",")]
        types = self._column_types(conn, table)
        if len(columns) != len(rows[0]) or any(c not in types for c in columns):
            return False
        self.joined[table] = (_unnest_insert(table, tuple(columns), tuple(types[c] for c in columns), tail=tail),
                              [list(column) for column in zip(*rows)])
        return True

    def _column_types(self, conn: PgConnection, table: str) -> dict[str, str]:
        if table not in self._types:  # read once (without sending what is held: the catalog does not need it)
            rows = conn.raw.cursor().execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s", (table,)).fetchall()
            self._types[table] = dict(rows)
        return self._types[table]

    def send(self, conn: PgConnection) -> None:
        """Write what is held on `conn` (inside its transaction), and hold nothing any more."""
        last = self.events[-1][0] if self.events else None
        joined = self.joined
        held = self.take_text()
        params: list[Any] = []
        for rows, (_name, _sql, width) in zip(held, _TABLES):
            params.extend([list(column) for column in zip(*rows)] if rows else [[]] * width)
        for _sql, arrays in joined.values():
            params.extend(arrays)
        conn.raw.cursor().execute(self._statement(tuple(sql for sql, _ in joined.values())), params + [last])

    def _statement(self, joined: tuple[str, ...]) -> str:
        """The one statement: write_change's tables, then the joined INSERTs (each its own WITH)."""
        if joined not in self._statements:
            members = [f"w_{name} AS ({sql})" for name, sql, _ in _TABLES]
            members += [f"w_joined_{i} AS ({sql})" for i, sql in enumerate(joined)]
            self._statements[joined] = "WITH " + ", ".join(members) + _SEQ_FOLLOWS
        return self._statements[joined]

    def clear(self) -> None:
        super().clear()
        self.joined: dict[str, tuple[str, list]] = {}  # table -> (INSERT from arrays, its arrays): insert_rows'


class PostgresStore(Store):
    """Store on PostgreSQL. Thread-safe: one writer connection under a re-entrant lock, plus a reader pool."""

    dialect = "postgresql"

    def __init__(self, path: str, synchronous: str = "FULL",
                 on_connect: Callable[[psycopg.Connection], None] | None = None):
        self.path = str(path)
        self.url = self.path
        self.clock: Callable[[], datetime] = HospitalClock()
        self.problem: StorageError | None = None
        self._lock_file = None
        self._identity = None
        self.lock = threading.RLock()
        self._depth = 0
        self._next_seq: int | None = None
        self.held = self.deferred = DeferredRows()
        self._pipeline: ExitStack | None = None  # the open transaction's pipeline mode (transaction(pipelined=True))
        self.on_connect = on_connect  # fencing hook: runs on each new writer connection (may raise to refuse)
        self.before_write: Callable[[psycopg.Connection], None] | None = None  # runs before every transaction
        self.conn: PgConnection = self._open_writer()
        self.db = None  # no sqlite-utils here
        self._create_tables()
        self.read = PgReaders(self.path, self._live_writer, self.lock, self._lost)

    def _live_writer(self) -> PgConnection:
        """The writer for a read inside the lock. Inside a transaction: as it is (a lost connection fails the
        transaction). Outside: a new one when the last failed, and a read that finds it gone is sent once more on a
        new writer connection (made through on_connect: fencing holds)."""
        if self._depth:
            return self.conn
        if self.problem is not None or self.conn.raw.closed or self.conn.raw.broken:
            self._reconnect()
        return RetryOnce(self.conn.raw, self._reopen_writer)

    def _reopen_writer(self) -> psycopg.Connection:
        self._reconnect()
        return self.conn.raw

    def _lost(self, exc: BaseException) -> None:
        """A statement failed because the server is out of reach: refuse (503) until a connection works again."""
        self.problem = unreachable()
        raise self.problem from exc

    # ------------------------------------------------------------------ the writer connection
    def _open_writer(self) -> PgConnection:
        raw = connect(self.path, application_name="hospital-caller-writer")
        raw.prepare_threshold = 0  # the writer's few statements are prepared on first use, each parsed once
        setting = raw.execute("SHOW synchronous_commit").fetchone()[0]
        if setting not in _DURABLE_COMMIT:  # 'off' would acknowledge commits that a crash can lose
            raw.execute("SET synchronous_commit = on")
        if self.on_connect is not None:
            try:
                self.on_connect(raw)
            except BaseException:
                raw.close()
                raise
        return PgConnection(raw, deferred=self.deferred)

    def writer_connection(self) -> psycopg.Connection:
        """The raw psycopg connection every write goes through (hold :attr:`lock` while using it)."""
        return self.conn.raw

    def _reconnect(self) -> None:
        try:
            self.conn.raw.close()
        except psycopg.Error:
            pass
        self.deferred.clear()
        self._next_seq = None  # events may have been written meanwhile (a failover): read the next number again
        try:
            self.conn = self._open_writer()
        except psycopg.OperationalError as exc:
            self.problem = unreachable()
            raise self.problem from exc
        self.problem = None
        log.warning("PostgreSQL writer connection re-established (%s)", safe_url(self.path))

    @property
    def local_file(self) -> str | None:
        return None

    # ------------------------------------------------------------------ integrity
    def check_writable(self) -> None:
        """StorageError while the database cannot be reached (a new writer connection is tried first)."""
        with self.lock:
            if self.problem is not None or self.conn.raw.closed or self.conn.raw.broken:
                self._reconnect()

    def _watch_file(self) -> None:
        self.check_writable()  # no file here: a look at the connection, every transaction (no system call)

    def note_failure(self, exc: BaseException) -> None:
        if isinstance(exc, psycopg.OperationalError) or self.conn.raw.broken or self.conn.raw.closed:
            self.problem = unreachable()  # the commit's fate is unknown: the service rebuilds from the database
            raise self.problem from exc
        if isinstance(exc, psycopg.errors.DiskFull):
            self.problem = StorageError("disk_full", "对不起，数据库服务器磁盘已满，操作未完成，请联系信息科。",
                                        "The database server's disk is full; nothing was changed. Please call IT "
                                        "support.", status=507)
            raise self.problem from exc

    def note_success(self) -> None:
        self.problem = None

    def synchronous_level(self) -> int:
        """2 (as SQLite's FULL) when commits wait for the disk, 0 when they do not."""
        with self.lock:
            setting = self.conn.execute("SHOW synchronous_commit").fetchone()[0]
        return DURABLE_SYNCHRONOUS if setting in _DURABLE_COMMIT else 0

    # ------------------------------------------------------------------ schema
    def _create_tables(self) -> None:
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(724)")  # two services creating the schema at once
            conn.executescript(SCHEMA)
            for table, column, kind in MIGRATIONS:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")

    def columns(self, table: str) -> list[str]:
        rows = self.conn.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                 "current_schema() AND table_name = ? ORDER BY ordinal_position", (table,)).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        self.read.close()
        with self.lock:
            self.conn.raw.close()

    # ------------------------------------------------------------------ transaction (Store.transaction's steps)
    driver_error = psycopg.Error

    def _begin(self, pipelined: bool = False) -> None:
        if self.before_write is not None:  # fencing: the leadership object may refuse here
            self.before_write(self.conn.raw)
        try:
            self._send_begin(pipelined)
        except psycopg.OperationalError:  # the server restarted since the last command: one new connection
            self._end_pipeline()          # (through on_connect: fencing holds), nothing was done yet
            self._reconnect()
            self._send_begin(pipelined)

    def _send_begin(self, pipelined: bool) -> None:
        """BEGIN; pipelined, it goes out without waiting for its answer (a connection the server closed is noticed
        on sending: its socket has the end of the stream to read)."""
        if pipelined:
            self._pipeline = ExitStack()
            self._pipeline.enter_context(self.conn.raw.pipeline())
        self.conn.execute("BEGIN")

    def _end_pipeline(self) -> None:
        """Leave pipeline mode whatever became of its statements (their transaction is rolled back)."""
        pipeline, self._pipeline = self._pipeline, None
        try:
            if pipeline is not None:
                pipeline.close()
        except psycopg.Error:
            pass

    def write_change(self, conn: Any, rows: ChangeRows) -> list[EventRow]:
        """As the SQLite store's, but the rows are held back (:class:`DeferredRows`) and written with the rest of
        the transaction's in one statement per table."""
        events = self._numbered_events(conn, rows.events) if rows.events else []
        self.deferred.add(rows, events)
        return events

    def _commit(self) -> None:
        """The held-back rows, then COMMIT. In a pipelined transaction both go out behind the rest and the one wait
        is here: it raises the first error of any of the transaction's statements (COMMIT's own included)."""
        if self.deferred:
            self.deferred.send(self.conn)
        self.conn.execute("COMMIT")
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()

    def _rollback(self) -> None:
        self.deferred.clear()
        self._next_seq = None
        self._end_pipeline()
        try:
            if not self.conn.raw.closed and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except psycopg.Error:
            pass

    # ------------------------------------------------------------------ retention
    def archives(self) -> list[Path]:
        return []  # archived rows stay in this database (audit() reads audit_archive)

    def archive_path(self, month: str) -> Path:
        raise NotImplementedError("PostgreSQL keeps archived rows in the *_archive tables")

    def _archive(self, table: str, pk: str, where: str, params: tuple, batch: int) -> int:
        moved = 0
        with self.transaction() as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {table}_archive (LIKE {table} INCLUDING ALL)")
        names = ", ".join(f'"{c}"' for c in self.columns(table))
        while True:
            with self.transaction() as conn:
                ids = [r[0] for r in conn.execute(f"SELECT {pk} FROM {table} WHERE {where} ORDER BY {pk} LIMIT ?",
                                                  params + (batch,)).fetchall()]
                if not ids:
                    return moved
                conn.execute(f"INSERT INTO {table}_archive ({names}) SELECT {names} FROM {table} "
                             f"WHERE {pk} BETWEEN ? AND ? AND {where} ON CONFLICT DO NOTHING",
                             (ids[0], ids[-1]) + params)
                conn.execute(f"DELETE FROM {table} WHERE {pk} BETWEEN ? AND ? AND {where}", (ids[0], ids[-1]) + params)
                moved += len(ids)
            if len(ids) < batch:
                return moved

    def audit(self, visit_id: str | None = None, limit: int = 500) -> list[dict]:
        rows = super().audit(visit_id, limit)
        if len(rows) >= limit or not self._has_table("audit_archive"):
            return rows
        where, params = ("WHERE visit_id = ?", (visit_id,)) if visit_id else ("", ())
        with self.read() as conn:
            older = conn.execute('SELECT ts, "user", device, action, visit_id, before, after, detail FROM '
                                 f"audit_archive {where} ORDER BY id DESC LIMIT ?",
                                 params + (limit - len(rows),)).fetchall()

        keys = ("ts", "user", "device", "action", "visit_id", "before", "after", "detail")
        return [dict(zip(keys, r[:7] + (json.loads(r[7] or "{}"),))) for r in older[::-1]] + rows


def open_store(path: Any = ":memory:", **kwargs: Any) -> Store:
    """The store a ``--db`` names: PostgreSQL for a ``postgresql://`` URL, else the SQLite file at that path."""
    return PostgresStore(path, **kwargs) if is_postgres_url(str(path)) else Store(path, **kwargs)
