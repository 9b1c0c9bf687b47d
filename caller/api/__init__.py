"""The caller service's LAN API (FastAPI): queue commands and queries, live events, devices, auth."""
from __future__ import annotations


def create_app(*args, **kwargs):
    """See :func:`caller.api.app.create_app` (imported lazily to keep ``caller.api`` light)."""
    from caller.api.app import create_app as _create_app

    return _create_app(*args, **kwargs)
