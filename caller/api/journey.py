"""Journey routes (一票到底, docs/journey.md) that take more than the visit: orders open steps; window staff mark
medicine ready at a window, confirm collection by the patient's code, check patients in by their code, record
preparation, print labels; patients read their whole journey.

The journey commands that take nothing but the visit (dispense, settle, report-ready) get their routes from
caller/commands.py, and calls, recalls, missed and the rest are the queue routes: a step is a visit."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response

from caller.api.deps import json_response, principal, require, service_of
from caller.api.errors import ApiError
from caller.api.models import CodeBody, OrdersBody, PrepBody, ReadyBody
from caller.api.notify import patient_or_staff
from caller.auth import Principal
from common.refusal import Refusal

router = APIRouter(tags=["journey"])
STAFF = {"console"}


async def _step_command(request: Request, who: Principal, visit_id: str, command: str, **args) -> dict:
    service = service_of(request)
    require(who, STAFF, service.area_of_visit(visit_id), user=True)
    return await service.submit(command, who, visit_id=visit_id, **args)


@router.post("/visits/{visit_id}/orders", summary="开单: open the steps of the doctor's orders (idempotent)")
async def orders(visit_id: str, body: OrdersBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, STAFF, service.area_of_visit(visit_id), user=True)
    return json_response(await service.submit("open_steps", who, idempotency_key=body.idempotency_key,
                                              visit_id=visit_id, orders=list(body.orders), flags=tuple(body.flags),
                                              pay_at_window=body.pay_at_window))


@router.get("/visits/{visit_id}/journey", summary="The whole journey of a visit: every step, where, what next")
async def journey(visit_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    root = service.visit(visit_id).journey_id or visit_id
    try:
        service.visit(root)
    except Refusal:  # an exam of a later day: the clinic visit of its earlier day is no longer held
        root = visit_id
    patient_or_staff(request, who, root, user=False)
    return json_response(service.journey_status(visit_id))


@router.get("/areas/{area_id}/steps", summary="The open steps of an area's service points, for its window staff")
async def area_steps(area_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    """待配药, 配药中, 已配好, checked in or not, held by preparation: every open step of the area (staff of the area)."""
    service = service_of(request)
    require(who, STAFF, service.check_area(area_id), user=True)
    return json_response(service.area_steps(area_id))


@router.post("/visits/{visit_id}/pay", summary="The step's order was paid at a window (the step opens)")
async def pay(visit_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    """Staff of the step's area, or of a cashier area (收费处 takes payment for every service)."""
    service = service_of(request)
    area = service.area_of_visit(visit_id)
    cashier = [d.area for d in service.config.departments if d.service == "cashier"]
    require(who, STAFF, None, user=True)
    if not who.may_see_area(area) and not any(who.may_see_area(a) for a in cashier):
        require(who, STAFF, area, user=True)  # the refusal names the area
    return json_response(await service.submit("pay_step", who, visit_id=visit_id))


@router.post("/visits/{visit_id}/ready", summary="Pharmacy: 已配好 (the patient joins the window's list)")
async def ready(visit_id: str, request: Request, body: ReadyBody | None = None,
                who: Principal = Depends(principal)) -> Response:
    return json_response(await _step_command(request, who, visit_id, "mark_ready", room_id=body.room if body else None))


@router.post("/visits/{visit_id}/collect", summary="Pharmacy: 已取药, confirmed by scanning the patient's code")
async def collect(visit_id: str, body: CodeBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, STAFF, service.area_of_visit(visit_id), user=True)
    scanned = service.journey_of_code(body.code)
    return json_response(await service.submit("collect", who, visit_id=visit_id, scanned_journey=scanned))


@router.post("/visits/{visit_id}/prep", summary="Imaging: record the preparation (fasting since, water, consent)")
async def prep(visit_id: str, body: PrepBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    today = service.clock().date()
    return json_response(await _step_command(request, who, visit_id, "set_gate", fasting_since=_moment(body.fasting_since, today),
                                       water_at=_moment(body.water_at, today), consent=body.consent))


@router.post("/visits/{visit_id}/labels", summary="Lab: print the specimen labels (audited); returns them")
async def labels(visit_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    answer = await _step_command(request, who, visit_id, "print_labels")
    answer["labels"] = service_of(request).specimen_labels(visit_id)
    return json_response(answer)


@router.post("/areas/{area_id}/check-in", summary="Check a patient in at a service point by card, QR or slip code")
async def check_in_code(area_id: str, body: CodeBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, STAFF, service.check_area(area_id), user=True)
    step = service.step_of_code(body.code, area_id)
    return json_response(await service.submit("check_in", who, visit_id=step))


def _moment(value: str | None, today) -> datetime | None:
    if not value:
        return None
    try:
        if len(value) <= 5:
            hour, minute = value.split(":")
            return datetime(today.year, today.month, today.day, int(hour), int(minute))
        return datetime.fromisoformat(value)
    except ValueError:
        raise ApiError("bad_time", "时间格式不正确，请填写如 07:30", f"Bad time {value!r}; use HH:MM", status=422) from None
