"""Request limits before any handler runs: body size (413), and the refusal of a body that takes too long (408).

Pure ASGI middleware, so a 50 MB body is refused from its Content-Length (or as soon as the bytes read pass
the limit) and never held in memory. The limit is ``HOSPITAL_MAX_BODY_BYTES`` (default 64 KiB) or
``create_app(max_body_bytes=)``. A client that stops sending half way is cut off after ``BODY_TIMEOUT_S`` by the
server's protocol (caller/ops/http_protocol.py: one sweep for every connection, no timer per request), with
:func:`too_slow`'s answer.
"""
from __future__ import annotations

import logging
import os

from caller.api.errors import ApiError, refusal_response

log = logging.getLogger("caller.api")

DEFAULT_MAX_BODY = 64 * 1024
BODY_TIMEOUT_S = 10.0


def body_limit(max_body_bytes: int | None = None) -> int:
    """The body limit in force: the one given, else ``HOSPITAL_MAX_BODY_BYTES``, else 64 KiB."""
    return max_body_bytes if max_body_bytes is not None else max_body_from_env()


def declared_length(scope) -> int | None:
    """The request's Content-Length, when it gives a valid one."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def max_body_from_env() -> int:
    try:
        return int(os.environ.get("HOSPITAL_MAX_BODY_BYTES", DEFAULT_MAX_BODY))
    except ValueError:
        return DEFAULT_MAX_BODY


def too_large(limit: int) -> ApiError:
    return ApiError("body_too_large", "对不起，提交的内容过大，请联系信息科。",
                    f"The request body is larger than {limit} bytes.", status=413)


def too_slow() -> ApiError:
    return ApiError("request_timeout", "对不起，请求发送超时，请重试。",
                    f"The request body did not arrive within {BODY_TIMEOUT_S:g} s.", status=408)


class BodyLimits:
    def __init__(self, app, max_body_bytes: int | None = None):
        self.app = app
        self.limit = body_limit(max_body_bytes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.limit:
            await _refuse(scope, receive, send, too_large(self.limit))
            return
        seen = 0
        complete = refused = False
        limit = self.limit

        async def refuse(exc: ApiError) -> dict:
            """Answer now and tell the app the client went away (its own answer, if any, is dropped)."""
            nonlocal refused
            if not refused:
                refused = True
                await _refuse(scope, receive, send, exc)
            return {"type": "http.disconnect"}

        async def limited_receive():
            nonlocal seen, complete
            if refused:
                return {"type": "http.disconnect"}
            if complete:  # after the body: a disconnect watcher may wait as long as it likes
                return await receive()
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    return await refuse(too_large(limit))
                complete = not message.get("more_body", False)
            return message

        async def guarded_send(message):
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception as exc:  # noqa: BLE001 - the handler failed on the body we cut off: it was refused already
            if not refused:
                raise
            log.debug("after a refused body: %s", exc)


async def _refuse(scope, receive, send, exc: ApiError) -> None:
    await refusal_response(exc)(scope, receive, send)


class SecurityHeaders:
    """Every page the service serves (the phone ticket page, the cockpit, the error pages) says what a browser may
    do with it: only this service's scripts and styles (and its active/standby peers for the live feed), never
    inside another site's frame, no referrer (a ticket link is a key), no guessing of content types. The API's
    generated documentation pages (/docs, /redoc) are left as FastAPI makes them."""

    EXEMPT = ("/docs", "/redoc")

    def __init__(self, app, peers: tuple[str, ...] = ()):
        self.app = app
        connect = " ".join(("'self'", *peers))
        self.headers = [
            (b"content-security-policy",
             (f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
              f"media-src 'self'; connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; "
              f"form-action 'self'; object-src 'none'").encode()),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-content-type-options", b"nosniff"),
        ]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(self.EXEMPT):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self.secured(send))

    def secured(self, send):
        """`send` with these headers added to the response's head (those it does not set itself)."""

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in self.headers if h[0] not in present)]
            await send(message)

        return with_headers
