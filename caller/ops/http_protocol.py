"""The HTTP protocol the service runs under uvicorn: uvicorn's own (httptools), plus deadlines for a request's headers
and its body.

uvicorn closes a keep-alive connection that stays idle after a response, but it waits for ever on a connection that
was opened and says nothing, or that sends its request headers a byte at a time ("slowloris"): a few hundred of
those hold every file descriptor the service has. Here every request's headers must be complete within
``HEADER_TIMEOUT_S`` of the connection being made or of the request's first byte; otherwise the connection is
closed (one debug line, no answer: nothing was asked yet). A body must then keep coming: a client that sends nothing of
it for ``BODY_TIMEOUT_S`` (it stopped half way) gets 408 (``request_timeout``, caller/api/limits.py ``too_slow``)
and the connection is closed. The same sweep looks after both, so no request arms a timer of its own. The size of a
body is limited by caller/api/limits.py.

uvicorn writes a response's head and its body to the socket separately: two packets and two system calls per answer,
each waking the client. Here the head waits for the body (at most until the loop's next turn) and both go out in
one write.

``uvicorn.run(app, http=HeaderDeadlineProtocol)``; ``caller serve`` and the test services use it.
"""
from __future__ import annotations

import asyncio
import logging
import weakref

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from caller.api.errors import refusal_response
from caller.api.limits import BODY_TIMEOUT_S, too_slow

log = logging.getLogger("caller.http")

HEADER_TIMEOUT_S = 10.0


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that closes a connection whose request headers are late, and answers 408 to a body that
    stops coming.

    A request only notes when its headers (then its body) are due, no timer per request: arming and cancelling one
    cost as much as the rest of the request's parsing. One sweep per event loop looks at the connections that have
    something due, a few times per deadline. An idle keep-alive connection or a long answer (a phone page's event
    stream) has nothing due and is never looked at: 5,000 of them cost the sweep nothing.
    """

    header_timeout_s = HEADER_TIMEOUT_S
    body_timeout_s = BODY_TIMEOUT_S
    _headers_due: float | None = None
    _body_due: float | None = None  # from a request's headers to its last body byte
    _sweep: "_Sweep | None" = None

    def _watch(self) -> None:
        """Have the sweep look at this connection while something is due on it, and only then."""
        if self._sweep is None:
            return
        if self._headers_due is None and self._body_due is None:
            self._sweep.due.discard(self)
        else:
            self._sweep.watch(self)

    def _headers_late(self) -> None:
        self._headers_due = None
        if self.transport is not None and not self.transport.is_closing():
            log.debug("closing a connection whose request headers did not arrive within %.0f s", self.header_timeout_s)
            self.transport.close()

    def _body_late(self) -> None:
        self._body_due = None
        if self.transport is None or self.transport.is_closing():
            return
        log.debug("a request body did not arrive within %.0f s: 408", self.body_timeout_s)
        if self.cycle is not None and not self.cycle.response_started:
            self.transport.write(_LATE_BODY)
        self.transport.close()  # the handler waiting for the rest of the body hears that the client went away

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._sweep = _sweep_of(self.loop, self.header_timeout_s)
        self._headers_due = self.loop.time() + self.header_timeout_s
        self._watch()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._headers_due = self.loop.time() + self.header_timeout_s
        self._watch()

    def on_headers_complete(self) -> None:
        self._headers_due = None
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.transport is self.transport:  # a new request's (not an upgrade)
            cycle.transport = _OneWrite(self.transport, cycle, self.loop)  # type: ignore[assignment]
            self._body_due = self.loop.time() + self.body_timeout_s
        self._watch()

    def on_body(self, body: bytes) -> None:
        if self._body_due is not None:  # a body still coming: the deadline counts from its last bytes
            self._body_due = self.loop.time() + self.body_timeout_s
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._body_due = None
        self._watch()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_due = self._body_due = None
        self._watch()
        super().connection_lost(exc)


def _late_body_answer() -> bytes:
    """The 408 as every refusal is answered (caller/api/errors.py), written by the protocol itself: the handler is
    still waiting for the body."""
    body = refusal_response(too_slow()).body
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (len(body), body))


_LATE_BODY = _late_body_answer()


class _OneWrite:
    """The transport as one request's cycle sees it (a cycle writes, closes and asks whether it is closing): the
    response's head is held until its first body write (or the loop's next turn, whichever comes first), then both go
    out in one write. Anything else goes straight through."""

    __slots__ = ("transport", "cycle", "loop", "head", "started")

    def __init__(self, transport: asyncio.Transport, cycle, loop: asyncio.AbstractEventLoop):
        self.transport, self.cycle, self.loop = transport, cycle, loop
        self.head: bytes | None = None
        self.started = False  # the head was written (a "100 Continue" before it is not the head)

    def write(self, data: bytes) -> None:
        if self.head is not None:
            data, self.head = self.head + data, None
        elif not self.started and self.cycle.response_started:  # the cycle writes its head first
            self.started = True
            self.head = data
            self.loop.call_soon(self.flush)
            return
        self.transport.write(data)

    def flush(self) -> None:
        head, self.head = self.head, None
        if head is not None and not self.transport.is_closing():
            self.transport.write(head)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()


class _Sweep:
    """The connections of one event loop that have something due, looked at every quarter of the header deadline (at
    most every second) while there are any."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout_s: float):
        self.loop = loop
        self.every_s = min(1.0, timeout_s / 4)
        self.due: set[HeaderDeadlineProtocol] = set()
        self.timer: asyncio.TimerHandle | None = None

    def watch(self, proto: HeaderDeadlineProtocol) -> None:
        self.due.add(proto)
        if self.timer is None:
            self.timer = self.loop.call_later(self.every_s, self.run)

    def run(self) -> None:
        self.timer = None
        now = self.loop.time()
        late_headers = [p for p in self.due if p._headers_due is not None and p._headers_due <= now]
        late_bodies = [p for p in self.due if p._body_due is not None and p._body_due <= now]
        for proto in late_headers:
            proto._headers_late()
        for proto in late_bodies:
            if proto._body_due is not None:
                proto._body_late()
        self.due = {p for p in self.due if p._headers_due is not None or p._body_due is not None}
        if self.due:
            self.timer = self.loop.call_later(self.every_s, self.run)


_SWEEPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweep] = weakref.WeakKeyDictionary()


def _sweep_of(loop: asyncio.AbstractEventLoop, timeout_s: float) -> _Sweep:
    sweep = _SWEEPS.get(loop)
    if sweep is None:
        sweep = _SWEEPS[loop] = _Sweep(loop, timeout_s)
    return sweep
