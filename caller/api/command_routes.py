"""Every command route of the API, one row each, all built by one handler factory.

A row names the command (the ``Command`` object of caller/commands.py: its engine call, audit name and states),
its path under /api/v1, its body model (caller/api/models.py), how the body's fields become the engine's
arguments, who may send it, and any check it needs beyond the place its path names. The place decides the area
the caller must hold: a ``{visit_id}`` is the visit's area, a ``{room_id}`` the room's, an ``{area_id}`` that area.

The rows live here and not in caller/commands.py because they are the HTTP layer's: the body models, ``require``
and the refusals are caller/api's, and the service, which runs caller/commands.py, never imports caller/api
(tests/shape/test_layers.py). Every POST route under /api/v1 that submits a queue command is a row of ``ROUTES``
(tests/shape/test_layers.py checks it); the phone ticket page's two commands (``leave_queue``, ``on_my_way``) are
sent from caller/api/ticket_page.py, keyed by the link's token instead of a device's.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Body as BodyParam
from pydantic import BaseModel

from caller.api.deps import json_response, principal, require, service_of
from caller.api.errors import ApiError
from caller.api.models import (
    AssignDoctorBody,
    BroadcastBody,
    CallVisitBody,
    CodeBody,
    DispatchBody,
    MoveUpBody,
    OrdersBody,
    PauseBody,
    PrepBody,
    PriorityBody,
    ReadyBody,
    RegisterBody,
    RoomDoctorBody,
    TransferBody,
    TriageBody,
)
from caller.auth import Principal
from caller.commands import COMMANDS, Command

if TYPE_CHECKING:
    from caller.service import CallerService

STAFF = frozenset({"console"})
FRONT = frozenset({"console", "kiosk"})


@dataclass(frozen=True)
class Call:
    """One request to a command route: the service, who sent it, the path's parameters, the validated body."""

    service: CallerService
    who: Principal
    params: dict[str, str]
    body: BaseModel | None
    roles: frozenset[str]


Args = Callable[[Call], dict[str, Any]]
Check = Callable[[Call], None]


def fields(**names: str) -> Args:
    """The engine's arguments: the path's parameters (visit_id, room_id, area_id) as they are, and these body
    fields by the engine's names (``dept_id="department"``); a body left out gives None for each."""

    def args(call: Call) -> dict[str, Any]:
        given = dict(call.body) if call.body is not None else {}
        return {**call.params, **{arg: given.get(field) for arg, field in names.items()}}

    return args


# what a path's place is in: the area the caller must hold
AREA_OF: dict[str, Callable[[CallerService, str], str]] = {
    "visit_id": lambda service, visit_id: service.area_of_visit(visit_id),
    "room_id": lambda service, room_id: service.area_of_room(room_id),
    "area_id": lambda service, area_id: service.check_area(area_id),
}


@dataclass(frozen=True)
class CommandRoute:
    """One command route. ``body_given``: ``required``; ``optional`` (left out: None); ``defaults`` (left out:
    the model's defaults). ``checks`` run first, in order; then, when ``scoped``, the caller must hold the area of
    the path's place; then the command is submitted with ``args(call)`` and, when the body has one, its
    idempotency key. ``answer`` adds to the command's answer. ``name``: the route's name (default: the command's)."""

    command: Command
    path: str
    body: type[BaseModel] | None = None
    args: Args = fields()
    roles: frozenset[str] = STAFF
    checks: tuple[Check, ...] = ()
    scoped: bool = True
    body_given: Literal["required", "optional", "defaults"] = "required"
    answer: Callable[[Call, dict], dict] | None = None
    name: str = ""
    summary: str = ""
    description: str | None = None
    tag: str = "queue"

    @property
    def route_name(self) -> str:
        return self.name or self.command.name

    @cached_property
    def place(self) -> str | None:
        """The path's one parameter, naming the place the command acts in (None: the path names none)."""
        found = [p for p in AREA_OF if "{" + p + "}" in self.path]
        assert len(found) <= 1, f"{self.path} names more than one place"
        return found[0] if found else None

    @cached_property
    def idempotent(self) -> bool:
        return self.body is not None and "idempotency_key" in self.body.model_fields


# ------------------------------------------------------------------------------- the checks some commands need
def in_area_of(**targets: Literal["department", "room"]) -> Check:
    """The caller must also hold the area of the department or room a body field names (when given)."""

    def check(call: Call) -> None:
        given = dict(call.body) if call.body is not None else {}
        for field, kind in targets.items():
            if given.get(field):
                area = (call.service.area_of_department(given[field]) if kind == "department"
                        else call.service.area_of_room(given[field]))
                require(call.who, call.roles, area, user=True)

    return check


