"""Seats of a slot: the one atomic take, giving a seat back, and the lazy expiry of unpaid holds."""
from __future__ import annotations

from typing import Any

from records.audit import SYSTEM, Actor
from records.core import RecordsCore, iso
from records.db import RowConn

RELEASE_ACTIONS = {"expired": "hold_expired", "released": "hold_released", "cancelled": "registration_cancelled"}


class Seats:
    """Seat accounting shared by schedules (remaining counts) and registrations (holds)."""

    def __init__(self, core: RecordsCore) -> None:
        self.core = core


    def sweep_expired(self, conn: RowConn) -> int:
        now = iso(self.core.now())
        rows = conn.execute("SELECT id, patient_id, state, slot_id, kind, bill_id FROM rec_registrations WHERE state = 'held' AND hold_expires_at <= ?", (now,)).fetchall()
        for r in rows:
            self.release(conn, dict(r), "expired", actor=SYSTEM)  # the clock did it, whoever's request swept
        return len(rows)

    def expire_holds(self) -> int:
        """Commit the expiry of every hold past its time (its own transaction, so a later refusal keeps it)."""
        if not self.core.db.one("SELECT 1 AS x FROM rec_registrations WHERE state = 'held' AND hold_expires_at <= ? LIMIT 1",
                           (iso(self.core.now()),)):
            return 0
        with self.core.db.transaction() as conn:
            return self.sweep_expired(conn)

    def release(self, conn: RowConn, reg: dict[str, Any], state: str, actor: Actor | None = None) -> None:
        """Give the seat back; the registration becomes `state` (expired, released, cancelled); audited."""
        self.core.audit(conn, RELEASE_ACTIONS[state], before=reg.get("state"), after=state, actor=actor,
                   visit_id=reg.get("visit_id"), registration_id=reg["id"], patient_id=reg.get("patient_id"),
                   slot_id=reg["slot_id"], bill_id=reg.get("bill_id"))
        conn.execute("UPDATE rec_registrations SET state = ?, cancelled_at = ? WHERE id = ?", (state, iso(self.core.now()), reg["id"]))
        if reg["kind"] != "extra":
            conn.execute("UPDATE rec_slots SET taken = taken - 1 WHERE id = ? AND taken > 0", (reg["slot_id"],))
        if reg.get("bill_id"):
            conn.execute("UPDATE rec_bills SET state = 'cancelled' WHERE id = ? AND state = 'unpaid'", (reg["bill_id"],))

    def take(self, conn: RowConn, slot_id: int) -> bool:
        """The one atomic step: take a seat only while taken < quota."""
        return conn.execute("UPDATE rec_slots SET taken = taken + 1 WHERE id = ? AND taken < quota", (slot_id,)).rowcount == 1
