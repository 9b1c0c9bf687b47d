"""Who did each records action: the actor of the current request, and the `audit` row written in its transaction.

The records API runs every request inside `actor_scope()`; resolving the bearer token fills in the actor (user +
device), and every records command writes `audit` rows with plain SQL in the same transaction as its change, so a
rolled-back command leaves no trail and a committed one always has its row. The table is the caller service's
(`caller/store.py`): ts, user, device, action, visit_id, before, after, detail (JSON text).

Work nobody asked for at that moment (a hold running out while another request sweeps) is done by `SYSTEM`.
`detail` carries ids and amounts; any ID number or phone number in it is masked before it is written.
"""
from __future__ import annotations

import json
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator

from common.privacy import mask_id_number, mask_phone

AUDIT_TABLE = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, ts TEXT, "user" TEXT, device TEXT, action TEXT, visit_id TEXT,
    before TEXT, after TEXT, detail TEXT
);
"""
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


@dataclass(frozen=True)
class Actor:
    """Who acts: the logged-in console user ('' for a device token) and the device id; at a kiosk, the patient
    identified there in person (``holder``), who may act for family members (为家人办理)."""

    user: str
    device: str
    holder: int | None = None


SYSTEM = Actor(user="", device="system")


class _Slot:
    """Filled once per request when the token is resolved; shared by the threads that serve the request."""

    actor: Actor | None = None


_CURRENT: ContextVar[_Slot | None] = ContextVar("records_actor", default=None)


@contextmanager
def actor_scope(actor: Actor | None = None) -> Iterator[None]:
    """Everything inside (and the worker threads it starts, which copy the context) acts as `actor` once set."""
    slot = _Slot()
    slot.actor = actor
    token = _CURRENT.set(slot)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def set_actor(user: str | None, device: str, holder: int | None = None) -> None:
    """Name the actor of the current scope (no-op outside one)."""
    slot = _CURRENT.get()
    if slot is not None:
        slot.actor = Actor(user or "", device, holder)


def current_actor() -> Actor:
    slot = _CURRENT.get()
    return slot.actor if slot is not None and slot.actor is not None else SYSTEM


def scrub(value: Any) -> Any:
    """The value with every ID number and mobile number inside masked (110101********803X, 138********)."""
    if isinstance(value, str):
        value = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0).upper()), value)
        return _PHONE.sub(lambda m: mask_phone(m.group(0)), value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


INSERT_AUDIT = ('INSERT INTO audit (ts, "user", device, action, visit_id, before, after, detail) '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def audit_row(ts: str, action: str, *, before: str | None = None, after: str | None = None,
              visit_id: str | None = None, actor: Actor | None = None, **detail: Any) -> tuple:
    """The values of one `audit` row (for INSERT_AUDIT). `action` gets the `records.` prefix."""
    who = actor or current_actor()
    patient = detail.get("patient_id")
    if who.holder is not None and patient is not None and int(patient) != who.holder:
        detail["proxy_patient_id"] = who.holder  # a family member acted for this patient (为家人办理)
    return (ts, who.user, who.device, f"records.{action}", visit_id, before, after,
            json.dumps(scrub(detail), ensure_ascii=False, separators=(",", ":"), default=str))


def write_audit(conn: Any, ts: str, action: str, **fields: Any) -> None:
    """One `audit` row on `conn` (inside the caller's open transaction)."""
    conn.execute(INSERT_AUDIT, audit_row(ts, action, **fields))