def room_in_visits_area(call: Call) -> None:
    """呼叫此号: the room must be in the visit's area (409 ``wrong_area``)."""
    assert isinstance(call.body, CallVisitBody)
    if call.service.area_of_room(call.body.room) != call.service.area_of_visit(call.params["visit_id"]):
        raise ApiError("wrong_area", "对不起，该诊室不在这位患者的诊区。", "The room is in another area.", status=409)


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


def kiosk_walk_ins_only(call: Call) -> None:
    if call.who.role == "kiosk":
        assert isinstance(call.body, RegisterBody)
        refuse_server_fields(call.body, call.who)


def step_or_cashier_staff(call: Call) -> None:
    """Staff of the step's area, or of a cashier area (收费处 takes payment for every service)."""
    service = call.service
    area = service.area_of_visit(call.params["visit_id"])
    cashier = [d.area for d in service.config.departments if d.service == "cashier"]
    require(call.who, call.roles, None, user=True)
    if not call.who.may_see_area(area) and not any(call.who.may_see_area(a) for a in cashier):
        require(call.who, call.roles, area, user=True)  # the refusal names the area


def _moment(value: str | None, today: date) -> datetime | None:
    if not value:
        return None
    try:
        if len(value) <= 5:
            hour, minute = value.split(":")
            return datetime(today.year, today.month, today.day, int(hour), int(minute))
        return datetime.fromisoformat(value)
    except ValueError:
        raise ApiError("bad_time", "时间格式不正确，请填写如 07:30", f"Bad time {value!r}; use HH:MM", status=422) from None


def _prep_args(call: Call) -> dict[str, Any]:
    assert isinstance(call.body, PrepBody)
    today = call.service.clock().date()
    return {**call.params, "fasting_since": _moment(call.body.fasting_since, today),
            "water_at": _moment(call.body.water_at, today), "consent": call.body.consent}


def readable_times(call: Call) -> None:
    """The preparation's times read as times (422 ``bad_time``), before anything else is looked at."""
    _prep_args(call)


def _orders_args(call: Call) -> dict[str, Any]:
    assert isinstance(call.body, OrdersBody)
    return {**call.params, "orders": list(call.body.orders), "flags": tuple(call.body.flags),
            "pay_at_window": call.body.pay_at_window}


def _scanned_journey(call: Call) -> dict[str, Any]:
    assert isinstance(call.body, CodeBody)
    return {**call.params, "scanned_journey": call.service.journey_of_code(call.body.code)}


def _step_of_code(call: Call) -> dict[str, Any]:
    assert isinstance(call.body, CodeBody)
    return {"visit_id": call.service.step_of_code(call.body.code, call.params["area_id"])}


def _with_labels(call: Call, answer: dict) -> dict:
    answer["labels"] = call.service.specimen_labels(call.params["visit_id"])
    return answer


