"""Shared plumbing of the embedded records backend: clock, idempotency keys, config lookups."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

from common.clock import DEFAULT_TIMEZONE, HospitalClock, zone
from records.audit import INSERT_AUDIT, Actor, audit_row, write_audit
from records.db import RecordsDB, RowConn
from records.errors import RecordsError
from records.ports import QueueLink
from records.settings import RecordsSettings


def iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


class RecordsCore:
    """State every part of the embedded backend shares."""

    def __init__(
        self,
        db: RecordsDB,
        settings: RecordsSettings,
        config: Any = None,
        clock: Callable[[], datetime] | None = None,
        queue: QueueLink | None = None,
        payments: Any = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.config = config
        timezone = config.hospital.timezone if config is not None else DEFAULT_TIMEZONE
        self.zone = zone(timezone)  # the hospital's: the payment gateway's instants are shown in it
        self.clock = clock or HospitalClock(timezone)
        self.queue = queue
        self.provider = payments  # hardware.payment.PaymentProvider
        # told of every audited action inside its transaction: (conn, action, detail); the HIS link turns some of
        # them into messages for the HIS, written in the same transaction (records/his/outbound.py)
        self.observers: list[Callable[[RowConn, str, dict[str, Any]], None]] = []

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    # Ask the queue to text a patient who opted in, in this transaction (nothing without a queue).
    def notify_visit(self, conn: RowConn, visit_id: str, event: str, key: str, **params: Any) -> None:
        if self.queue is not None:
            self.queue.notify_visit(conn, visit_id, event, key, **params)

    def notify_patient(self, conn: RowConn, patient_id: int, event: str, key: str, **params: Any) -> None:
        if self.queue is not None:
            self.queue.notify_patient(conn, patient_id, event, key, **params)

    def notify_recipients(self, conn: RowConn, recipients: list[tuple[str, str]], event: str, key: str,
                          **params: Any) -> None:
        if self.queue is not None:
            self.queue.notify_recipients(conn, recipients, event, key, **params)

    def audit(self, conn: RowConn, action: str, *, before: str | None = None, after: str | None = None,
              visit_id: str | None = None, actor: Actor | None = None, **detail: Any) -> None:
        """Record `records.<action>` by the current actor, inside the open transaction on `conn`."""
        write_audit(conn, self.clock().isoformat(timespec="milliseconds"), action, before=before, after=after,
                    visit_id=visit_id, actor=actor, **detail)
        for observe in self.observers:
            observe(conn, action, detail)

    def audit_read(self, action: str, **detail: Any) -> None:
        """Record `records.<action>` for something that changed nothing (a patient identified at a kiosk): committed
        before this returns, in one short transaction with the other reads of the moment (`RecordsDB.trail`)."""
        self.db.trail.write(INSERT_AUDIT, audit_row(self.clock().isoformat(timespec="milliseconds"), action, **detail))

    # -- idempotency: a key maps to the id of what the first call made; retries re-read it
    def recall_key(self, conn: RowConn, key: str | None, operation: str) -> Any:
        if not key:
            return None
        scope, bound, _ = key.rpartition("#")
        if not bound:  # an unbound key (in-process callers): exact match
            row = conn.execute("SELECT key, response FROM rec_idempotency WHERE key = ?", (key,)).fetchone()
        else:  # the same key sent with another request body is a conflict, never the first answer
            row = conn.execute("SELECT key, response FROM rec_idempotency WHERE key >= ? AND key < ? LIMIT 1",
                               (scope + "#", scope + "$")).fetchone()
            if row is not None and row["key"] != key:
                raise RecordsError("idempotency_conflict", "对不起，这个请求编号已用于另一项不同的操作，请返回首页重新操作。",
                                   "This idempotency key was already used with a different request.", status=409)
        if row is None:
            return None
        return json.loads(row["response"])

    def remember_key(self, conn: RowConn, key: str | None, operation: str, response: Any) -> None:
        if key:
            conn.execute(
                "INSERT INTO rec_idempotency (key, operation, response, created_at) VALUES (?, ?, ?, ?)",
                (key, operation, json.dumps(response), iso(self.now())),
            )

    # -- config lookups that work with the HospitalConfig or without one
    def department(self, department_id: str) -> Any:
        if self.config is None:
            return None
        try:
            return self.config.department(department_id)
        except KeyError:  # unknown id
            return None

    def doctor(self, doctor_id: str) -> Any:
        if self.config is None:
            return None
        try:
            return self.config.doctor(doctor_id)
        except KeyError:  # unknown id
            return None

    def doctors(self) -> list[Any]:
        return list(getattr(self.config, "doctors", []) or [])

    def emergency_departments(self) -> frozenset[str]:
        areas = {a.id for a in getattr(self.config, "areas", []) or [] if getattr(a, "emergency", False)}
        return frozenset(str(d.id) for d in self.departments() if getattr(d, "area", None) in areas)

    def area_rules(self, department_id: str) -> Any:
        """The queue rules of the department's area (None without a config)."""
        dep = self.department(department_id)
        if dep is None:
            return None
        try:
            return self.config.rules_for_area(dep.area)
        except KeyError:  # unknown area
            return None

    def departments(self) -> list[Any]:
        return list(getattr(self.config, "departments", []) or [])
