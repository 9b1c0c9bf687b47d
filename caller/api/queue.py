"""Queue commands and queries (/api/v1/visits, /rooms, /areas).

Handlers are ``async``: a command goes to the service's group-commit writer (``service.submit``, caller/writer.py)
and the handler waits for its commit without holding the event loop; events go out in commit order.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Body as BodyParam

from caller.api.deps import json_response, principal, require, service_of
from caller.api.errors import ApiError
from caller.api.models import (
    AssignDoctorBody,
    BroadcastBody,
    CallVisitBody,
    DispatchBody,
    MoveUpBody,
    PauseBody,
    PriorityBody,
    RegisterBody,
    RoomDoctorBody,
    TransferBody,
    TriageBody,
)
from caller.api.notify import patient_or_staff
from caller.auth import Principal
from caller.commands import COMMANDS, FRONT, STAFF, Command

router = APIRouter(tags=["queue"])



async def _visit_command(request: Request, who: Principal, visit_id: str, command: str,
                         roles: set[str] = STAFF, **args) -> dict:
    service = service_of(request)
    require(who, roles, service.area_of_visit(visit_id), user=True)
    return await service.submit(command, who, visit_id=visit_id, **args)


# ---------------------------------------------------------------------------------- commands
def _one_visit_route(command: Command):
    """The handler of a command that takes nothing but the visit: who may send it, then the service runs it."""

    async def handler(visit_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
        return json_response(await _visit_command(request, who, visit_id, command.name, set(command.roles)))

    handler.__name__ = handler.__qualname__ = command.name
    return handler


for _command in COMMANDS.values():  # check-in, call-again, start, finish, missed, recall, away, back, cancel
    if _command.path is not None:
        router.add_api_route(_command.path, _one_visit_route(_command), methods=["POST"], summary=_command.summary,
                             name=_command.name)


@router.post("/visits", summary="Register a visit and issue its ticket (idempotent)")
async def register(body: RegisterBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, FRONT, service.area_of_department(body.department), user=True)
    if who.role == "kiosk":
        refuse_server_fields(body, who)
    return json_response(await service.submit("register", who, idempotency_key=body.idempotency_key, body=body))


SERVER_DECIDED = ("reg_seq", "triage_level", "slot", "session")


def refuse_server_fields(body: RegisterBody, who: Principal) -> None:
    """A kiosk registers walk-ins only: the queue decides sequence, source, kind, triage and slot (403 otherwise).

    Appointments reach the queue from the records (with their slot); emergencies through triage by a nurse.
    """

    chosen = [name for name in SERVER_DECIDED if getattr(body, name) is not None]
    if body.source != "onsite":
        chosen.append("source")
    if body.kind in ("extra", "emergency"):
        chosen.append("kind")
    if chosen:
        raise ApiError("field_not_allowed", "对不起，自助机不能指定号序、预约、加号、急诊分级或时段，请到分诊台咨询护士。",
                       f"A kiosk may not set {', '.join(chosen)}; the service decides them.", status=403)



@router.post("/rooms/{room_id}/call-next", summary="Call the next visit to a room")
async def call_next(room_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, STAFF, service.area_of_room(room_id), user=True)
    return json_response(await service.submit("call_next", who, room_id=room_id))


@router.post("/visits/{visit_id}/move-up", summary="Move a waiting visit forward")
async def move_up(visit_id: str, request: Request, body: MoveUpBody = BodyParam(default_factory=MoveUpBody),
                  who: Principal = Depends(principal)) -> Response:
    return json_response(await _visit_command(request, who, visit_id, "move_up", before=body.before, steps=body.steps))


@router.post("/visits/{visit_id}/priority", summary="Give (kind) or remove (null) priority")
async def priority(visit_id: str, body: PriorityBody, request: Request, who: Principal = Depends(principal)) -> Response:
    return json_response(await _visit_command(request, who, visit_id, "priority", kind=body.kind))


@router.post("/visits/{visit_id}/triage", summary="Emergency: set or change the triage level (1-2 alert)")
async def triage(visit_id: str, body: TriageBody, request: Request, who: Principal = Depends(principal)) -> Response:
    return json_response(await _visit_command(request, who, visit_id, "triage", level=body.level))


@router.post("/visits/{visit_id}/assign-doctor", summary="Bind a general visit to one doctor")
async def assign_doctor(visit_id: str, body: AssignDoctorBody, request: Request,
                        who: Principal = Depends(principal)) -> Response:
    return json_response(await _visit_command(request, who, visit_id, "assign_doctor", doctor_id=body.doctor))


@router.post("/visits/{visit_id}/transfer", summary="Transfer to another department or room (转诊)")
async def transfer(visit_id: str, body: TransferBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    if body.department:
        require(who, STAFF, service.area_of_department(body.department), user=True)
    if body.room:
        require(who, STAFF, service.area_of_room(body.room), user=True)
    return json_response(await _visit_command(request, who, visit_id, "transfer", dept_id=body.department,
                                        room_id=body.room, at_end=body.at_end))


@router.post("/visits/{visit_id}/call", summary="Call this waiting visit into a room now, out of turn (呼叫此号)")
async def call_visit(visit_id: str, body: CallVisitBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    if service.area_of_room(body.room) != service.area_of_visit(visit_id):
        raise ApiError("wrong_area", "对不起，该诊室不在这位患者的诊区。", "The room is in another area.", status=409)
    return json_response(await _visit_command(request, who, visit_id, "call_visit", room_id=body.room, reason=body.reason))


@router.post("/visits/{visit_id}/dispatch", summary="Manual dispatch into a room's queue (分诊)")
async def dispatch(visit_id: str, body: DispatchBody, request: Request, who: Principal = Depends(principal)) -> Response:
    require(who, STAFF, service_of(request).area_of_room(body.room), user=True)
    return json_response(await _visit_command(request, who, visit_id, "dispatch", room_id=body.room))


@router.post("/rooms/{room_id}/pause", summary="Pause a room (停诊)")
async def pause(room_id: str, request: Request, body: PauseBody | None = None,
                who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, STAFF, service.area_of_room(room_id), user=True)
    return_at = body.return_at if body is not None else None
    return json_response(await service.submit("pause_room", who, room_id=room_id, return_at=return_at))


@router.post("/rooms/{room_id}/resume", summary="Resume a room (开诊)")
async def resume(room_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, STAFF, service.area_of_room(room_id), user=True)
    return json_response(await service.submit("resume_room", who, room_id=room_id))


@router.post("/rooms/{room_id}/doctor", summary="Who sits in the room this session")
async def room_doctor(room_id: str, body: RoomDoctorBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, STAFF, service.area_of_room(room_id), user=True)
    return json_response(await service.submit("room_doctor", who, room_id=room_id, doctor_id=body.doctor))


@router.post("/areas/{area_id}/broadcast", summary="Send a notice to an area's screens and speakers")
async def broadcast(area_id: str, body: BroadcastBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    require(who, STAFF, service.check_area(area_id), user=True)
    return json_response(await service.submit("broadcast", who, idempotency_key=body.idempotency_key,
                                         area_id=area_id, text=body.text, text_en=body.text_en))


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
