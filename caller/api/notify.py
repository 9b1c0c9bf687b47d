"""Notifications: a visit's opt-ins (kiosk and staff), its messages (the console's visit audit), gateway reports.

- ``POST /visits/{visit_id}/notify`` ``{"channel": "sms", "to": "13812345678"}``: tell this visit's patient
  (kiosk, or a logged-in console user of the visit's area);
- ``DELETE /visits/{visit_id}/notify/{channel}``: no more messages on that channel;
- ``GET /visits/{visit_id}/notify``: opt-ins and messages with their delivery states (recipients masked);
- ``POST /notify/sms/status``: the SMS gateway's delivery report, accepted only with a valid signature
  (``[notify.sms] secret``); no device token.
"""
from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from caller.api.deps import json_response, principal, require, service_of
from caller.api.errors import ApiError
from caller.api.models import Body
from caller.auth import Principal, forbidden
from caller.notify.adapters import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

router = APIRouter(tags=["notify"])
FRONT = {"console", "kiosk"}


class OptInBody(Body):
    channel: Literal["sms", "wechat"]
    to: str = Field(min_length=1, max_length=64, description="mobile number (sms) or WeChat openid")


def patient_or_staff(request: Request, who: Principal, visit_id: str, *, user: bool = True) -> None:
    """Staff of the visit's area; a kiosk only for the visits of the patients of its open patient session."""
    service = service_of(request)
    area = service.area_of_visit(visit_id)
    if who.role == "kiosk" and not who.is_admin:
        patient = service.visit(visit_id).patient_id
        if not who.may_act_for(int(patient) if str(patient).isdigit() else None):
            raise forbidden("查看或设置其他患者的就诊信息", "another patient's visit")
        return
    require(who, FRONT, area, user=user)


@router.post("/visits/{visit_id}/notify", summary="The patient opts in to messages on one channel")
async def opt_in(visit_id: str, body: OptInBody, request: Request, who: Principal = Depends(principal)) -> Response:
    service = service_of(request)
    patient_or_staff(request, who, visit_id)
    return json_response(service.notify.opt_in(who, visit_id, body.channel, body.to))


@router.delete("/visits/{visit_id}/notify/{channel}", summary="The patient opts out of one channel")
async def opt_out(visit_id: str, channel: Literal["sms", "wechat"], request: Request,
                  who: Principal = Depends(principal)) -> Response:
    patient_or_staff(request, who, visit_id)
    return json_response(service_of(request).notify.opt_out(who, visit_id, channel))


@router.get("/visits/{visit_id}/notify", summary="Opt-ins and messages of a visit with their delivery states")
async def visit_messages(visit_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    patient_or_staff(request, who, visit_id)
    return json_response(service_of(request).notify.visit_view(visit_id))


@router.post("/notify/sms/status", summary="Delivery report of the SMS gateway (signed)")
async def sms_status(request: Request) -> Response:
    service = service_of(request)
    sms = service.config.notify.sms
    raw = await request.body()
    if sms is None or not sms.key or not verify(sms.key, request.headers.get(TIMESTAMP_HEADER, ""), raw,
                                                request.headers.get(SIGNATURE_HEADER, "")):
        raise ApiError("forbidden", "对不起，回执签名无效。", "Missing or invalid signature.", status=403)
    try:
        report = json.loads(raw)
        state = {"delivered": "delivered", "failed": "failed"}[str(report.get("status"))]
    except (ValueError, KeyError, AttributeError):
        raise ApiError("invalid_request", "回执格式不正确。", "status must be delivered or failed", status=422) from None
    known = service.notify.outbox.gateway_status(str(report.get("message_id") or ""), str(report.get("client_ref") or ""),
                                                 state, str(report.get("error") or ""), service.clock())
    return json_response({"ok": True, "known": known})
