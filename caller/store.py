"""Durable state of the caller service: one SQLite file (WAL) through sqlite-utils.

The store knows rows, not rules. The service hands it, per command, the rows that changed
(visits, rooms, counters) plus the events and audit entries of that command, and the store
writes them in ONE transaction; the events get their global, durable ``seq`` there.

Durability: WAL with ``synchronous=FULL``: every commit is fsynced before the command is acknowledged, so
an acknowledged command survives a power cut or kernel crash too (``bench/run throughput`` shows the cost
next to NORMAL; both are far above what a hospital needs).

Integrity: one service per database file (an exclusive lock on ``<db>.lock`` naming the holder); the
store notices its file deleted or replaced and a full disk, refuses writes with :class:`StorageError`
(503/507, a clear message) instead of acknowledging them, and reports it in :attr:`Store.problem`.

The public surface is the :class:`Store` class below (it is the only thing the service and API call);
``caller.pgstore.open_store("postgresql://...")`` gives the PostgreSQL store with the same methods, schema and promise
(caller/pgstore.py, docs/high-availability.md).
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson
import sqlite_utils

from caller.dbfile import DbFile, forget, look, what_changed
from caller.pgdb import PgConnection, connect
from common.clock import HospitalClock
from common.refusal import Refusal
from common.sqldialect import has_table, value_chunks

log = logging.getLogger("caller.store")

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)  # built once, not per call
# orjson writes the same text four times faster (rows, events and answers are a quarter of a command's writing).
# Dates and times are written by orjson itself, in ISO 8601 ("2026-11-23T09:00:00", as ``isoformat()``: what every
# reader parses, Python's fromisoformat and a browser's Date alike); dataclasses go to ``str`` as with the standard
# library, and keys that are not strings are written as the standard library writes them. Allowing such keys makes
# orjson 40 % slower on every document, and the documents written per command have none: it is the second try.
_ORJSON = orjson.OPT_PASSTHROUGH_DATACLASS
_ORJSON_ANY_KEYS = _ORJSON | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """Compact JSON with Chinese kept readable."""
    try:
        return orjson.dumps(value, default=str, option=_ORJSON).decode()
    except orjson.JSONEncodeError:
        pass
    try:  # a key that is not a string (a number, a date)
        return orjson.dumps(value, default=str, option=_ORJSON_ANY_KEYS).decode()
    except orjson.JSONEncodeError:  # what orjson refuses (integers past 64 bits, lone surrogates): as before
        return _ENCODER.encode(value)


@dataclass
class EventRow:
    """One published event as stored (seq assigned by the store)."""

    seq: int
    type: str
    area: str
    ts: str
    data: dict


@dataclass
class AuditRow:
    """Who did what to which visit, and when."""

    ts: str
    user: str
    device: str
    action: str
    visit_id: str | None = None
    before: str | None = None
    after: str | None = None
    detail: dict = field(default_factory=dict)


@dataclass
class ChangeRows:
    """Everything one command writes. ``visits`` rows are (id, day, area, state, data); ``rooms`` map id -> data."""

    visits: list[tuple[str, str, str, str, dict]] = field(default_factory=list)
    rooms: dict[str, dict] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    events: list[tuple[str, str, str, dict]] = field(default_factory=list)  # (type, area, ts, data)
    audit: list[AuditRow] = field(default_factory=list)


@dataclass
class LoadedState:
    visits: list[dict]
    rooms: list[dict]
    counters: dict[str, int]
    last_seq: int


# The schema, written once in SQLite's type names; caller/pgdb.py renders the same text for PostgreSQL.
SCHEMA = """
CREATE TABLE IF NOT EXISTS visits (id TEXT PRIMARY KEY, date TEXT, area TEXT, state TEXT, data TEXT);
CREATE TABLE IF NOT EXISTS rooms (id TEXT PRIMARY KEY, data TEXT);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, ts TEXT, type TEXT, area TEXT, data TEXT);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, ts TEXT, "user" TEXT, device TEXT, action TEXT,
                                  visit_id TEXT, before TEXT, after TEXT, detail TEXT);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, actor TEXT, status INTEGER, response TEXT, ts TEXT,
                                        body_hash TEXT);
CREATE TABLE IF NOT EXISTS device_health (device TEXT PRIMARY KEY, status TEXT, reason_zh TEXT, reason_en TEXT,
                                          detail TEXT, ts TEXT);
