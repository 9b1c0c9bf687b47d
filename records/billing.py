"""Bills (缴费): itemised charges in integer fen, and the public price list."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from records.core import RecordsCore, iso
from records.db import RowConn
from records.errors import not_found
from records.models import BillCreate

if TYPE_CHECKING:  # the parts it works with (Records wires them)
    from records.holds import Seats
    from records.patients import Patients


BILL_KINDS_ZH = {"registration": "挂号费", "visit": "诊疗费", "drug": "药品费", "exam": "检查检验费"}


class Billing:
    """Bills and prices."""

    def __init__(self, core: RecordsCore, patients: Patients, seats: Seats) -> None:
        self.core = core
        self.patients = patients
        self.seats = seats


    def create_bill(self, body: BillCreate) -> dict[str, Any]:
        with self.core.db.transaction() as conn:
            remembered = self.core.recall_key(conn, body.idempotency_key, "bill")
            if remembered:
                return self._bill_view(conn, remembered["id"])
            self.patients.row(conn, body.patient_id)
            total = sum(i.quantity * i.unit_fen for i in body.items)
            bill_id = conn.execute("INSERT INTO rec_bills (patient_id, kind, title, total_fen, created_at) VALUES (?, ?, ?, ?, ?) "
                                   "RETURNING id", (body.patient_id, body.kind, body.title, total, iso(self.core.now()))).fetchone()[0]
            conn.executemany(
                "INSERT INTO rec_bill_items (bill_id, name, quantity, unit, unit_fen, amount_fen) VALUES (?, ?, ?, ?, ?, ?)",
                [(bill_id, i.name, i.quantity, i.unit, i.unit_fen, i.quantity * i.unit_fen) for i in body.items])
            self.core.remember_key(conn, body.idempotency_key, "bill", {"id": bill_id})
            self.core.audit(conn, "bill_added", after="unpaid", bill_id=bill_id, patient_id=body.patient_id, kind=body.kind,
                       total_fen=total, items=len(body.items))
            return self._bill_view(conn, bill_id)

    def list_bills(self, patient_id: int, state: str | None = "unpaid") -> dict[str, Any]:
        self.seats.expire_holds()
        if state in (None, "unpaid"):
            self.bill_journey_steps(patient_id)
        with self.core.db.transaction() as conn:
            self.patients.row(conn, patient_id)
            sql, params = "SELECT id FROM rec_bills WHERE patient_id = ?", [patient_id]
            if state:
                sql += " AND state = ?"
                params.append(state)
            bills = [self._bill_view(conn, r[0]) for r in conn.execute(sql + " ORDER BY id", params)]
        return {"bills": bills, "total_fen": sum(b["total_fen"] for b in bills)}

    def bill_journey_steps(self, patient_id: int) -> None:
        """The patient's journey steps of today that wait for payment (the orders a doctor gave at a console,
        docs/journey.md; the HIS bills its own orders) become bills, one per step (``step_id``), so the kiosk pays
        them like any bill; paying one opens its step
        (:meth:`records.payments.Payments.settle`). A step's bill still unpaid whose step was paid elsewhere (a
        cashier window, the HIS) or cancelled is cancelled. The queue is asked outside the transaction."""
        queue = self.core.queue
        if queue is None or not hasattr(queue, "unpaid_steps"):
            return
        today = self.core.now().date().isoformat()
        visits = [r["visit_id"] for r in self.core.db.all(
            "SELECT visit_id FROM rec_registrations WHERE patient_id = ? AND date = ? AND state = 'final'"
            " AND visit_id IS NOT NULL", (patient_id, today))]
        # an order the HIS sent (its own order number) is charged by the HIS (its DFT^P03 bills, or paid: true)
        unpaid = {step["visit_id"]: step for visit_id in visits for step in queue.unpaid_steps(visit_id)
                  if not step.get("order_id")}
        with self.core.db.transaction() as conn:
            billed = {r["step_id"]: dict(r) for visit_id in visits for r in conn.execute(
                "SELECT id, step_id, state FROM rec_bills WHERE patient_id = ? AND step_id LIKE ?",
                (patient_id, f"{visit_id}-%"))}
            for step_id, bill in billed.items():
                if bill["state"] == "unpaid" and step_id not in unpaid:
                    conn.execute("UPDATE rec_bills SET state = 'cancelled' WHERE id = ?", (bill["id"],))
                    self.core.audit(conn, "bill_cancelled", before="unpaid", after="cancelled", bill_id=bill["id"],
                                    step_id=step_id, reason="step paid elsewhere or cancelled")
            for step_id, step in unpaid.items():
                if step_id in billed:
                    continue
                kind = "drug" if step["kind"] == "pharmacy" else "exam"
                title = step["title"] if step["kind"] != "pharmacy" else \
                    f"{step['title']}：{'、'.join(i['name'] for i in step['items'])}"
                bill_id = conn.execute(
                    "INSERT INTO rec_bills (patient_id, kind, title, total_fen, created_at, step_id) VALUES (?, ?, ?, ?, ?, ?)"
                    " RETURNING id", (patient_id, kind, title, step["amount"], iso(self.core.now()), step_id)).fetchone()[0]
                conn.executemany(
                    "INSERT INTO rec_bill_items (bill_id, name, quantity, unit, unit_fen, amount_fen) VALUES (?, ?, ?, ?, ?, ?)",
                    [(bill_id, i["name"], i["quantity"], i["unit"], i["unit_fen"], i["quantity"] * i["unit_fen"])
                     for i in step["items"]])
                self.core.audit(conn, "bill_added", after="unpaid", bill_id=bill_id, patient_id=patient_id, kind=kind,
                                total_fen=step["amount"], items=len(step["items"]), step_id=step_id)

    def get_bill(self, bill_id: int) -> dict[str, Any]:
        with self.core.db.reading() as rc:
            return self._bill_view(rc, bill_id)

    def _bill_view(self, conn: RowConn, bill_id: int) -> dict[str, Any]:
        bill = conn.execute("SELECT * FROM rec_bills WHERE id = ?", (bill_id,)).fetchone()
        if bill is None:
            raise not_found("该账单", "The bill")
        items = conn.execute("SELECT name, quantity, unit, unit_fen, amount_fen FROM rec_bill_items WHERE bill_id = ? ORDER BY id", (bill_id,))
        hold = None
        if bill["registration_id"]:
            reg = conn.execute("SELECT state, hold_expires_at FROM rec_registrations WHERE id = ?", (bill["registration_id"],)).fetchone()
            hold = reg["hold_expires_at"] if reg and reg["state"] == "held" else None
        return {"bill_id": bill["id"], "patient_id": bill["patient_id"], "kind": bill["kind"],
                "kind_zh": BILL_KINDS_ZH.get(bill["kind"], bill["kind"]), "title": bill["title"],
                "items": [dict(i) for i in items], "total_fen": bill["total_fen"], "state": bill["state"],
                "registration_id": bill["registration_id"], "hold_expires_at": hold, "order_id": bill["order_id"],
                "created_at": bill["created_at"], "paid_at": bill["paid_at"], "step_id": bill["step_id"]}

    def set_prices(self, prices: list[dict[str, Any]]) -> None:
        with self.core.db.transaction() as conn:
            conn.executemany("INSERT INTO rec_prices (code, name, category, unit, unit_fen) VALUES (:code, :name, :category, :unit, :unit_fen) "
                             "ON CONFLICT (code) DO UPDATE SET name = excluded.name, category = excluded.category, "
                             "unit = excluded.unit, unit_fen = excluded.unit_fen", prices)

    def price_list(self, category: str | None = None) -> dict[str, Any]:
        sql, params = "SELECT code, name, category, unit, unit_fen FROM rec_prices", ()
        if category:
            sql, params = sql + " WHERE category = ?", (category,)
        return {"prices": self.core.db.all(sql + " ORDER BY category, code", params)}
