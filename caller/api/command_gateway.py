"""The command routes' short way through the HTTP layer: a well-formed command goes from the access guard
straight to its handler.

Every command a console or kiosk sends crosses FastAPI's router (its included routers matched in turn), its
dependency solver and its exception wrappers; measured under the ``throughput`` benchmark that was about a
quarter of the event loop's time per command. The access guard has already matched the route and resolved the
caller (caller/api/access.py ``ROUTE``, ``PRINCIPAL``), so this pure ASGI middleware, just inside the body
limits, looks the route up by that key in the command table (caller/api/command_routes.py ``ROUTES``), reads
the body, validates it with the row's model and runs the row (``command_routes.run``, the same function
FastAPI's route runs).

Only the plain case is taken: a JSON body (or none) that the row's model accepts. Anything else, a body that
is not JSON or that its model refuses, a body not labelled JSON, goes on to FastAPI with its bytes replayed, so every
refusal keeps the one shape and wording of caller/api/errors.py. Refusals raised while the command runs are
answered by the app's own exception handlers.
"""
from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from caller.api.access import PRINCIPAL, ROUTE
from caller.api.command_routes import ROUTES, CommandRoute, run
from caller.api.deps import json_response, seen

Scope = dict[str, Any]


class _NotPlain(Exception):
    """The request is not the plain case: FastAPI's route answers it."""


class CommandGateway:
    def __init__(self, app, prefix: str):
        self.app = app
        self.routes: dict[tuple[str, str], tuple[CommandRoute, int | None]] = {}
        for route in ROUTES:
            path = prefix + route.path
            at = path.split("/").index("{" + route.place + "}") if route.place else None
            self.routes[("POST", path)] = (route, at)

    async def __call__(self, scope: Scope, receive, send) -> None:
        found = self.routes.get(scope.get(ROUTE)) if scope["type"] == "http" else None  # type: ignore[arg-type]
        who = scope.get(PRINCIPAL)
        if found is None or who is None:
            await self.app(scope, receive, send)
            return
        route, at = found
        raw = b""
        if route.body is not None:
            raw, complete = await _body(receive)
            if not complete:  # the client went away, or the body limits answered already
                return
        try:
            body = _validated(route, scope, raw)
        except _NotPlain:
            await self.app(scope, _replay(raw, receive) if route.body is not None else receive, send)
            return
        service = scope["app"].state.service
        params = {route.place: scope["path"].split("/")[at]} if route.place else {}
        try:
            answer = await run(route, service, seen(service, who), params, body)
        except Exception as exc:  # noqa: BLE001 - answered as FastAPI's route would: the app's handlers
            handler = _handler(scope["app"].exception_handlers, exc)
            if handler is None:
                raise  # the server's error middleware answers 500 and logs it
            await (await handler(Request(scope, receive), exc))(scope, receive, send)
            return
        await json_response(answer)(scope, receive, send)


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


def _handler(handlers: dict, exc: Exception):
    """The app's handler for this exception: its class's, else the nearest base class's (as Starlette looks)."""
    for cls in type(exc).__mro__:
        if cls in handlers and cls is not Exception:
            return handlers[cls]
    return None
