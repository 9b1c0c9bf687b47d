"""HL7 v2 over MLLP with python-hl7's transport (`hl7.mllp`): the listener for the HIS's messages and the notifier
that hands our messages to the HIS from the durable outbox.

Inbound: one block at a time per connection, decoded by its MSH-18 (UTF-8 or GB18030), applied by
`records.his.hl7v2.inbound.Inbound` in a worker thread (one message at a time for the whole listener, so the
messages of a patient are applied in the order the HIS sent them), then ACKed (AA/AE/AR with the reason) in the
message's own character set. The HIS sends the next message only after our ACK (original-mode acknowledgement).

Outbound: `MllpNotifier.send` fills MSH-10 from the outbox row (the same id at every attempt), sends it in the
configured character set and waits for the ACK: AA/CA is delivered; AE/AR is refused for good (kept as failed,
counted in /metrics, shown on the console); no answer is an outage: the outbox keeps the message and everything
after it for that patient, and tries again with a growing pause.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import datetime
from typing import Any, Callable

import hl7
import hl7.mllp

from caller.notify.model import DeliveryError, Outgoing
from records.his.hl7v2 import codec
from records.his.hl7v2.codec import Hl7Reject

log = logging.getLogger("records.his.hl7v2")

HIS_CHANNEL = "his"


class MllpListener:
    """The service's MLLP server for the HIS and LIS. ``apply(message) -> (code, reason, patient)`` runs in a thread."""

    def __init__(self, apply: Callable[[hl7.Message], tuple[str, str, int | None]], host: str, port: int,
                 clock: Callable[[], datetime], application: str, facility: str,
                 observe: Callable[[str, float], None] | None = None):
        self.apply = apply
        self.host = host
        self.port = port
        self.clock = clock
        self.application = application
        self.facility = facility
        self.observe = observe  # (ack code, seconds from block read to ACK written)
        self.server: asyncio.AbstractServer | None = None
        self._one_at_a_time = threading.Lock()
        self._acks = 0

    async def start(self) -> int:
        self.server = await hl7.mllp.start_hl7_server(self._serve, self.host, self.port, encoding="utf-8")
        self.port = self.server.sockets[0].getsockname()[1]
        log.info("HL7 v2 MLLP listener on %s:%s", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    def _control_id(self) -> str:
        self._acks += 1
        return f"A{self.clock():%Y%m%d%H%M%S}{self._acks % 100000:05d}"[:20]

    def handle_block(self, block: bytes) -> bytes:
        """One block in, its ACK out (bytes in the block's character set)."""
        message = None
        charset = "utf-8"
        try:
            message, charset = codec.decode_block(block)
            with self._one_at_a_time:
                code, reason, _ = self.apply(message)
        except Hl7Reject as exc:
            code, reason = exc.code, exc.reason
        except Exception as exc:  # a fault of ours: the HIS keeps the message and sends it again
            log.exception("applying an HL7 message failed")
            code, reason = "AE", f"internal error, please resend: {type(exc).__name__}"
        if code != "AA":
            log.warning("HL7 %s: %s", code, reason)
        text = codec.ack(message, code, reason, self._control_id(), self.clock(), charset, self.application,
                         self.facility, "" if code == "AA" else ("200" if code == "AR" else "207"))
        return text.encode(charset, "replace")

    async def _serve(self, reader: Any, writer: Any) -> None:
        peer = writer.get_extra_info("peername")
        try:
            while True:
                try:
                    block = await reader.readblock()
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                started = time.perf_counter()
                answer = await asyncio.to_thread(self.handle_block, block)
                writer.writeblock(answer)
                await writer.drain()
                if self.observe is not None:
                    code = answer.split(b"\rMSA|", 1)[1][:2].decode("ascii", "replace") if b"\rMSA|" in answer else "AR"
                    self.observe(code, time.perf_counter() - started)
        except Exception:
            log.exception("MLLP connection from %s failed", peer)
        finally:
            writer.close()


class MllpNotifier:
    """Sends outbox messages of the ``his`` channel to the HIS over MLLP; one connection, kept open, reopened after
    a failure. Runs in the HIS sender's thread, with an event loop of its own."""

    channel = HIS_CHANNEL
    idempotent = True  # the same MSH-10 at every attempt: a HIS that saw it already drops the repeat

    def __init__(self, host: str, port: int, charset: str, timeout: float, control_prefix: str,
                 on_result: Callable[[bool, str], None] | None = None):
        self.host = host
        self.port = port
        self.codec = {"UTF-8": "utf-8", "GB18030": "gb18030"}[charset]
        self.timeout = timeout
        self.control_prefix = control_prefix
        self.on_result = on_result
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reader: Any = None
        self._writer: Any = None

    def control_id(self, message: Outgoing) -> str:
        return f"{self.control_prefix}{message.id}"[:20]

    def send(self, message: Outgoing) -> str:
        if not self.host or not self.port:
            raise DeliveryError("no HIS address configured ([his.hl7v2] his_host, his_port)", retryable=True)
        control_id = self.control_id(message)
        text = codec.with_control_id(message.text, control_id)
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        try:
            ack = self._loop.run_until_complete(asyncio.wait_for(self._exchange(text), self.timeout))
        except (OSError, EOFError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
            self._drop()
            reason = f"HIS not reachable at {self.host}:{self.port}: {type(exc).__name__} {exc}".strip()
            self._result(False, reason)
            raise DeliveryError(reason, retryable=True) from None
        code = codec.field(ack, "MSA.F1").upper()
        if codec.field(ack, "MSA.F2") not in ("", control_id):
            self._drop()
            self._result(False, "the HIS acknowledged another message")
            raise DeliveryError(f"the HIS acknowledged {codec.field(ack, 'MSA.F2')} instead of {control_id}")
        if code in ("AA", "CA"):
            self._result(True, "")
            return control_id
        reason = codec.field(ack, "MSA.F3") or codec.field(ack, "ERR.F8") or "no reason given"
        self._result(True, "")  # the link works; this one message was refused
        raise DeliveryError(f"{code}: {reason}", retryable=False)

    async def _exchange(self, text: str) -> hl7.Message:
        if self._writer is None:
            self._reader, self._writer = await hl7.mllp.open_hl7_connection(self.host, self.port,
                                                                            encoding=self.codec)
        self._writer.writeblock(text.encode(self.codec))
        await self._writer.drain()
        return await self._reader.readmessage()

    def _drop(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except (OSError, RuntimeError):  # already broken, or its loop closed
                pass
        self._reader = self._writer = None

    def _result(self, ok: bool, reason: str) -> None:
        if self.on_result is not None:
            self.on_result(ok, reason)

    def close(self) -> None:
        self._drop()
        if self._loop is not None:
            self._loop.close()
            self._loop = None
