"""Queue queries (/api/v1/visits, /rooms, /areas).

The queue's commands are rows of caller/api/command_routes.py, every one built by the same handler.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from caller.api.deps import json_response, principal, require, service_of
from caller.api.notify import patient_or_staff
from caller.auth import Principal

router = APIRouter(tags=["queue"])


# ----------------------------------------------------------------------------------- queries
@router.get("/areas/{area_id}/queue", summary="The area's queue (masked for display/speaker tokens)")
async def area_queue(area_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, {"console", "kiosk", "display", "speaker"}, service.check_area(area_id))
    return json_response(service.area_snapshot(area_id, who.audience))


@router.get("/rooms/{room_id}/queue", summary="One room: current visit and its room queue")
async def room_queue(room_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, {"console", "kiosk", "display", "speaker"}, service.area_of_room(room_id))
    return json_response(service.room_snapshot(room_id, who.audience))


@router.get("/visits/{visit_id}/status", summary="Position, visits ahead, estimate, room, state")
async def visit_status(visit_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    patient_or_staff(request, who, visit_id)  # it carries the ticket page's token: only the patient's kiosk or staff
    return json_response(service_of(request).visit_status(visit_id))
