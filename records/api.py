"""The records LAN API: a FastAPI router under /api/v1/records that calls a RecordsBackend.

The caller app mounts it (`caller.api.app._records_plugin`: `install(app, service)`, then `router`). Auth is the
caller service's: device tokens and console user tokens. Endpoints and JSON are documented in docs/records.md.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Callable

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from records.audit import actor_scope, set_actor
from records.backend import RecordsBackend, open_records
from records.db import RecordsDB
from records.errors import RecordsError
from records.models import (BillCreate, CancelRequest, CheckInRequest, HoldRequest, Identify, PatientCreate, PayCode,
                            PaymentCreate, PaymentNotice, Proxy, RatingCreate, ReconcileRequest, ReportPrint, ReportVerify,
                            StopClinic)
from records.settings import settings_from_config

log = logging.getLogger("records.api")

KIOSK = {"kiosk", "console"}
STAFF = {"console"}


class RecordsRoute(APIRoute):
    """Turns a RecordsError into the shared error JSON, whatever app mounts the router; audits as the request's actor."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Any:
            with actor_scope():  # `who` names the actor; the worker threads of this request see it
                try:
                    return await handler(request)
                except RecordsError as exc:
                    return JSONResponse(exc.to_json(), status_code=exc.status)

        return route


router = APIRouter(prefix="/records", tags=["records"], route_class=RecordsRoute)


def backend(request: Request) -> RecordsBackend:
    return request.app.state.records


def who(request: Request) -> Any:
    """The caller service's principal for the bearer token (401 when missing or unknown)."""
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    principal = request.app.state.service.auth.resolve(token.strip() if scheme.lower() == "bearer" else None)
    set_actor(principal.user, principal.device)
    return principal


def allow(principal: Any, roles: set[str]) -> None:
    """403 unless the token's role is one of `roles` (admin may do everything)."""
    from caller.auth import forbidden

    if principal.role == "admin" or principal.user_role == "admin":
        return
    if principal.role not in roles:
        raise forbidden("此操作", "this records action")


def kiosk(request: Request) -> Any:
    principal = who(request)
    allow(principal, KIOSK)
    return principal


def staff(request: Request) -> Any:
    principal = who(request)
    allow(principal, STAFF)
    return principal


def admin(request: Request) -> Any:
    principal = who(request)
    allow(principal, set())
    return principal


# -- public ----------------------------------------------------------------------------------------------------
@router.get("/prices", summary="Public price list (公开价格)")
def prices(request: Request, category: str | None = None) -> dict:
    return backend(request).price_list(category)


# -- patients ----------------------------------------------------------------------------------------------------
@router.post("/patients/identify", summary="Identify by ID number or medical card number")
def identify(body: Identify, request: Request, _: Any = Depends(kiosk)) -> dict:
    return backend(request).identify(body)


@router.post("/patients", summary="Create a patient record (建档); a second create returns the existing record")
def create_patient(body: PatientCreate, request: Request, _: Any = Depends(kiosk)) -> JSONResponse:
    result = backend(request).create_patient(body)
    return JSONResponse(result, status_code=200 if result["returning"] else 201)


@router.get("/patients/{patient_id}")
def get_patient(patient_id: int, request: Request, _: Any = Depends(kiosk)) -> dict:
    return backend(request).get_patient(patient_id)


@router.post("/patients/{patient_id}/proxies", summary="Add a family member who may act for the patient (家属代办)")
def add_proxy(patient_id: int, body: Proxy, request: Request, _: Any = Depends(kiosk)) -> dict:
    return backend(request).add_proxy(patient_id, body)


# -- schedules ---------------------------------------------------------------------------------------------------
@router.get("/departments", summary="Departments with remaining numbers and fees for a day")
def departments(request: Request, date: str | None = None, _: Any = Depends(kiosk)) -> dict:
    return backend(request).list_departments(date)


@router.get("/doctors", summary="Doctors of a department with their sessions for a day")
def doctors(request: Request, department: str | None = None, date: str | None = None, _: Any = Depends(kiosk)) -> dict:
    return backend(request).list_doctors(department, date)


