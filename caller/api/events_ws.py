"""GET /api/v1/events?area=A&since=N — the live event WebSocket (protocol: docs/events.md)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from caller.api.access import RULES, allowed
from caller.api.deps import bearer
from caller.auth import AuthError
from common.wire import ErrorBody, RefusedSubscription

log = logging.getLogger("caller.events")

router = APIRouter(tags=["events"])


FIRST_MESSAGE_S = 5.0  # a client without a token header sends {"type": "auth", "token": "..."} first


async def _refuse(ws: WebSocket, close_code: int, code: str, message_zh: str, message_en: str) -> None:
    """Say why, then close. A client already gone (it closed before authenticating) is one log line, never a
    traceback: anyone may open and drop sockets, and the log must not grow by a page each time."""
    try:
        if ws.application_state == WebSocketState.CONNECTING:
            await ws.accept()
        refusal = RefusedSubscription(error=ErrorBody(code=code, message_zh=message_zh, message_en=message_en))
        await ws.send_text(refusal.model_dump_json())
        await ws.close(code=close_code)
    except (WebSocketDisconnect, RuntimeError, OSError) as exc:
        client = ws.client.host if ws.client else "?"
        log.info("events socket from %s closed before it was refused (%s): %s", client, code, type(exc).__name__)


@router.websocket("/events")
async def events(ws: WebSocket) -> None:
    service = ws.app.state.service
    params = ws.query_params
    # the token: an Authorization header, else the first message; ?token= still works for older clients
    # (the service's logs redact it) but puts the token in URLs: do not use it in new clients
    token = bearer(ws.headers.get("authorization")) or params.get("token")
    if not token:
        await ws.accept()
        token = await _first_message_token(ws)
    try:
        who = service.auth.resolve(token)
    except AuthError as exc:
        await _refuse(ws, 4401, exc.code, exc.message_zh, exc.message_en)
        return

    if not allowed(RULES[("WS", "/api/v1/events")], who):
        await _refuse(ws, 4403, "forbidden", "对不起，本设备或账号无权接收叫号消息。", "This token may not follow the events.")
        return
    area = params.get("area", "")
    if not service.has_area(area):
        await _refuse(ws, 4404, "not_found", f"对不起，没有诊区“{area}”。", f"No area {area!r}.")
        return
    if not who.may_see_area(area):
        await _refuse(ws, 4403, "forbidden", "对不起，本设备无权接收其他诊区的消息。",
                      "This device may not follow another area.")
        return
    since_text = params.get("since")
    try:
        since = int(since_text) if since_text not in (None, "") else None
    except ValueError:
        await _refuse(ws, 4400, "invalid_request", "参数 since 应为整数。", "since must be an integer.")
        return

    if ws.application_state == WebSocketState.CONNECTING:
        await ws.accept()
    hub = service.hub
    sub, first = hub.subscribe(area, who.audience, since, role=who.role)
    sub.task = asyncio.current_task()
    reader = asyncio.create_task(_read_until_closed(ws, sub))
    writer = direct_writer(ws)
    try:
        for text in first:
            await _send(ws, sub, text)
        while True:
            if writer is not None and not sub.has_pending():
                sub.direct = writer  # from now on the hub writes frames itself (no await since the check)
                await sub.wait_closed()
                break
            text = await sub.next()
            if text is None:
                break
            await _send(ws, sub, text)
    except (WebSocketDisconnect, asyncio.CancelledError, RuntimeError, OSError):
        pass
    finally:
        hub.unsubscribe(sub)
        reader.cancel()
        with contextlib.suppress(Exception):
            await ws.close()


async def _first_message_token(ws: WebSocket) -> str | None:
    try:
        text = await asyncio.wait_for(ws.receive_text(), FIRST_MESSAGE_S)
        message = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - no, late or malformed first message: no token (refused 4401)
        log.debug("no auth message on the events socket: %s", type(exc).__name__)
        return None
    if isinstance(message, dict) and message.get("type") == "auth" and isinstance(message.get("token"), str):
        return message["token"]
    return None


RAW_SEND = "caller.raw_send"
MAX_BUFFERED = 4 * 1024 * 1024  # bytes waiting in a peer's socket buffer before it counts as dead


class RawSendMiddleware:
    """Pure ASGI middleware: keeps the server's own ``send`` of a WebSocket in the scope (see direct_writer)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            scope = {**scope, RAW_SEND: send}
        await self.app(scope, receive, send)


def direct_writer(ws: WebSocket):
    """A function writing a ready frame straight to this peer's socket, or None when not possible.

    Fan-out to hundreds of screens is the hot path: through ASGI every message costs a task switch and
    a framing per peer. With uvicorn's sans-I/O WebSocket protocol (no compression negotiated) the hub
    builds each frame once and writes the same bytes to every transport. Anything else: the ASGI path.
    """
    proto = getattr(ws.scope.get(RAW_SEND), "__self__", None)
    if type(proto).__name__ != "WebSocketsSansIOProtocol":
        return None
    transport = getattr(proto, "transport", None)
    conn = getattr(proto, "conn", None)
    if transport is None or conn is None or getattr(conn, "extensions", None):
        return None

    def write(frame: bytes) -> bool:
        if transport.is_closing() or getattr(proto, "close_sent", False):
            return False
        if transport.get_write_buffer_size() > MAX_BUFFERED:
            return False
        transport.write(frame)
        return True

    return write


async def _send(ws: WebSocket, sub, text: str) -> None:
    """Send one message; the hub's heartbeat cancels a send stuck for longer than SEND_TIMEOUT."""
    sub.sending_since = time.monotonic()
    await ws.send_text(text)
    sub.sending_since = None


async def _read_until_closed(ws: WebSocket, sub) -> None:
    """Clients send nothing we need; reading notices the disconnect and ends the subscription."""
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
    except Exception as exc:  # noqa: BLE001 - the socket broke: the subscription ends either way
        log.debug("events socket closed: %s", exc)
    sub.close()