CREATE TABLE IF NOT EXISTS user_sessions (token TEXT PRIMARY KEY, username TEXT, device TEXT, ts TEXT);
CREATE TABLE IF NOT EXISTS help_calls (id TEXT PRIMARY KEY, device TEXT, state TEXT, created_at TEXT, data TEXT);
CREATE TABLE IF NOT EXISTS device_states (id INTEGER PRIMARY KEY, device TEXT, state TEXT, ts TEXT, detail TEXT);
CREATE TABLE IF NOT EXISTS guard_locks (kind TEXT, key TEXT, ts TEXT, detail TEXT, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS kiosk_sessions (token TEXT PRIMARY KEY, device TEXT, holder INTEGER, patients TEXT,
                                           cards TEXT, opened REAL, last_used REAL);
CREATE INDEX IF NOT EXISTS idx_visits_date_area ON visits (date, area);
CREATE INDEX IF NOT EXISTS idx_events_area_seq ON events (area, seq);
CREATE INDEX IF NOT EXISTS idx_audit_visit_id ON audit (visit_id);
CREATE INDEX IF NOT EXISTS idx_audit_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS idx_events_ts ON events (ts);
CREATE INDEX IF NOT EXISTS idx_idempotency_ts ON idempotency (ts);
CREATE INDEX IF NOT EXISTS idx_help_calls_created_at ON help_calls (created_at);
CREATE INDEX IF NOT EXISTS idx_help_calls_state ON help_calls (state);
CREATE INDEX IF NOT EXISTS idx_device_states_device ON device_states (device, id)
"""
# Columns added after a table first shipped: (table, column, type); added to older databases at start (both stores).
MIGRATIONS = [("idempotency", "body_hash", "TEXT")]
# guard_locks: a patient's second factor locked, or a kiosk suspended, until staff lift it (caller/patient_guard.py);
# kiosk_sessions.token is the SHA-256 of a kiosk's patient-session token (the raw token stays on the kiosk);
# user_sessions.token is the SHA-256 of the token; help_calls.data holds every step's time (created/acked/...);
# device_states is the history of device health: a row each time a device or part goes down (fault / offline) or up.


def upsert(table: str, columns: tuple[str, ...], key: tuple[str, ...]) -> str:
    """INSERT ... ON CONFLICT (key) DO UPDATE: SQLite's INSERT OR REPLACE in the SQL both databases speak. No key: a
    plain INSERT."""
    names = ", ".join(f'"{c}"' for c in columns)
    if not key:
        return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return (f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({', '.join(key)}) {action}")


_UPSERT_IDEMPOTENCY = upsert("idempotency", ("key", "actor", "status", "response", "ts", "body_hash"), ("key",))
_UPSERT_HEALTH = upsert("device_health", ("device", "status", "reason_zh", "reason_en", "detail", "ts"), ("device",))
_UPSERT_HELP = upsert("help_calls", ("id", "device", "state", "created_at", "data"), ("id",))
_UPSERT_LOCK = upsert("guard_locks", ("kind", "key", "ts", "detail"), ("kind", "key"))
_UPSERT_KIOSK_SESSION = upsert("kiosk_sessions", ("token", "device", "holder", "patients", "cards", "opened", "last_used"),
                               ("token",))
_UPSERT_SESSION = upsert("user_sessions", ("token", "username", "device", "ts"), ("token",))


# what write_change writes, in the order HeldRows.take gives it: table, columns, key (upserted on it; none: appended)
HELD_TABLES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("visits", ("id", "date", "area", "state", "data"), ("id",)),
    ("rooms", ("id", "data"), ("id",)),
    ("counters", ("key", "value"), ("key",)),
    ("audit", ("ts", "user", "device", "action", "visit_id", "before", "after", "detail"), ()),
    ("events", ("seq", "ts", "type", "area", "data"), ()),
)


class HeldRows:
    """The rows of a transaction's commands (:meth:`Store.write_change`), held back and written together just before
    COMMIT (or before any other statement of the writer, so that it sees them): a batch of commands then costs the
    database a statement per table, not five per command. A row written twice keeps its last version; audit rows and
    events keep their order. Each store writes them in its own way (:meth:`send`)."""

    def __init__(self) -> None:
        self.clear()

    def __bool__(self) -> bool:
        return bool(self.visits or self.rooms or self.counters or self.audit or self.events)

    def add(self, rows: ChangeRows, events: list[EventRow]) -> None:
        for row in rows.visits:
            self.visits.pop(row[0], None)  # a later version goes after the rows added since the first
            self.visits[row[0]] = row
        self.rooms.update(rows.rooms)
        self.counters.update(rows.counters)
        self.audit.extend((a.ts, a.user, a.device, a.action, a.visit_id, a.before, a.after, a.detail)
                          for a in rows.audit)
        self.events.extend((ev.seq, ev.ts, ev.type, ev.area, ev.data) for ev in events)

    def take(self) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple], list[tuple]]:
        """The rows held, one list per table of :data:`HELD_TABLES` (the documents of visits, rooms, audit details
        and events as values); nothing is held after."""
        held = (list(self.visits.values()), list(self.rooms.items()), list(self.counters.items()), self.audit,
                self.events)
        self.clear()
        return held

    def take_text(self) -> tuple[list[tuple], ...]:
        """:meth:`take` with the JSON columns written as text."""
        visits, rooms, counters, audit, events = self.take()
        return ([(vid, day, area, state, dumps(data)) for vid, day, area, state, data in visits],
                [(rid, dumps(data)) for rid, data in rooms], counters,
                [(*row[:7], dumps(row[7])) for row in audit],
                [(seq, ts, etype, area, dumps(data)) for seq, ts, etype, area, data in events])

    def clear(self) -> None:
        self.visits: dict[str, tuple] = {}
        self.rooms: dict[str, dict] = {}
        self.counters: dict[str, int] = {}
        self.audit: list[tuple] = []
        self.events: list[tuple] = []

    def send(self, conn: Any) -> None:
        raise NotImplementedError


WRITER_STATEMENTS = 512  # prepared statements the writing connection keeps: a multi-row INSERT per table and row count
_HELD_SQLITE = tuple(upsert(table, columns, key) for table, columns, key in HELD_TABLES)


class SqliteHeldRows(HeldRows):
    def send(self, conn: sqlite3.Connection) -> None:
        """Write what is held on `conn` (inside its transaction): one statement per table that has rows (all its
        rows in one VALUES list, as :meth:`WriterConnection.insert_rows`)."""
        for sql, rows in zip(_HELD_SQLITE, self.take_text()):
            if rows:
                _insert_values(conn, sql, rows)


def _insert_values(conn: sqlite3.Connection, sql: str, rows: list[tuple]) -> None:
    for statement, values in value_chunks(sql, rows):
        sqlite3.Connection.execute(conn, statement, values)


class WriterConnection(sqlite3.Connection):
    """The store's writing connection: rows held back (:class:`HeldRows`) are written before any other statement."""

    held: HeldRows | None = None

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        if self.held:
            self.held.send(self)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        if self.held:
            self.held.send(self)
        return super().executemany(sql, parameters)

    def executescript(self, script: str, /) -> sqlite3.Cursor:  # type: ignore[override]
        if self.held:
            self.held.send(self)
        return super().executescript(script)

    def insert_rows(self, sql: str, rows: list[tuple]) -> None:
        """``INSERT ... VALUES`` of rows with different keys as one statement (a VALUES list per chunk), not one
        step per row as ``executemany``: SQLite lets go of the interpreter at every step, and under load the event
        loop's thread takes it each time, so the writer waits for it again once per row (up to the interpreter's
        5 ms switch interval each), not once per table."""
        if self.held:
            self.held.send(self)
        _insert_values(self, sql, rows)


def is_postgres_url(path: Any) -> bool:
    return isinstance(path, str) and path.startswith(("postgresql://", "postgres://"))


def plain_connection(where: str | Path) -> Any:
    """One connection to either store's database, outside any service (command-line tools): a sqlite3 connection
    (autocommit) or the PostgreSQL one with the same calling shape. Close it after use."""
    if is_postgres_url(str(where)):
        return PgConnection(connect(str(where), application_name="hospital-caller-tool"))
    return sqlite3.connect(str(where), isolation_level=None, timeout=30)


class ReadConnections:
    """One read-only SQLite connection per thread, for reads that are not part of a command.

    In WAL mode a reader sees the last committed state and never waits for, nor blocks, the writer: a
    report view or an audit query never holds the lock the queue commands need. An in-memory database
    cannot be opened twice, so there the reads use the one connection under its lock.
    """

    def __init__(self, path: str, conn: sqlite3.Connection, lock: threading.RLock):
        self.path = path
        self.conn = conn
        self.lock = lock
        self.shared = path in ("", ":memory:")
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self.trace: Any = None  # a sqlite3 trace callback for every reader (query-plan checks)

    @contextmanager
    def __call__(self) -> Iterator[sqlite3.Connection]:
        """A connection to read from: this thread's reader, or the writer when this thread is writing."""
        if self.shared or self.lock._is_owned():  # inside a command: read its own uncommitted rows
            with self.lock:
                yield self.conn
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False,
                                   isolation_level=None)
            conn.execute("PRAGMA busy_timeout=5000")
            conn.set_trace_callback(self.trace)
            self._local.conn = conn
            with self._guard:
                self._opened.append(conn)
        yield conn

    def set_trace(self, callback: Any) -> None:
        """Trace every statement of every reader (and of readers opened later) with `callback(sql)`."""
        self.trace = callback
        with self._guard:
            for conn in self._opened:
                conn.set_trace_callback(callback)

    def close(self) -> None:
        with self._guard:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self._local = threading.local()