@router.get("/slots", summary="Sessions and slots with remaining counts and fees")
def slots(request: Request, department: str | None = None, date: str | None = None, doctor: str | None = None,
          session: str | None = Query(default=None, pattern="^(am|pm)$"), _: Any = Depends(kiosk)) -> dict:
    return backend(request).list_slots(department, date, doctor, session)


@router.get("/notices", summary="Stop-clinic notices (停诊) of a day")
def notices(request: Request, date: str | None = None, _: Any = Depends(kiosk)) -> dict:
    return backend(request).notices(date)


@router.post("/sessions/{session_id}/stop", summary="Stop a doctor's session (停诊)")
def stop_clinic(session_id: int, body: StopClinic, request: Request, _: Any = Depends(staff)) -> dict:
    return backend(request).stop_clinic(session_id, body.notice)


# -- registrations -----------------------------------------------------------------------------------------------
@router.post("/registrations", summary="Hold a slot (挂号/预约); final at once when the hospital takes payment at the visit")
def hold(body: HoldRequest, request: Request, principal: Any = Depends(kiosk)) -> JSONResponse:
    may_add_extra = principal.role in ("console", "admin")
    return JSONResponse(backend(request).hold(body, may_add_extra=may_add_extra), status_code=201)


@router.get("/registrations", summary="A patient's registrations and appointments (today and later)")
def registrations(request: Request, patient_id: int, include_past: bool = False, _: Any = Depends(kiosk)) -> dict:
    return backend(request).list_registrations(patient_id, include_past)


@router.get("/registrations/{registration_id}", summary="A registration and its place in the queue")
def registration_status(registration_id: int, request: Request, _: Any = Depends(kiosk)) -> dict:
    return backend(request).registration_status(registration_id)


@router.post("/registrations/{registration_id}/cancel", summary="Cancel; the slot goes back, a paid fee is refunded")
def cancel(registration_id: int, request: Request, body: CancelRequest | None = None, _: Any = Depends(kiosk)) -> dict:
    return backend(request).cancel_registration(registration_id, body.idempotency_key if body else None)


@router.post("/registrations/{registration_id}/check-in", summary="Check in (签到) under the early-check-in rule")
def check_in(registration_id: int, request: Request, body: CheckInRequest | None = None, _: Any = Depends(kiosk)) -> dict:
    return backend(request).check_in(registration_id, body.idempotency_key if body else None)


# -- bills and payments ------------------------------------------------------------------------------------------
@router.get("/bills", summary="A patient's bills (unpaid by default)")
def bills(request: Request, patient_id: int, state: str | None = "unpaid", _: Any = Depends(kiosk)) -> dict:
    return backend(request).list_bills(patient_id, None if state == "all" else state)


@router.post("/bills", summary="Add an itemised bill (clinic staff / HIS)")
def create_bill(body: BillCreate, request: Request, _: Any = Depends(staff)) -> JSONResponse:
    return JSONResponse(backend(request).create_bill(body), status_code=201)


@router.post("/payments", summary="Pay several bills at once: opens an order at the payment provider")
def create_payment(body: PaymentCreate, request: Request, principal: Any = Depends(kiosk)) -> JSONResponse:
    return JSONResponse(backend(request).create_payment(body, device=principal.device), status_code=201)


@router.get("/payments/{order_id}")
def get_payment(order_id: int, request: Request, _: Any = Depends(kiosk)) -> dict:
    return backend(request).get_order(order_id)


@router.post("/payments/{order_id}/confirm", summary="Ask the provider whether the order is paid; apply it")
def confirm_payment(order_id: int, request: Request, _: Any = Depends(kiosk)) -> dict:
    return backend(request).confirm_payment(order_id)


@router.post("/payments/{order_id}/pay-code", summary="Charge a scanned payment code (付款码)")
def pay_code(order_id: int, body: PayCode, request: Request, _: Any = Depends(kiosk)) -> dict:
    return backend(request).pay_with_code(order_id, body.code)


