"""The ASGI application of a service that runs active/standby: a standby's refusals until elected, then the service.

:class:`ServiceSwitch` is what uvicorn runs. While this process is a standby it answers every request with 503
``standby`` naming the active one's address (the clients go there), ``/healthz`` with 200 and ``role: standby``,
and ``/readyz`` with 503 (a load balancer or keepalived sends traffic to the active one only). Once elected it
builds the caller service on the connection that holds the lock (the store writes through it: fencing), which
reloads today's queues from the database, starts the app's background work and from then on passes every request
to it. When that connection fails it swaps back to the refusals *first*, then stops the app: its event streams
end, so screens and speakers reconnect to the new active one and resume from their last seq.
"""
from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from typing import Any, Callable

from caller.ha.election import Election
from caller.ops.sdnotify import notify, watchdog_interval
from caller.pgstore import PostgresStore
from common.refusal import Refusal

log = logging.getLogger("caller.ha")

STANDBY_ZH = "您好，这台是备用叫号服务，请稍候，设备会自动连接主用服务。"
STANDBY_EN = "This caller service is the standby; devices switch to the active one by themselves."
LEAVE_TIMEOUT_S = 10.0


class Standby(Refusal):
    """What a standby answers to everything but its health: 503, naming the active one (``active``)."""

    status = 503


def standby_refusal(active: str | None) -> Standby:
    where_zh = f"主用服务：{active}" if active else "主用服务正在切换，请稍候"
    where_en = f"the active one is {active}" if active else "the active one is being elected, please wait"
    return Standby("standby", f"{STANDBY_ZH}（{where_zh}）", f"{STANDBY_EN} ({where_en})", active=active)


class ServiceSwitch:
    """``ServiceSwitch(url, advertise, build)``: ``build(store)`` returns the caller app (FastAPI) on the elected
    store; the switch enters and leaves the app's lifespan itself."""

    def __init__(self, url: str, advertise: str, build: Callable[[Any], Any],
                 open_store: Callable[[str, Callable], Any] | None = None, prepare: Callable[[], None] | None = None):
        self.advertise = advertise
        self.build = build
        self.prepare = prepare  # runs once at start, before campaigning (warms what build() needs)
        self.app: Any = None  # the caller app while this process is active
        self.election = Election(url, advertise, open_store=open_store or _open_postgres_store,
                                 on_elected=self._elected, on_deposed=self._deposed)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lifespan: Any = None
        self._watchdog: asyncio.Task | None = None
        self._starting: asyncio.Task | None = None

    # ------------------------------------------------------------------------------------------- ASGI
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._serve_lifespan(receive, send)
            return
        app = self.app
        if app is not None:
            await app(scope, receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(receive, send)

    def status(self) -> dict:
        """What /healthz and /readyz say while this process is not serving."""
        election = self.election
        out = {"status": "ok" if not election.problem else "failed", "role": election.state,
               "active": election.active_address, "advertise": self.advertise}
        if election.problem:
            out.update(problem="database_unreachable", reason_zh="备用叫号服务连不上数据库，请联系信息科。",
                       reason_en=election.problem)
        return out

    async def _http(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if path == "/healthz":  # alive: a standby is a healthy part of the pair while it reaches the database
            body, status = self.status(), 200 if not self.election.problem else 503
        elif path == "/readyz":  # not ready to take traffic: a load balancer skips it
            body, status = self.status(), 503
        elif path.startswith("/t/") and scope.get("method") in ("GET", "HEAD") and self.election.active_address:
            await self._redirect(scope, send)  # a phone opening a ticket link printed with this address
            return
        else:
            refusal = standby_refusal(self.election.active_address)
            body, status = refusal.body(), refusal.status
        data = json.dumps(body, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(data)).encode()),
            (b"retry-after", b"1"), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": data})

    async def _redirect(self, scope, send) -> None:
        target = self.election.active_address + scope["path"]
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        await send({"type": "http.response.start", "status": 307, "headers": [
            (b"location", target.encode("latin-1")), (b"content-length", b"0"), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": b""})

    async def _websocket(self, receive, send) -> None:
        """Accept, say who is active, close: the client goes there (its last seq is the database's)."""
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        text = json.dumps({"type": "error", **standby_refusal(self.election.active_address).body()}, ensure_ascii=False)
        await send({"type": "websocket.send", "text": text})
        await send({"type": "websocket.close", "code": 1013, "reason": "standby"})

    async def _serve_lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.loop = asyncio.get_running_loop()
                self._starting = asyncio.create_task(self._start())
                self._watchdog = asyncio.create_task(self._watchdog_while_standby())
                notify("READY=1")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._starting is not None:
                    self._starting.cancel()
                if self._watchdog is not None:
                    self._watchdog.cancel()
                await asyncio.to_thread(self.election.stop)
                await self._leave()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _sighup_while_standby(self) -> None:
        """``systemctl reload`` on a standby: nothing to reload (the file is read when it becomes active); the
        active app's own handler (caller/ops/runtime.py) replaces this one while it serves."""

        try:
            self.loop.add_signal_handler(signal.SIGHUP, lambda: log.info(
                "standby: the hospital file is read again when this process becomes active"))
        except (RuntimeError, ValueError, NotImplementedError):
            pass  # not in the main thread (tests)

    async def _start(self) -> None:
        self._sighup_while_standby()
        if self.prepare is not None:
            try:
                await asyncio.to_thread(self.prepare)
            except Exception:  # noqa: BLE001 - only a head start: building when elected reports a real problem
                log.exception("preparing the service while standing by failed")
        self.election.start()

    async def _watchdog_while_standby(self) -> None:
        """systemd's watchdog while not active (the active app pings its own, checking its database)."""
        every = watchdog_interval()
        while every:
            await asyncio.sleep(every)
            if self.app is None and self.election.alive():
                notify("WATCHDOG=1")

    # ------------------------------------------------------------------------------------ elected, deposed
    def _elected(self, store) -> None:
        """On the election's thread: build the service on the elected store (today's queues are read from the
        database) and start serving."""
        started = time.perf_counter()
        app = self.build(store)
        asyncio.run_coroutine_threadsafe(self._enter(app), self.loop).result()
        log.info("active: serving after %.2f s (queues reloaded from the database)", time.perf_counter() - started)

    def _deposed(self) -> None:
        asyncio.run_coroutine_threadsafe(self._leave(), self.loop).result(LEAVE_TIMEOUT_S)

    async def _enter(self, app) -> None:
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        self._lifespan = lifespan
        self.app = app

    async def _leave(self) -> None:
        app, self.app = self.app, None  # from now on every request gets the standby's refusal
        lifespan, self._lifespan = self._lifespan, None
        if app is None:
            return
        try:
            if lifespan is not None:
                await lifespan.__aexit__(None, None, None)  # event streams end: clients go to the new active one
        finally:
            self._sighup_while_standby()
            await asyncio.to_thread(app.state.service.close)


def _open_postgres_store(url: str, on_connect: Callable) -> Any:
    return PostgresStore(url, on_connect=on_connect)