class _Pending:
    __slots__ = ("sql", "params", "done", "error")

    def __init__(self, sql: str, params: tuple):
        self.sql, self.params = sql, params
        self.done = False
        self.error: BaseException | None = None


class GroupCommit:
    """Rows that belong to no command (the audit trail of a read, such as a card identified at a kiosk), written
    durably, many in one short transaction.

    `write(sql, params)` returns once its row is committed (or raises what the commit raised), so nothing is lost.
    The first waiting thread commits every row queued so far in one transaction; the others wait for it and do
    not queue up for the write lock one by one. While four kiosks read cards, a queue command then waits for at
    most one such transaction instead of one per card read. A thread already inside a transaction writes its row
    there (it commits or rolls back with that command).
    """

    def __init__(self, transaction: Callable[[], Any], lock: Any):
        self._transaction = transaction
        self._lock = lock
        self._cond = threading.Condition(threading.Lock())
        self._queued: list[_Pending] = []
        self._leading = False

    def write(self, sql: str, params: tuple) -> None:
        if self._lock._is_owned():
            with self._transaction() as conn:
                conn.execute(sql, params)
            return
        mine = _Pending(sql, params)
        with self._cond:
            self._queued.append(mine)
            while not mine.done and self._leading:
                self._cond.wait()
            if mine.done:
                if mine.error is not None:
                    raise mine.error
                return
            self._leading = True
            batch, self._queued = self._queued, []
        error: BaseException | None = None
        try:
            with self._transaction() as conn:
                for row in batch:
                    conn.execute(row.sql, row.params)
        except BaseException as exc:  # every row of the batch gets the error: none of them is committed
            error = exc
        with self._cond:
            for row in batch:
                row.done, row.error = True, error
            self._leading = False
            self._cond.notify_all()
        if error is not None:
            raise error


