"""The patient's phone: the live ticket page that the ticket's QR code opens (public, reachable only with the token).

- ``GET /t/{token}``: the page (plain HTML/CSS/JS from ``caller/web/ticket/``, the current status inlined so it
  shows at once, also without JavaScript);
- ``GET /t/{token}/status``: the same status as JSON;
- ``GET /t/{token}/events``: Server-Sent Events (``status`` when something the page shows changed, ``ping``
  heartbeats, ``expired`` at the end of the day); resumes with ``Last-Event-ID`` (or ``?last=``);
- ``GET /t/assets/{name}``: the page's script, style sheet and chime (no patient data);
- ``GET /t/{token}/leave``: what 我不排了 would do (the seat, the fee: the hospital's refund rule), told before the
  patient confirms; ``POST /t/{token}/leave``: leave the queue (the seat and a held slot go back);
- ``POST /t/{token}/on-my-way``: 我马上到, shown to the nurse beside the ticket;
- ``GET /t/{token}/card.svg``: the medical card's QR code (the unguessable card code, records/cardcode.py).

The two commands are the queue's (``leave_queue``, ``on_my_way`` in caller/commands.py), audited with the ticket
page as who did it, and refused once the patient is called (409 with a message for the patient).

A token that is malformed, guessed, or of another day answers 404 with the same page of advice.
Nothing here needs or accepts a device token; the link itself is the key (caller/ticket_links.py).
"""
from __future__ import annotations

import json
import logging
from html import escape
from pathlib import Path

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from caller.auth import Principal
from caller.phone_desk import PLAIN_TERMS
from caller.ticket_feed import RETRY_MS, service_phone_status
from common.wire import LeaveTerms

router = APIRouter(tags=["ticket"])
log = logging.getLogger("caller.ticket_page")

WEB = Path(__file__).resolve().parent.parent / "web" / "ticket"
CHIME = Path(__file__).resolve().parents[2] / "assets" / "sounds" / "chime.wav"
ASSETS = {"ticket.js": (WEB / "ticket.js", "text/javascript; charset=utf-8"),
          "ticket.css": (WEB / "ticket.css", "text/css; charset=utf-8"),
          "chime.wav": (CHIME, "audio/wav")}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}

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

NOT_FOUND = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>号票链接无效 Link not valid</title>
<link rel="stylesheet" href="/t/assets/ticket.css"></head><body><main class="card gone">
<h1>对不起，没有找到这张号票</h1><p>号票链接只在就诊当天有效。请核对链接，或到分诊台咨询，谢谢。</p>
<p class="en">Sorry, this ticket link is not valid. Ticket links work on the day of the visit only;
please ask at the triage desk.</p></main></body></html>"""


def _not_found() -> HTMLResponse:
    return HTMLResponse(NOT_FOUND, status_code=404, headers=NO_STORE)


def _visit_id(request: Request, token: str) -> str | None:
    return request.app.state.service.visit_of_ticket_token(token)


def render_page(status: dict, services: list[str] | tuple[str, ...] = ()) -> str:
    """The page with the current status filled in (the script keeps it current). ``services``: the active/standby
    addresses the script moves to when the one it follows stops answering (docs/high-availability.md)."""
    html = (WEB / "index.html").read_text(encoding="utf-8")
    html = html.replace("{{services_json}}", json.dumps(list(services)).replace("<", "\\u003c"))
    ahead = status.get("ahead") if status.get("position") else None
    fields = {
        "hospital": status.get("hospital", ""), "ticket": status.get("ticket", ""),
        "name": status.get("name", ""), "dept": status.get("dept_name", ""),
        "state": STATE_TEXT.get(status.get("state", ""), status.get("state", "")),
        "ahead": "-" if ahead is None else str(ahead), "room": status.get("room_name") or "待分配",
        "location": status.get("location") or "-",
    }
    for key, value in fields.items():
        html = html.replace("{{%s}}" % key, escape(str(value)))
    estimate = ""
    if ahead is not None and status.get("estimate_max"):
        estimate = f"预计等候约 <b>{int(status['estimate_min'])}-{int(status['estimate_max'])}</b> 分钟"
    elif ahead is not None:
        estimate = f"预计等候约 <b>{round(float(status.get('estimate_minutes') or 0))}</b> 分钟"
    html = html.replace("{{estimate_html}}", estimate)
    data = json.dumps(status, ensure_ascii=False).replace("<", "\\u003c")
    return html.replace("{{status_json}}", data)


@router.get("/t/assets/{name}", include_in_schema=False)
async def ticket_asset(name: str) -> Response:
    found = ASSETS.get(name)
    if found is None:
        return Response(status_code=404)
    path, media = found
    return FileResponse(path, media_type=media, headers={"Cache-Control": "public, max-age=3600"})


def _status(request: Request, token: str) -> dict | None:
    """The page's status for a valid token of today, else None."""
    service = request.app.state.service
    visit_id = _visit_id(request, token)
    if visit_id is None:
        return None
    with service.lock:
        return service_phone_status(service, service.engine.visit(visit_id))


