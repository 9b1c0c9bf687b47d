"""``caller serve`` processes on one PostgreSQL, for the failover tests, ``bench/run failover`` and trying it out.

    with PostgresCluster(Path("/tmp/pg")) as cluster:
        url = cluster.create_database("hospital")
        a = ServiceProcess.start(url, log_dir); a.wait_role("active")
        b = ServiceProcess.start(url, log_dir); b.wait_role("standby")
        a.kill()                      # SIGKILL: like a power cut of that machine
        b.wait_role("active")

Each process listens on 127.0.0.1 on a free port and advertises that address; its log goes to a file (a pipe
nobody reads would stall a chatty process).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from caller.pgcluster import free_port
from common.config import DEMO_CONFIG

REPO = Path(__file__).resolve().parents[2]


@dataclass
class ServiceProcess:
    url: str
    process: subprocess.Popen
    log: Path

    @classmethod
    def start(cls, db_url: str, log_dir: Path, *, config: str | Path = DEMO_CONFIG, port: int | None = None,
              name: str | None = None) -> "ServiceProcess":
        port = port or free_port()
        log = Path(log_dir) / f"service-{name or port}.log"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "caller", "serve", "--config", str(config), "--db", db_url,
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--demo"],
                cwd=str(REPO), env=env, stdout=out, stderr=subprocess.STDOUT)
        return cls(f"http://127.0.0.1:{port}", proc, log)

    def health(self) -> dict | None:
        """The /healthz answer, or None while it does not answer."""
        try:
            return httpx.get(self.url + "/healthz", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            return None

    def wait_role(self, role: str, timeout: float = 30.0) -> dict:
        """Until /healthz says ``role`` (active, standby); its answer."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.url} exited with {self.process.returncode}:\n{self.tail()}")
            health = self.health()
            if health and health.get("role") == role:
                return health
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.url} is not {role} after {timeout} s ({health}):\n{self.tail()}")
            time.sleep(0.05)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, exactly like a crash or a power cut."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
