"""Which caller service is active: a PostgreSQL session advisory lock, held by the connection that writes.

Every ``caller serve --db postgresql://...`` process of one hospital (one database and schema: a campus) campaigns
for the same lock, a key derived from the database and schema names, on the store's *writer* connection (the
store's ``on_connect`` hook). The process holding it is the active one; it writes its advertised address into
``service_active`` so that the standbys can name it. The lock lives as long as the session: when the active process
dies (SIGKILL, power, a cut network) PostgreSQL ends its backend (at once for a closed socket, within seconds by TCP
keepalives for a silent peer) and a standby's next try gets it.

Fencing by construction: every command of the active service is written through the connection holding the lock.
A former active whose backend was ended can no longer commit, so it can no longer acknowledge anything, and a
standby can only take the lock once that backend is gone. The store never reconnects behind the election's back
(a new writer connection is refused), and the active checks its connection every ``check_s`` and steps down at
the first failure, so its screens and speakers go to the new active one.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from caller.store import StorageError

log = logging.getLogger("caller.ha")

# The client notices a dead server within ~3 s (keepalives, unacknowledged data); the server ends the backend of a
# silent client (power lost, network cut) as fast, which releases the lock for a standby.
CLIENT_SIDE = {"connect_timeout": "3", "keepalives": "1", "keepalives_idle": "1", "keepalives_interval": "1",
               "keepalives_count": "2", "tcp_user_timeout": "3000"}
SERVER_SETTINGS = {"tcp_keepalives_idle": "1", "tcp_keepalives_interval": "1", "tcp_keepalives_count": "2",
                   "tcp_user_timeout": "3000"}
SERVER_SIDE = " ".join(f"-c {name}={value}" for name, value in SERVER_SETTINGS.items())
POLL_S = 0.2     # a standby tries the lock this often
CHECK_S = 0.5    # the active checks its connection this often
RETRY_S = 1.0    # after a failed connection or a failed start

_TABLE = """CREATE TABLE IF NOT EXISTS service_active (
    id INTEGER PRIMARY KEY CHECK (id = 1), address TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
    backend_pid INTEGER NOT NULL, since TIMESTAMPTZ NOT NULL DEFAULT now())"""
_CLAIM = """INSERT INTO service_active (id, address, host, pid, backend_pid, since)
    VALUES (1, %s, %s, %s, pg_backend_pid(), now())
    ON CONFLICT (id) DO UPDATE SET address = excluded.address, host = excluded.host, pid = excluded.pid,
        backend_pid = excluded.backend_pid, since = excluded.since"""
# the recorded active one, only while its session still holds an advisory lock (a dead one's row names nobody)
_ACTIVE = """SELECT a.address FROM service_active a WHERE EXISTS (
    SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.pid = a.backend_pid)"""


def with_keepalives(url: str) -> str:
    """The PostgreSQL URL with the keepalive settings of both ends added (its own ``options`` kept)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    merged = {**CLIENT_SIDE, **query}
    merged["options"] = f"{query.get('options', '')} {SERVER_SIDE}".strip()
    return urlunsplit(parts._replace(query=urlencode(merged, quote_via=quote)))  # libpq reads no '+' as space


