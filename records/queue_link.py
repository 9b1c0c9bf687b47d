"""The caller service as records' queue: register a final registration as a visit, check it in, ask its status.

Runs in the same process as the service (the records router is mounted by the caller app), so it calls
`CallerService.execute` directly with a records principal; engine refusals become RecordsError.
"""
from __future__ import annotations

import logging
from typing import Any

from caller.api.models import RegisterBody
from caller.auth import Principal
from caller.engine.journey import step_items
from caller.engine.model import RuleError
from caller.notify.notifications import NotifyError
from common.refusal import Refusal
from common.wire import Order
from records.audit import current_actor
from records.errors import RecordsError
from records.ports import VisitRef, VisitRequest

log = logging.getLogger(__name__)

ORDER_KIND = {"pharmacy": "drug", "lab": "lab", "imaging": "imaging"}  # a step's kind -> its catalog's


class ServiceQueueLink:
    """QueueLink over an in-process caller.service.CallerService."""

    def __init__(self, service: Any, device: str = "records") -> None:
        self.service = service
        self.who = Principal(role="admin", device=device)

    def _run(self, command: str, **args: Any) -> dict[str, Any]:
        try:
            return self.service.execute(command, self.who, **args)
        except RuleError as exc:  # every rule refusal reaches the kiosk as a conflict of its registration
            raise RecordsError(exc.code, exc.message_zh, exc.message_en, status=409) from exc
        except Refusal as exc:
            raise RecordsError(exc.code, exc.message_zh, exc.message_en, status=exc.status) from exc

    def register_visit(self, request: VisitRequest) -> VisitRef:
        body = RegisterBody(
            idempotency_key=request.idempotency_key, department=request.department_id, name=request.patient_name,
            patient_id=request.patient_ref, doctor=request.doctor_id, source=request.source, kind=request.kind,
            session=request.session, slot=f"{request.slot_start}-{request.slot_end}")
        visit = self._run("register", idempotency_key=request.idempotency_key, body=body)["visit"]
        return VisitRef(visit["visit_id"], visit["ticket"], visit["state"])

    def check_in(self, visit_id: str, idempotency_key: str) -> VisitRef:
        visit = self._run("check_in", idempotency_key=idempotency_key, visit_id=visit_id)["visit"]
        return VisitRef(visit["visit_id"], visit["ticket"], visit["state"])

    def visit_status(self, visit_id: str) -> dict[str, Any]:
        try:
            return self.service.visit_status(visit_id)
        except Refusal as exc:  # the visit is not (or no longer) known
            raise RecordsError(exc.code, exc.message_zh, exc.message_en, status=404) from exc

    def notify_visit(self, conn: Any, visit_id: str, event: str, key: str, **params: Any) -> int:
        """Tell the patient of a visit (if they opted in), in records' open transaction (docs/notifications.md)."""
        return self.service.notify.about_visit(conn, visit_id, event, key, params)

    def notify_patient(self, conn: Any, patient_id: int, event: str, key: str, **params: Any) -> int:
        """Tell a patient who opted in for one of today's visits."""
        return self.service.notify.about_patient(conn, patient_id, event, key, params)

    def notify_recipients(self, conn: Any, recipients: list[tuple[str, str]], event: str, key: str, **params: Any) -> int:
        """Tell these addresses (a patient's appointment reminder opt-ins), in records' open transaction."""
        return self.service.notify.to_recipients(conn, recipients, event, key, params)

    def notify_channels(self) -> tuple[str, ...]:
        return tuple(self.service.notify.notifiers)

    def follow_visit(self, visit_id: str, channel: str, recipient: str) -> None:
        """Opt a visit in for the queue's messages (a patient who asked records for reminders)."""

        try:
            self.service.notify.opt_in(self.who, visit_id, channel, recipient)
        except NotifyError as exc:  # a channel gone from the hospital file since: reminders only
            log.warning("visit %s not opted in for %s: %s", visit_id, channel, exc.code)

    def reminders_changed(self) -> None:
        """A reminder opt-in changed: the service plans appointment reminders at once (docs/notifications.md)."""
        self.service.notify.reminders.changed()
        self.service.notify.sender.wake()

    def cancel_visit(self, visit_id: str, idempotency_key: str) -> None:
        self._run("cancel", idempotency_key=idempotency_key, visit_id=visit_id)

    def open_steps(self, visit_id: str, orders: list[Order], idempotency_key: str) -> list[str]:
        """The HIS's orders open the journey's steps through the service's one seam (``CallerService.open_steps``),
        audited as done by the records' current actor (``his`` for the HIS's messages)."""
        who = Principal(role="admin", device=current_actor().device or self.who.device)
        try:
            answer = self.service.open_steps(visit_id, orders, who, idempotency_key=idempotency_key)
        except RuleError as exc:
            raise RecordsError(exc.code, exc.message_zh, exc.message_en, status=409) from exc
        except Refusal as exc:
            raise RecordsError(exc.code, exc.message_zh, exc.message_en, status=exc.status) from exc
        return [vid for vid in answer.get("changed", []) if vid != visit_id]

    def cancel_order(self, visit_id: str, order_id: str, idempotency_key: str) -> list[str]:
        """A source withdrew its order: the steps it opened that are not paid yet are cancelled (a paid one stays,
        for the window to refund and close); the ids cancelled."""
        who = Principal(role="admin", device=current_actor().device or self.who.device)
        done = []
        for step in self.service.unpaid_steps_of_order(visit_id, order_id):
            try:
                self.service.execute("cancel", who, idempotency_key=f"{idempotency_key}:{step}", visit_id=step)
            except (RuleError, Refusal) as exc:
                log.warning("step %s of order %s not cancelled: %s", step, order_id, exc.code)
                continue
            done.append(step)
        return done

    def unpaid_steps(self, visit_id: str) -> list[dict[str, Any]]:
        """The steps of the visit's journey that wait for payment at a kiosk: every unpaid pharmacy, lab or imaging
        step still open, except those a cashier step carries (the patient pays them at that window). Each: the step's ``visit_id``, ``kind``,
        ``title``, ``amount`` (fen), ``items`` (name, quantity, unit, unit_fen) from the hospital's catalog and
        ``order_id`` (the order's number at its source, the HIS's placer number; None for a console's order)."""
        try:
            journey = self.service.journey_status(visit_id)
        except Refusal:  # a visit of another day, or gone: nothing to pay here
            return []
        with self.service.lock:  # the steps an open cashier step carries are paid at its window
            at_window = {sid for s in journey["steps"] if s["kind"] == "cashier" and s["state"] not in ("done", "cancelled")
                         for sid in step_items(self.service.visit(s["visit_id"]))}
        out = []
        for step in journey["steps"]:
            if step["paid"] or step["kind"] not in ORDER_KIND or step["state"] in ("done", "cancelled") \
                    or step["amount"] <= 0 or step["visit_id"] in at_window:
                continue
            with self.service.lock:
                visit = self.service.visit(step["visit_id"])
                codes, order_id = step_items(visit), visit.order_id
            items = []
            for code in codes:
                base, _, quantity = code.partition("x")
                item = self.service.config.catalog.find(ORDER_KIND[step["kind"]], base)
                if item is not None:
                    items.append({"name": item.name, "quantity": int(quantity or 1), "unit": getattr(item, "unit", "次"),
                                  "unit_fen": item.price})
            if sum(i["quantity"] * i["unit_fen"] for i in items) != step["amount"]:  # the catalog changed since
                items = [{"name": step["title"], "quantity": 1, "unit": "项", "unit_fen": step["amount"]}]
            out.append({"visit_id": step["visit_id"], "kind": step["kind"], "title": step["title"],
                        "amount": step["amount"], "items": items, "order_id": order_id})
        return out

    def pay_step(self, step_id: str, idempotency_key: str, device: str) -> None:
        """The step's bill is paid: ``pay_step`` through the service, audited as done by ``device`` (the kiosk).
        A step paid meanwhile elsewhere (a cashier window, the HIS) is left as it is."""
        who = Principal(role="admin", device=device or self.who.device)
        try:
            self.service.execute("pay_step", who, idempotency_key=idempotency_key, visit_id=step_id)
        except RuleError as exc:
            if exc.code != "already_paid":
                raise RecordsError(exc.code, exc.message_zh, exc.message_en, status=409) from exc
            log.warning("step %s was paid elsewhere already", step_id)
        except Refusal as exc:
            raise RecordsError(exc.code, exc.message_zh, exc.message_en, status=exc.status) from exc