CHECKPOINT_SETTLE_S = 2.0  # how long a changed file may wait for the checkpoint that explains it (caller/dbfile.py)
CHECKPOINT_EVERY = 500  # commits between the store's own WAL checkpoints (SQLite's automatic ones are off)
DURABLE_SYNCHRONOUS = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA; the store never runs below FULL


FILE_CHECK_S = 1.0  # how often a transaction looks whether the database file is still the one opened


class StorageError(Refusal):
    """Writes are refused: the database file is gone or replaced (503), or the disk is full (507)."""

    status = 503


def storage_unavailable(what_en: str) -> StorageError:
    return StorageError("storage_unavailable",
                        "对不起，叫号服务的数据文件不可用，操作未完成。请联系信息科，谢谢。",
                        f"The database file was {what_en}; nothing is acknowledged until the service is restarted "
                        "on the right file. Please call IT support.")


def disk_full() -> StorageError:
    return StorageError("disk_full", "对不起，服务器磁盘已满，操作未完成，请稍候再试或联系信息科。",
                        "The server's disk is full; nothing was changed. Free some space (it recovers by itself) "
                        "or call IT support.", status=507)


class StoreLocked(RuntimeError):
    """Another process serves this database file."""


def _is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and (
        getattr(exc, "sqlite_errorcode", None) == getattr(sqlite3, "SQLITE_FULL", 13)
        or "full" in str(exc).lower())


def _take_lock(path: str):
    """Hold ``<db>.lock`` exclusively for this process's life, or raise StoreLocked naming the holder."""
    lock_path = path + ".lock"
    handle = open(lock_path, "a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StoreLocked(f"数据库 {path} 正由另一个进程使用（{holder}），本服务不能同时启动。"
                          f" / The database {path} is in use by {holder}; a second service may not run on it.") from None
    handle.seek(0)
    handle.truncate()

    handle.write(f"pid {os.getpid()}: {' '.join(sys.argv)[:200]}")
    handle.flush()
    return handle


