"""Active/standby: several ``caller serve`` processes on one PostgreSQL, exactly one active (docs/high-availability.md).

* :mod:`caller.ha.election` — who is active: a session advisory lock held by the connection every write goes through.
* :mod:`caller.ha.switch` — the ASGI app uvicorn runs: a standby's refusals (503 ``standby``, naming the active
  one) until elected, then the caller service, rebuilt from the database.

The clients' side (a list of addresses, following the active one, resuming event streams) is in client/http.py.
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Sequence


def default_advertise(host: str, port: int) -> str:
    """The address the others give out for this process: ``--host`` when it is one, else this machine's name."""
    name = host if host not in ("", "0.0.0.0", "::") else socket.getfqdn()
    return f"http://{name}:{port}"


def serving_app(config: Any, url: str, advertise: str, *, config_path: str | Path | None = None,
                max_body_bytes: int | None = None, plugins: Sequence[Any] = ()) -> Any:
    """The ASGI app of ``caller serve --db postgresql://...``: standby until elected, then the service with its
    ``plugins`` (caller/plugins.py)."""
    from caller.ha.switch import ServiceSwitch

    def build(store: Any) -> Any:
        from caller.api.app import create_app
        from caller.service import CallerService
        from common.config import load_hospital

        current = load_hospital(config_path) if config_path else config  # the file as it is now on disk
        service = CallerService(current, store)
        return create_app(current, store, service=service, config_path=config_path, max_body_bytes=max_body_bytes,
                          plugins=plugins)

    def prepare() -> None:
        """While standing by: import and build the whole app once (on a throw-away in-memory database), so that
        taking over costs only reading today's queues from PostgreSQL (~0.5 s instead of ~2 s)."""
        from caller.api.app import create_app

        create_app(config, ":memory:", plugins=plugins).state.service.close()

    return ServiceSwitch(url, advertise, build, prepare=prepare)
