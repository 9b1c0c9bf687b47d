"""The web cockpit at /cockpit/: login (HttpOnly session cookie), the KPI views, the live stream, PDCA and exports.

These routes present the cockpit's figures (the `cockpit` package: rollups, KPIs, reports, exports, pages) through
the service's logins, so they live above both, in the service's API (the `cockpit` package never imports `caller`).

Only `manager` and `admin` users get in, through the console's login (caller.auth) from the cockpit's own
pseudo device; the session token lives in an HttpOnly, SameSite=Strict cookie scoped to /cockpit. Requests that
change anything (login, logout, what-if) must carry the `X-Cockpit: 1` header, which a page of another site cannot
send without a CORS preflight this service never grants: CSRF-safe. Every read runs in a worker thread on a read
connection, never under the queue's lock.
"""
from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

import cockpit
from caller import cockpit_group as group
from caller import simulate
from caller.api.errors import ApiError
from caller.auth import COCKPIT, COCKPIT_USER_ROLES, AuthError, Principal, cockpit_device
from caller.service import CallerService
from caller.store import AuditRow, ChangeRows
from cockpit import export, report
from cockpit import pdca as pdca_record
from cockpit.kpis import ROOM_USE_EN, ROOM_USE_ZH
from cockpit.report import Scope
from common.config import ConfigError
from common.refusal import not_found

STATIC = Path(cockpit.__file__).parent / "static"  # the pages live with the cockpit's figures
COOKIE = "cockpit_session"
router = APIRouter(prefix="/cockpit", tags=["cockpit"])


def _refuse_cross_site(request: Request) -> None:
    if request.headers.get("x-cockpit") != "1":
        raise AuthError("csrf", "请从驾驶舱页面操作，谢谢。", "Use the cockpit page for this action.", status=403)


def manager(request: Request) -> Principal:
    """The logged-in manager or admin of this cookie (401 otherwise)."""
    token = request.cookies.get(COOKIE)
    who = request.app.state.service.auth.resolve(token)
    if who.role != COCKPIT or who.user_role not in COCKPIT_USER_ROLES:
        raise AuthError("unauthorized", "请先登录服务效能驾驶舱。", "Please log in to the cockpit.")
    return who


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


@router.post("/api/login", summary="Cockpit login (manager or admin): sets the HttpOnly session cookie")
async def login(request: Request) -> JSONResponse:
    _refuse_cross_site(request)
    body = await request.json()
    username, password = str(body.get("username", "")), str(body.get("password", ""))
    auth = request.app.state.service.auth
    token, who = await run_in_threadpool(auth.login, cockpit_device(), username, password)
    response = JSONResponse({"user": who.user, "name": who.user_name, "role": who.user_role})
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/cockpit",
                        secure=request.url.scheme == "https")
    return response


@router.post("/api/logout", summary="Cockpit logout: ends the session on the server and forgets the cookie")
async def logout(request: Request) -> JSONResponse:
    _refuse_cross_site(request)
    # the session ends on the server too: a copy of the cookie (another browser tab, a shared PC) no longer works
    await run_in_threadpool(request.app.state.service.auth.logout, request.cookies.get(COOKIE))
    response = JSONResponse({"ok": True})
    response.delete_cookie(COOKIE, path="/cockpit")
    return response


@router.get("/api/me")
async def me(request: Request, who: Principal = Depends(manager)) -> dict:
    """Who is logged in; ``group``: this campus shares its PostgreSQL with other campuses (the group view exists),
    ``campus``: this campus's key in the group view."""
    campus = getattr(request.app.state, "campus", None)
    return {"user": who.user, "name": who.user_name, "role": who.user_role,
            "group": campus is not None and await run_in_threadpool(_campus_count, request) > 1, "campus": campus}


def _campus_count(request: Request) -> int:
    with group.reading(request.app.state.service.store.url) as conn:
        return len(group.campuses(conn))


def _scope(level: str, key: str) -> Scope:
    if level not in report.LEVELS:
        raise ApiError("invalid_request", "请求的层级不正确。", "Unknown level.", status=422)
    return Scope(level, "" if level == "hospital" else key)


