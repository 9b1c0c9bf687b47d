"""Limits: body size (413), text without control characters or bidi overrides, integers in range and malformed
JSON (422 in the documented shape), health detail size and the number of parts a device reports."""
from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from caller.api.app import create_app
from caller.testing import DEMO_TOKENS, ManualClock, run_service
from common.config import DEMO_CONFIG, load_hospital
from records.plugins import PLUGINS

ADMIN = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}
KIOSK = {"Authorization": f"Bearer {DEMO_TOKENS['kiosk']}"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(load_hospital(DEMO_CONFIG), tmp_path_factory.mktemp("limits") / "h.db", plugins=PLUGINS,
                     clock=ManualClock(datetime(2026, 11, 23, 9, 0)))
    with TestClient(app) as c:
        yield c


def _shape(resp: httpx.Response, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == code and error["message_zh"] and error["message_en"]
    return error


def test_a_body_over_64_kib_is_refused_before_it_is_read(tmp_path):
    with run_service(DEMO_CONFIG, tmp_path / "h.db") as live:
        big = b'{"department": "NK", "name": "' + b"x" * 100_000 + b'"}'
        _shape(httpx.post(f"{live}/api/v1/visits", content=big, headers={**ADMIN, "Content-Type": "application/json"}),
               413, "body_too_large")

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b"x" * 8192

        _shape(httpx.post(f"{live}/api/v1/visits", content=chunks(), headers={**ADMIN, "Content-Type": "application/json"}),
               413, "body_too_large")
        assert httpx.get(f"{live}/healthz").status_code == 200


@pytest.mark.parametrize("name", ["王\x00明", "王小明\u202e", "\u2066李四", "张\x85三", "赵\x1b[31m六"])
def test_names_with_control_characters_or_bidi_overrides_are_422(client, name):
    error = _shape(client.post("/api/v1/visits", headers=ADMIN, json={"department": "NK", "name": name}),
                   422, "invalid_request")
    assert "name" in error["message_en"]


def test_integers_out_of_range_are_422_never_500(client):
    huge = 2**63
    _shape(client.get(f"/api/v1/records/patients/{huge}", headers=ADMIN), 422, "invalid_request")
    _shape(client.get(f"/api/v1/records/reports/{huge * 10}", headers=ADMIN), 422, "invalid_request")
    _shape(client.post("/api/v1/records/registrations", headers=ADMIN, json={"patient_id": huge, "slot_id": 1}),
           422, "invalid_request")
    _shape(client.post("/api/v1/records/payments", headers=ADMIN,
                       json={"patient_id": 1, "bill_ids": [huge], "amount_fen": 1}), 422, "invalid_request")


def test_malformed_json_is_422_in_the_documented_shape(client):
    for path in ("/api/v1/visits", "/api/v1/records/registrations/1/cancel", "/api/v1/records/patients"):
        _shape(client.post(path, headers={**ADMIN, "Content-Type": "application/json"}, content=b'{"name": "x",'),
               422, "invalid_request")


def test_health_detail_and_parts_are_bounded(client):
    _shape(client.post("/api/v1/devices/health", headers=KIOSK, json={"status": "ok", "detail": {"log": "x" * 5000}}),
           422, "invalid_request")
    for n in range(16):
        assert client.post("/api/v1/devices/health", headers=KIOSK,
                           json={"status": "ok", "device": f"part{n}"}).status_code == 200
    _shape(client.post("/api/v1/devices/health", headers=KIOSK, json={"status": "ok", "device": "part16"}),
           422, "too_many_sub_devices")
    assert client.post("/api/v1/devices/health", headers=KIOSK,
                       json={"status": "degraded", "device": "part3"}).status_code == 200  # known parts still report


def test_the_event_stream_takes_its_token_from_a_header_or_the_first_message(client):
    import json

    with client.websocket_connect("/api/v1/events?area=NK", headers={"Authorization": f"Bearer {DEMO_TOKENS['wall_nk']}"}) as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
    with client.websocket_connect("/api/v1/events?area=NK") as ws:
        ws.send_text(json.dumps({"type": "auth", "token": DEMO_TOKENS["wall_nk"]}))
        assert json.loads(ws.receive_text())["type"] == "snapshot"
    with client.websocket_connect("/api/v1/events?area=NK") as ws:
        ws.send_text(json.dumps({"type": "auth", "token": "guess"}))
        refused = json.loads(ws.receive_text())
        assert refused["type"] == "error" and refused["error"]["code"] == "unauthorized"


def test_tokens_in_query_strings_never_reach_the_log():
    import logging

    from caller.__main__ import RedactTokens

    record = logging.LogRecord("uvicorn.error", logging.INFO, "", 0, '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:5000", "/api/v1/events?area=NK&token=demo-wall-nk-4e1b8c6d2a93"), None)
    RedactTokens().filter(record)
    assert "demo-wall" not in record.getMessage() and "token=***" in record.getMessage()


def test_every_page_says_what_a_browser_may_do_with_it(client):
    """The phone's ticket page (its not-found page here), the cockpit and the PDCA login redirect: a policy that runs
    only the service's own scripts, no framing by another site, no referrer (a ticket link is a key)."""
    for path in ("/t/not-a-real-ticket-token", "/cockpit/", "/t/assets/ticket.js"):
        resp = client.get(path)
        policy = resp.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert resp.headers["x-frame-options"] == "DENY" and resp.headers["referrer-policy"] == "no-referrer"
        assert resp.headers["x-content-type-options"] == "nosniff"


def test_a_silent_connection_is_closed_once_the_header_deadline_passes(monkeypatch):
    """uvicorn waited for ever on a client that connects and sends its headers slowly (or never)."""
    import socket

    from caller.ops import http_protocol

    monkeypatch.setattr(http_protocol.HeaderDeadlineProtocol, "header_timeout_s", 1.0)
    with run_service(records=False) as live:
        host, port = live.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=20) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # ... and the rest never comes
            assert slow.recv(1024) == b""  # closed by the service (recv would time out after 20 s otherwise)
        with socket.create_connection((host, int(port)), timeout=20) as prompt:
            prompt.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert prompt.recv(1024).startswith(b"HTTP/1.1 200")


def test_a_body_that_stops_half_way_is_408_and_the_connection_closed(monkeypatch):
    """A client that sends its headers and part of a body, then nothing: answered 408 in the documented shape (the
    server's own deadline, no timer per request), and the service goes on serving."""
    import json
    import socket

    from caller.ops import http_protocol

    monkeypatch.setattr(http_protocol.HeaderDeadlineProtocol, "body_timeout_s", 1.0)
    with run_service(records=False) as live:
        host, port = live.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=20) as stalled:
            stalled.sendall(b"POST /api/v1/visits HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Authorization: Bearer " + DEMO_TOKENS["kiosk"].encode() +
                            b"\r\nContent-Length: 40\r\n\r\n{\"department\": ")  # ... and the rest never comes
            answer = b""
            while chunk := stalled.recv(4096):  # until the service closes it (a recv timeout fails the test)
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer
        error = json.loads(body)["error"]
        assert error["code"] == "request_timeout" and "重试" in error["message_zh"]
        assert httpx.get(f"{live}/healthz").status_code == 200


def test_an_events_socket_closed_before_it_authenticates_is_one_log_line(caplog):
    """Anyone may open the events socket and drop it before sending a token: no traceback each time."""
    import logging

    from websockets.sync.client import connect

    caplog.set_level(logging.INFO)
    with run_service(records=False) as live:
        for _ in range(3):
            connect(live.replace("http://", "ws://") + "/api/v1/events?area=NK").close()
        with connect(live.replace("http://", "ws://") + "/api/v1/events?area=NK") as ws:  # still serving
            ws.send('{"type": "auth", "token": "%s"}' % DEMO_TOKENS["wall_nk"])
            assert '"type"' in ws.recv(timeout=10)
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


def test_an_answer_goes_out_in_one_write_head_and_body_together():
    """uvicorn wrote a response's head and its body separately: two packets per answer, each waking the client."""
    import asyncio

    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from caller.ops.http_protocol import HeaderDeadlineProtocol

    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")]})
        await send({"type": "http.response.body", "body": b'{"ok":true}'})

    class Recorder(asyncio.Transport):
        def __init__(self):
            super().__init__()
            self.writes: list[bytes] = []
            self.closed = False

        def write(self, data):
            self.writes.append(bytes(data))

        def is_closing(self):
            return self.closed

        def close(self):
            self.closed = True

        def get_extra_info(self, name, default=None):
            return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    async def run() -> list[bytes]:
        config = Config(app, http=HeaderDeadlineProtocol, log_config=None)
        config.load()
        proto = HeaderDeadlineProtocol(config=config, server_state=ServerState(), app_state={})
        transport = Recorder()
        proto.connection_made(transport)
        proto.data_received(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}")
        await asyncio.wait_for(asyncio.gather(*proto.tasks), 10)  # the request's ASGI task: the answer is sent
        assert proto.cycle.response_complete
        await asyncio.sleep(0)  # the loop's next turn, where a held head would go out on its own
        proto.connection_lost(None)
        return transport.writes

    writes = asyncio.run(run())
    assert len(writes) == 1, writes
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b'\r\n\r\n{"ok":true}')
