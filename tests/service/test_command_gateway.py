"""The command routes' short way (caller/api/command_gateway.py) answers exactly as the whole stack and FastAPI's
route do.

Each request goes once through the live service (the gateway in front) and once through the same app's
middleware stack behind the gateway (the access guard, the limits, FastAPI's route), on the same service: same
status, same answer, the same security headers.
"""
from __future__ import annotations

import asyncio

import httpx

from caller.api.command_gateway import CommandGateway


def _fastapi_only(app):
    """The app's ASGI stack behind the gateway: every command through the middleware, FastAPI's router and route."""
    gateway = app.build_middleware_stack()
    assert isinstance(gateway, CommandGateway)
    stack = gateway.app

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


SECURITY = ("content-security-policy", "x-frame-options", "referrer-policy", "x-content-type-options")


def test_a_refused_command_is_answered_as_fastapis_route_answers_it(live, kiosk, nurse):
    visit = kiosk.register("NK", name="张三")["visit"]
    kiosk.check_in(visit["visit_id"])
    seq = live.service.hub.seq
    cases = [(path, body, content_type, kiosk.token if path == "/visits" else nurse.token)
             for path, body, content_type in REFUSED]
    cases += [  # refused by the access rules: answered by the gateway itself
        ("/visits", b'{"department": "NK", "name": "\u5f20"}', "application/json", "not-a-token"),
        ("/rooms/NK3/call-next", None, None, kiosk.token),              # a kiosk does not call patients
        ("/areas/NK/broadcast", b'{"text": "\u60a8\u597d"}', "application/json", kiosk.token),
    ]
    for path, body, content_type, token in cases:
        path = path.format(v=visit["visit_id"])
        short = _post(live, path, token, body, content_type)
        routed = _post_fastapi(live.app, path, token, body, content_type)
        assert 400 <= short.status_code < 500, (path, body, short.text)
        assert (short.status_code, short.json()) == (routed.status_code, routed.json()), (path, body)
        assert short.json()["error"]["message_zh"]
        assert [short.headers.get(h) for h in SECURITY] == [routed.headers.get(h) for h in SECURITY], path
        assert short.headers["x-frame-options"] == "DENY"
    assert live.service.hub.seq == seq  # nothing changed


def test_a_plain_command_is_answered_as_fastapis_route_answers_it(live, kiosk, nurse):
    short = _post(live, "/visits", kiosk.token, '{"department": "NK", "name": "张三"}'.encode(), "application/json")
    routed = _post_fastapi(live.app, "/visits", kiosk.token, '{"department": "NK", "name": "李四"}'.encode(),
                           "application/json; charset=utf-8")
    assert short.status_code == routed.status_code == 200
    assert short.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert [short.headers.get(h) for h in SECURITY] == [routed.headers.get(h) for h in SECURITY]
    assert "frame-ancestors 'none'" in short.headers["content-security-policy"]
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


def test_a_plain_command_is_served_without_fastapi_and_anything_else_reaches_it(live, kiosk):
    """The short way is taken: behind the gateway, an app that only records being reached sees no plain command,
    and sees the refused ones (with their bytes)."""
    visit = kiosk.register("NK", name="张三")["visit"]
    reached: list[bytes] = []

    async def fastapi(scope, receive, send):
        reached.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    gateway = CommandGateway(fastapi, live.app, "/api/v1", (), 64 * 1024)
    assert isinstance(live.app.middleware_stack, CommandGateway)  # the live app's front

    def post(path: str, body: bytes, length: bool = True) -> tuple[int, bytes]:
        headers = [(b"content-type", b"application/json"), (b"authorization", f"Bearer {kiosk.token}".encode())]
        if length:
            headers.append((b"content-length", str(len(body)).encode()))
        scope = {"type": "http", "method": "POST", "path": "/api/v1" + path, "app": live.app, "headers": headers}
        sent: list[dict] = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        asyncio.run(gateway(scope, receive, send))
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    status, answer = post(f"/visits/{visit['visit_id']}/check-in", b"")
    assert status == 200 and b'"check_in"' in answer and reached == []
    assert post("/visits", b'{"department": "NK"}')[0] == 299  # no name: FastAPI's 422
    assert reached == [b'{"department": "NK"}']
    plain = '{"department": "NK", "name": "李四"}'.encode()
    assert post("/visits", plain, length=False)[0] == 299  # a body without its length: the body limits count it
    assert reached[-1] == plain
