"""The HTTP protocol the service runs under uvicorn: uvicorn's own (httptools), plus a deadline for request headers.

uvicorn closes a keep-alive connection that stays idle after a response, but it waits for ever on a connection that
was opened and says nothing, or that sends its request headers a byte at a time ("slowloris"): a few hundred of
those hold every file descriptor the service has. Here every request's headers must be complete within
``HEADER_TIMEOUT_S`` of the connection being made or of the request's first byte; otherwise the connection is
closed (one debug line, no answer: nothing was asked yet). Bodies have their own limit (caller/api/limits.py).

``uvicorn.run(app, http=HeaderDeadlineProtocol)``; ``caller serve`` and the test services use it.
"""
from __future__ import annotations

import asyncio
import logging
import weakref

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("caller.http")

HEADER_TIMEOUT_S = 10.0


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that closes a connection whose request headers are late.

    A request only notes when its headers are due (no timer per request: arming and cancelling one cost as much as
    the rest of the request's parsing); one sweep per event loop closes the late ones, a few times per deadline.
    """

    header_timeout_s = HEADER_TIMEOUT_S
    _headers_due: float | None = None

    def _due(self) -> None:
        self._headers_due = self.loop.time() + self.header_timeout_s

    def _headers_late(self) -> None:
        self._headers_due = None
        if self.transport is not None and not self.transport.is_closing():
            log.debug("closing a connection whose request headers did not arrive within %.0f s", self.header_timeout_s)
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._due()
        _sweep_of(self.loop, self.header_timeout_s).open.add(self)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._due()

    def on_headers_complete(self) -> None:
        self._headers_due = None
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_due = None
        sweep = _SWEEPS.get(self.loop)
        if sweep is not None:
            sweep.open.discard(self)
        super().connection_lost(exc)


class _Sweep:
    """The open connections of one event loop, looked at every quarter of the deadline (at most every second)
    while there are any."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout_s: float):
        self.loop = loop
        self.every_s = min(1.0, timeout_s / 4)
        self.open: set[HeaderDeadlineProtocol] = set()
        self.timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        if self.timer is None:
            self.timer = self.loop.call_later(self.every_s, self.run)

    def run(self) -> None:
        self.timer = None
        now = self.loop.time()
        for proto in [p for p in self.open if p._headers_due is not None and p._headers_due <= now]:
            proto._headers_late()
        if self.open:
            self.start()


_SWEEPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweep] = weakref.WeakKeyDictionary()


def _sweep_of(loop: asyncio.AbstractEventLoop, timeout_s: float) -> _Sweep:
    sweep = _SWEEPS.get(loop)
    if sweep is None:
        sweep = _SWEEPS[loop] = _Sweep(loop, timeout_s)
    sweep.start()
    return sweep