class Store:
    """SQLite store. Thread-safe: one writing connection guarded by a re-entrant lock, plus per-thread readers.

    ``caller.pgstore.open_store(path_or_url)`` gives this store or the PostgreSQL one (same methods).
    """

    dialect = "sqlite"
    _file: DbFile | None = None  # the database file as this store last wrote it (None: in memory, or a server)
    _commits = 0                 # commits since the store's last checkpoint
    begin_ns = 0                 # time spent in BEGIN and in COMMIT (its fsync; in a pipelined transaction on
                                 # PostgreSQL also the server's work on what was still in flight), in all (/metrics)
    commit_ns = 0

    def __init__(self, path: str | Path, synchronous: str = "FULL"):
        self.path = str(path)
        self.clock: Callable[[], datetime] = HospitalClock()  # the service sets its own (the hospital's zone)
        self.problem: StorageError | None = None  # why writes are refused right now (None: they are not)
        self._lock_file = None
        self._next_file_check = 0.0
        self._next_seq: int | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._lock_file = _take_lock(self.path)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, factory=WriterConnection,
                               cached_statements=WRITER_STATEMENTS)
        self.held = conn.held = SqliteHeldRows()
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        self.lock = threading.RLock()
        self._depth = 0
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA busy_timeout=5000")
        if self.path != ":memory:":
            # the main file is written only by checkpoints, and only the store's own (verify_file): so any other
            # change of the file is someone else's (caller/dbfile.py)
            conn.execute("PRAGMA wal_autocheckpoint=0")
        self._create_tables()
        self.read = ReadConnections(self.path, conn, self.lock)
        if self.path != ":memory:":
            self._checkpoint()

    # ------------------------------------------------------------------ integrity
    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the main file, then record the file as the store wrote it."""
        with self.lock:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._commits = 0
            self._file = look(self.path)

    def verify_file(self) -> None:
        """Notice a database file deleted, replaced or overwritten in place since the store last wrote it (then
        :attr:`problem` says so for good: writes are refused until a restart), and run the store's checkpoint
        when enough commits wait in the log. Cheap (one stat and a 100-byte read); call it from a timer, after a
        failed write, or before a write."""
        if self._file is None:
            return
        with self.lock:
            if self.problem is not None and self.problem.code == "storage_unavailable":
                return
            now = look(self.path)
            why = what_changed(self._file, now)
            settle = time.monotonic() + CHECKPOINT_SETTLE_S
            while why is not None and now is not None and time.monotonic() < settle:
                # another connection's checkpoint in progress says so only when it ends: give it that long
                time.sleep(0.02)
                now = look(self.path)
                why = what_changed(self._file, now)
            if why is not None:
                self.problem = storage_unavailable(why)
            elif self._commits >= CHECKPOINT_EVERY and not self._depth:
                self._checkpoint()
            elif now != self._file:  # another SQLite connection checkpointed: the file as it is now is ours
                self._file = now

    def _overwritten(self) -> bool:
        return (self._file is not None and self.problem is not None and self.problem.code == "storage_unavailable"
                and "overwritten" in self.problem.message_en)

    def _guard_overwritten_file(self) -> sqlite3.Connection | None:
        """A file overwritten in place (a restore) must not get this store's log written over it at close: SQLite
        checkpoints when the last connection closes, so a read-only connection stays open until after the writer
        closed (a read-only connection never checkpoints)."""
        if not self._overwritten():
            return None
        try:
            guard = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
            guard.execute("PRAGMA schema_version").fetchone()
            return guard
        except sqlite3.Error as exc:
            log.error("the overwritten database %s could not be guarded at close: %s", self.path, exc)
            return None

    def _set_aside_log(self) -> None:
        """Keep the log of the file that was overwritten beside it under another name, so that the next start
        does not apply it to the restored file."""
        stamp = self.clock().strftime("%Y%m%d-%H%M%S")
        for suffix in ("-wal", "-shm"):
            old = Path(self.path + suffix)
            if old.exists():
                new = Path(f"{self.path}{suffix}.not-applied-{stamp}")
                os.replace(old, new)
                log.error("the database %s was overwritten while the service ran; its log is kept as %s, "
                          "not applied", self.path, new)

    def check_writable(self) -> None:
        """StorageError when the file is gone, replaced or overwritten (for good) or the disk was full at the last
        write."""
        self.verify_file()
        if self.problem is not None and self.problem.code == "storage_unavailable":
            raise self.problem

    def _watch_file(self) -> None:
        """Before a transaction: refuse while the file is known to be gone; look at the file again (the
        :meth:`check_writable` check) at most every ``FILE_CHECK_S`` seconds, not on every transaction.
        A failed write looks at once (:meth:`note_failure`), and so does /healthz."""
        problem = self.problem
        if problem is not None and problem.code == "storage_unavailable":
            raise problem
        now = time.monotonic()
        if now >= self._next_file_check:
            self._next_file_check = now + FILE_CHECK_S
            self.check_writable()

    def note_failure(self, exc: BaseException) -> None:
        """A write failed: remember a full disk (health says so); raise it as a StorageError."""
        if self._file is not None:
            try:
                self.check_writable()  # the file may be the reason
            except StorageError as gone:
                raise gone from exc
        if _is_disk_full(exc):
            self.problem = disk_full()
            raise self.problem from exc

    def note_success(self) -> None:
        if self.problem is not None and self.problem.code == "disk_full":
            self.problem = None  # space came back: the service recovered by itself

    @property
    def local_file(self) -> str | None:
        """The database file on this machine (None: in memory, or a database server)."""
        return None if self.path == ":memory:" else self.path

    def synchronous_level(self) -> int:
        with self.lock:
            return int(self.conn.execute("PRAGMA synchronous").fetchone()[0])

    # ------------------------------------------------------------------ schema
    def _create_tables(self) -> None:
        self.conn.executescript(SCHEMA)
        for table, column, kind in MIGRATIONS:  # databases of earlier versions
            if column not in self.columns(table):
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def close(self) -> None:
        self.read.close()
        with self.lock:
            guard = self._guard_overwritten_file()
            self.conn.close()
            if guard is not None:
                guard.close()
                self._set_aside_log()
            if self._file is not None:
                forget(self.path)
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None

    # ------------------------------------------------------------- transaction
    @contextmanager
    def transaction(self, pipelined: bool = False) -> Iterator[sqlite3.Connection]:
        """``BEGIN`` ... ``COMMIT`` (rollback on error). Nested calls join the outer one. The store acknowledges
        nothing that did not commit: every failure is rolled back and noted (see :meth:`note_failure`).

        ``pipelined``: where the database is a server (PostgreSQL's pipeline mode) the statements, COMMIT included,
        go out without waiting for each answer; the client waits only where it reads a result, and at COMMIT. An
        error then surfaces at the next wait, which may be a later statement's: the transaction is rolled back as a
        whole. SQLite runs in this process: there is nothing to wait for."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            self._watch_file()
            t0 = time.perf_counter_ns()
            try:
                self._begin(pipelined)
            except self.driver_error as exc:
                self.note_failure(exc)
                raise
            self._depth = 1
            self.begin_ns += time.perf_counter_ns() - t0
            try:
                yield self.conn
            except BaseException as exc:
                self._depth = 0
                self._rollback()
                self.note_failure(exc)
                raise
            else:
                self._depth = 0
                t0 = time.perf_counter_ns()
                try:
                    self._commit()
                except self.driver_error as exc:
                    self._rollback()
                    self.note_failure(exc)
                    raise
                finally:
                    self.commit_ns += time.perf_counter_ns() - t0
                self._commits += 1
                self.note_success()

    driver_error: type[Exception] = sqlite3.Error

    def _begin(self, pipelined: bool = False) -> None:
        self.conn.execute("BEGIN IMMEDIATE")  # the write lock at once: a check-then-change is atomic

    def _commit(self) -> None:
        self.conn.execute("COMMIT")  # what is held goes first (WriterConnection)

    def _rollback(self) -> None:
        self.held.clear()
        self._next_seq = None  # numbers handed out in the transaction were not kept: read the next one again
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    # --------------------------------------------------------------- commands
    def write_change(self, conn: sqlite3.Connection, rows: ChangeRows) -> list[EventRow]:
        """One command's rows, inside an open transaction; its events with their seq. The rows are held back and
        written with the rest of the transaction's (:class:`HeldRows`): before its COMMIT, or before any other
        statement of the writer."""
        events = self._numbered_events(conn, rows.events) if rows.events else []
        self.held.add(rows, events)
        if not self._depth:  # outside a transaction (each statement its own): now
            self.held.send(self.conn)
        return events

    def _numbered_events(self, conn: Any, events: list[tuple[str, str, str, dict]]) -> list[EventRow]:
        """The events with their numbers, given here and not by the database, so that nothing waits for the
        database to answer an INSERT (PostgreSQL's pipeline mode sends a whole batch without waiting). The store
        is the only writer: the next number is read once, then kept in memory until a transaction fails."""
        if self._next_seq is None:
            self._next_seq = int(conn.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0) + 1
        first = self._next_seq
        self._next_seq += len(events)
        return [EventRow(first + i, etype, area, ts, data) for i, (etype, area, ts, data) in enumerate(events)]

    def load(self, since_day: str = "") -> LoadedState:
        """Everything the engine needs to rebuild itself after a restart (visits of ``since_day`` on)."""
        with self.lock, self.read() as conn:  # under the lock: the writer's view (a database out of reach: 503)
            visits = [json.loads(r[0]) for r in
                      conn.execute("SELECT data FROM visits WHERE date >= ?", (since_day,)).fetchall()]
            rooms = [json.loads(r[0]) for r in conn.execute("SELECT data FROM rooms").fetchall()]
            counters = dict(conn.execute("SELECT key, value FROM counters").fetchall())
            return LoadedState(visits, rooms, counters, self.last_seq())

    def last_seq(self) -> int:
        with self.lock, self.read() as conn:
            row = conn.execute("SELECT MAX(seq) FROM events").fetchone()
            return int(row[0] or 0)

    def events_since(self, area: str, since: int, limit: int = 10_000) -> list[EventRow]:
        with self.read() as conn:
            rows = conn.execute(
                "SELECT seq, type, area, ts, data FROM events WHERE area = ? AND seq > ? ORDER BY seq LIMIT ?",
                (area, since, limit),
            ).fetchall()
        return [EventRow(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    # ------------------------------------------------------------------ audit
    def audit(self, visit_id: str | None = None, limit: int = 500) -> list[dict]:
        """The newest `limit` entries (of one visit, or of all), oldest first; archived months are read too."""
        if visit_id:
            sql = ('SELECT id, ts, "user", device, action, visit_id, before, after, detail FROM audit '
                   "WHERE visit_id = ? ORDER BY id DESC LIMIT ?")
            params: tuple = (visit_id, limit)
        else:  # ids are dense (rows are only ever appended), so the newest N are the last N ids
            sql = ('SELECT id, ts, "user", device, action, visit_id, before, after, detail FROM audit '
                   "WHERE id > (SELECT MAX(id) FROM audit) - ? ORDER BY id DESC")
            params = (limit,)
        with self.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        for archive in self.archives():  # newest month first
            if len(rows) >= limit:
                break
            if not visit_id:
                params = (limit - len(rows), )
                sql_a = ('SELECT id, ts, "user", device, action, visit_id, before, after, detail FROM audit '
                         "ORDER BY id DESC LIMIT ?")
            else:
                params = (visit_id, limit - len(rows))
                sql_a = sql
            with archive_connection(archive) as conn:
                rows.extend(conn.execute(sql_a, params).fetchall())
        rows = rows[:limit][::-1]
        keys = ("ts", "user", "device", "action", "visit_id", "before", "after", "detail")
        return [dict(zip(keys, r[1:8] + (json.loads(r[8] or "{}"),))) for r in rows]

    def visit_area(self, visit_id: str) -> str | None:
        """The area of any stored visit, however old (None when there is no such visit)."""
        with self.read() as conn:
            row = conn.execute("SELECT area FROM visits WHERE id = ?", (visit_id,)).fetchone()
        return row[0] if row else None

    # -------------------------------------------------------------- retention
    def archives(self) -> list[Path]:
        """The monthly archive files next to the database, newest first."""
        if self.read.shared:
            return []
        base = Path(self.path)
        return sorted(base.parent.glob(f"{base.name}.archive-*.sqlite"), reverse=True)

    def archive_path(self, month: str) -> Path:
        return Path(f"{self.path}.archive-{month}.sqlite")

    def prune(self, now: datetime, retention: Any, *, replay_limit: int = 1000, batch: int = 2000) -> dict[str, int]:
        """Expire idempotency answers; move old events and audit rows into monthly archive files.

        Works in batches of `batch` rows, each its own short transaction, so commands never wait long.
        Returns how many rows of each kind were removed from the live database.
        """
        done = {"idempotency": 0, "events": 0, "audit": 0}
        cutoff = (now - timedelta(hours=retention.idempotency_hours)).isoformat(timespec="seconds")
        while True:
            with self.transaction() as conn:
                n = conn.execute("DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE ts < ? "
                                 "LIMIT ?)", (cutoff, batch)).rowcount
                n += conn.execute("DELETE FROM rec_idempotency WHERE key IN (SELECT key FROM rec_idempotency "
                                  "WHERE created_at < ? LIMIT ?)", (cutoff, batch)).rowcount \
                    if self._has_table("rec_idempotency") else 0
            done["idempotency"] += n
            if n < batch:
                break
        if self.read.shared:
            return done
        keep_seq = self.last_seq() - replay_limit
        event_cut = (now - timedelta(days=retention.event_days)).isoformat(timespec="seconds")
        audit_cut = (now - timedelta(days=retention.audit_days)).isoformat(timespec="seconds")
        done["events"] = self._archive("events", "seq", "ts < ? AND seq <= ?", (event_cut, keep_seq), batch)
        done["audit"] = self._archive("audit", "id", "ts < ? AND id < ?", (audit_cut, self._max_audit_id()), batch)
        return done

    def _max_audit_id(self) -> int:
        """The newest audit row always stays, so ids keep counting up from it."""
        return int(self.conn.execute("SELECT MAX(id) FROM audit").fetchone()[0] or 0)

    def _has_table(self, name: str) -> bool:
        return has_table(self.conn, name)

    def _archive(self, table: str, pk: str, where: str, params: tuple, batch: int) -> int:
        moved = 0
        columns = self.columns(table)
        names = ", ".join(columns)
        while True:
            with self.transaction() as conn:
                rows = conn.execute(f"SELECT {names} FROM {table} WHERE {where} ORDER BY {pk} LIMIT ?",
                                    params + (batch,)).fetchall()
                if not rows:
                    return moved
                ts_at = columns.index("ts")
                by_month: dict[str, list[tuple]] = {}
                for row in rows:
                    by_month.setdefault(str(row[ts_at])[:7], []).append(row)
                for month, month_rows in by_month.items():
                    with archive_connection(self.archive_path(month), create=True) as archive:
                        archive.execute("BEGIN")
                        archive.executemany(
                            f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})",
                            month_rows)
                        archive.execute("COMMIT")
                conn.execute(f"DELETE FROM {table} WHERE {pk} BETWEEN ? AND ? AND {where}",
                             (rows[0][columns.index(pk)], rows[-1][columns.index(pk)]) + params)
                moved += len(rows)
            if len(rows) < batch:
                return moved

    # ------------------------------------------------------------ idempotency
    def idempotent_response(self, key: str) -> tuple[str, int, dict, str] | None:
        """(actor, status, response, body hash) stored for this key, or None."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT actor, status, response, body_hash FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
        return (row[0], int(row[1]), json.loads(row[2]), row[3] or "") if row else None

    def save_idempotent(self, conn: sqlite3.Connection, key: str, actor: str, status: int, response: dict,
                        ts: datetime | None = None, body_hash: str = "") -> None:
        conn.execute(
            _UPSERT_IDEMPOTENCY,
            (key, actor, status, dumps(response), (ts or self.clock()).isoformat(timespec="seconds"), body_hash),
        )

    # ---------------------------------------------------------- device health
    def record_health(self, device: str, status: str, reason_zh: str, reason_en: str, detail: dict, ts: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                _UPSERT_HEALTH,
                (device, status, reason_zh, reason_en, dumps(detail), ts),
            )

    def device_health(self) -> list[dict]:
        with self.read() as conn:
            rows = conn.execute(
                "SELECT device, status, reason_zh, reason_en, detail, ts FROM device_health ORDER BY device"
            ).fetchall()
        return [
            {"device": r[0], "status": r[1], "reason_zh": r[2], "reason_en": r[3],
             "detail": json.loads(r[4] or "{}"), "ts": r[5]}
            for r in rows
        ]

    def log_device_state(self, conn: sqlite3.Connection, device: str, state: str, ts: str,
                         detail: dict | None = None) -> None:
        """A device or part went down (fault / offline) or came back up ("ok"), inside an open transaction."""
        conn.execute("INSERT INTO device_states(device, state, ts, detail) VALUES (?,?,?,?)",
                     (device, state, ts, dumps(detail or {})))

    def last_device_states(self) -> dict[str, tuple[str, str]]:
        """(state, since) of every device or part in the history: its latest change."""
        with self.read() as conn:
            rows = conn.execute("SELECT device, state, ts FROM device_states WHERE id IN "
                                "(SELECT MAX(id) FROM device_states GROUP BY device)").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    # ------------------------------------------------------------- help calls
    def save_help(self, conn: sqlite3.Connection, row: dict) -> None:
        conn.execute(_UPSERT_HELP,
                     (row["id"], row["device"], row["state"], row["created_at"], dumps(row)))

    def help_calls(self, *, open_only: bool = False, since: str = "") -> list[dict]:
        """Help calls (oldest first): the open ones, or every one created at/after ``since``."""
        sql = "SELECT data FROM help_calls WHERE created_at >= ?" + (" AND state != 'closed'" if open_only else "")
        with self.lock, self.read() as conn:
            rows = conn.execute(sql + " ORDER BY created_at, id", (since,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    # ------------------------------------------------------------ user tokens
    def save_session(self, token: str, username: str, device: str, ts: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                _UPSERT_SESSION,
                (token, username, device, ts),
            )

    def delete_session(self, token: str) -> bool:
        with self.transaction() as conn:
            return conn.execute("DELETE FROM user_sessions WHERE token = ?", (token,)).rowcount > 0

    # ------------------------------------------------------------ guard locks and kiosk patient sessions
    def guard_locks(self) -> list[tuple[str, str, str, dict]]:
        """(kind, key, since, detail) of every lock staff have not lifted yet."""
        with self.read() as conn:
            rows = conn.execute("SELECT kind, key, ts, detail FROM guard_locks ORDER BY ts").fetchall()
        return [(r[0], r[1], r[2], json.loads(r[3] or "{}")) for r in rows]

    def save_guard_lock(self, conn: Any, kind: str, key: str, ts: str, detail: dict) -> None:
        conn.execute(_UPSERT_LOCK, (kind, key, ts, dumps(detail)))

    def delete_guard_lock(self, conn: Any, kind: str, key: str) -> bool:
        return conn.execute("DELETE FROM guard_locks WHERE kind = ? AND key = ?", (kind, key)).rowcount > 0

    def save_kiosk_session(self, token: str, device: str, holder: int | None, patients: list[int], cards: list[str],
                           opened: float, last_used: float) -> None:
        with self.transaction() as conn:
            conn.execute(_UPSERT_KIOSK_SESSION, (token, device, holder, dumps(sorted(patients)), dumps(sorted(cards)),
                                                 opened, last_used))

    def kiosk_session(self, token: str) -> tuple[str, int | None, list[int], list[str], float, float] | None:
        """(device, holder, patients, cards, opened, last used) of a kiosk patient session (token: its digest)."""
        with self.read() as conn:
            row = conn.execute("SELECT device, holder, patients, cards, opened, last_used FROM kiosk_sessions "
                               "WHERE token = ?", (token,)).fetchone()
        if row is None:
            return None
        return (row[0], row[1], json.loads(row[2]), json.loads(row[3]), float(row[4]), float(row[5]))

    def delete_kiosk_sessions(self, tokens: list[str], older_than: float | None = None) -> None:
        """End these sessions, and (``older_than``, wall-clock seconds) every session last used before then."""
        with self.transaction() as conn:
            if tokens:
                conn.executemany("DELETE FROM kiosk_sessions WHERE token = ?", [(t,) for t in tokens])
            if older_than is not None:
                conn.execute("DELETE FROM kiosk_sessions WHERE last_used < ?", (older_than,))

    def session(self, token: str) -> tuple[str, str] | None:
        """(username, device) of a logged-in console user token."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT username, device FROM user_sessions WHERE token = ?", (token,)
            ).fetchone()
        return (row[0], row[1]) if row else None


_ARCHIVE_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, ts TEXT, type TEXT, area TEXT, data TEXT);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, ts TEXT, user TEXT, device TEXT, action TEXT,
                                  visit_id TEXT, before TEXT, after TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS audit_visit_id ON audit (visit_id);
CREATE INDEX IF NOT EXISTS events_area_seq ON events (area, seq);
"""


@contextmanager
def archive_connection(path: Path, create: bool = False) -> Iterator[sqlite3.Connection]:
    """A monthly archive file (events and audit rows moved out of the live database), opened for one use."""
    if create:
        conn = sqlite3.connect(str(path), isolation_level=None)
        conn.executescript(_ARCHIVE_SCHEMA)
    else:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()
