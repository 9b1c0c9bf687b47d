"""Journey queries (一票到底, docs/journey.md): patients read their whole journey, window staff the open steps of
their area.

The journey's commands (orders, pay, dispense, ready, collect, check-in by code, prep, labels, settle,
report-ready) are rows of caller/api/command_routes.py, and calls, recalls, missed and the rest are the queue's
commands: a step is a visit."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from caller.api.deps import json_response, principal, require, service_of
from caller.api.notify import patient_or_staff
from caller.auth import Principal
from common.refusal import Refusal

router = APIRouter(tags=["journey"])
STAFF = {"console"}


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
