"""Help calls: a kiosk's "呼叫工作人员" reaches the guide desk, a console answers, the kiosk sees who is coming.

| route | who | what |
|---|---|---|
| POST /help | kiosk | open a call (or get the kiosk's open one) |
| GET /help/{id}?version=N&wait=S | the kiosk that called, consoles of its areas | the call; waits up to S s for a step newer than N |
| POST /help/{id}/acknowledge | console user of one of its areas | "我来处理" |
| POST /help/{id}/cancel | the kiosk that called | the patient no longer needs help |
| POST /help/{id}/close | console user of one of its areas | resolved / patient_gone |
| GET /help?area=A | console of A | the calls still open or being handled there |
"""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request

from caller.api.deps import principal, require, service_of
from caller.api.models import Body, HelpBody
from caller.auth import Principal

router = APIRouter(tags=["help"])


class CloseHelpBody(Body):
    outcome: Literal["resolved", "patient_gone"]


@router.post("/help", summary="A patient at a kiosk asks for staff (alert to the help areas' consoles, idempotent)")
async def request_help(body: HelpBody, request: Request, who: Principal = Depends(principal)) -> dict:
    require(who, {"kiosk"})
    return service_of(request).help_desk.request(who, body.screen, body.idempotency_key)


@router.get("/help", summary="Help calls still open or being handled in an area")
async def open_help(request: Request, area: str = Query(min_length=1, max_length=32),
                    who: Principal = Depends(principal)) -> list[dict]:
    service = service_of(request)
    require(who, {"console"}, service.check_area(area))
    return service.help_desk.open_calls(area)


@router.get("/help/{help_id}", summary="One help call; waits up to `wait` seconds for a step newer than `version`")
async def help_status(help_id: str, request: Request, version: int = Query(default=-1, ge=-1),
                      wait: float = Query(default=0, ge=0, le=30), who: Principal = Depends(principal)) -> dict:
    require(who, {"kiosk", "console"})
    service = service_of(request)
    if wait <= 0:
        return service.help_desk.status(who, help_id)
    return await service.help_desk.wait(who, help_id, version, wait)


@router.post("/help/{help_id}/acknowledge", summary="A console user takes the call (我来处理)")
async def acknowledge(help_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    require(who, {"console"}, user=True)
    return service_of(request).help_desk.acknowledge(who, help_id)


@router.post("/help/{help_id}/cancel", summary="The patient at the kiosk cancels the call")
async def cancel(help_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    require(who, {"kiosk"})
    return service_of(request).help_desk.close(who, help_id, "cancelled")


@router.post("/help/{help_id}/close", summary="Staff close the call: resolved or patient_gone")
async def close(help_id: str, body: CloseHelpBody, request: Request, who: Principal = Depends(principal)) -> dict:
    require(who, {"console"}, user=True)
    return service_of(request).help_desk.close(who, help_id, body.outcome)
