"""The command routes' short way (caller/api/command_gateway.py) answers exactly as FastAPI's route does.

Each request goes once through the live service (the gateway in front) and once through the same app's
middleware built without the gateway (FastAPI's route), on the same service: same status, same answer.
"""
from __future__ import annotations

import asyncio

import httpx

from caller.api.command_gateway import CommandGateway
from caller.api.command_routes import ROUTES


def _fastapi_only(app):
    """The app's ASGI stack without the gateway: every command through FastAPI's router and route."""
    kept = app.user_middleware
    app.user_middleware = [m for m in kept if m.cls is not CommandGateway]
    try:
        stack = app.build_middleware_stack()
    finally:
        app.user_middleware = kept

    async def asgi(scope, receive, send):
        scope["app"] = app
        await stack(scope, receive, send)

    return asgi


def _post(base: str, path: str, token: str, content: bytes | None, content_type: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    return httpx.post(f"{base}/api/v1{path}", content=content, headers=headers)


def _post_fastapi(app, path: str, token: str, content: bytes | None, content_type: str | None) -> httpx.Response:
    async def go():
        transport = httpx.ASGITransport(app=_fastapi_only(app))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {"Authorization": f"Bearer {token}"}
            if content_type:
                headers["Content-Type"] = content_type
            return await client.post(f"/api/v1{path}", content=content, headers=headers)
    return asyncio.run(go())


REFUSED = [  # (path, body, content type): each answered by FastAPI's route behind the gateway
    ("/visits", b"", "application/json"),                          # a required body left out
    ("/visits", b"not json", "application/json"),
    ("/visits", b"[]", "application/json"),
    ("/visits", b'{"department": "NK"}', "application/json"),       # no name
    ("/visits", b'{"department": "NK", "name": "\\u202e\\u738b"}', None),  # a bidi override
    ("/visits", b'{"department": "NK", "name": "\\u5f20"}', "text/plain"),  # not JSON by its type
    ("/visits", b'{"department": "NK", "name": "\\u5f20"}', None),  # nor without one
    ("/visits", b'{"department": "NK", "name": "\\u5f20", "colour": "red"}', "application/json"),
    ("/visits/{v}/move-up", b'{"steps": 0}', "application/json"),
    ("/visits/{v}/move-up", b"null", "application/json"),
    ("/rooms/NK3/pause", b'{"return_at": "noon"}', "application/json"),
    # refused while the command runs: the app's own handlers
    ("/visits", b'{"department": "XX", "name": "\\u5f20"}', "application/json"),
    ("/visits/nope/check-in", None, None),
    ("/visits/{v}/finish", None, None),                              # not in that state
    ("/visits/{v}/priority", b'{"kind": "vip"}', "application/vnd.api+json"),
    ("/areas/XX/broadcast", b'{"text": "\\u60a8\\u597d"}', "application/json"),
]


def test_a_refused_command_is_answered_as_fastapis_route_answers_it(live, kiosk, nurse):
    visit = kiosk.register("NK", name="张三")["visit"]
    kiosk.check_in(visit["visit_id"])
    seq = live.service.hub.seq
    for path, body, content_type in REFUSED:
        path = path.format(v=visit["visit_id"])
        token = kiosk.token if path == "/visits" else nurse.token
        short = _post(live, path, token, body, content_type)
        routed = _post_fastapi(live.app, path, token, body, content_type)
        assert 400 <= short.status_code < 500, (path, body, short.text)
        assert (short.status_code, short.json()) == (routed.status_code, routed.json()), (path, body)
        assert short.json()["error"]["message_zh"]
    assert live.service.hub.seq == seq  # nothing changed


def test_a_plain_command_is_answered_as_fastapis_route_answers_it(live, kiosk, nurse):
    short = _post(live, "/visits", kiosk.token, '{"department": "NK", "name": "张三"}'.encode(), "application/json")
    routed = _post_fastapi(live.app, "/visits", kiosk.token, '{"department": "NK", "name": "李四"}'.encode(),
                           "application/json; charset=utf-8")
    assert short.status_code == routed.status_code == 200
    assert short.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert set(short.json()) == set(routed.json())
    assert short.json()["visit"]["ticket"] != routed.json()["visit"]["ticket"]  # two visits, one queue
    first, second = short.json()["visit"]["visit_id"], routed.json()["visit"]["visit_id"]
    # the optional and defaulted bodies left out, on both ways
    for visit_id, post in ((first, lambda p: _post(live, p, nurse.token, None, None)),
                           (second, lambda p: _post_fastapi(live.app, p, nurse.token, None, None))):
        assert post(f"/visits/{visit_id}/check-in").status_code == 200
        assert post(f"/visits/{visit_id}/move-up").json()["visit"]["visit_id"] == visit_id
    called = _post(live, "/rooms/NK3/call-next", nurse.token, None, None).json()["visit"]
    assert called["visit_id"] == second  # moved up last: first in line
    assert _post(live, "/rooms/NK3/pause", nurse.token, None, None).status_code == 200


def test_every_command_route_takes_the_short_way():
    gateway = CommandGateway(None, "/api/v1")
    assert {path for _, path in gateway.routes} == {"/api/v1" + route.path for route in ROUTES}