@router.get("/api/view", summary="KPIs of a scope for a day, week or month, with children and the daily trend")
def view(request: Request, period: str = Query("day", pattern="^(day|week|month)$"), day: str | None = None,
         level: str = "hospital", key: str = "", who: Principal = Depends(manager)) -> dict:
    service = request.app.state.service
    first, last = report.period(period, _day(day, service))
    if level in ("group", "campus"):  # several campuses on one PostgreSQL (caller/cockpit_group.py)
        data = _group_view(request, level, key, first, last)
        data["period"] = period
        return data
    today = service.clock().date()
    with service.store.read() as conn:
        data = report.view(conn, service.config, _scope(level, key), first, last, period, today,
                           before=request.app.state.cockpit_earlier.reader(conn, service.config, today))
    data["period"] = period
    data["now"] = service.clock().isoformat(timespec="seconds")  # the wall's clock keeps the service's time
    return data


@router.get("/api/stream", summary="Server-sent events: `changed` whenever the queue published something")
async def stream(request: Request, who: Principal = Depends(manager)) -> StreamingResponse:
    hub = request.app.state.service.hub

    async def changes():
        seen = hub.seq
        yield f"event: hello\ndata: {seen}\n\n"
        quiet = 0
        while not await request.is_disconnected():
            await asyncio.sleep(1.0)
            if hub.seq != seen:
                seen = hub.seq
                quiet = 0
                yield f"event: changed\ndata: {seen}\n\n"
            else:
                quiet += 1
                if quiet >= 15:
                    quiet = 0
                    yield ": keep-alive\n\n"

    return StreamingResponse(changes(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------------------------------------- PDCA
def _pdca(request: Request, month: str, dept: str | None) -> dict:
    service = request.app.state.service
    with service.store.read() as conn:
        return report.pdca(conn, service.config, month, dept or None)


@router.get("/api/pdca", summary="The monthly PDCA review of a department (or the hospital)")
def pdca_json(request: Request, month: str = Query(pattern=r"^\d{4}-\d{2}$"), dept: str | None = None,
              who: Principal = Depends(manager)) -> dict:
    return _pdca(request, month, dept)


@router.put("/api/pdca", summary="Save the month's PDCA record (plan, actions done, decision); audited")
def pdca_save(request: Request, month: str = Query(pattern=r"^\d{4}-\d{2}$"), dept: str | None = None,
              body: dict = Body(...), who: Principal = Depends(manager)) -> dict:
    """The manager's part of the record (cockpit.pdca.checked); the check is the measured figures, never typed.
    One audit row (``pdca_saved``) names who saved it."""
    _refuse_cross_site(request)
    service = request.app.state.service
    if dept:
        try:
            service.config.department(dept)
        except KeyError:
            raise not_found("科室", "department", dept) from None
    try:
        record = pdca_record.checked(body, month)
    except pdca_record.PdcaError as exc:
        raise ApiError("invalid_request", exc.zh, exc.en, status=422) from None
    ts = service.clock().isoformat(timespec="seconds")
    with service.lock, service.store.transaction() as conn:
        pdca_record.save(conn, dept or None, month, record, who.user or "", ts)
        service.store.write_change(conn, ChangeRows(audit=[AuditRow(
            ts=ts, user=who.user or "", device=who.device, action="pdca_saved", visit_id=None,
            detail={"month": month, "dept": dept or "", "actions": len(record["do"]),
                    "decision": record["act"]["decision"]})]))
    return _pdca(request, month, dept)


@router.get("/pdca", summary="The printable PDCA page", response_class=HTMLResponse)
def pdca_page(request: Request, month: str = Query(pattern=r"^\d{4}-\d{2}$"), dept: str | None = None) -> Response:
    try:
        manager(request)
    except AuthError:
        return RedirectResponse("/cockpit/")
    data = _pdca(request, month, dept)
    return HTMLResponse(export.pdca_html(data, request.app.state.config.hospital.name))


@router.get("/export/pdca.xlsx", summary="The PDCA table as XLSX (same figures as the page)")
def pdca_xlsx(request: Request, month: str = Query(pattern=r"^\d{4}-\d{2}$"), dept: str | None = None,
              who: Principal = Depends(manager)) -> Response:
    data = _pdca(request, month, dept)
    name = f"pdca-{month}-{data['scope']['key'] or 'hospital'}.xlsx"
    return Response(export.pdca_xlsx(data), headers={"Content-Disposition": f'attachment; filename="{name}"'},
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/export/pdca.csv", summary="The PDCA table as CSV (UTF-8 with BOM, opens in Excel)")
def pdca_csv(request: Request, month: str = Query(pattern=r"^\d{4}-\d{2}$"), dept: str | None = None,
             who: Principal = Depends(manager)) -> Response:
    data = _pdca(request, month, dept)
    name = f"pdca-{month}-{data['scope']['key'] or 'hospital'}.csv"
    return Response(export.pdca_csv(data), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ------------------------------------------------------------------------------------------------ what-if
@router.get("/api/whatif/options", summary="What the what-if form offers: areas, rooms, caps, sessions")
def whatif_options(request: Request, day: str | None = None, who: Principal = Depends(manager)) -> dict:
    service = request.app.state.service
    when = _day(day, service)
    with service.store.read() as conn:
        worked = {key for (key,) in conn.execute(
            "SELECT key FROM rollup WHERE dim = 'room' AND day = ? AND measure = 'service' AND n > 0",
            (when.isoformat(),))}
    return {"day": when.isoformat(), **simulate.whatif_options(service.config, worked)}


def _day(day: str | None, service: CallerService) -> date:
    try:
        return date.fromisoformat(day) if day else service.clock().date()
    except ValueError:
        raise ApiError("invalid_request", "日期格式不正确，请从日历中选择日期。", "Choose the day from the calendar.",
                       status=422) from None


@router.post("/api/simulate", summary="What-if: replay a stored day through the real engine with the form's choices")
def simulate_day(request: Request, body: dict = Body(...), who: Principal = Depends(manager)) -> dict:
    """The form's choices (``area``, ``room_cap``, ``open_rooms``, ``new_rooms``, ``am``, ``pm``: see
    caller.simulate.from_choices); a choice not on the form's lists is refused with what to choose instead."""
    _refuse_cross_site(request)
    service = request.app.state.service
    day = _day(body.get("day"), service)
    try:
        changed, opened = simulate.from_choices(service.config, body)
    except simulate.ChoiceError as exc:
        raise ApiError("invalid_request", exc.zh, exc.en, status=422) from None
    except (ValueError, ConfigError) as exc:  # the changed hospital does not hold together
        raise ApiError("invalid_request", f"这样调整后配置不成立，请换一种选择：{exc}",
                       f"These choices do not make a valid hospital: {exc}", status=422) from None
    with service.store.read() as conn:
        arrivals, happened = simulate.stored_day(conn, day.isoformat(), service.config, area=body["area"])
    if not arrivals:
        raise ApiError("not_found", f"{day} 该诊区没有就诊记录，请选择其他日期或诊区。",
                       f"No visits stored for {day} in this area; choose another day or area.", status=404)
    rooms = happened.rooms or None  # the rooms that saw patients that day, and those the what-if opens
    rows = simulate.compare(happened, simulate.replay(service.config, day, arrivals, rooms=rooms),
                            simulate.replay(changed, day, arrivals, rooms=rooms and rooms + opened))
    return {"day": day.isoformat(), "rows": rows, "room_use": {"zh": ROOM_USE_ZH, "en": ROOM_USE_EN}}


def _group_view(request: Request, level: str, key: str, first: date, last: date) -> dict:
    service = request.app.state.service

    if getattr(request.app.state, "campus", None) is None:
        raise ApiError("not_found", "本院区不与其他院区共用数据库，没有集团视图。",
                       "This hospital shares its database with no other campus: there is no group view.", status=404)
    try:
        with group.reading(service.store.url) as conn:
            return group.view(conn, level, key, first, last)
    except KeyError:
        raise not_found("院区", "campus", key) from None


def install(app: FastAPI) -> None:
    """Mount the cockpit pages, its API and its static files (ECharts is vendored under static/vendor).

    On PostgreSQL the service's campus is registered for the group view (caller/cockpit_group.py)."""

    service = app.state.service
    app.state.campus = None
    app.state.cockpit_earlier = report.EarlierKept()  # past periods' figures for 环比 / 同比, kept a few minutes
    if group.is_group_store(service.store):
        app.state.campus = group.register(service.store, service.config, service.clock().isoformat())
    app.include_router(router)
    app.mount("/cockpit/static", StaticFiles(directory=STATIC), name="cockpit-static")
