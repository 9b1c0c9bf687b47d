"""Login, hospital structure, audit, statistics, device health, monitoring."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from caller.api.deps import bearer, principal, require, service_of
from caller.api.errors import ApiError
from caller.api.models import HealthBody, LoginBody
from caller.auth import Principal
from common.config import hospital_public

router = APIRouter(tags=["admin"])
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hashing")


async def run_hashing(fn, *args):
    """Password checks run off the event loop, one at a time: a login flood queues here and never stalls
    calls, screens or /healthz (and locked-out attempts answer 429 without hashing)."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, fn, *args)
monitor = APIRouter(tags=["monitoring"])


@monitor.get("/healthz", summary="Liveness for monitoring (no token needed)")
async def healthz(request: Request) -> JSONResponse:
    """200 with status ok; 503 with status failed and the reason when the service may not acknowledge writes."""
    health = service_of(request).health()
    return JSONResponse(health, status_code=200 if health["status"] == "ok" else 503)


@monitor.get("/readyz", summary="Readiness for a load balancer or keepalived: 200 on the active service only")
async def readyz(request: Request) -> JSONResponse:
    """200 while this service takes traffic (it is the active one and may acknowledge writes); a standby answers
    503 with ``role: standby`` and the active one's address (docs/high-availability.md)."""
    health = service_of(request).health()
    return JSONResponse(health, status_code=200 if health["status"] == "ok" else 503)


@router.post("/auth/login", summary="Console user login with a console device token -> user token")
async def login(body: LoginBody, request: Request, who: Principal = Depends(principal)) -> dict:
    service = service_of(request)
    token, user = await run_hashing(service.auth.login, who, body.username, body.password)
    return {"token": token, "user": {"username": user.user, "name": user.user_name},
            "role": user.user_role, "areas": list(user.user_areas), "device": user.device}


@router.post("/auth/logout", summary="End this console user's session (the user token stops working)")
async def logout(request: Request, who: Principal = Depends(principal)) -> dict:
    service_of(request).auth.logout(bearer(request.headers.get("authorization")))
    return {"ok": True, "user": who.user}


@router.get("/auth/me", summary="Who this token is, with the device's settings from the hospital file")
async def me(request: Request, who: Principal = Depends(principal)) -> dict:
    return {"role": who.role, "device": who.device, "area": who.area, "room": who.room,
            "user": who.user, "user_role": who.user_role, "areas": list(who.user_areas),
            "settings": _device_settings(service_of(request), who.device)}


def _device_settings(service, device_id: str) -> dict:
    """The device's own ``settings`` table (layout, rows, font scale, speak...), checked at load; {} for unknown
    devices (docs/settings.md)."""
    try:
        return service.config.device(device_id).settings.served()
    except KeyError:
        return {}


@router.get("/hospital", summary="Public structure of the hospital for the apps")
async def hospital(request: Request, who: Principal = Depends(principal)) -> dict:
    return hospital_public(service_of(request).config)


@router.get("/audit", summary="Who did what to a visit, and when")
async def audit(request: Request, visit: str | None = Query(default=None, max_length=64),
                limit: int = Query(default=500, ge=1, le=5000), who: Principal = Depends(principal)) -> list[dict]:
    service = service_of(request)
    area = await run_in_threadpool(service.lookup.area_of_stored_visit, visit) if visit else None
    require(who, {"console"}, area, user=True)
    if visit is None and not who.is_admin:
        require(who, set())  # the whole trail is for administrators
    return await run_in_threadpool(service.store.audit, visit, limit)


@router.get("/stats/alerts", summary="Departments whose current wait is over the threshold")
async def alerts(request: Request, who: Principal = Depends(principal)) -> list[dict]:
    require(who, {"console"})
    service = service_of(request)
    return [a for a in service.wait_alerts.current() if who.may_see_area(a["area"])]


@router.get("/stats/summary", summary="Today's waiting, served, missed and median times per department")
def summary(request: Request, who: Principal = Depends(principal)) -> dict:  # a worker thread: never holds up the loop
    require(who, {"console"})
    return service_of(request).cockpit_feed.stats_summary()


@router.post("/devices/health", summary="A device reports its health")
async def report_health(body: HealthBody, request: Request, who: Principal = Depends(principal)) -> dict:
    return service_of(request).device_watch.record_health(who, body)


@router.get("/devices/locks", summary="Suspended kiosks and locked second factors, for staff to review")
def guard_locks(request: Request, who: Principal = Depends(principal)) -> list[dict]:
    require(who, {"console"}, user=True)
    return service_of(request).guard.locks()


@router.post("/devices/{device_id}/reinstate", summary="Staff reviewed a suspended kiosk: it serves again (audited)")
def reinstate(device_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    require(who, {"console"}, user=True)
    service = service_of(request)
    if not service.guard.lift("kiosk", device_id, who.user or "", who.device):
        raise ApiError("not_suspended", "该自助机没有被暂停。", "This kiosk is not suspended.", status=404)
    return {"device": device_id, "suspended": False}


@router.get("/devices", summary="Last health report of every device")
async def devices(request: Request, who: Principal = Depends(principal)) -> list[dict]:
    require(who, {"console"})
    return service_of(request).device_watch.devices()
