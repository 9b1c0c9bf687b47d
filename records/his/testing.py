"""Peers for tests and benchmarks: a HIS that speaks HL7 v2 over MLLP (python-hl7's own server) and a FHIR server
(Medplum's engine, tools/fhir-peer), both on 127.0.0.1.

    with Hl7Peer(charset="gb18030") as his:          # receives the service's messages, ACKs them AA
        cfg = with_his(config, "hl7v2", his_port=his.port)
        ...
        his.down(); ...; his.up()                     # an outage: connections refused, then back on the same port
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hl7
import hl7.mllp

from common.his_settings import FhirSettings, HisSettings, Hl7Settings

ROOT = Path(__file__).resolve().parents[2]
FHIR_PEER = ROOT / "tools" / "fhir-peer"


def node_fits(version: str) -> bool:
    """Whether ``node --version`` (``v20.19.2``) is one Medplum 4.5.2 runs on: ^20.19 or >= 22.12."""
    parts = version.strip().lstrip("v").split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return False
    return major >= 23 or (major == 22 and minor >= 12) or (major == 20 and minor >= 19)


def with_his(config: Any, driver: str, **fields: Any) -> Any:
    """The hospital config with ``[his]`` set: ``with_his(cfg, "hl7v2", his_port=...)``, ``with_his(cfg, "fhir",
    base_url=...)``. Retries are quick (tests and benchmarks move the service clock, not the wall clock)."""
    retry = {k: fields.pop(k) for k in ("retry_base_seconds", "retry_max_seconds") if k in fields}
    retry.setdefault("retry_base_seconds", 0.05)
    retry.setdefault("retry_max_seconds", 0.2)
    if driver == "hl7v2":
        fields.setdefault("listen_port", 0)
        fields.setdefault("his_host", "127.0.0.1")
        his = HisSettings(driver="hl7v2", hl7v2=Hl7Settings(**fields), **retry)
    elif driver == "fhir":
        his = HisSettings(driver="fhir", fhir=FhirSettings(**fields), **retry)
    else:
        his = HisSettings()
    return config.model_copy(update={"his": his})


@dataclass
class Received:
    control_id: str
    kind: str  # e.g. ADT^A04
    message: hl7.Message
    raw: bytes


class Hl7Peer:
    """A HIS acting as an MLLP server: parses every message with python-hl7 (in ``charset``), keeps it, ACKs AA
    (or ``answer`` = "AE"/"AR"). ``down()`` closes the port and every open connection; ``up()`` opens it again."""

    def __init__(self, charset: str = "utf-8", port: int = 0, answer: str = "AA"):
        self.charset = charset
        self.port = port
        self.answer = answer
        self.received: list[Received] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hl7-peer", daemon=True)
        self._server: Any = None
        self._writers: set[Any] = set()
        self._changed = threading.Condition()

    def __enter__(self) -> "Hl7Peer":
        self._thread.start()
        self.up()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _call(self, coro: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def up(self) -> None:
        async def start() -> int:
            self._server = await hl7.mllp.start_hl7_server(self._serve, "127.0.0.1", self.port,
                                                           encoding=self.charset, reuse_address=True)
            return self._server.sockets[0].getsockname()[1]

        self.port = self._call(start())

    def down(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
                for writer in list(self._writers):
                    writer.close()
                await self._server.wait_closed()
                self._server = None

        self._call(stop())

    async def _serve(self, reader: Any, writer: Any) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    message = await reader.readmessage()
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                control_id = str(message["MSH.F10"])
                kind = f"{message['MSH.F9.R1.C1']}^{message['MSH.F9.R1.C2']}"
                with self._changed:
                    self.received.append(Received(control_id, kind, message, str(message).encode(self.charset)))
                    self._changed.notify_all()
                writer.writemessage(message.create_ack(self.answer, message_id=f"H{control_id}"[:20]))
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Block until ``count`` messages arrived (or the timeout); return what arrived."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return list(self.received)


class FhirPeer:
    """Medplum's FHIR router with its in-memory repository (tools/fhir-peer/server.js) on a free loopback port.
    ``latency_ms`` is added to every answer (a HIS across a slow link)."""

    def __init__(self, latency_ms: int = 0):
        self.latency_ms = latency_ms
        self.process: subprocess.Popen | None = None
        self.url = ""

    @staticmethod
    def available() -> str:
        """'' when the peer can run here, else why not (node or the npm packages missing: scripts/setup.sh)."""
        node = shutil.which("node")
        if node is None:
            return "node is not installed (Node.js ^20.19 or >= 22.12, see the README)"
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        if not node_fits(version):
            return f"node {version or '?'} is too old for Medplum 4.5.2 (it needs ^20.19 or >= 22.12, see the README)"
        if not (FHIR_PEER / "node_modules" / "@medplum" / "fhir-router").is_dir():
            return "tools/fhir-peer/node_modules is missing: run scripts/setup.sh (npm ci there)"
        return ""

    def __enter__(self) -> "FhirPeer":
        why = self.available()
        if why:
            raise RuntimeError(why)
        self.process = subprocess.Popen(["node", "server.js", "0", str(self.latency_ms)], cwd=FHIR_PEER,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env={**os.environ, "NODE_ENV": "production"})
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("listening "):
            self.process.kill()
            raise RuntimeError(f"the FHIR peer did not start: {line}{self.process.stderr.read() if self.process.stderr else ''}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
