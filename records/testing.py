"""A live caller service with records mounted, for tests and benchmarks (uvicorn in a thread, free port).

    with serve_records(db_path=tmp_path / "h.db", clock=clock, payments=provider) as live:
        httpx.get(live.url + "/api/v1/records/departments", headers=live.kiosk_headers)
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from records.plugins import PlatformsPlugin, RecordsPlugin


@dataclass
class LiveRecords:
    url: str
    app: Any
    records: Any
    config: Any

    def token(self, role: str) -> str:
        return next(d.token for d in self.config.devices if d.role == role)

    def headers(self, role: str = "kiosk") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}"}

    @property
    def kiosk_headers(self) -> dict[str, str]:
        return self.headers("kiosk")


@contextmanager
def serve_records(config: Any = None, db_path: str | Path = ":memory:", *, clock: Callable[[], datetime] | None = None,
                  payments: Any = None, startup_timeout: float = 15.0, **overrides: Any) -> Iterator[LiveRecords]:
    """Serve the caller app with records (own payment provider and settings overrides) on 127.0.0.1."""
    import uvicorn

    from caller.api.app import create_app
    from common.config import DEMO_CONFIG, HospitalConfig, load_hospital

    cfg = config if isinstance(config, HospitalConfig) else load_hospital(config or DEMO_CONFIG)
    plugin = RecordsPlugin(payments=payments, **overrides)
    # 医保, e-health cards, e-invoices: from HOSPITAL_*_URL
    app = create_app(cfg, db_path, clock=clock, plugins=(plugin, PlatformsPlugin()))
    records = plugin.backend
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="records-service", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:  # uvicorn offers no start event; poll its flag
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveRecords(f"http://127.0.0.1:{port}", app, records, cfg)
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.service.close()
