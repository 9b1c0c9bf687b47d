"""A gateway simulator over HTTP: speaks the SMS gateway protocol and WeChat's message API, records every message.

    python -m caller.notify.simulator --port 8790 [--secret S]

It delivers each ``client_ref`` once (a resend with the same key answers the first message id and is counted as
a duplicate, not delivered again), checks signatures when it has a secret, posts delivery reports to the
``callback_url`` it was given, and can be told to fail (``fail_for(seconds)``, ``fail_next(n)``) or to be slow
(``delay``). The demo and the tests use it; ``GET /messages`` lists what it delivered, ``GET /stats`` counts.
Control over HTTP: ``POST /control {"fail_for": s, "fail_next": n, "delay": s}``.
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from caller.notify.adapters import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify


@dataclass
class Delivered:
    channel: str
    key: str
    to: str
    template: str
    params: dict[str, Any]
    text: str
    message_id: str
    at: float
    body: dict[str, Any] = field(default_factory=dict)


class GatewaySimulator:
    """The simulated gateway; ``start()`` serves it on 127.0.0.1 (port 0: a free one) in a thread."""

    def __init__(self, secret: str = "", *, callbacks: bool = True):
        self.secret = secret
        self.callbacks = callbacks
        self.delivered: list[Delivered] = []
        self.received = 0
        self.duplicates = 0
        self.refused = 0
        self.delay = 0.0
        self._fail_until = 0.0
        self._fail_next = 0
        self._by_key: dict[str, Delivered] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._token = "sim-access-token"
        self.url = ""

    # ------------------------------------------------------------- control
    def fail_for(self, seconds: float) -> None:
        with self._lock:
            self._fail_until = time.monotonic() + seconds

    def fail_next(self, n: int) -> None:
        with self._lock:
            self._fail_next = n

    def failing(self) -> bool:
        with self._lock:
            if self._fail_next > 0:
                self._fail_next -= 1
                return True
            return time.monotonic() < self._fail_until

    def wait_for(self, n: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``n`` messages were delivered."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.delivered) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"received": self.received, "delivered": len(self.delivered), "duplicates": self.duplicates,
                    "refused": self.refused}

    # ------------------------------------------------------------ messages
    def _deliver(self, channel: str, key: str, to: str, template: str, params: dict, text: str,
                 body: dict) -> tuple[Delivered, bool]:
        with self._changed:
            self.received += 1
            known = self._by_key.get(key) if key else None
            if known is not None:
                self.duplicates += 1
                return known, False
            item = Delivered(channel, key, to, template, params, text, f"sim-{len(self.delivered) + 1}",
                             time.time(), body)
            self.delivered.append(item)
            if key:
                self._by_key[key] = item
            self._changed.notify_all()
            return item, True

    def _report(self, url: str, item: Delivered) -> None:
        body = json.dumps({"message_id": item.message_id, "client_ref": item.key, "status": "delivered"}).encode()
        stamp = f"{time.time():.3f}"
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: stamp}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, stamp, body)
        try:
            httpx.post(url, content=body, headers=headers, timeout=5)
        except httpx.HTTPError:
            pass  # a real gateway retries its reports later; the simulator does not

    # ------------------------------------------------------------- serving
    def start(self, host: str = "127.0.0.1", port: int = 0) -> "GatewaySimulator":
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body written apart would wait for a delayed ACK (40 ms)
            wbufsize = 65536                # ... so each answer goes out in one write when the request is done

            def log_message(self, *args) -> None:  # quiet
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/messages":
                    with sim._lock:
                        items = [d.__dict__ for d in sim.delivered]
                    self._answer(200, items)
                elif url.path == "/stats":
                    self._answer(200, sim.stats())
                elif url.path == "/cgi-bin/token":
                    self._answer(200, {"access_token": sim._token, "expires_in": 7200})
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._answer(400, {"ok": False, "error": "not JSON"})
                    return
                if url.path == "/control":
                    if "fail_for" in body:
                        sim.fail_for(float(body["fail_for"]))
                    if "fail_next" in body:
                        sim.fail_next(int(body["fail_next"]))
                    if "delay" in body:
                        sim.delay = float(body["delay"])
                    self._answer(200, {"ok": True})
                    return
                if sim.delay:
                    time.sleep(sim.delay)
                if sim.failing():
                    with sim._lock:
                        sim.received += 1
                    self._answer(503, {"ok": False, "error": "simulated outage"})
                    return
                if url.path == "/sms/send":
                    self._sms(raw, body)
                elif url.path.startswith("/cgi-bin/message/"):
                    self._wechat(url, body)
                else:
                    self._answer(404, {"ok": False, "error": "not found"})

            def _sms(self, raw: bytes, body: dict) -> None:
                if sim.secret and not verify(sim.secret, self.headers.get(TIMESTAMP_HEADER, ""), raw,
                                             self.headers.get(SIGNATURE_HEADER, "")):
                    with sim._lock:
                        sim.refused += 1
                    self._answer(401, {"ok": False, "error": "bad signature"})
                    return
                if not str(body.get("phone", "")).isdigit() or not body.get("client_ref"):
                    self._answer(400, {"ok": False, "error": "phone and client_ref are required"})
                    return
                item, new = sim._deliver("sms", body["client_ref"], body["phone"], body.get("template", ""),
                                         body.get("params") or {}, body.get("text", ""), body)
                self._answer(200, {"ok": True, "message_id": item.message_id, "duplicate": not new})
                if new and sim.callbacks and body.get("callback_url"):
                    threading.Thread(target=sim._report, args=(body["callback_url"], item), daemon=True).start()

            def _wechat(self, url, body: dict) -> None:
                token = parse_qs(url.query).get("access_token", [""])[0]
                if token != sim._token:
                    self._answer(200, {"errcode": 40001, "errmsg": "invalid credential"})
                    return
                if not body.get("touser") or not body.get("template_id"):
                    self._answer(200, {"errcode": 47003, "errmsg": "argument invalid"})
                    return
                text = " ".join(str(v.get("value", "")) for v in (body.get("data") or {}).values())
                item, _ = sim._deliver("wechat", "", body["touser"], body["template_id"], body.get("data") or {},
                                       text, body)
                self._answer(200, {"errcode": 0, "errmsg": "ok", "msgid": int(item.message_id.split("-")[1])})

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "GatewaySimulator":
        return self.start() if self._server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m caller.notify.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--secret", default="", help="shared secret checked on requests (default: none)")
    args = parser.parse_args(argv)
    sim = GatewaySimulator(args.secret).start(args.host, args.port)
    print(f"gateway simulator on {sim.url} (GET /messages, GET /stats)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
