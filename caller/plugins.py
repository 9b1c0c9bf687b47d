"""Plug-ins of the service (records and its links to the outside platforms): how they are named and what they hook.

The program that builds the app names its plug-ins in an explicit list: ``create_app(..., plugins=...)``. The
programs that serve the hospital (caller/__main__.py, caller/testing.py) take the list the installation declares,
:func:`installed_plugins` (``records.plugins.PLUGINS``, named in pyproject.toml), so caller imports no part built
on it. Each plug-in's ``install(app, service, hooks)`` mounts its routes and puts what the service must tell it
into ``hooks``, the :class:`ServiceHooks` the service was built with. The service never imports a plug-in, and no
plug-in sets an attribute on the service.
"""
from __future__ import annotations

import sqlite3
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import distributions
from typing import Any, Callable

from caller.engine.model import Change
from caller.phone_desk import PatientDesk
from common.config import HospitalConfig

ChangeObserver = Callable[[sqlite3.Connection, str, Change, datetime], None]


@dataclass
class ServiceHooks:
    """What the service tells its plug-ins, and asks them."""

    # a reloaded hospital file, after the service's own parts took it (records: schedules, fees and rules)
    reload: list[Callable[[HospitalConfig], None]] = field(default_factory=list)
    # every command inside its transaction, after its rows are written: (conn, command, change, now); the HIS link
    # writes the queue events the HIS wants into its outbox there (records/his/outbound.py)
    changes: list[ChangeObserver] = field(default_factory=list)
    # the device behind the request a plug-in is serving (records: the kiosk that asked), so that a visit it
    # registers on its own account is counted for that kiosk; None when it does not know
    request_device: list[Callable[[], str | None]] = field(default_factory=list)
    # what a plug-in runs beside the service while the app runs (the HIS link, the platforms' sender): async
    # context managers, entered after the service's own tasks started and left before they stop
    lifespan: list[Callable[[], AbstractAsyncContextManager]] = field(default_factory=list)
    # a visit's booked seat, paid fee and medical card, for the phone page's 我不排了 and card QR (records installs
    # one, caller/phone_desk.py); None: a service that only runs queues
    patient_desk: PatientDesk | None = None

    def device_of_request(self) -> str | None:
        for ask in self.request_device:
            device = ask()
            if device:
                return device
        return None


PLUGIN_GROUP = "hospital_queue.plugins"


def installed_plugins() -> tuple[Any, ...]:
    """The plug-ins the installation declares (pyproject.toml's ``hospital_queue.plugins`` entry points, in name
    order), each entry a list of plug-ins. Refused when there are none: a service without its records would start
    and answer every kiosk with 404."""
    # every distribution's metadata, not the first of each name: a checkout's stale *.egg-info from an older build
    # would otherwise hide the installed one that declares the plug-ins
    entries: dict[str, Any] = {}
    for dist in distributions():
        for entry in dist.entry_points:
            if entry.group == PLUGIN_GROUP:
                entries.setdefault(entry.name, entry)
    found: list[Any] = []
    for name in sorted(entries):
        found.extend(entries[name].load())
    if not found:
        raise RuntimeError(f"no {PLUGIN_GROUP} entry points: the project is not installed (run scripts/setup.sh)")
    return tuple(found)
