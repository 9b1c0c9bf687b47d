"""Web screens at /screen/: the pages, pairing, the live socket, media and clips; and the console's side of them
(pair, revoke, emergency notices, the media check) under /api/v1/screens.

A browser is a screen only after a console user paired it (caller/screens/pairing.py): its credential lives in an
HttpOnly, SameSite=Strict cookie scoped to /screen, so it is in no URL, no log line and nothing a page script can
read. Requests that change something from a page (asking for a code) carry ``X-Screen: 1``, which another site's
page cannot send without a CORS preflight this service never grants; the live socket checks its Origin.
docs/screens.md describes it for the hospital's IT.
"""
from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Depends, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.websockets import WebSocketState

from caller.api.deps import principal, require
from caller.api.errors import ApiError
from caller.api.events_ws import direct_writer
from caller.auth import AuthError, Principal

log = logging.getLogger("caller.screens")
WEB = Path(__file__).resolve().parent.parent / "web" / "screen"
ASSETS = {"screen.js": "text/javascript; charset=utf-8", "screen.css": "text/css; charset=utf-8"}
DEVICE_COOKIE = "screen_device"
PAIRING_COOKIE = "screen_pairing"
COOKIE_PATH = "/screen"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
CREDENTIAL_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie; revoking ends it sooner

pages = APIRouter(tags=["screens"], include_in_schema=False)
router = APIRouter(prefix="/screens", tags=["screens"])


def hub_of(request: Request):
    return request.app.state.screens


def screen_of(request: Request) -> Principal:
    """The paired screen of this request's cookie (401 otherwise)."""
    who = hub_of(request).pairings.principal(request.cookies.get(DEVICE_COOKIE))
    request.app.state.service.device_watch.note_seen(who.device)
    return who


def _same_site(request: Request) -> None:
    if request.headers.get("x-screen") != "1":
        raise AuthError("csrf", "请从屏幕页面操作，谢谢。", "Use the screen page for this action.", status=403)


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path=COOKIE_PATH,
                        secure=request.url.scheme == "https")


# ---------------------------------------------------------------------------------------------- the pages
# the service's policy (caller/api/limits.py) plus what a screen needs: media it plays from its own cache (blob:),
# the silent clip that turns sound on (data:), and its service worker
SCREEN_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
              "media-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
              "base-uri 'none'; form-action 'self'; object-src 'none'")


@pages.get("/screen/")
async def screen_page() -> FileResponse:
    return FileResponse(WEB / "index.html", media_type="text/html; charset=utf-8",
                        headers={**NO_STORE, "Content-Security-Policy": SCREEN_CSP})


@pages.get("/screen/sw.js")
async def service_worker() -> FileResponse:
    """The offline copy of the page itself (scope /screen/); media and playlists are kept by the page."""
    return FileResponse(WEB / "sw.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/screen/"})


@pages.get("/screen/static/{name}")
async def screen_asset(name: str) -> Response:
    media = ASSETS.get(name)
    if media is None:
        return Response(status_code=404)
    return FileResponse(WEB / name, media_type=media, headers={"Cache-Control": "no-cache"})


@pages.post("/screen/api/pair")
async def start_pairing(request: Request) -> JSONResponse:
    """A code for this browser to show; its request is remembered in an HttpOnly cookie."""
    _same_site(request)
    code, secret = hub_of(request).pairings.start()
    response = JSONResponse({"code": code, "expires_s": 600}, headers=NO_STORE)
    _set_cookie(response, request, PAIRING_COOKIE, secret, 600)
    return response


@pages.get("/screen/api/pair")
async def pairing_state(request: Request) -> JSONResponse:
    """``{"paired": true}`` once a console paired this browser's code (the credential comes as a cookie)."""
    pairings = hub_of(request).pairings
    if pairings.resolve(request.cookies.get(DEVICE_COOKIE)) is not None:
        return JSONResponse({"paired": True}, headers=NO_STORE)
    credential, code = pairings.claim(request.cookies.get(PAIRING_COOKIE))
    if credential is None:
        return JSONResponse({"paired": False, "code": code}, headers=NO_STORE)
    response = JSONResponse({"paired": True}, headers=NO_STORE)
    _set_cookie(response, request, DEVICE_COOKIE, credential, CREDENTIAL_MAX_AGE)
    response.delete_cookie(PAIRING_COOKIE, path=COOKIE_PATH)
    return response


@pages.get("/screen/api/me")
async def screen_me(request: Request, who: Principal = Depends(screen_of)) -> JSONResponse:
    return JSONResponse({"device": who.device, "area": who.area, "room": who.room}, headers=NO_STORE)


@pages.get("/screen/api/media/{name}")
async def media_file(name: str, request: Request, who: Principal = Depends(screen_of)) -> Response:
    item = hub_of(request).library.get(name)
    if item is None or not item.ok:
        return Response(status_code=404, headers=NO_STORE)
    return FileResponse(item.path, media_type=item.mime, headers={"Cache-Control": "private, max-age=86400"})


@pages.get("/screen/api/clips/{clip_id}")
async def clip_file(clip_id: str, request: Request, who: Principal = Depends(screen_of)) -> Response:
    path = hub_of(request).clip_path(clip_id)
    if path is None or not path.exists():
        return Response(status_code=404, headers=NO_STORE)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"})


@pages.get("/screen/api/photos/{doctor_id}")
async def doctor_photo(doctor_id: str, request: Request, who: Principal = Depends(screen_of)) -> Response:
    path = hub_of(request).photo_path(doctor_id)
    if path is None:
        return Response(status_code=404)
    return FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})


