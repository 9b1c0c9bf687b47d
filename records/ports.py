"""What records needs from the queue (the caller service), as a small Protocol.

Payments go through `hardware.payment.PaymentProvider` (SimulatedProvider in the demo, HttpProvider for a gateway).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol


@dataclass(frozen=True)
class VisitRef:
    """A visit in the caller service's queue."""

    visit_id: str
    ticket: str
    state: str


@dataclass(frozen=True)
class VisitRequest:
    """What the queue needs to register a final registration as a visit for today."""

    idempotency_key: str
    patient_ref: str
    patient_name: str
    department_id: str
    doctor_id: str | None
    kind: str  # general | expert | extra
    source: str  # appointment | onsite
    day: date
    session: str
    slot_start: str
    slot_end: str


class QueueLink(Protocol):
    """The caller service as records sees it. Errors are raised as RecordsError (e.g. code too_early)."""

    def register_visit(self, request: VisitRequest) -> VisitRef: ...

    def check_in(self, visit_id: str, idempotency_key: str) -> VisitRef: ...

    def visit_status(self, visit_id: str) -> dict[str, Any]: ...

    def cancel_visit(self, visit_id: str, idempotency_key: str) -> None: ...

    def open_steps(self, visit_id: str, orders: list[Any], idempotency_key: str) -> list[str]:
        """Open the journey steps of ``orders`` (`common.wire.Order`) on a visit; the ids of the steps opened."""
        ...

    def cancel_order(self, visit_id: str, order_id: str, idempotency_key: str) -> list[str]:
        """Cancel the steps not paid yet that an order opened on a visit; the ids cancelled."""
        ...

    def notify_visit(self, conn: Any, visit_id: str, event: str, key: str, **params: Any) -> int:
        """Text the patient of a visit who opted in, in the transaction on ``conn``; how many messages queued."""
        ...

    def notify_patient(self, conn: Any, patient_id: int, event: str, key: str, **params: Any) -> int:
        """Text a patient who opted in, in the transaction on ``conn``; how many messages queued."""
        ...

    def notify_recipients(self, conn: Any, recipients: list[tuple[str, str]], event: str, key: str,
                          **params: Any) -> int:
        """Text these (channel, address) recipients, in the transaction on ``conn``; how many messages queued."""
        ...

    def unpaid_steps(self, visit_id: str) -> list[dict[str, Any]]:
        """The journey's steps of a visit that wait for payment at a kiosk (`common.wire.StepStatus` as dicts)."""
        ...

    def pay_step(self, step_id: str, idempotency_key: str, device: str) -> None:
        """A journey step's bill was paid (at the kiosk ``device``): the step opens, audited as done by that device."""
        ...
