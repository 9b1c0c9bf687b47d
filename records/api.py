"""The records LAN API: a FastAPI router under /api/v1/records that calls a RecordsBackend.

The caller app mounts it as a plug-in (records/plugins.py: `install(app, service, hooks)`, then `router`). Auth is the
caller service's: device tokens and console user tokens. Endpoints and JSON are documented in docs/records.md.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import Any, Callable

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from caller.api.deps import require
from caller.auth import SESSION_HEADER, AuthError
from caller.plugins import ServiceHooks
from hardware.payment import HttpProvider, Outcome, SimulatedProvider
from records.audit import actor_scope, current_actor, set_actor
from records.backend import RecordsBackend, open_records
from records.db import RecordsDB
from records.errors import RecordsError
from records.models import (
    BillCreate,
    CancelRequest,
    CheckInRequest,
    FamilyMemberCreate,
    HoldRequest,
    Identify,
    PatientCreate,
    PayCode,
    PaymentCreate,
    PaymentNotice,
    Proxy,
    RatingCreate,
    ReconcileRequest,
    ReminderOptIn,
    ReportPrint,
    ReportVerify,
    ReprintRequest,
    StopClinic,
)
from records.phone_desk import PhoneDesk
from records.queue_link import ServiceQueueLink
from records.settings import settings_from_config

log = logging.getLogger("records.api")

class RecordsRoute(APIRoute):
    """Audits as the request's actor. A RecordsError is a refusal: the app's one handler sends it."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Any:
            with actor_scope():  # `who` names the actor; the worker threads of this request see it
                return await handler(request)

        return route


router = APIRouter(prefix="/records", tags=["records"], route_class=RecordsRoute)


def backend(request: Request) -> RecordsBackend:
    return request.app.state.records


def who(request: Request) -> Any:
    """The caller's principal. Which kinds of caller reach each route is caller/api/access.py's RULES table;
    here the handlers limit a kiosk to its patient session and staff to their areas."""
    found = request.scope.get("caller.principal")
    if found is None:
        found = request.app.state.service.auth.resolve_headers(request.headers)
        request.scope["caller.principal"] = found
    set_actor(found.user, found.device, getattr(found, "holder", None))
    return found


def not_in_session() -> RecordsError:
    return RecordsError("patient_not_in_session", "对不起，只能办理本次刷卡识别的患者（或其授权家属）的业务，请重新识别身份。",
                        "This kiosk may only act for the patient identified here (and whom they may act for); "
                        "please identify again.", status=403)


def for_patient(principal: Any, patient_id: int | None) -> None:
    """403 unless the caller may act for this patient (a kiosk: only its session's patients)."""
    if not principal.may_act_for(patient_id):
        raise not_in_session()


def acting_for_family(request: Request, principal: Any, body: Any) -> None:
    """At a kiosk, the patient identified in person acting for a family member is that member's proxy: the
    registration and payment name them (their ID number never leaves the service)."""
    holder = getattr(principal, "holder", None)
    if principal.role != "kiosk" or holder is None or holder == body.patient_id or body.proxy_id_number:
        return
    records = backend(request)
    if any(member["patient_id"] == body.patient_id for member in records.family_of(holder)):
        body.proxy_id_number = records.identity_number(holder)


def owned(request: Request, principal: Any, kind: str, ident: int) -> None:
    """A kiosk may touch a registration, bill, order or report only of its session's patients.

    Something that does not exist is the backend's 404 as before; for a kiosk, another patient's thing is
    refused the same way as a missing one would be for them: 403 patient_not_in_session.
    """
    if principal.role != "kiosk":
        return
    for_patient(principal, backend(request).patient_of(kind, ident))


def scoped(principal: Any, key: str | None, body: Any = None) -> str | None:
    """An idempotency key belongs to the device and user that sent it (another one's equal key is another key), and
    is bound to the request it came with: ``device:user:key#hash``. The same key with another request answers 409
    ``idempotency_conflict`` (see :meth:`records.core.RecordsCore.recall_key`)."""
    if not key:
        return None
    fields = body.model_dump(mode="json", exclude={"idempotency_key"}) if body is not None else {}
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"{principal.device}:{principal.user or ''}:{key}#{digest}"


