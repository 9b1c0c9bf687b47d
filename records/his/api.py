"""``GET /api/v1/records/his/status``: whether the hospital's HIS answers, in words for the kiosk (what still works,
what does not) and in figures for the console (the link's state, its backlog, its errors)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter(prefix="/records/his", tags=["records"])

WORKS_ZH = ["排队叫号与查询", "已有挂号的签到", "已出检验报告的打印", "补打凭条"]
WORKS_EN = ["the queue and its calls", "check-in of existing registrations", "printing reports already received",
            "reprinting slips"]
NOT_NOW_ZH = ["建档", "挂号", "缴费"]
NOT_NOW_EN = ["new records", "registration", "payment"]


def kiosk_view(status: dict[str, Any]) -> dict[str, Any]:
    """What a kiosk (a public machine) is told: away or not, and the plain words; no addresses, no errors."""
    away = bool(status["away"])
    view: dict[str, Any] = {"away": away, "works": [], "not_now": [], "message_zh": "", "message_en": ""}
    if away:
        view.update(
            works=WORKS_ZH, works_en=WORKS_EN, not_now=NOT_NOW_ZH, not_now_en=NOT_NOW_EN,
            message_zh="对不起，医院信息系统暂时连接不上。仍可办理：" + "、".join(WORKS_ZH) + "。暂不能办理："
                       + "、".join(NOT_NOW_ZH) + "，请到人工窗口办理，谢谢。",
            message_en="Sorry, the hospital information system cannot be reached right now. Still available: "
                       + ", ".join(WORKS_EN) + ". Not available now: " + ", ".join(NOT_NOW_EN)
                       + "; please go to a staffed window. Thank you.")
    return view


@router.get("/status", summary="The HIS link: plain words for a kiosk, state and backlog for staff")
def his_status(request: Request) -> dict[str, Any]:
    principal = request.scope.get("caller.principal") or request.app.state.service.auth.resolve_headers(request.headers)
    link = request.app.state.his
    status = link.status()
    if principal.role == "kiosk":
        return kiosk_view(status)
    return {**status, **{k: v for k, v in kiosk_view(status).items() if k.startswith("message")}}