# ------------------------------------------------------------------------------------------------- the routes
_V, _R = "/visits/{visit_id}", "/rooms/{room_id}"
C = COMMANDS
ROUTES: tuple[CommandRoute, ...] = (
    CommandRoute(C["check_in"], f"{_V}/check-in", roles=FRONT),
    CommandRoute(C["call_again"], f"{_V}/call-again"),
    CommandRoute(C["start"], f"{_V}/start"),
    CommandRoute(C["finish"], f"{_V}/finish"),
    CommandRoute(C["missed"], f"{_V}/missed"),
    CommandRoute(C["recall"], f"{_V}/recall"),
    CommandRoute(C["away"], f"{_V}/away"),
    CommandRoute(C["back"], f"{_V}/back"),
    CommandRoute(C["cancel"], f"{_V}/cancel"),
    CommandRoute(C["start_dispensing"], f"{_V}/dispense"),
    CommandRoute(C["settle"], f"{_V}/settle"),
    CommandRoute(C["report_ready"], f"{_V}/report-ready"),
    CommandRoute(C["register"], "/visits", RegisterBody, lambda call: {"body": call.body}, FRONT,
                 (in_area_of(department="department"), kiosk_walk_ins_only)),
    CommandRoute(C["call_next"], f"{_R}/call-next"),
    CommandRoute(C["move_up"], f"{_V}/move-up", MoveUpBody, fields(before="before", steps="steps"),
                 body_given="defaults"),
    CommandRoute(C["priority"], f"{_V}/priority", PriorityBody, fields(kind="kind")),
    CommandRoute(C["triage"], f"{_V}/triage", TriageBody, fields(level="level")),
    CommandRoute(C["assign_doctor"], f"{_V}/assign-doctor", AssignDoctorBody, fields(doctor_id="doctor")),
    CommandRoute(C["transfer"], f"{_V}/transfer", TransferBody,
                 fields(dept_id="department", room_id="room", at_end="at_end"),
                 checks=(in_area_of(department="department", room="room"),)),
    CommandRoute(C["call_visit"], f"{_V}/call", CallVisitBody, fields(room_id="room", reason="reason"),
                 checks=(room_in_visits_area,)),
    CommandRoute(C["dispatch"], f"{_V}/dispatch", DispatchBody, fields(room_id="room"),
                 checks=(in_area_of(room="room"),)),
    CommandRoute(C["pause_room"], f"{_R}/pause", PauseBody, fields(return_at="return_at"), body_given="optional",
                 name="pause"),
    CommandRoute(C["resume_room"], f"{_R}/resume", name="resume"),
    CommandRoute(C["room_doctor"], f"{_R}/doctor", RoomDoctorBody, fields(doctor_id="doctor")),
    CommandRoute(C["broadcast"], "/areas/{area_id}/broadcast", BroadcastBody, fields(text="text", text_en="text_en")),
    # journeys (docs/journey.md)
    CommandRoute(C["open_steps"], f"{_V}/orders", OrdersBody, _orders_args, name="orders", tag="journey"),
    CommandRoute(C["pay_step"], f"{_V}/pay", checks=(step_or_cashier_staff,), scoped=False, name="pay",
                 description="Staff of the step's area, or of a cashier area (收费处 takes payment for every service).",
                 tag="journey"),
    CommandRoute(C["mark_ready"], f"{_V}/ready", ReadyBody, fields(room_id="room"), body_given="optional",
                 name="ready", tag="journey"),
    CommandRoute(C["collect"], f"{_V}/collect", CodeBody, _scanned_journey, tag="journey"),
    CommandRoute(C["set_gate"], f"{_V}/prep", PrepBody, _prep_args, checks=(readable_times,), name="prep",
                 tag="journey"),
    CommandRoute(C["print_labels"], f"{_V}/labels", answer=_with_labels, name="labels", tag="journey"),
    CommandRoute(C["check_in"], "/areas/{area_id}/check-in", CodeBody, _step_of_code, name="check_in_code",
                 summary="Check a patient in at a service point by card, QR or slip code", tag="journey"),
)
del C
# the commands whose route is not a row here: the phone ticket page's, keyed by the link's token (ticket_page.py)
PATIENT_PAGE = (COMMANDS["leave_queue"], COMMANDS["on_my_way"])


# ------------------------------------------------------------------------------------------ the one handler
async def run(route: CommandRoute, service: CallerService, who: Principal, params: dict[str, str],
              body: BaseModel | None) -> dict:
    """One command route's work once its body is read: the checks, the place's area, the command through the
    group-commit writer; the answer. Served by caller/api/command_gateway.py, and by FastAPI's route (below)
    for the requests the gateway leaves to it."""
    call = Call(service, who, params, body, route.roles)
    for check in route.checks:
        check(call)
    if route.scoped and route.place is not None:
        require(who, route.roles, AREA_OF[route.place](service, params[route.place]), user=True)
    key = body.idempotency_key if route.idempotent and body is not None else None  # type: ignore[attr-defined]
    answer = await service.submit(route.command.name, who, idempotency_key=key, **route.args(call))
    return route.answer(call, answer) if route.answer is not None else answer


def endpoint(route: CommandRoute) -> Callable[..., Any]:
    """FastAPI's handler of one row: its signature declares the path's place, the body and the caller."""

    async def handle(request: Request, who: Principal, **params: Any) -> Response:
        body = params.pop("body", None)
        return json_response(await run(route, service_of(request), who, params, body))

    plain = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = [inspect.Parameter(route.place, plain, annotation=str)] if route.place else []
    signature.append(inspect.Parameter("request", plain, annotation=Request))
    if route.body is not None:
        if route.body_given == "required":
            signature.append(inspect.Parameter("body", plain, annotation=route.body))
        elif route.body_given == "optional":
            signature.append(inspect.Parameter("body", plain, annotation=route.body | None, default=None))
        else:
            signature.append(inspect.Parameter("body", plain, annotation=route.body,
                                               default=BodyParam(default_factory=route.body)))
    signature.append(inspect.Parameter("who", plain, annotation=Principal, default=Depends(principal)))
    handle.__signature__ = inspect.Signature(signature, return_annotation=Response)  # type: ignore[attr-defined]
    handle.__name__ = handle.__qualname__ = route.route_name
    return handle


router = APIRouter()
for _route in ROUTES:
    router.add_api_route(_route.path, endpoint(_route), methods=["POST"], name=_route.route_name,
                         summary=_route.summary or _route.command.summary, description=_route.description,
                         tags=[_route.tag])
