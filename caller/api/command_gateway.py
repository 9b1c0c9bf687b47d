"""The command routes' short way through the HTTP layer: a well-formed command from an allowed caller goes from the
front of the app straight to its handler.

Every command a console or kiosk sends used to cross the whole middleware stack (the server-error and telemetry
wrappers, the security headers, the access guard, the body limits, the WebSocket hook), then FastAPI's router (its
included routers matched in turn), its dependency solver and its exception wrappers: under the ``throughput``
benchmark, the larger part of the event loop's time per command. This pure ASGI middleware sits in front of all of
them (:func:`install`) and does for the command routes (caller/api/command_routes.py ``ROUTES``) what they would:

- the access rule of the route, with the access guard's own matching and check (:meth:`AccessGuard.http_principal`):
  a refusal is answered here, in the one shape of caller/api/errors.py;
- the body limit: only a body that says its length, within the limit, is read here;
- the security headers of every answer (caller/api/limits.py ``SecurityHeaders``);
- the body read and validated with the row's model, the row run (``command_routes.run``, the same function
  FastAPI's route runs), the answer written as ``json_response`` writes it;
- an error while the command runs answered by the app's own exception handlers (an unexpected one: 500, logged).

Only the plain case is taken: a JSON body (or none) that the row's model accepts. Anything else, a body that is
not JSON or that its model refuses, a body not labelled JSON, a body without its length, goes on to the whole stack
with its bytes replayed, so every refusal keeps its one shape and wording.
"""
from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request

from caller.api.access import AccessGuard
from caller.api.command_routes import ROUTES, CommandRoute, run
from caller.api.deps import seen
from caller.api.errors import refusal_response
from caller.api.limits import SecurityHeaders, declared_length
from caller.auth import AuthError
from caller.store import dumps

Scope = dict[str, Any]


class _NotPlain(Exception):
    """The request is not the plain case: the whole stack and FastAPI's route answer it."""


def install(app: FastAPI, prefix: str, peers: tuple[str, ...], max_body_bytes: int) -> None:
    """Put the gateway in front of the app's middleware stack (Starlette builds the stack on the first request)."""
    build = app.build_middleware_stack

    def with_gateway():
        return CommandGateway(build(), app, prefix, peers, max_body_bytes)

    app.build_middleware_stack = with_gateway  # type: ignore[method-assign]


class CommandGateway:
    def __init__(self, app, fastapi_app: FastAPI, prefix: str, peers: tuple[str, ...], max_body_bytes: int):
        self.app = app  # the whole stack
        self.guard = AccessGuard(None, fastapi_app=fastapi_app)  # its matching and its check, not its call
        self.security = SecurityHeaders(None, peers=peers)
        self.limit = max_body_bytes
        self.routes: dict[tuple[str, str], tuple[CommandRoute, int | None]] = {}
        for route in ROUTES:
            path = prefix + route.path
            at = path.split("/").index("{" + route.place + "}") if route.place else None
            self.routes[("POST", path)] = (route, at)

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = self.guard.match("POST", scope["path"])
        found = self.routes.get(key) if key is not None else None  # type: ignore[arg-type]
        if found is None:
            await self.app(scope, receive, send)
            return
        route, at = found
        try:
            who = self.guard.http_principal(key, scope)  # type: ignore[arg-type]
        except AuthError as exc:
            await refusal_response(exc)(scope, receive, self.security.secured(send))
            return
        if who is None:  # a route anyone may call (no command is): the whole stack
            await self.app(scope, receive, send)
            return
        raw = b""
        if route.body is not None:
            length = declared_length(scope)
            if length is None or length > self.limit:  # no length, or too long: the body limits answer
                await self.app(scope, receive, send)
                return
            raw, complete = await _body(receive)
            if not complete:  # the client went away
                return
        try:
            body = _validated(route, scope, raw)
        except _NotPlain:
            await self.app(scope, _replay(raw, receive) if route.body is not None else receive, send)
            return
        fastapi_app = scope["app"]
        service = fastapi_app.state.service
        params = {route.place: scope["path"].split("/")[at]} if route.place else {}
        try:
            answer = await run(route, service, seen(service, who), params, body)  # type: ignore[arg-type]
            content = dumps(answer).encode()
        except Exception as exc:  # noqa: BLE001 - answered as FastAPI's route would: the app's handlers
            handler = _handler(fastapi_app.exception_handlers, exc)
            if handler is None:
                raise
            response = await handler(Request(scope, receive), exc)
            await response(scope, receive, self.security.secured(send))
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(content)).encode()),
                                (b"content-type", b"application/json"), *self.security.headers]})
        await send({"type": "http.response.body", "body": content})


def _handler(handlers: dict, exc: Exception):
    """The app's handler of `exc`: by its class, nearest first (as Starlette finds it)."""
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


async def _body(receive) -> tuple[bytes, bool]:
    """The request's whole body, and whether it all arrived."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _validated(route: CommandRoute, scope: Scope, raw: bytes) -> Any:
    """The row's body model from the request, as FastAPI would build it; ``_NotPlain`` where it would refuse or
    decide differently."""
    if route.body is None:
        return None
    if not raw:
        if route.body_given == "required":
            raise _NotPlain
        return route.body() if route.body_given == "defaults" else None
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
    kind = content_type.split(b";", 1)[0].strip().lower()  # a body says it is JSON, or it is not read as JSON
    if kind != b"application/json" and not (kind.startswith(b"application/") and kind.endswith(b"+json")):
        raise _NotPlain
    try:
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise _NotPlain
        return route.body.model_validate(value)
    except (ValueError, ValidationError):  # not JSON, or refused by the model: FastAPI's 422, in its words
        raise _NotPlain from None


def _replay(raw: bytes, receive):
    """The body already read, given again to the app; then the client's own messages (a disconnect)."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return replay
