"""The simulated gateway over HTTP: ``python -m hardware.payment.simulator --port N``.

JSON endpoints (errors: ``{"error", "message_en", "message_zh"}`` with a 4xx/5xx status)::

    GET  /health
    POST /orders                       {amount_fen, subject, method, idempotency_key}
    GET  /orders/<id>
    POST /orders/<id>/cancel
    POST /orders/<id>/refund           {amount_fen?, reason?}
    POST /orders/<id>/pay-with-code    {code}
    GET  /reconciliation?day=YYYY-MM-DD
    POST /sim/script                   {scope: default|next|order, order_id?, outcome: {kind, after_s, reason}}
    POST /sim/orders/<id>/patient-pays the patient scans the QR code and pays
    GET  /sim/pay/<id>                 a page to open from the QR code on a phone (demo); its button POSTs here
"""
from __future__ import annotations

import argparse
import html
import json
import logging
import re
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hardware.payment.messages import yuan
from hardware.payment.model import InvalidRequest, OrderNotFound, PaymentError
from hardware.payment.simulated import Outcome, SimulatedProvider

log = logging.getLogger(__name__)

_ORDER = re.compile(r"^/orders/([A-Za-z0-9_-]+)(?:/(cancel|refund|pay-with-code))?$")
_PATIENT_PAYS = re.compile(r"^/sim/orders/([A-Za-z0-9_-]+)/patient-pays$")
_PAY_PAGE = re.compile(r"^/sim/pay/([A-Za-z0-9_-]+)$")


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out as two writes; without this, Nagle + delayed ACK add 40 ms per request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)

    # -- plumbing ---------------------------------------------------------------

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        try:
            data = json.loads(self.rfile.read(length))
        except ValueError as exc:
            raise InvalidRequest(f"body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidRequest("body must be a JSON object")
        return data

    def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _run(self, action: Any) -> None:
        try:
            self._send(HTTPStatus.OK, action())
        except PaymentError as exc:
            self._send(exc.status, {"error": exc.code, "message_en": exc.message_en, "message_zh": exc.message_zh})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self._send(400, {"error": InvalidRequest.code, "message_en": f"bad request: {exc}", "message_zh": "请求不完整。"})
        except Exception as exc:  # noqa: BLE001 - a caller gets an answer, never a dropped connection
            log.exception("simulator failed on %s", self.path)
            self._send(500, {"error": "internal", "message_en": f"simulator error: {type(exc).__name__}",
                             "message_zh": "支付模拟器内部错误，请稍候再试。"})

    def _not_found(self) -> None:
        self._send(404, {"error": "not_found", "message_en": f"no route {self.path}", "message_zh": "找不到该地址。"})

    # -- routes -----------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        url = urlsplit(self.path)
        provider = self.server.provider
        if url.path == "/health":
            return self._send(200, {"status": "ok"})
        if url.path == "/reconciliation":
            day = parse_qs(url.query).get("day", [""])[0]
            return self._run(lambda: [o.to_dict() for o in provider.reconciliation(day)])
        if (m := _ORDER.match(url.path)) and m.group(2) is None:
            return self._run(lambda: provider.query(m.group(1)).to_dict())
        if m := _PAY_PAGE.match(url.path):
            return self._pay_page(m.group(1), pay=False)
        return self._not_found()

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        url = urlsplit(self.path)
        provider = self.server.provider
        try:
            body = self._body() if not _PAY_PAGE.match(url.path) else {}
        except PaymentError as exc:
            return self._send(400, {"error": exc.code, "message_en": exc.message_en, "message_zh": exc.message_zh})
        if url.path == "/orders":
            return self._run(
                lambda: provider.create_order(
                    body["amount_fen"], body["subject"], body["method"], body["idempotency_key"]
                ).to_dict()
            )
        if m := _ORDER.match(url.path):
            order_id, action = m.group(1), m.group(2)
            if action == "cancel":
                return self._run(lambda: provider.cancel(order_id).to_dict())
            if action == "refund":
                return self._run(
                    lambda: provider.refund(order_id, body.get("amount_fen"), body.get("reason", "")).to_dict()
                )
            if action == "pay-with-code":
                return self._run(lambda: provider.pay_with_code(order_id, str(body["code"])).to_dict())
        if url.path == "/sim/script":
            return self._run(lambda: self._script(body))
        if m := _PATIENT_PAYS.match(url.path):
            return self._run(lambda: provider.patient_pays(m.group(1)).to_dict())
        if m := _PAY_PAGE.match(url.path):
            return self._pay_page(m.group(1), pay=True)
        return self._not_found()

    def _script(self, body: dict[str, Any]) -> dict[str, Any]:
        outcome = Outcome.from_dict(body.get("outcome") or {})
        scope = body.get("scope", "default")
        provider = self.server.provider
        if scope == "default":
            provider.script(outcome)
        elif scope == "next":
            provider.script_next(outcome)
        elif scope == "order":
            return provider.script_order(str(body["order_id"]), outcome).to_dict()
        else:
            raise InvalidRequest(f"scope must be default, next or order, got {scope!r}")
        return {"scripted": scope, "outcome": outcome.to_dict()}

    def _pay_page(self, order_id: str, pay: bool) -> None:
        provider = self.server.provider
        try:
            order = provider.patient_pays(order_id) if pay else provider.query(order_id)
        except OrderNotFound:
            return self._send(404, "<h1>找不到该订单</h1>".encode(), "text/html")
        amount = yuan(order.amount_fen)
        button = (
            '<form method="post"><button style="font-size:2em">确认支付</button></form>'
            if order.state.value == "pending"
            else f"<p>订单状态：{html.escape(order.state.value)}</p>"
        )
        page = (
            '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>模拟支付</title><h1>模拟支付</h1><p>{html.escape(order.subject)}</p>"
            f"<p style='font-size:2em'>{amount}</p>{button}"
        )
        self._send(200, page.encode("utf-8"), "text/html")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], provider: SimulatedProvider) -> None:
        super().__init__(address, _Handler)
        self.provider = provider


class SimulatorServer:
    """The simulator served on a background thread; ``port=0`` picks a free port."""

    def __init__(self, provider: SimulatedProvider | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.provider = provider or SimulatedProvider()
        self._server = _Server((host, port), self.provider)
        self.host, self.port = self._server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self.provider.code_url_base = f"{self.url}/sim/pay/"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="payment-simulator", daemon=True)

    def start(self) -> "SimulatorServer":
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.payment.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed on start)")
    parser.add_argument("--approve-after", type=float, default=1.0, help="seconds until a payment succeeds")
    parser.add_argument("--expires-after", type=float, default=300.0, help="seconds until an unpaid order expires")
    args = parser.parse_args(argv)
    provider = SimulatedProvider(Outcome.approve(args.approve_after), expires_after_s=args.expires_after)
    server = SimulatorServer(provider, args.host, args.port)
    print(f"payment simulator listening on {server.url}", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
