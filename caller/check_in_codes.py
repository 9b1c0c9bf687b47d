"""Which journey a code scanned or typed at a service point names, and which of its steps checks in there.

A code is the ticket QR's page key (``.../t/<key>``), the guide slip's code (the same key), today's ticket number
(A015), or the patient's medical card: its QR ``MC:<card code>`` or the card code typed. The card belongs to the
records part, which the service never imports: records answers through ``ServiceHooks.patient_desk``
(:meth:`caller.phone_desk.PatientDesk.visits_of_card`), and a card names each journey of that patient today.
"""
from __future__ import annotations

import threading
from datetime import date
from typing import Any, Callable

from caller.engine.model import RuleError
from caller.plugins import ServiceHooks
from common.refusal import not_found


def no_step_here() -> RuleError:
    return RuleError("no_step_here", "您今天没有需要在这里签到的检查或检验项目。请核对导诊单；如医生已开单，请先缴费；"
                     "如有疑问请到服务台咨询，谢谢", "No step of this patient here today; check the guide slip, pay the "
                     "doctor's orders first, or ask at the desk")


class CheckInCodes:
    """Reads the engine under the service's lock; the engine and the ticket links are given as getters (a reload
    builds them anew)."""

    def __init__(self, engine: Callable[[], Any], ticket_links: Callable[[], Any], lock: threading.RLock | Any,
                 today: Callable[[], date], hooks: ServiceHooks) -> None:
        self.engine, self.ticket_links, self.lock, self.today, self.hooks = engine, ticket_links, lock, today, hooks

    def journey_of_code(self, code: str) -> str:
        """The journey (clinic visit id) a scanned or typed code names: the ticket QR's page key, the guide slip's
        code (the same key), today's ticket number (A015), or the patient's medical card (its QR ``MC:<code>`` or
        the code typed; today's newest journey of that patient). 404 when it names nothing of today."""
        found = self.journeys_of_code(code)
        if not found:
            raise RuleError("no_visit_today", "您今天还没有就诊记录，请先挂号就诊，或到服务台咨询，谢谢",
                            "No visit of this patient today; please register first")
        return found[0]

    def journeys_of_code(self, code: str) -> list[str]:
        """Every journey of today a code names, newest first: one for a ticket or slip code; a medical card names
        each of its patient's journeys of today (through the records part, ``hooks.patient_desk``), maybe none.
        404 when the code is neither."""
        code = code.strip()
        token = code.rsplit("/t/", 1)[-1]
        with self.lock:
            visit_id = self.ticket_links().visit_id(token, self.engine().visits, self.today())
            if visit_id is None:
                root = self.engine().journey_of_ticket(code.upper())
                visit_id = root.id if root is not None else None
            if visit_id is not None:
                visit = self.engine().visit(visit_id)
                return [visit.journey_id or visit.id]
        desk = self.hooks.patient_desk
        registered = desk.visits_of_card(code) if desk is not None and code else None
        if registered is None:
            raise not_found("就诊码", "visit code", "")
        with self.lock:
            today, found = self.today(), []
            for visit_id in registered:
                try:
                    visit = self.engine().visit(visit_id)
                except RuleError:  # a visit of another day, no longer held
                    continue
                journey = visit.journey_id or visit.id
                if visit.day == today and journey not in found:
                    found.append(journey)
            return found

    def step_of_code(self, code: str, area_id: str) -> str:
        """The step a code checks in at ``area_id`` (lab, imaging desk): of the ticket's or slip's journey, or, for a
        medical card, of whichever of the patient's journeys of today has one there; a clear refusal if none."""
        journeys = self.journeys_of_code(code)
        refusal: RuleError | None = None
        for journey_id in journeys:
            try:
                return self.step_to_check_in(journey_id, area_id)
            except RuleError as exc:
                refusal = refusal if refusal is not None and refusal.code != "no_step_here" else exc
        if refusal is not None:
            raise refusal
        raise no_step_here()

    def step_to_check_in(self, journey_id: str, area_id: str) -> str:
        """The journey's step that checks in at ``area_id`` now (paid, not yet waiting); a clear refusal if none."""
        with self.lock:
            today = self.today()
            members = [v for v in self.engine().journey(journey_id) if v.journey_id and v.area_id == area_id]
        # today's first; an exam of another day is refused by the check-in with its booked day and time
        ready = sorted((v for v in members if v.state.value == "registered" and v.stage != "unpaid"),
                       key=lambda v: v.day != today)
        if ready:
            return ready[0].id
        if any(v.stage == "unpaid" for v in members):
            raise RuleError("not_paid", "该项目尚未缴费，请先到自助机或收费窗口缴费，谢谢", "Not paid yet; please pay first")
        if any(v.state.value in ("waiting", "room_waiting") for v in members):
            raise RuleError("already_checked_in", "您已签到，请留意叫号，谢谢", "Already checked in")
        raise no_step_here()
