"""The HIS's orders (开单 at the HIS: HL7 ORM^O01 / RDE^O11, FHIR ServiceRequest / MedicationRequest) open the
journey's steps, as the doctor's orders at a console do (docs/journey.md).

Both drivers keep each order in ``his_orders`` (by its placer number) and then ask the queue, through records'
`QueueLink.open_steps` (the service's `CallerService.open_steps`), to open its steps on the patient's visit of
today:

* the visit the HIS names: our visit number (PV1-19 ``<visit>^^^KIOSK^VN``, or a FHIR Encounter we wrote,
  ``visit-<visit>``), else the visit of the HIS's appointment (SCH-2 of its SIU^S12, or the same number in PV1-19);
* else the patient's visit of today in the ordering department (ORC-17), else their latest visit of today.

An order of a patient with no visit today stays an open order (``his_orders``) and opens nothing. The price is the
hospital file's catalog's, so the HIS's codes must be the catalog's codes (as doctors' ids are the HIS's): an
unknown code is refused (HL7: ``AE``) and nothing is kept. The step opens unpaid, and paying opens it as for an
order given at a console (the cashier window, ``POST /visits/{step}/pay``). The same order sent again (a repeated MSH-10, or the same placer number in a new message, or a FHIR search
that finds it again) opens nothing new: the order number is the step's ``order_id``.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Callable

from common.wire import Order
from records.errors import RecordsError

log = logging.getLogger("records.his")

ORDER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
WHAT = {"drug": "药品", "lab": "检验项目", "imaging": "检查项目"}

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS his_order_steps (
        placer TEXT PRIMARY KEY, visit_id TEXT NOT NULL, opened_at TEXT NOT NULL)""",
)


@dataclass(frozen=True)
class HisOrder:
    """One order of the HIS, as both drivers read it: its number, kind (drug, lab, imaging), catalog code."""

    placer: str
    kind: str
    code: str
    quantity: int = 1
    paid: bool = False
    slot_start: time | None = None
    slot_day: date | None = None  # an exam booked into a later day's slot

    def order(self) -> Order:
        return Order(kind=self.kind, items=[{"code": self.code, "quantity": self.quantity}], order_id=self.placer,
                     paid=self.paid, slot_start=self.slot_start, slot_day=self.slot_day)


def booked(moment: datetime | None, today: date) -> tuple[time | None, date | None]:
    """An exam's booked time (OBR-36, occurrenceDateTime) as (slot start, day when later than today)."""
    if moment is None or moment.date() < today:
        return None, None
    return moment.time().replace(second=0, microsecond=0), moment.date() if moment.date() > today else None


class UnknownItem(ValueError):
    """The HIS ordered something the hospital file's catalog does not have (or a number the queue cannot keep)."""


def kind_of(config: Any, code: str, fallback: str) -> str:
    """A ServiceRequest's / OBR's kind by the catalog (a lab panel or an imaging exam), else ``fallback``."""
    catalog = getattr(config, "catalog", None)
    if catalog is not None:
        for kind in ("lab", "imaging"):
            if catalog.find(kind, code) is not None:
                return kind
    return fallback


def check(config: Any, order: HisOrder) -> None:
    """Refuse what cannot become a step: an order number the queue cannot keep, a code not in the catalog."""
    if not ORDER_ID.match(order.placer):
        raise UnknownItem(f"order number {order.placer!r} has characters other than letters, digits and _.:- "
                          "or is longer than 64")
    catalog = getattr(config, "catalog", None)
    if catalog is not None and catalog.find(order.kind, order.code) is None:
        raise UnknownItem(f"{order.kind} {order.code!r} is not in the hospital file's catalog ({WHAT[order.kind]})")


def create_tables(conn: Any) -> None:
    for statement in SCHEMA:
        conn.execute(statement)


def today_visit(conn: Any, patient_id: int, day: str, visit: str | None = None, appointment: str | None = None,
                department: str | None = None) -> str | None:
    """The patient's visit of ``day`` an order belongs to (see the module's text), or None."""
    if visit:
        row = conn.execute("SELECT visit_id FROM rec_registrations WHERE visit_id = ? AND patient_id = ?",
                           (visit, patient_id)).fetchone()
        if row is not None:
            return str(row[0])
    if appointment:
        row = conn.execute("SELECT r.visit_id FROM his_ids h JOIN rec_registrations r ON r.id = h.local_id "
                           "WHERE h.kind = 'appointment' AND h.his_id = ? AND r.patient_id = ? AND r.visit_id IS NOT NULL",
                           (appointment, patient_id)).fetchone()
        if row is not None:
            return str(row[0])
    found = conn.execute(
        "SELECT r.visit_id, s.department_id FROM rec_registrations r JOIN rec_sessions s ON s.id = r.session_id "
        "WHERE r.patient_id = ? AND r.date = ? AND r.state = 'final' AND r.visit_id IS NOT NULL "
        "ORDER BY r.checked_in_at IS NULL, r.checked_in_at DESC, r.id DESC", (patient_id, day)).fetchall()
    if department:
        same = [r for r in found if r[1] == department]
        if same:
            return str(same[0][0])
    return str(found[0][0]) if found else None


def opener(records: Any, visit_id: str, orders: list[HisOrder], now: Callable[[], datetime]) -> Callable[[], None]:
    """Work for after the records commit: open the orders' steps on the visit, and remember where they went."""

    def work() -> None:
        queue = records.core.queue
        if queue is None:
            return
        key = "his-orders:" + hashlib.sha256(
            f"{visit_id}|{'|'.join(sorted(o.placer for o in orders))}".encode()).hexdigest()[:24]
        try:
            queue.open_steps(visit_id, [o.order() for o in orders], key)
        except RecordsError as exc:  # e.g. the visit was cancelled: the orders stay open orders
            log.warning("orders %s not opened on visit %s: %s", [o.placer for o in orders], visit_id, exc.code)
            return
        with records.db.transaction() as conn:
            for order in orders:
                conn.execute("INSERT INTO his_order_steps (placer, visit_id, opened_at) VALUES (?, ?, ?) "
                             "ON CONFLICT (placer) DO NOTHING",
                             (order.placer, visit_id, now().replace(microsecond=0).isoformat()))

    return work


def canceller(records: Any, visit_id: str, placer: str) -> Callable[[], None]:
    """Work for after the records commit: the HIS withdrew an order; its steps not paid yet are cancelled."""

    def work() -> None:
        queue = records.core.queue
        if queue is not None:
            queue.cancel_order(visit_id, placer, f"his-cancel:{placer}")

    return work
