"""Seats of a slot: the one atomic take, giving a seat back, and the lazy expiry of unpaid holds."""
from __future__ import annotations

from typing import Any

from records.core import RecordsCore, iso
from records.db import RowConn


class HoldsMixin(RecordsCore):
    """Seat accounting shared by schedules (remaining counts) and registrations (holds)."""

    def sweep_expired(self, conn: RowConn) -> int:
        now = iso(self.now())
        rows = conn.execute("SELECT id, slot_id, kind, bill_id FROM rec_registrations WHERE state = 'held' AND hold_expires_at <= ?", (now,)).fetchall()
        for r in rows:
            self._release(conn, dict(r), "expired")
        return len(rows)

    def expire_holds(self) -> int:
        """Commit the expiry of every hold past its time (its own transaction, so a later refusal keeps it)."""
        if not self.db.one("SELECT 1 AS x FROM rec_registrations WHERE state = 'held' AND hold_expires_at <= ? LIMIT 1",
                           (iso(self.now()),)):
            return 0
        with self.db.transaction() as conn:
            return self.sweep_expired(conn)

    def _release(self, conn: RowConn, reg: dict[str, Any], state: str) -> None:
        conn.execute("UPDATE rec_registrations SET state = ?, cancelled_at = ? WHERE id = ?", (state, iso(self.now()), reg["id"]))
        if reg["kind"] != "extra":
            conn.execute("UPDATE rec_slots SET taken = taken - 1 WHERE id = ? AND taken > 0", (reg["slot_id"],))
        if reg.get("bill_id"):
            conn.execute("UPDATE rec_bills SET state = 'cancelled' WHERE id = ? AND state = 'unpaid'", (reg["bill_id"],))

    def _take_seat(self, conn: RowConn, slot_id: int) -> bool:
        """The one atomic step: take a seat only while taken < quota."""
        return conn.execute("UPDATE rec_slots SET taken = taken + 1 WHERE id = ? AND taken < quota", (slot_id,)).rowcount == 1