@router.post("/payments/{order_id}/abandon", summary="The kiosk gives up: close the order, free held slots")
def abandon_payment(order_id: int, request: Request, _: Any = Depends(kiosk)) -> dict:
    return backend(request).abandon_payment(order_id)


@router.post("/payments/notify", summary="The provider reports a change (late payment): re-read and apply")
def payment_notice(body: PaymentNotice, request: Request, _: Any = Depends(admin)) -> dict:
    return backend(request).payment_notice(body.order_id)


@router.post("/payments/reconcile", summary="Daily reconciliation against the provider")
def reconcile(body: ReconcileRequest, request: Request, _: Any = Depends(admin)) -> dict:
    return backend(request).reconcile(body.date)


# -- reports -----------------------------------------------------------------------------------------------------
@router.get("/reports", summary="A patient's lab reports: released, or when they will be ready")
def reports(request: Request, patient_id: int, _: Any = Depends(kiosk)) -> dict:
    return backend(request).list_reports(patient_id)


@router.get("/reports/{report_id}", summary="A released report with its items")
def report(report_id: int, request: Request, _: Any = Depends(kiosk)) -> dict:
    return backend(request).get_report(report_id)


@router.post("/reports/{report_id}/verify", summary="One verification; the second by different staff releases it")
def verify_report(report_id: int, request: Request, body: ReportVerify | None = None, principal: Any = Depends(staff)) -> dict:
    """The signer is the logged-in console user; an admin (laboratory system) token names the signer in staff_id."""
    from caller.auth import AuthError

    if principal.role == "console" and not principal.user:
        raise AuthError(403, "login_required", "请先用您的账号登录，再进行报告审核签字，谢谢。", "Log in with your own account to sign a report.")
    signer = principal.user or (body.staff_id if body else None)
    if not signer:
        raise RecordsError("missing_staff", "请注明审核人。", "Name the verifying member of staff (staff_id).", status=422)
    return backend(request).verify_report(report_id, signer)


@router.post("/reports/{report_id}/print", summary="Count a print and return the report to print")
def print_report(report_id: int, request: Request, body: ReportPrint | None = None, principal: Any = Depends(kiosk)) -> dict:
    return backend(request).print_report(report_id, device=principal.device, idempotency_key=body.idempotency_key if body else None)


# -- ratings -----------------------------------------------------------------------------------------------------
@router.post("/ratings", summary="Rate the service (服务评价)")
def rate(body: RatingCreate, request: Request, principal: Any = Depends(kiosk)) -> JSONResponse:
    return JSONResponse(backend(request).add_rating(body, device=principal.device), status_code=201)


@router.get("/ratings/stats", summary="Rating statistics")
def rating_stats(request: Request, since: str | None = None, _: Any = Depends(staff)) -> dict:
    return backend(request).rating_stats(since)


# -- mounting ----------------------------------------------------------------------------------------------------
def default_payments() -> Any:
    """The payment provider: HttpProvider when HOSPITAL_PAYMENT_URL is set, else the simulated gateway."""
    from hardware.payment import HttpProvider, Outcome, SimulatedProvider

    url = os.environ.get("HOSPITAL_PAYMENT_URL")
    return HttpProvider(url) if url else SimulatedProvider(Outcome.approve(2.0))


def install(app: Any, service: Any, *, payments: Any = None, **overrides: Any) -> RecordsBackend:
    """Put the embedded backend on `app.state.records`, sharing the caller store's SQLite connection and the queue."""
    from records.queue_link import ServiceQueueLink

    records = open_records(RecordsDB.on_store(service.store), service.config, clock=service.clock,
                           queue=ServiceQueueLink(service), payments=payments or default_payments(), **overrides)
    app.state.records = records

    def reconfigure(config: Any) -> None:  # a reloaded hospital file: schedules, fees and rules from now on
        records.config = config
        records.settings = settings_from_config(config, **overrides)

    service.reload_hooks.append(reconfigure)
    return records
