"""A small JSON-over-HTTP server for the platform simulators, with faults a test injects.

A simulator gives ``JsonServer`` a handler ``handle(method, path, body) -> (status, payload)`` and a function that
names the *operation* of a request (for the 医保 platform its ``infno``, e.g. ``"2207"``). Faults are keyed by that
name and used up one request at a time::

    POST /sim/faults  {"op": "2207", "mode": "lose_answer", "times": 1}
    DELETE /sim/faults

Modes:
- ``error``: the platform refuses (the simulator's own error answer for the operation; nothing done);
- ``down``: HTTP 503 before anything is done (a platform that is away);
- ``slow``: wait ``delay_s`` seconds, then do the work and answer (a client with a shorter timeout gives up);
- ``lose_answer``: do the work, then close the connection without an answer (the caller cannot know the outcome).
"""
from __future__ import annotations

import argparse  # only the command line needs it
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

MODES = ("error", "down", "slow", "lose_answer")

Handler = Callable[[str, str, dict[str, Any]], tuple[int, Any]]


@dataclass
class Fault:
    op: str
    mode: str
    times: int = 1
    delay_s: float = 0.0


class Faults:
    """Injected faults, used up in order, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.used: list[tuple[str, str]] = []  # (op, mode) of every fault that fired, for the tests

    def add(self, op: str, mode: str, times: int = 1, delay_s: float = 0.0) -> None:
        if mode not in MODES:
            raise ValueError(f"fault mode must be one of {MODES}, got {mode!r}")
        with self._lock:
            self._faults.append(Fault(str(op), mode, int(times), float(delay_s)))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, op: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.op == op and fault.times > 0:
                    fault.times -= 1
                    self.used.append((op, fault.mode))
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as exc:
            return self._send(400, {"error": "invalid_json", "message": str(exc)})
        path = self.path.split("?", 1)[0]
        sim = self.server.sim
        if path == "/sim/faults":
            if method == "DELETE":
                sim.faults.clear()
                return self._send(200, {"cleared": True})
            try:
                sim.faults.add(body["op"], body["mode"], body.get("times", 1), body.get("delay_s", 0.0))
            except (KeyError, ValueError) as exc:
                return self._send(400, {"error": "invalid_fault", "message": str(exc)})
            return self._send(200, {"added": body})
        fault = sim.faults.take(sim.op_of(method, path, body)) if method == "POST" else None
        if fault is not None and fault.mode == "down":
            return self._send(503, {"error": "unavailable", "message": "platform unavailable (simulated)"})
        if fault is not None and fault.mode == "error":
            return self._send(*sim.error_answer(path, body))
        if fault is not None and fault.mode == "slow":
            time.sleep(fault.delay_s)
        try:
            status, payload = sim.handle(method, path, body)
        except Exception:
            log.exception("platform simulator failed on %s", path)
            status, payload = 500, {"error": "internal", "message": "simulator error"}
        if fault is not None and fault.mode == "lose_answer":
            self.close_connection = True  # the work is done; the answer never reaches the caller
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(status, payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sim: JsonServer) -> None:
        super().__init__(address, _Handler)
        self.sim = sim


class JsonServer:
    """Base of the simulators: subclasses define ``handle``, ``op_of`` and ``error_answer``.

    Served on a background thread; ``port=0`` picks a free port; ``url`` is its base address.
    """

    name = "platform-simulator"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.faults = Faults()
        self._server = _Server((host, port), self)
        self.host, self.port = self._server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name=self.name, daemon=True)

    # -- what a simulator defines
    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        raise NotImplementedError

    def op_of(self, method: str, path: str, body: dict[str, Any]) -> str:
        return path

    def error_answer(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return 500, {"error": "simulated_error", "message": "the platform refused (simulated fault)"}

    # -- lifecycle
    def start(self) -> JsonServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def serve_forever(self) -> None:
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._server.server_close()

    def __enter__(self) -> JsonServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_main(factory: Callable[[str, int], JsonServer], argv: list[str] | None, *, prog: str, description: str,
               port: int, what: str) -> int:
    """The command line every platform simulator has: ``python -m platforms.X.simulator [--host H] [--port P]``."""

    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    args = parser.parse_args(argv)
    sim = factory(args.host, args.port)
    print(f"{what} simulator listening on {sim.url}", flush=True)
    sim.serve_forever()
    return 0