def lock_key(database: str, schema: str) -> int:
    """The advisory lock key of one hospital: a signed 64-bit number from its database and schema names."""
    digest = hashlib.sha256(f"hospital-queue/active/{database}/{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Stopped(Exception):
    """The process stops: campaigning ends."""


def refused_connection() -> Exception:
    return StorageError("standby", "对不起，本服务与数据库的连接已断开，已转为备用，请稍候，设备会自动连接主用服务。",
                        "This service lost its database connection and stepped down to standby; devices switch "
                        "to the active one by themselves.")


class Election:
    """Campaigns in a background thread; ``state`` is connecting, standby or active.

    ``open_store(url, on_connect)`` opens the store (caller.pgstore.PostgresStore); its writer connection campaigns
    in ``on_connect`` until it holds the lock. ``on_elected(store)`` then builds and starts the service on it;
    ``on_deposed()`` runs when that connection failed: serve nothing more from it (the service closes the store).
    """

    def __init__(self, url: str, advertise: str, *, open_store: Callable[[str, Callable], Any],
                 on_elected: Callable[[Any], None], on_deposed: Callable[[], None],
                 poll_s: float = POLL_S, check_s: float = CHECK_S):
        self.url = with_keepalives(url)
        self.advertise = advertise
        self.open_store, self.on_elected, self.on_deposed = open_store, on_elected, on_deposed
        self.poll_s, self.check_s = poll_s, check_s
        self.state = "connecting"
        self.active_address: str | None = None  # the active one's address, as last read (ours when active)
        self.problem = ""  # why this process cannot campaign right now (database unreachable), for /healthz
        self.elected_at: float | None = None  # time.monotonic() of the last election won
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="election", daemon=True)

    def start(self) -> "Election":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop campaigning; an active process's lock goes with its connection when the service closes."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    # ------------------------------------------------------------------------------------------ the thread
    def _run(self) -> None:
        import psycopg  # noqa: PLC0415 - a heavy library, loaded only when this runs

        while not self._stop.is_set():
            campaigned: list[bool] = []

            def on_connect(raw, campaigned: list[bool] = campaigned) -> None:
                if campaigned:  # the store lost its writer: never a second connection behind the election
                    raise refused_connection()
                campaigned.append(True)
                self._campaign(raw)

            store = None
            try:
                store = self.open_store(self.url, on_connect)
                self.on_elected(store)
                self.state = "active"
                self.elected_at = time.monotonic()
                self._watch(store)
            except Stopped:
                return
            except psycopg.Error as exc:
                self._note_problem(f"database: {exc}".strip())
            except Exception as exc:  # noqa: BLE001 - a failed start: give the lock up, let another try first
                if self.state != "active":
                    log.exception("becoming the active service failed; giving the lock up")
                    if store is not None:
                        store.close()
                    self._stop.wait(RETRY_S * 2)
                else:
                    self._note_problem(f"database: {exc}".strip())
            if self.state == "active" and not self._stop.is_set():
                self.state = "connecting"
                self._deposed()
            elif self.state != "active":
                self.state = "connecting"
            if not self._stop.is_set():
                self._stop.wait(RETRY_S if self.problem else 0)

    def _note_problem(self, text: str) -> None:
        if text != self.problem:
            log.warning("%s", text)
        self.problem = text

    def _campaign(self, conn) -> None:
        """On the store's new writer connection: wait for the lock (a standby meanwhile), then claim the role."""
        import psycopg  # noqa: PLC0415 - a heavy library, loaded only when this runs

        for name, value in SERVER_SETTINGS.items():  # also when a pooler did not pass the URL's options on
            conn.execute(f"SET {name} = {value}")
        database, schema = conn.execute("SELECT current_database(), current_schema()").fetchone()
        if schema is None:  # a new campus (options=-csearch_path=NAME): its schema is made on first start
            from psycopg import sql  # noqa: PLC0415 - a heavy library, loaded only when this runs

            wanted = next(p.strip().strip('"') for p in conn.execute("SHOW search_path").fetchone()[0].split(",")
                          if p.strip() and p.strip() != '"$user"')
            try:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(wanted)))
            except psycopg.errors.UniqueViolation:  # the other service of the pair made it at the same moment
                pass
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
        key = lock_key(database, schema)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (key + 1,))  # two first starts create it once
            conn.execute(_TABLE)
        self.problem = ""
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            row = conn.execute(_ACTIVE).fetchone()
            self.active_address = row[0] if row else None
            if self.state != "standby":
                log.info("standby: the active caller service is %s", self.active_address or "being elected")
            self.state = "standby"
            if self._stop.wait(self.poll_s):
                raise Stopped()
        conn.execute(_CLAIM, (self.advertise, socket.gethostname(), os.getpid()))
        self.active_address = self.advertise
        log.info("elected: this process is the active caller service (%s)", self.advertise)

    def _watch(self, store) -> None:
        """While active: the writer connection answers, else raise (step down)."""
        while not self._stop.wait(self.check_s):
            with store.lock:
                store.writer_connection().execute("SELECT 1")

    def _deposed(self) -> None:
        log.error("the database connection holding the active role failed: stepping down to standby")
        try:
            self.on_deposed()
        except Exception:  # noqa: BLE001 - a process that cannot step down must not serve on: leave
            log.exception("stepping down failed; exiting so that nothing more is served from this process")
            os._exit(75)
