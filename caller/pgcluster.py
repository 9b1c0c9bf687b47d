"""A throw-away PostgreSQL cluster (Debian's initdb / pg_ctl), for tests, benchmarks and trying the store out.

    with PostgresCluster(Path("/tmp/pg-try")) as cluster:
        url = cluster.create_database("hospital")   # postgresql://postgres@/hospital?host=/tmp/pg-try/run&port=...
        # caller serve --db "$url"

PostgreSQL refuses to run as root: when this process is root, the server runs as an unprivileged user (``postgres``,
which Debian's package creates, else ``nobody``) through ``runuser``; otherwise it runs as the current user. It listens
on 127.0.0.1 on a free port and on a unix socket in the cluster's own directory; clients connect as the superuser
``postgres`` over the socket (trust authentication: nobody else can reach that directory).

:meth:`PostgresCluster.start_replica` makes a streaming replica of a running cluster (``pg_basebackup -R``), and
:meth:`promote` turns a replica into a primary: docs/high-availability.md walks through the same steps by hand.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"


def available() -> str:
    """'' when a cluster can be started here, else why not (a test skips with it)."""
    for tool in ("initdb", "pg_ctl", "postgres", "pg_basebackup"):
        if not (PG_BIN / tool).exists():
            return f"PostgreSQL is not installed ({PG_BIN / tool} is missing; scripts/setup.sh installs `postgresql`)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root needs runuser (util-linux) to start PostgreSQL as an unprivileged user"
    return ""


def server_user() -> str | None:
    """The OS user the server runs as: None (this user) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user (postgres or nobody) to run PostgreSQL as")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """One PostgreSQL server: data in ``<root>/data``, socket in ``<root>/run``, log in ``<root>/server.log``."""

    def __init__(self, root: Path | None = None, *, port: int | None = None, settings: dict[str, str] | None = None,
                 fsync: bool = True) -> None:
        # Not under pytest's temp dir: a pytest session starting meanwhile makes that 0700 again, and the server
        # (another user) would lose its own files. A fresh directory in the system temp dir, removed on exit.
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="hospital-pg-"))
        self.data = self.root / "data"
        self.run = self.root / "run"
        self.log = self.root / "server.log"
        self.port = port or free_port()
        self.user = server_user()
        self.settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.run}'",
            "max_connections": "100",
            "shared_buffers": "32MB",
            "fsync": "on" if fsync else "off",  # tests may skip the disk flush; commits stay synchronous
            "wal_level": "replica",
            "max_wal_senders": "5",
            "wal_keep_size": "64MB",
            "hot_standby": "on",
            "log_min_messages": "warning",
            **(settings or {}),
        }

    # ----------------------------------------------------------------- running commands as the server user
    def _as_server(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        done = subprocess.run(prefix + argv, capture_output=True, text=True, **kwargs)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{log}")
        return done

    def _own(self, *paths: Path) -> None:
        for path in paths:
            path.mkdir(parents=True, exist_ok=True)
            if self.user:
                entry = pwd.getpwnam(self.user)
                os.chown(path, entry.pw_uid, entry.pw_gid)
            path.chmod(0o700)

    # ----------------------------------------------------------------- life cycle
    def init(self) -> "PostgresCluster":
        """initdb with the C locale (byte order for text, as SQLite compares) and UTF-8."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.root, self.run)
        self._as_server([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                         "--encoding=UTF8", "--locale=C", "--no-sync"])
        self.configure()
        self._trust_replication()
        return self

    def configure(self, **more: str) -> None:
        """Write our settings (and `more`) into postgresql.auto.conf; a running server needs reload() after."""
        self.settings.update(more)
        lines = [f"{k} = {v}" for k, v in self.settings.items()]
        text = "\n".join(lines) + "\n"
        self._as_server(["sh", "-c", f"cat > '{self.data}/postgresql.auto.conf'"], input=text)

    def _trust_replication(self) -> None:
        hba = ("local all all trust\nhost all all 127.0.0.1/32 trust\n"
               "local replication all trust\nhost replication all 127.0.0.1/32 trust\n")
        self._as_server(["sh", "-c", f"cat > '{self.data}/pg_hba.conf'"], input=hba)

    def start(self, timeout: int = 60) -> "PostgresCluster":
        self._as_server([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t",
                         str(timeout), "start"])
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` is like pulling the plug: no checkpoint, crash recovery at the next start)."""
        if (self.data / "postmaster.pid").exists():
            try:
                self._as_server([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
            except RuntimeError:
                pass

    def reload(self) -> None:
        self._as_server([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "reload"])

    def promote(self, timeout: int = 60) -> None:
        """A replica becomes a primary (stops following, accepts writes)."""
        self._as_server([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", str(timeout), "promote"])

    def __enter__(self) -> "PostgresCluster":
        if not (self.data / "PG_VERSION").exists():
            self.init()
        return self.start()

    def __exit__(self, *exc) -> None:
        self.remove()

    def remove(self) -> None:
        """Stop the server at once and delete the cluster's directory."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # ----------------------------------------------------------------- replicas
    def start_replica(self, root: Path | None = None, *, name: str = "replica", fsync: bool = True) -> "PostgresCluster":
        """A streaming replica of this (running) cluster: pg_basebackup -R, then start it. Named `name`
        (its ``application_name``, what ``synchronous_standby_names`` refers to)."""
        replica = PostgresCluster(root, settings={k: v for k, v in self.settings.items()
                                                  if k not in ("port", "unix_socket_directories")}, fsync=fsync)
        replica.root.mkdir(parents=True, exist_ok=True)
        replica._own(replica.root, replica.run)
        replica._as_server([str(PG_BIN / "pg_basebackup"), "-D", str(replica.data), "-h", str(self.run),
                            "-p", str(self.port), "-U", SUPERUSER, "-X", "stream", "-R", "--no-sync"])
        conninfo = f"'host={self.run} port={self.port} user={SUPERUSER} application_name={name}'"
        replica.configure(primary_conninfo=conninfo)
        return replica.start()

    def wait_replayed(self, replica: "PostgresCluster", timeout: float = 30.0) -> None:
        """Until `replica` has replayed everything this primary has written so far."""
        target = self.psql("SELECT pg_current_wal_lsn()")[0][0]
        self._wait(lambda: replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0], timeout,
                   f"the replica did not replay up to {target}")

    def wait_synchronous(self, name: str, timeout: float = 30.0) -> None:
        """Until the standby `name` is attached as this primary's synchronous standby."""
        self._wait(lambda: self.psql(f"SELECT 1 FROM pg_stat_replication WHERE application_name = '{name}' "
                                     "AND sync_state = 'sync'"), timeout, f"{name} is not a synchronous standby")

    @staticmethod
    def _wait(condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(what)
            time.sleep(0.05)

    # ----------------------------------------------------------------- databases and URLs
    def url(self, database: str = "postgres") -> str:
        """The libpq URL of a database here (unix socket)."""
        return f"postgresql://{SUPERUSER}@/{database}?host={quote(str(self.run), safe='')}&port={self.port}"

    def psql(self, sql: str, database: str = "postgres") -> list[tuple]:
        import psycopg  # noqa: PLC0415 - a heavy library, loaded only when this runs

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    def create_database(self, name: str, template: str = "template0") -> str:
        """CREATE DATABASE `name` (copying `template`); its URL."""
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until a connection succeeds (after a start or promote)."""
        import psycopg  # noqa: PLC0415 - a heavy library, loaded only when this runs

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
