"""The records tables in the hospital database (shared with the caller service), and a write transaction.

All writes go through `RecordsDB.transaction()`: on the caller store's one writing connection (SQLite: BEGIN
IMMEDIATE; PostgreSQL: the store's writer, caller/pgstore.py) guarded by its lock, so a check-then-change (like
taking the last seat of a slot) is atomic against other threads, and records and queue rows commit together. The
SQL is written once, in what both databases run (caller/pgdb.py translates placeholders and types).
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from caller.pgstore import open_store
from caller.store import GroupCommit, ReadConnections, is_postgres_url
from cockpit.rollups import SCHEMA as ROLLUP_SCHEMA
from records.audit import AUDIT_TABLE
from records.cardcode import new_card_code

SCHEMA = """
CREATE TABLE IF NOT EXISTS rec_patients (
    id INTEGER PRIMARY KEY,
    id_number TEXT UNIQUE,
    id_kind TEXT,
    name TEXT NOT NULL,
    gender TEXT,
    ethnicity TEXT,
    birth_date TEXT,
    address TEXT,
    authority TEXT,
    valid_from TEXT,
    valid_to TEXT,
    phone TEXT,
    photo BLOB,
    medical_card_no TEXT UNIQUE,
    source TEXT NOT NULL,
    proxies TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    card_code TEXT
);
CREATE TABLE IF NOT EXISTS rec_sessions (
    id INTEGER PRIMARY KEY,
    date TEXT NOT NULL,
    session TEXT NOT NULL,
    doctor_id TEXT NOT NULL,
    department_id TEXT NOT NULL,
    room_id TEXT,
    kind TEXT NOT NULL,
    fee_fen INTEGER NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    stop_notice TEXT,
    UNIQUE (date, session, doctor_id)
);
CREATE INDEX IF NOT EXISTS rec_sessions_day ON rec_sessions (date, department_id);
CREATE TABLE IF NOT EXISTS rec_slots (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES rec_sessions(id),
    date TEXT NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    quota INTEGER NOT NULL,
    taken INTEGER NOT NULL DEFAULT 0,
    CHECK (taken >= 0)
);
CREATE INDEX IF NOT EXISTS rec_slots_session ON rec_slots (session_id);
CREATE TABLE IF NOT EXISTS rec_registrations (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES rec_patients(id),
    slot_id INTEGER NOT NULL REFERENCES rec_slots(id),
    session_id INTEGER NOT NULL,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    fee_fen INTEGER NOT NULL,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    hold_expires_at TEXT,
    bill_id INTEGER,
    visit_id TEXT,
    ticket TEXT,
    checked_in_at TEXT,
    proxy_name TEXT,
    created_at TEXT NOT NULL,
    final_at TEXT,
    cancelled_at TEXT
);
CREATE INDEX IF NOT EXISTS rec_registrations_patient ON rec_registrations (patient_id, date);
CREATE INDEX IF NOT EXISTS rec_registrations_holds ON rec_registrations (state, hold_expires_at);
CREATE INDEX IF NOT EXISTS rec_registrations_session ON rec_registrations (session_id, state, kind);
CREATE TABLE IF NOT EXISTS rec_bills (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES rec_patients(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    total_fen INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'unpaid',
    registration_id INTEGER,
    order_id INTEGER,
    created_at TEXT NOT NULL,
    paid_at TEXT,
    step_id TEXT
);
CREATE INDEX IF NOT EXISTS rec_bills_patient ON rec_bills (patient_id, state);
CREATE INDEX IF NOT EXISTS rec_bills_state ON rec_bills (state, order_id);
CREATE TABLE IF NOT EXISTS rec_bill_items (
    id INTEGER PRIMARY KEY,
    bill_id INTEGER NOT NULL REFERENCES rec_bills(id),
    name TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit TEXT,
    unit_fen INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rec_bill_items_bill ON rec_bill_items (bill_id);
CREATE TABLE IF NOT EXISTS rec_prices (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    unit TEXT NOT NULL,
    unit_fen INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rec_orders (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL,
    bill_ids TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    method TEXT NOT NULL,
    state TEXT NOT NULL,
    provider_ref TEXT,
    outcome TEXT,
    created_at TEXT NOT NULL,
    paid_at TEXT,
    abandoned_at TEXT,
    refunded_at TEXT,
    refunded_fen INTEGER NOT NULL DEFAULT 0,
    payload TEXT,
    provider_key TEXT NOT NULL UNIQUE,
    provider_order_id TEXT UNIQUE,
    device TEXT
);
CREATE INDEX IF NOT EXISTS rec_orders_day ON rec_orders (created_at);
CREATE INDEX IF NOT EXISTS rec_orders_state_day ON rec_orders (state, created_at);
CREATE TABLE IF NOT EXISTS rec_reports (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES rec_patients(id),
    title TEXT NOT NULL,
    department_id TEXT,
    specimen TEXT,
    sampled_at TEXT NOT NULL,
    ready_at TEXT NOT NULL,
    verified_by_1 TEXT,
    verified_by_2 TEXT,
    released_at TEXT,
    print_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS rec_reports_patient ON rec_reports (patient_id);
CREATE TABLE IF NOT EXISTS rec_report_items (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES rec_reports(id),
    seq INTEGER NOT NULL,
    code TEXT,
    name TEXT NOT NULL,
    result TEXT NOT NULL,
    unit TEXT,
    ref_low REAL,
    ref_high REAL,
    ref_text TEXT,
    flag TEXT
);
CREATE INDEX IF NOT EXISTS rec_report_items_report ON rec_report_items (report_id, seq);
CREATE TABLE IF NOT EXISTS rec_report_prints (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES rec_reports(id),
    printed_at TEXT NOT NULL,
    device TEXT
);
CREATE INDEX IF NOT EXISTS rec_report_prints_report ON rec_report_prints (report_id);
CREATE TABLE IF NOT EXISTS rec_ratings (
    id INTEGER PRIMARY KEY,
    stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    tags TEXT NOT NULL,
    transaction_kind TEXT NOT NULL,
    transaction_id TEXT,
    comment TEXT,
    device TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rec_ratings_day ON rec_ratings (created_at);
CREATE TABLE IF NOT EXISTS rec_idempotency (
    key TEXT PRIMARY KEY,
    operation TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rec_idempotency_day ON rec_idempotency (created_at);
-- family members who may act for a patient (家属代办); looked up by the proxy's ID number at every card read
CREATE TABLE IF NOT EXISTS rec_proxies (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES rec_patients(id),
    id_number TEXT,
    name TEXT NOT NULL,
    relation TEXT NOT NULL,
    phone TEXT,
    kiosk TEXT,
    day TEXT
);
CREATE INDEX IF NOT EXISTS rec_proxies_id_number ON rec_proxies (id_number);
CREATE INDEX IF NOT EXISTS rec_proxies_patient ON rec_proxies (patient_id);
-- 补打: each reprint of a registration's slip at a kiosk (counted against the hospital's limit)
CREATE TABLE IF NOT EXISTS rec_reprints (
    id INTEGER PRIMARY KEY,
    registration_id INTEGER NOT NULL REFERENCES rec_registrations(id),
    kind TEXT NOT NULL,
    patient_id INTEGER NOT NULL,
    device TEXT,
    printed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rec_reprints_registration ON rec_reprints (registration_id, kind);
CREATE TABLE IF NOT EXISTS rec_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rec_reminder_optin (
    patient_id INTEGER NOT NULL REFERENCES rec_patients(id),
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    "by" TEXT NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (patient_id, channel)
);
"""


# Columns added after a table first shipped: (table, column, type); added to older databases at start. A proxy added
# at a kiosk from two card reads names that kiosk and day (valid there and then only, until staff confirm it).
# A bill's ``step_id`` is the journey step (docs/journey.md) it pays for: one bill per unpaid step, paid at a kiosk.
MIGRATIONS = [("rec_patients", "card_code", "TEXT"), ("rec_proxies", "kiosk", "TEXT"), ("rec_proxies", "day", "TEXT"),
              ("rec_bills", "step_id", "TEXT")]
INDEXES = ("CREATE UNIQUE INDEX IF NOT EXISTS rec_patients_card_code ON rec_patients (card_code);"
           "CREATE UNIQUE INDEX IF NOT EXISTS rec_bills_step ON rec_bills (step_id);")


def migrate_columns(conn: Any, dialect: str) -> None:
    """Add the columns of MIGRATIONS that an older database lacks, and the indexes on them."""
    for table, column, kind in MIGRATIONS:
        if dialect == "sqlite":
            if column not in [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        else:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
    conn.executescript(INDEXES)


def backfill_card_codes(conn: Any) -> None:
    """Records made before card codes existed get one (their cards' QR codes still carry the number, which now
    needs a second factor; a card printed from now on carries the code)."""

    missing = [r[0] for r in conn.execute("SELECT id FROM rec_patients WHERE card_code IS NULL").fetchall()]
    if missing:
        conn.executemany("UPDATE rec_patients SET card_code = ? WHERE id = ?", [(new_card_code(), i) for i in missing])


def migrate_proxies(conn: sqlite3.Connection) -> None:
    """Once per database: move proxies kept as JSON in rec_patients.proxies (older versions) into rec_proxies."""
    if conn.execute("SELECT 1 FROM rec_meta WHERE key = 'proxies_table'").fetchone():
        return
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO rec_proxies (patient_id, id_number, name, relation, phone) "
        "SELECT p.id, json_extract(j.value, '$.id_number'), json_extract(j.value, '$.name'), "
        "json_extract(j.value, '$.relation'), json_extract(j.value, '$.phone') "
        "FROM rec_patients p, json_each(p.proxies) j WHERE p.proxies <> '[]'")
    conn.execute("UPDATE rec_patients SET proxies = '[]' WHERE proxies <> '[]'")
    conn.execute("INSERT INTO rec_meta (key, value) VALUES ('proxies_table', '1')")
    conn.execute("COMMIT")


class RowConn:
    """The shared sqlite3 connection seen through cursors that return sqlite3.Row (the caller store keeps tuples)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.raw = conn

    def execute(self, sql: str, params: tuple | list | dict = ()) -> sqlite3.Cursor:
        cur = self.raw.cursor()
        cur.row_factory = sqlite3.Row
        return cur.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        cur = self.raw.cursor()
        return cur.executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction


def named(conn: Any) -> Any:
    """`conn` (either store's) giving rows readable by column name."""
    if isinstance(conn, (RowConn,)) or getattr(conn, "named", False):
        return conn
    return conn.with_names() if hasattr(conn, "with_names") else RowConn(conn)


class RecordsDB:
    """The records tables, on their own connection or on the caller store's (same lock, same transactions).

    `RecordsDB(path)` opens the file (or, for a ``postgresql://`` URL, a PostgreSQL store of its own);
    `RecordsDB.on_store(store)` shares `caller.store.Store`'s connection and lock, so records and queue writes never
    wait on each other's locks and can commit together. Either way every write goes through `transaction()`.
    """

    def __init__(self, path: str | Path | None = None, *, conn: sqlite3.Connection | None = None,
                 lock: threading.RLock | None = None, readers: ReadConnections | None = None,
                 store: Any = None) -> None:
        self.store = store
        self.owns_store = False
        if conn is None and store is None and is_postgres_url(str(path)):
            store = self.store = open_store(str(path))
            self.owns_store = True
        if store is not None:
            self.path = store.path
            conn, lock, readers = store.conn, store.lock, store.read
            self.owns_connection = False
        elif conn is None:
            self.path = str(path)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            conn.execute("PRAGMA busy_timeout = 30000")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            self.owns_connection = True
        else:
            self.path = str(path or "")
            self.owns_connection = False
        self.dialect = getattr(store, "dialect", "sqlite")
        self.conn = named(conn)
        self.lock = lock or threading.RLock()
        self.readers = readers or ReadConnections(self.path, conn, self.lock)
        self.trail = GroupCommit(self.transaction, self.lock)  # audit rows of reads, many per transaction
        with self.lock:
            if self.dialect == "sqlite":  # (sqlite3's executescript commits first: never inside a transaction)
                conn.executescript(SCHEMA + AUDIT_TABLE + ROLLUP_SCHEMA)  # audit, rollups: made here when records runs alone
                migrate_columns(conn, "sqlite")
                migrate_proxies(conn)
                conn.execute("BEGIN IMMEDIATE")
                backfill_card_codes(conn)
                conn.execute("COMMIT")
            else:
                with self.store.transaction() as writer:
                    writer.executescript(SCHEMA + AUDIT_TABLE + ROLLUP_SCHEMA)
                    migrate_columns(writer, "postgresql")
                    backfill_card_codes(writer)

    @classmethod
    def on_store(cls, store: Any) -> "RecordsDB":
        """Share a caller.store.Store's connection and lock (and its integrity checks: a vanished file, a full disk)."""
        return cls(store=store)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One write transaction (the store's when on one: BEGIN [IMMEDIATE] ... COMMIT, rolled back on any exception).
        Joins a transaction already open on the connection."""
        if self.store is not None:
            with self.store.transaction() as conn:
                yield named(conn)
            return
        with self.lock:
            if self.conn.in_transaction:
                yield self.conn
                return
            self.conn.raw.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.raw.in_transaction:
                    self.conn.raw.execute("ROLLBACK")
                raise
            else:
                try:
                    self.conn.raw.execute("COMMIT")
                except Exception:
                    if self.conn.raw.in_transaction:
                        self.conn.raw.execute("ROLLBACK")
                    raise

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A connection for reads that are not part of a command: this thread's own read-only connection
        (it never takes the lock the queue commands need), or the writer inside a transaction."""
        with self.readers() as conn:
            yield named(conn)

    def one(self, sql: str, params: tuple | dict = ()) -> dict[str, Any] | None:
        with self.reading() as conn:
            row = conn.execute(sql, params).fetchone()
        return as_dict(row) if row else None

    def all(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        with self.reading() as conn:
            return [as_dict(r) for r in conn.execute(sql, params).fetchall()]

    def close(self) -> None:
        if self.owns_store:
            self.store.close()
        elif self.owns_connection:
            self.readers.close()
            with self.lock:
                self.conn.raw.close()


def as_dict(row: Any) -> dict[str, Any]:
    """A row (sqlite3.Row, or the PostgreSQL store's named row) as a plain dict."""
    return {k: row[k] for k in row.keys()}
