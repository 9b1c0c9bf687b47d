"""GET /t/{visit_id}: the page a patient's phone opens from the QR code on the ticket (no token).

Shows only what the wall screen shows anyway (ticket, masked name, state, place in the queue, estimate)
and refreshes itself every 30 seconds.
"""
from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from caller.api.errors import ApiError

router = APIRouter(tags=["ticket"])

STATE_TEXT = {
    "registered": "已挂号，请到诊区自助机或分诊台签到",
    "waiting": "候诊中，请留意叫号",
    "room_waiting": "已分配诊室，请在诊室门口候诊",
    "called": "正在叫您的号，请尽快到诊室就诊",
    "in_service": "就诊中",
    "done": "就诊已结束，祝您健康",
    "missed": "已过号，请到分诊台联系护士",
    "away": "检查中，检查完成后请回到诊区",
    "cancelled": "已弃号",
}

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="refresh" content="30">
<title>{ticket} 号 候诊信息</title>
<style>body{{font-family:sans-serif;margin:1.5em;font-size:1.2em}}h1{{font-size:2.4em;margin:.2em 0}}
.s{{font-size:1.3em;color:#0a5}}p{{margin:.5em 0}}small{{color:#666}}</style></head><body>
<p>{hospital}</p><h1>{ticket}</h1><p>{name} {dept}</p><p class="s">{state}</p>{queue}
<p><small>本页每 30 秒自动刷新。This page refreshes every 30 s.</small></p></body></html>"""


@router.get("/t/{visit_id}", response_class=HTMLResponse, summary="Ticket QR page: place in the queue")
async def ticket_page(visit_id: str, request: Request) -> HTMLResponse:
    service = request.app.state.service
    try:
        status = service.visit_status(visit_id)
    except ApiError:
        return HTMLResponse("<!doctype html><meta charset='utf-8'><p>对不起，没有找到这张号票，请咨询分诊台。</p>",
                            status_code=404)
    queue = ""
    if status.get("position"):
        queue = (f"<p>您前面还有 <b>{int(status['ahead'])}</b> 位，预计等候约 "
                 f"<b>{int(status['estimate_min'])}-{int(status['estimate_max'])}</b> 分钟</p>")
    if status.get("room_name"):
        queue += f"<p>诊室：{escape(status['room_name'])}</p>"
    return HTMLResponse(PAGE.format(
        hospital=escape(service.config.hospital.name), ticket=escape(status["ticket"]),
        name=escape(status.get("name") or ""), dept=escape(status.get("dept_name") or ""),
        state=escape(STATE_TEXT.get(status["state"], status["state"])), queue=queue))
