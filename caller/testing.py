"""A live caller service for tests (kiosk, console, display tests use it too).

    from caller.testing import run_service
    with run_service("assets/demo-hospital.toml", tmp_path / "h.db") as base_url:
        client = CallerClient(base_url, token)

``run_service`` runs uvicorn in a thread of the test process (port 0 on 127.0.0.1, so tests can run side
by side); ``run_service_process`` runs ``python -m caller serve`` as a child process (to kill it for real).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

from caller.pgcluster import free_port  # noqa: F401 (tests import it from here too)
from caller.plugins import installed_plugins
from common.clock import ManualClock  # noqa: F401 (tests import the movable clock from here too)
from common.config import DEMO_CONFIG, HospitalConfig, load_hospital
from common.demo_accounts import DEMO_PASSWORD, DEMO_TOKENS  # noqa: F401 (tests import them from here too)
from common.wire import SERVICE_KEEP_ALIVE_S

REPO = Path(__file__).resolve().parent.parent




class LiveService(str):
    """The base URL (a str, usable as is) that also carries the running ``app``, its ``service`` and the uvicorn
    ``server``."""

    app: Any
    service: Any
    server: Any


@contextmanager
def run_service(config: str | Path | HospitalConfig = DEMO_CONFIG, db_path: str | Path = ":memory:", *,
                clock: Callable[[], datetime] | None = None, records: bool = True,
                startup_timeout: float = 15.0, ws: str = "websockets-sansio", port: int = 0) -> Iterator[LiveService]:
    """Serve the caller app on 127.0.0.1 (free port) in a thread; yield its base URL ("http://127.0.0.1:PORT").

    The yielded URL also has ``.app`` and ``.service`` (the :class:`caller.service.CallerService`).
    """
    import uvicorn

    from caller.api.app import create_app
    from caller.ops.http_protocol import HeaderDeadlineProtocol

    cfg = config if isinstance(config, HospitalConfig) else load_hospital(config)
    app = create_app(cfg, db_path, clock=clock, plugins=installed_plugins() if records else (),
                     config_path=None if isinstance(config, HospitalConfig) else config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, ws=ws, lifespan="on", http=HeaderDeadlineProtocol,
                                           timeout_keep_alive=SERVICE_KEEP_ALIVE_S, ws_per_message_deflate=False))
    thread = threading.Thread(target=server.run, name="caller-service", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the caller service did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    live = LiveService(f"http://127.0.0.1:{port}")
    live.app, live.service, live.server = app, app.state.service, server
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.service.close()


@dataclass
class ServiceProcess:
    base_url: str
    process: subprocess.Popen

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, exactly like a crash."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


def wait_healthy(base_url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    """Until the service answers /healthz with 200 as the active one (on PostgreSQL it is a standby until elected;
    older versions say no role)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the caller service exited with {process.returncode}")
        try:
            answer = httpx.get(base_url + "/healthz", timeout=1)
            if answer.status_code == 200 and answer.json().get("role", "active") == "active":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.05)
    raise RuntimeError("the caller service did not become healthy")


@contextmanager
def run_service_process(config_path: str | Path = DEMO_CONFIG, db_path: str | Path = "caller.db", *,
                        port: int | None = None, extra_env: dict | None = None) -> Iterator[ServiceProcess]:
    """Run ``python -m caller serve`` as a child process on 127.0.0.1; yield a :class:`ServiceProcess`."""
    port = port or free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "caller", "serve", "--config", str(config_path), "--db", str(db_path),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--demo"],
        cwd=str(REPO), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process=proc)
        yield ServiceProcess(base_url, proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc.stderr:
            proc.stderr.close()
