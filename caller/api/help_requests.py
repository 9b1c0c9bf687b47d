"""Help requests: a kiosk's "呼叫工作人员" button alerts the consoles of its areas at once."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from caller.api.deps import principal, require, service_of
from caller.api.models import HelpBody
from caller.auth import Principal

router = APIRouter(tags=["help"])


@router.post("/help", summary="A patient at a kiosk asks for staff (alert to the consoles, idempotent)")
async def request_help(body: HelpBody, request: Request, who: Principal = Depends(principal)) -> dict:
    require(who, {"kiosk"})
    return service_of(request).request_help(who, body.screen, body.idempotency_key)
