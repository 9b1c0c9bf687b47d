"""Operations routes: Prometheus metrics and reloading the hospital file (docs/operations.md)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from caller.api.deps import principal, service_of
from caller.api.errors import ApiError
from caller.auth import Principal, forbidden
from caller.ops.metrics import CONTENT_TYPE
from common.config import ConfigError

metrics_router = APIRouter(tags=["monitoring"])
router = APIRouter(tags=["admin"])


@metrics_router.get("/metrics", summary="Prometheus metrics (a monitor or admin device token)",
                    response_class=Response)
async def metrics(request: Request, who: Principal = Depends(principal)) -> Response:
    if not (who.is_admin or who.role == "monitor"):  # the access rules say so too (caller/api/access.py)
        raise forbidden()
    body = await run_in_threadpool(service_of(request).metrics.render)
    return Response(body, media_type=CONTENT_TYPE)


@router.post("/admin/reload", summary="Re-read the hospital file and apply it without a restart (admin)")
async def reload_config(request: Request, who: Principal = Depends(principal)) -> dict:
    if not who.is_admin:
        raise forbidden()
    path = getattr(request.app.state, "config_path", None)
    if not path:
        raise ApiError("no_config_file", "服务未从配置文件启动，无法重新加载。",
                       "The service was not started from a hospital file; nothing to reload.", status=409)
    service = service_of(request)
    try:
        actor = f"{who.user}@{who.device}" if who.user else who.device
        return await run_in_threadpool(service.reload_file, path, actor=actor)
    except ConfigError as exc:
        raise ApiError("config_refused", "新的配置文件有误，未生效，仍按原配置运行：" + str(exc),
                       "The new hospital file was refused; the running configuration is kept:\n" + str(exc), status=422) from None