@pages.websocket("/screen/api/live")
async def live(ws: WebSocket) -> None:
    hub = ws.app.state.screens
    origin = ws.headers.get("origin")
    host = ws.headers.get("host", "")
    if origin and origin.split("://", 1)[-1] != host:
        await ws.close(code=4403)
        return
    try:
        who = hub.pairings.principal(ws.cookies.get(DEVICE_COOKIE))
    except AuthError as exc:
        await ws.accept()
        await ws.send_json({"type": "error", "error": {"code": exc.code, "message_zh": exc.message_zh,
                                                       "message_en": exc.message_en}})
        await ws.close(code=4401)
        return
    await ws.accept()
    try:
        await hub.serve(ws, who, direct_writer(ws))
    finally:
        if ws.application_state != WebSocketState.DISCONNECTED:
            try:
                await ws.close()
            except (RuntimeError, OSError) as exc:  # already gone
                log.debug("screen socket already closed: %s", exc)


# ---------------------------------------------------------------------------------------------- the console
class PairBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^\s*\d{6}\s*$", description="the 6 digits the screen shows")
    device: str = Field(min_length=1, max_length=64, description="the display device (hospital file) it becomes")


class OverrideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=500, description="the notice, e.g. 今日下午内科停诊")
    text_en: str = Field(default="", max_length=500)
    title: str = Field(default="紧急通知", max_length=40)
    devices: list[str] = Field(default_factory=list, description="display devices (empty: by areas)")
    areas: list[str] = Field(default_factory=list, description="every screen of these areas (both empty: every "
                             "screen, admin only)")


def _staff(who: Principal) -> None:
    require(who, {"console"}, user=True)


@router.post("/pair", summary="Pair the browser showing this code to a display device (nurse of its area, admin)")
async def pair(body: PairBody, request: Request, who: Principal = Depends(principal)) -> dict:
    _staff(who)
    service = request.app.state.service
    screen = hub_of(request).pairings.pair(body.code, body.device, who,
                                           service.clock().isoformat(timespec="seconds"))
    return {"device": screen.device, "screen": screen.id, "paired_by": screen.paired_by, "paired_at": screen.paired_at}


@router.get("", summary="Paired web screens, their emergency notices and media problems")
async def screens(request: Request, who: Principal = Depends(principal)) -> dict:
    require(who, {"console"})
    hub = hub_of(request)
    return {"paired": hub.pairings.paired(), "overrides": list(hub.overrides.active.values()),
            "media": [{"file": f.name, "kind": f.kind, "state": f.state, "zh": f.problem_zh, "en": f.problem_en,
                       "transcoded": f.transcoded} for f in hub.library.files()]}


@router.delete("/{device}", summary="Revoke the browser paired as this display device (it stops at once)")
async def revoke(device: str, request: Request, who: Principal = Depends(principal)) -> dict:
    _staff(who)
    hub = hub_of(request)
    done = hub.pairings.revoke(device, who, request.app.state.service.clock().isoformat(timespec="seconds"))
    hub.disconnect_device(device)
    return {"device": device, "revoked": done}


def _check_override_scope(request: Request, who: Principal, body: OverrideBody) -> None:
    config = request.app.state.service.config
    areas = set(body.areas)
    for device_id in body.devices:
        try:
            device = config.device(device_id)
        except KeyError:
            raise ApiError("not_found", f"对不起，没有显示设备“{device_id}”。", f"No device {device_id!r}.",
                           status=404) from None
        if device.role != "display":
            raise ApiError("invalid_request", f"“{device_id}”不是显示屏。", f"{device_id!r} is not a display.",
                           status=422)
        areas.add(device.area or config.area_of_room(device.room).id)
    for area in body.areas:
        if area not in {a.id for a in config.areas}:
            raise ApiError("not_found", f"对不起，没有诊区“{area}”。", f"No area {area!r}.", status=404)
    if who.is_admin:
        return
    if who.user_role not in ("nurse", "admin") or not areas or not all(who.may_see_area(a) for a in areas):
        raise AuthError("forbidden", "对不起，只有本诊区的护士或管理员可以在这些屏幕上发布紧急通知。",
                        "Only a nurse of these areas or an admin may put a notice on these screens.", status=403)


@router.post("/overrides", summary="Put a full-screen emergency notice on chosen screens (audited)")
async def put_override(body: OverrideBody, request: Request, who: Principal = Depends(principal)) -> dict:
    _staff(who)
    _check_override_scope(request, who, body)
    return hub_of(request).put_override(who, body.text.strip(), body.text_en.strip(), body.title.strip(),
                                        body.devices, body.areas)


@router.delete("/overrides/{override_id}", summary="Take an emergency notice down (audited)")
async def end_override(override_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    _staff(who)
    hub = hub_of(request)
    item = hub.overrides.active.get(override_id)
    if item is None:
        raise ApiError("not_found", "对不起，没有这条紧急通知（可能已撤下）。", "No such active notice.", status=404)
    _check_override_scope(request, who, OverrideBody(text=item["text"], devices=item["devices"], areas=item["areas"]))
    hub.end_override(who, override_id)
    return {"id": override_id, "ended": True}


@router.post("/media/rescan", summary="Check the media folder again now (new, changed and removed files)")
async def rescan(request: Request, who: Principal = Depends(principal)) -> dict:
    require(who, set())
    hub = hub_of(request)
    import asyncio

    await asyncio.to_thread(hub.library.rescan, True)
    hub.reconfigure()
    return {"files": len(hub.library.files()), "problems": [f.name for f in hub.library.problems()]}