def scope_body(principal: Any, body: Any) -> Any:
    if getattr(body, "idempotency_key", None):
        body.idempotency_key = scoped(principal, body.idempotency_key, body)
    return body


def open_session(request: Request, principal: Any, result: dict, card: str | None = None) -> dict:
    """After an identification at a kiosk: the patient session (token in ``session_token``). A kiosk opening
    sessions faster than a lobby could is suspended (caller/patient_guard.py)."""
    ids = {int(i) for i in result.pop("proven_ids", [])}
    result.pop("factor_patient_id", None)
    if principal.role != "kiosk":
        return result

    if not ids and not card:
        return result
    holder = (result.get("patient") or {}).get("patient_id") if result.get("found", True) else None
    service = request.app.state.service
    sessions, presented = service.auth.kiosk_sessions, request.headers.get(SESSION_HEADER)
    if sessions.is_new(principal.device, presented):
        service.guard.session_opened(principal.device)
    token = sessions.open(principal.device, presented, ids, card, holder=holder)
    result["session_token"] = token
    return result


# -- public ----------------------------------------------------------------------------------------------------
@router.get("/prices", summary="Public price list (公开价格)")
def prices(request: Request, category: str | None = None) -> dict:
    return backend(request).price_list(category)


# -- patients ----------------------------------------------------------------------------------------------------
@router.post("/patients/identify", summary="Identify by ID number or medical card number")
def identify(body: Identify, request: Request, principal: Any = Depends(who)) -> dict:
    """At a kiosk a wrong second factor counts against the patient and the kiosk; a locked patient's second
    factor is refused even when right (caller/patient_guard.py)."""
    result = backend(request).identify(body, trusted=principal.role != "kiosk")
    tried = result.get("factor_patient_id")
    if principal.role == "kiosk" and tried is not None:
        guard = request.app.state.service.guard
        if body.phone_last4:  # a locked record opens only with the card on the reader (or at the desk)
            guard.check_patient(int(tried))
        if result.get("second_factor_required"):
            guard.factor_failed(principal.device, int(tried))
        else:
            guard.factor_passed(int(tried))
    card = body.id_number if body.card_name and not result.get("second_factor_required") else None
    return open_session(request, principal, result, card)


