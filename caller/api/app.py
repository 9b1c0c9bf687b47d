"""The FastAPI application factory of the caller service."""
from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, Sequence

from fastapi import APIRouter, FastAPI

from caller.api import (
    access,
    admin,
    command_gateway,
    command_routes,
    events_ws,
    help_requests,
    journey,
    limits,
    notify,
    openapi,
    ops,
    queue,
    ticket_page,
)
from caller.api import cockpit as cockpit_api
from caller.api import screens as screens_api
from caller.api.errors import install_error_handlers
from caller.ops import runtime
from caller.plugins import ServiceHooks
from caller.screens.live import ScreenHub
from caller.service import CallerService
from caller.ticket_feed import TicketFeed
from common.config import HospitalConfig

log = logging.getLogger("caller.api")
API_PREFIX = "/api/v1"


class Plugin(Protocol):
    """A part built on the service: mounts its routes on ``app`` and hooks into ``hooks``."""

    def install(self, app: Any, service: CallerService, hooks: ServiceHooks) -> None: ...


ALERT_CHECK_SECONDS = 30.0


async def _every(seconds: float, check: Callable[[], Any], what: str) -> None:
    """Run ``check`` every ``seconds`` for the life of the app; a failure is logged and the next round runs."""
    while True:
        await asyncio.sleep(seconds)
        try:
            check()
        except Exception:
            log.exception("%s failed", what)


def _watchers(service: CallerService) -> list[tuple[float, Callable[[], Any], str]]:
    """What the service checks on its own, how often: wait alerts as departments pass (or fall back under) their
    threshold; help calls nobody acknowledged in time; devices whose heartbeats stopped (offline)."""
    device_every = min(5.0, max(0.05, service.config.device_health.heartbeat_s / 3))
    return [(ALERT_CHECK_SECONDS, service.wait_alerts.check, "checking wait alerts"),
            (1.0, service.help_desk.check_escalations, "checking help calls"),
            (device_every, service.device_watch.check_alerts, "checking device health")]


async def _prune_history(service: CallerService) -> None:
    """Expire idempotency answers and archive old events and audit rows, in a worker thread, now and then."""
    every = service.config.retention.prune_minutes * 60.0
    while True:
        try:
            moved = await asyncio.to_thread(service.prune)
            if any(moved.values()):
                log.info("retention: %s", moved)
        except Exception:
            log.exception("pruning history failed")
        await asyncio.sleep(every)


def create_app(config: HospitalConfig, db_path: str | Path, *, clock: Callable[[], datetime] | None = None,
               extra_routers: Iterable[APIRouter] = (), plugins: Sequence[Plugin] = (),
               service: CallerService | None = None, config_path: str | Path | None = None,
               max_body_bytes: int | None = None) -> FastAPI:
    """Build the app: one :class:`CallerService` (engine + store + event hub) in ``app.state.service``.

    ``extra_routers`` are mounted under /api/v1. ``plugins`` are installed in their order, each given the
    service's :class:`caller.plugins.ServiceHooks` (records: ``records.plugins.PLUGINS``; see docs/api.md,
    "Plugging in"). ``config_path``: the hospital file that ``POST /api/v1/admin/reload`` and SIGHUP re-read.
    """
    if service is None:
        service = CallerService(config, db_path, clock=clock, hooks=ServiceHooks())
    hooks = service.hooks
    ticket_feed = TicketFeed(service)
    screens = ScreenHub(service, config_path=config_path)  # web screens at /screen/ (docs/screens.md)
    hooks.reload.append(lambda _config: screens.reconfigure())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await service.hub.start()
        await ticket_feed.start()
        await screens.start()
        service.notify.start()
        watchers = [asyncio.create_task(_every(*watch)) for watch in _watchers(service)]
        prune = asyncio.create_task(_prune_history(service))
        ops_tasks = runtime.start(service, config_path)  # systemd: READY=1, watchdog, reload on SIGHUP
        plugins = AsyncExitStack()  # what plug-ins run beside the service (the HIS link), stopped first
        try:
            for hook in hooks.lifespan:
                await plugins.enter_async_context(hook())
            yield
        finally:
            await plugins.aclose()
            for task in (*watchers, prune, *ops_tasks):
                task.cancel()
            await screens.stop()
            await ticket_feed.stop()
            service.notify.stop()
            await service.hub.stop()

    # FastAPI's own OpenTelemetry hooks are off: the service counts what it does in /metrics (caller/ops/metrics.py),
    # and asking on every request whether a tracer is configured costs more than the command's routing
    app = FastAPI(title="Caller service", version="1", lifespan=lifespan,
                  telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
                  description="Hospital queue-calling service: commands, queries and live events. "
                              "Errors: {\"error\": {code, message_zh, message_en}}.")
    app.state.service = service
    app.state.config = config
    app.state.ticket_feed = ticket_feed
    app.state.screens = screens
    app.state.config_path = config_path
    app.add_middleware(events_ws.RawSendMiddleware)
    app.add_middleware(limits.BodyLimits, max_body_bytes=max_body_bytes)  # 413 before anything is read
    app.add_middleware(access.AccessGuard, fastapi_app=app)  # deny by default: caller/api/access.py RULES
    app.add_middleware(limits.SecurityHeaders, peers=tuple(config.hospital.services))  # CSP, frames, referrer
    # in front of all of them: a plain command from an allowed caller, straight to its handler
    command_gateway.install(app, API_PREFIX, tuple(config.hospital.services), limits.body_limit(max_body_bytes))
    install_error_handlers(app)
    app.include_router(admin.monitor)
    app.include_router(ops.metrics_router)
    app.include_router(ticket_page.router)
    app.include_router(screens_api.pages)
    for router in (command_routes.router, queue.router, journey.router, admin.router, help_requests.router,
                   events_ws.router, ops.router, notify.router, screens_api.router, *extra_routers):
        app.include_router(router, prefix=API_PREFIX)
    for plugin in plugins:
        plugin.install(app, service, hooks)
    cockpit_api.install(app)
    openapi.install(app)  # every status each operation answers, in the shared error shape
    return app
