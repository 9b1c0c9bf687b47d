"""The plug-ins records brings to the caller service, in the order they are installed (caller/plugins.py).

``PLUGINS`` is the list the programs that serve the hospital give ``create_app`` (caller/__main__.py,
caller/testing.py, the demo): records first (patients, schedules, registrations, payments, reports, ratings, and
the HIS link), then its links to the outside platforms (医保, e-health cards, e-invoices), which build on it.
"""
from __future__ import annotations

from typing import Any

from caller.api.app import API_PREFIX
from caller.plugins import ServiceHooks
from records import api as records_api
from records.backend import RecordsBackend
from records.insurance import api as platforms_api


class RecordsPlugin:
    """records/api.py: the backend on the service's store, its routes, and the HIS link (records/his/link.py).
    ``payments`` and ``overrides``: a payment provider and records settings of a test or a benchmark."""

    def __init__(self, *, payments: Any = None, **overrides: Any):
        self.payments = payments
        self.overrides = overrides
        self.backend: RecordsBackend | None = None  # the local records, once installed

    def install(self, app: Any, service: Any, hooks: ServiceHooks) -> None:
        self.backend = records_api.install(app, service, hooks, payments=self.payments, **self.overrides)
        app.include_router(records_api.router, prefix=API_PREFIX)


class PlatformsPlugin:
    """records/insurance/api.py: claims, invoices and e-health cards, on the platforms HOSPITAL_*_URL name."""

    def install(self, app: Any, service: Any, hooks: ServiceHooks) -> None:
        platforms_api.install(app, service, hooks)
        app.include_router(platforms_api.router, prefix=API_PREFIX)


PLUGINS = (RecordsPlugin(), PlatformsPlugin())
