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

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("caller.http")

HEADER_TIMEOUT_S = 10.0


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that closes a connection whose request headers are late."""

    header_timeout_s = HEADER_TIMEOUT_S
    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport is not None and not self.transport.is_closing():
            log.debug("closing a connection whose request headers did not arrive within %.0f s", self.header_timeout_s)
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