@router.get("/t/{token}", response_class=HTMLResponse, summary="Phone ticket page: live place in the queue")
async def ticket_page(token: str, request: Request) -> HTMLResponse:
    status = _status(request, token)
    if status is None:
        return _not_found()
    return HTMLResponse(render_page(status, request.app.state.service.config.hospital.services), headers=NO_STORE)


def _peer_origin(request: Request) -> dict[str, str]:
    """CORS for a page served by the other service of the active/standby pair (``[hospital] services``)."""
    origin = request.headers.get("origin", "")
    if origin and origin in request.app.state.service.config.hospital.services:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {}


@router.get("/t/{token}/status", summary="Phone ticket page: the status as JSON")
async def ticket_status(token: str, request: Request) -> Response:
    status = _status(request, token)
    if status is None:
        return _not_found()
    return Response(json.dumps(status, ensure_ascii=False), media_type="application/json",
                    headers={**NO_STORE, **_peer_origin(request)})


BUSY_RETRY_S = 30  # a phone refused for too many connections tries again this much later (Retry-After)


def _busy(why: str) -> Response:
    """503 with Retry-After: the phone page backs off (ticket.js), and the service keeps its file descriptors."""
    body = {"error": {"code": "too_many_connections", "message_zh": "对不起，连接过多，请稍候刷新页面，谢谢。",
                      "message_en": f"Too many live connections ({why}); try again later."}}
    return Response(json.dumps(body, ensure_ascii=False), status_code=503, media_type="application/json",
                    headers={**NO_STORE, "Retry-After": str(BUSY_RETRY_S)})


@router.get("/t/{token}/events", summary="Phone ticket page: live status (Server-Sent Events)")
async def ticket_events(token: str, request: Request) -> Response:
    visit_id = _visit_id(request, token)
    if visit_id is None:
        return _not_found()
    feed = request.app.state.ticket_feed
    limits = request.app.state.service.config.security  # one link, and every phone together (docs/security.md)
    if len(feed.pages.get(visit_id, ())) >= limits.ticket_link_connections:
        return _busy("this ticket link")
    if feed.page_count() >= limits.phone_connections:
        return _busy("all ticket links")
    page, first = feed.open(visit_id)  # a page resuming (Last-Event-ID) gets the current status: it is whole

    async def stream():
        try:
            yield b"retry: %d\n\n" % RETRY_MS + first
            while True:
                message = await page.next()
                if message is None:
                    break
                yield message
        finally:
            feed.close(page)

    headers = {**NO_STORE, "X-Accel-Buffering": "no", "Connection": "keep-alive", **_peer_origin(request)}
    return StreamingResponse(stream(), media_type="text/event-stream; charset=utf-8", headers=headers)


# Who the audit names for what the patient did on their phone page: the ticket page (the visit is in the row).
TICKET_PAGE = Principal(role="phone", device="ticket-page")


def _json(data: dict, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status_code=status, media_type="application/json",
                    headers=NO_STORE)


async def _terms(request: Request, visit_id: str) -> LeaveTerms:
    desk = request.app.state.service.hooks.patient_desk
    found = await run_in_threadpool(desk.leave_terms, visit_id) if desk is not None else None
    return found or PLAIN_TERMS


@router.get("/t/{token}/leave", summary="Phone ticket page: what 我不排了 would do (seat, fee, refund rule)")
async def leave_terms(token: str, request: Request) -> Response:
    visit_id = _visit_id(request, token)
    if visit_id is None:
        return _not_found()
    return _json((await _terms(request, visit_id)).model_dump())


@router.post("/t/{token}/leave", summary="Phone ticket page: 我不排了 (leave the queue; the seat goes back)")
async def leave(token: str, request: Request) -> Response:
    visit_id = _visit_id(request, token)
    if visit_id is None:
        return _not_found()
    service = request.app.state.service
    told = await _terms(request, visit_id)
    await service.submit("leave_queue", TICKET_PAGE, visit_id=visit_id)  # refused once called: 409, nothing done
    desk, done = service.hooks.patient_desk, None
    if desk is not None:
        try:
            done = await run_in_threadpool(desk.release, visit_id)
        except Exception:  # the patient has left either way; the seat and fee are then the desk's (audited there)
            log.exception("seat of visit %s not released after 我不排了", visit_id)
    return _json({"state": "cancelled", "terms": (done or told).model_dump()})


@router.post("/t/{token}/on-my-way", summary="Phone ticket page: 我马上到 (shown to the nurse beside the ticket)")
async def on_my_way(token: str, request: Request) -> Response:
    visit_id = _visit_id(request, token)
    if visit_id is None:
        return _not_found()
    answer = await request.app.state.service.submit("on_my_way", TICKET_PAGE, visit_id=visit_id)
    return _json({"state": answer["visit"]["state"], "on_way": True})


@router.get("/t/{token}/card.svg", summary="Phone ticket page: the medical card's QR code (the card code)")
async def card_qr(token: str, request: Request) -> Response:
    visit_id = _visit_id(request, token)
    desk = request.app.state.service.hooks.patient_desk
    text = await run_in_threadpool(desk.card_qr, visit_id) if visit_id is not None and desk is not None else None
    if not text:
        return Response(status_code=404, headers=NO_STORE)
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return Response(image.to_string(encoding="unicode"), media_type="image/svg+xml", headers=NO_STORE)