@router.post("/patients/{patient_id}/unlock", summary="Staff lift a patient's second-factor lock (audited)")
def unlock(patient_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    require(principal, {"console"}, user=True)
    if not request.app.state.service.guard.lift("patient", str(patient_id), principal.user or "", principal.device):
        raise RecordsError("not_locked", "该患者的识别没有被锁定。", "This patient's second factor is not locked.",
                           status=404)
    return {"patient_id": patient_id, "locked": False}


@router.post("/patients", summary="Create a patient record (建档); a second create returns the existing record")
def create_patient(body: PatientCreate, request: Request, principal: Any = Depends(who)) -> JSONResponse:
    result = backend(request).create_patient(scope_body(principal, body), trusted=principal.role != "kiosk")
    card = body.id_card.id_number if body.source == "id_card" and body.id_card else None
    result = open_session(request, principal, result, card)
    return JSONResponse(result, status_code=200 if result["returning"] else 201)


@router.delete("/session", summary="The kiosk went home: end its patient session")
def end_session(request: Request, principal: Any = Depends(who)) -> dict:
    ended = request.app.state.service.auth.kiosk_sessions.end(principal.device, request.headers.get(SESSION_HEADER))
    return {"ended": ended}


@router.get("/patients/{patient_id}")
def get_patient(patient_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    for_patient(principal, patient_id)
    return backend(request).get_patient(patient_id)


@router.post("/patients/{patient_id}/proxies", summary="Add a family member who may act for the patient (家属代办)")
def add_proxy(patient_id: int, body: Proxy, request: Request, principal: Any = Depends(who)) -> dict:
    """Staff add (or confirm) proxies for good; a kiosk only when both people's ID cards were read in this
    session, and then for this kiosk and today only, until staff confirm it at the desk."""
    if principal.role == "kiosk":
        for_patient(principal, patient_id)
        from caller.auth import digest

        own = backend(request).identity_number(patient_id)
        if not (own and body.id_number and digest(own) in principal.cards and digest(body.id_number) in principal.cards):
            raise RecordsError("cards_required", "添加代办家属需要在本机依次读取患者本人和家属的身份证，或请到服务台办理，谢谢。",
                               "Adding a family proxy at a kiosk needs both people's ID cards read here; "
                               "or ask at the service desk.", status=403)
        return backend(request).add_proxy(patient_id, body, at_kiosk=principal.device)
    return backend(request).add_proxy(patient_id, body)


@router.post("/patients/{patient_id}/family", summary="为家人建档: a child's record from the guardian's session")
def create_family_member(patient_id: int, body: FamilyMemberCreate, request: Request,
                         principal: Any = Depends(who)) -> JSONResponse:
    """The guardian (``patient_id``) links the new record to themselves as family proxy. At a kiosk only the
    patient identified in person there may do it, never someone they act for."""
    if principal.role == "kiosk":
        for_patient(principal, patient_id)
        if principal.holder != patient_id:
            raise not_in_session()
    result = backend(request).create_family_member(patient_id, scope_body(principal, body))
    result = open_session(request, principal, result)
    return JSONResponse(result, status_code=200 if result["returning"] else 201)


# -- schedules ---------------------------------------------------------------------------------------------------
@router.get("/departments", summary="Departments with remaining numbers and fees for a day")
def departments(request: Request, date: str | None = None, _: Any = Depends(who)) -> dict:
    return backend(request).list_departments(date)


@router.get("/doctors", summary="Doctors of a department with their sessions for a day")
def doctors(request: Request, department: str | None = None, date: str | None = None, _: Any = Depends(who)) -> dict:
    return backend(request).list_doctors(department, date)


@router.get("/slots", summary="Sessions and slots with remaining counts and fees")
def slots(request: Request, department: str | None = None, date: str | None = None, doctor: str | None = None,
          session: str | None = Query(default=None, pattern="^(am|pm)$"), _: Any = Depends(who)) -> dict:
    return backend(request).list_slots(department, date, doctor, session)


@router.get("/notices", summary="Stop-clinic notices (停诊) of a day")
def notices(request: Request, date: str | None = None, _: Any = Depends(who)) -> dict:
    return backend(request).notices(date)


@router.post("/sessions/{session_id}/stop", summary="Stop a doctor's session (停诊)")
def stop_clinic(session_id: int, body: StopClinic, request: Request, principal: Any = Depends(who)) -> dict:
    department = backend(request).session_department(session_id)
    if department is not None:
        require(principal, {"console"}, request.app.state.service.area_of_department(department), user=True)
    return backend(request).stop_clinic(session_id, body.notice)


# -- appointment reminders (docs/notifications.md) ----------------------------------------------------------------
@router.get("/patients/{patient_id}/reminders", summary="The patient's appointment reminders (numbers masked)")
def reminders(patient_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    for_patient(principal, patient_id)
    return backend(request).reminder_view(patient_id)


@router.post("/patients/{patient_id}/reminders", summary="Remind the patient of appointments (SMS to the phone on record by default)")
def set_reminders(patient_id: int, body: ReminderOptIn, request: Request, principal: Any = Depends(who)) -> dict:
    for_patient(principal, patient_id)
    return backend(request).set_reminders(patient_id, body.channel, body.to, principal.actor)


@router.delete("/patients/{patient_id}/reminders/{channel}", summary="No more appointment reminders on that channel")
def stop_reminders(patient_id: int, channel: str, request: Request, principal: Any = Depends(who)) -> dict:
    for_patient(principal, patient_id)
    return backend(request).stop_reminders(patient_id, channel)


# -- registrations -----------------------------------------------------------------------------------------------
@router.post("/registrations", summary="Hold a slot (挂号/预约); final at once when the hospital takes payment at the visit")
def hold(body: HoldRequest, request: Request, principal: Any = Depends(who)) -> JSONResponse:
    for_patient(principal, body.patient_id)
    acting_for_family(request, principal, body)
    if body.extra and principal.role == "kiosk":
        raise RecordsError("field_not_allowed", "对不起，加号只能由工作人员办理，请到分诊台咨询。",
                           "Extra numbers (加号) are given by staff only.", status=403)
    may_add_extra = principal.role in ("console", "admin")
    return JSONResponse(backend(request).hold(scope_body(principal, body), may_add_extra=may_add_extra), status_code=201)


@router.get("/registrations", summary="A patient's registrations and appointments (today and later)")
def registrations(request: Request, patient_id: int, include_past: bool = False, principal: Any = Depends(who)) -> dict:
    for_patient(principal, patient_id)
    return backend(request).list_registrations(patient_id, include_past)


@router.get("/registrations/{registration_id}", summary="A registration and its place in the queue")
def registration_status(registration_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "registration", registration_id)
    return backend(request).registration_status(registration_id)


@router.post("/registrations/{registration_id}/cancel", summary="Cancel; the slot goes back, a paid fee is refunded")
def cancel(registration_id: int, request: Request, body: CancelRequest | None = None, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "registration", registration_id)
    if principal.role == "kiosk":  # the patient's own 退号: the hospital's rule (the desk may still cancel)
        backend(request).refuse_unless_cancellable(registration_id)
    return backend(request).cancel_registration(registration_id, scoped(principal, body.idempotency_key, body) if body else None)


@router.post("/registrations/{registration_id}/check-in", summary="Check in (签到) under the early-check-in rule")
def check_in(registration_id: int, request: Request, body: CheckInRequest | None = None, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "registration", registration_id)
    return backend(request).check_in(registration_id, scoped(principal, body.idempotency_key, body) if body else None)


@router.post("/registrations/{registration_id}/reprint", summary="补打 the queue ticket or the 挂号凭条 (counted, limited)")
def reprint(registration_id: int, body: ReprintRequest, request: Request, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "registration", registration_id)
    return backend(request).reprint_slip(registration_id, scope_body(principal, body), device=principal.device)


# -- bills and payments ------------------------------------------------------------------------------------------
@router.get("/bills", summary="A patient's bills (unpaid by default)")
def bills(request: Request, patient_id: int, state: str | None = "unpaid", principal: Any = Depends(who)) -> dict:
    for_patient(principal, patient_id)
    return backend(request).list_bills(patient_id, None if state == "all" else state)


@router.post("/bills", summary="Add an itemised bill (clinic staff / HIS)")
def create_bill(body: BillCreate, request: Request, principal: Any = Depends(who)) -> JSONResponse:
    return JSONResponse(backend(request).create_bill(scope_body(principal, body)), status_code=201)


@router.post("/payments", summary="Pay several bills at once: opens an order at the payment provider")
def create_payment(body: PaymentCreate, request: Request, principal: Any = Depends(who)) -> JSONResponse:
    for_patient(principal, body.patient_id)
    acting_for_family(request, principal, body)
    for bill_id in body.bill_ids:
        if principal.role == "kiosk" and backend(request).patient_of("bill", bill_id) not in (None, body.patient_id):
            raise not_in_session()
    return JSONResponse(backend(request).create_payment(scope_body(principal, body), device=principal.device), status_code=201)


@router.get("/payments/{order_id}")
def get_payment(order_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "order", order_id)
    return backend(request).get_order(order_id)


@router.post("/payments/{order_id}/confirm", summary="Ask the provider whether the order is paid; apply it")
def confirm_payment(order_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "order", order_id)
    return backend(request).confirm_payment(order_id)


@router.post("/payments/{order_id}/pay-code", summary="Charge a scanned payment code (付款码)")
def pay_code(order_id: int, body: PayCode, request: Request, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "order", order_id)
    return backend(request).pay_with_code(order_id, body.code)


@router.post("/payments/{order_id}/abandon", summary="The kiosk gives up: close the order, free held slots")
def abandon_payment(order_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "order", order_id)
    return backend(request).abandon_payment(order_id)


@router.post("/payments/notify", summary="The provider reports a change (late payment): re-read and apply")
def payment_notice(body: PaymentNotice, request: Request, _: Any = Depends(who)) -> dict:
    return backend(request).payment_notice(body.order_id)


@router.post("/payments/reconcile", summary="Daily reconciliation against the provider")
def reconcile(body: ReconcileRequest, request: Request, _: Any = Depends(who)) -> dict:
    return backend(request).reconcile(body.date)


# -- reports -----------------------------------------------------------------------------------------------------
@router.get("/reports", summary="A patient's lab reports: released, or when they will be ready")
def reports(request: Request, patient_id: int, principal: Any = Depends(who)) -> dict:
    for_patient(principal, patient_id)
    return backend(request).list_reports(patient_id)


@router.get("/reports/{report_id}", summary="A released report with its items")
def report(report_id: int, request: Request, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "report", report_id)
    return backend(request).get_report(report_id)


@router.post("/reports/{report_id}/verify", summary="One verification; the second by different staff releases it")
def verify_report(report_id: int, request: Request, body: ReportVerify | None = None, principal: Any = Depends(who)) -> dict:
    """The signer is the logged-in console user; an admin (laboratory system) token names the signer in staff_id."""
    if principal.role == "console" and not principal.user:
        raise AuthError("login_required", "请先用您的账号登录，再进行报告审核签字，谢谢。", "Log in with your own account to sign a report.", status=403)
    signer = principal.user or (body.staff_id if body else None)
    if not signer:
        raise RecordsError("missing_staff", "请注明审核人。", "Name the verifying member of staff (staff_id).", status=422)
    return backend(request).verify_report(report_id, signer)


@router.post("/reports/{report_id}/print", summary="Count a print and return the report to print")
def print_report(report_id: int, request: Request, body: ReportPrint | None = None, principal: Any = Depends(who)) -> dict:
    owned(request, principal, "report", report_id)
    return backend(request).print_report(report_id, device=principal.device, idempotency_key=scoped(principal, body.idempotency_key, body) if body else None)


# -- ratings -----------------------------------------------------------------------------------------------------
@router.post("/ratings", summary="Rate the service (服务评价)")
def rate(body: RatingCreate, request: Request, principal: Any = Depends(who)) -> JSONResponse:
    return JSONResponse(backend(request).add_rating(scope_body(principal, body), device=principal.device), status_code=201)


@router.get("/ratings/stats", summary="Rating statistics")
def rating_stats(request: Request, since: str | None = None, _: Any = Depends(who)) -> dict:
    return backend(request).rating_stats(since)


# -- mounting ----------------------------------------------------------------------------------------------------
def default_payments() -> Any:
    """The payment provider: HttpProvider when HOSPITAL_PAYMENT_URL is set, else the simulated gateway."""
    url = os.environ.get("HOSPITAL_PAYMENT_URL")
    return HttpProvider(url) if url else SimulatedProvider(Outcome.approve(2.0))


def install(app: Any, service: Any, hooks: ServiceHooks, *, payments: Any = None, **overrides: Any) -> RecordsBackend:
    """Put the embedded backend on `app.state.records`, sharing the caller store's SQLite connection and the queue."""
    records = open_records(RecordsDB.on_store(service.store), service.config, clock=service.clock,
                           queue=ServiceQueueLink(service), payments=payments or default_payments(), **overrides)
    app.state.records = records
    hooks.request_device.append(lambda: current_actor().device)  # which kiosk a visit registered through records came from
    service.notify.reminders.attach(records.reminder_bookings)  # appointment reminders (caller/notify/reminders.py)
    hooks.patient_desk = PhoneDesk(records)  # the phone page's 我不排了 (seat, refund rule) and card QR

    def reconfigure(config: Any) -> None:  # a reloaded hospital file: schedules, fees and rules from now on
        records.config = config
        records.settings = settings_from_config(config, **overrides)

    hooks.reload.append(reconfigure)
    from records.his.link import install as install_his

    install_his(app, service, records, hooks)  # [his]: local records, or the hospital's HIS over HL7 v2 or FHIR
    return records
