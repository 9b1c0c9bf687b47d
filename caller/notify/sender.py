"""The sender: one thread taking due messages from the outbox to their gateway.

For each due message (oldest first, one per recipient at a time so a recipient's messages arrive in order):

1. expired, or no longer true (``still_true``: "3 ahead" after the patient was called) -> ``dropped``;
2. a reminder or report notice in quiet hours -> waits until they end;
3. the recipient had ``rate_limit`` messages in the rate window -> waits;
4. otherwise it is marked ``sending`` (committed) and handed to the gateway with its key: ``sent``; or, when the
   gateway failed, ``pending`` again after a backoff that doubles per attempt (``retry_base_seconds`` up to
   ``retry_max_seconds``), and the whole sender pauses as long (a gateway that is down is not hammered, and no
   later message overtakes an earlier one); a permanent refusal -> ``failed``.
"""
from __future__ import annotations

import logging
import threading
import time as _time
from datetime import datetime, timedelta
from typing import Callable

from caller.notify.model import DeliveryError, Notifier, Outgoing
from caller.notify.outbox import Outbox
from caller.notify.settings import NotifySettings

log = logging.getLogger("caller.notify")

QUIET_EVENTS = frozenset({"reminder_day", "report_ready"})  # queue events are sent whenever they happen
IDLE_SECONDS = 1.0


def in_span(now: datetime, span) -> bool:
    start, end = span
    t = now.time()
    return start <= t < end if start < end else (t >= start or t < end)


def span_end(now: datetime, span) -> datetime:
    end = datetime.combine(now.date(), span[1])
    return end if end > now else end + timedelta(days=1)


def backoff(settings: NotifySettings, attempts: int) -> float:
    return min(settings.retry_max_seconds, settings.retry_base_seconds * (2 ** max(0, attempts - 1)))


class Sender:
    """Sends due outbox messages through the configured notifiers, in its own thread."""

    def __init__(self, outbox: Outbox, notifiers: dict[str, Notifier], settings: NotifySettings,
                 clock: Callable[[], datetime], still_true: Callable[[Outgoing], bool] = lambda m: True):
        self.outbox = outbox
        self.notifiers = notifiers
        self.settings = settings
        self.clock = clock
        self.still_true = still_true
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._paused_until = 0.0  # monotonic: the gateway failed, wait before trying anything again
        self.sent = 0

    # ------------------------------------------------------------- lifecycle
    def start(self) -> None:
        recovered = self.outbox.recover({c: n.idempotent for c, n in self.notifiers.items()}, self.clock())
        if any(recovered.values()):
            log.warning("outbox after restart: %s", recovered)
        self._thread = threading.Thread(target=self._run, name="notify-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for notifier in self.notifiers.values():
            close = getattr(notifier, "close", None)
            if close:
                close()

    def wake(self) -> None:
        """New messages were committed: look now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pause = self._paused_until - _time.monotonic()
                if pause > 0:
                    self._stop.wait(pause)
                    continue
                done = self.run_once()
            except Exception:
                log.exception("the notification sender failed; trying again")
                done = 0
            if not done:
                self._wake.wait(IDLE_SECONDS)
                self._wake.clear()

    # ------------------------------------------------------------------ work
    def run_once(self, limit: int = 100) -> int:
        """Handle the messages due now; return how many were handled (sent, dropped, deferred or failed)."""
        handled = 0
        for message in self.outbox.due(self.clock(), limit):
            if self._stop.is_set():
                break
            outcome = self._handle(message)
            if outcome == "paused":
                break
            handled += 1
        return handled

    def _handle(self, message: Outgoing) -> str:
        now = self.clock()
        if message.expires_at and now.isoformat(timespec="milliseconds") > message.expires_at:
            self.outbox.set_state(message, "dropped", now, error="expired")
            return "dropped"
        if not self.still_true(message):
            self.outbox.set_state(message, "dropped", now, error="no longer true")
            return "dropped"
        notifier = self.notifiers.get(message.channel)
        if notifier is None:
            self.outbox.set_state(message, "failed", now, error=f"no {message.channel} gateway configured")
            return "failed"
        quiet = self.settings.quiet
        if message.event in QUIET_EVENTS and quiet and in_span(now, quiet):
            self.outbox.set_state(message, "pending", now, next_at=span_end(now, quiet), error="quiet hours")
            return "deferred"
        window = timedelta(minutes=self.settings.rate_window_minutes)
        if self.outbox.sent_since(message.recipient, now - window) >= self.settings.rate_limit:
            self.outbox.set_state(message, "pending", now, next_at=now + window / self.settings.rate_limit,
                                  error="rate limit")
            return "deferred"
        self.outbox.set_state(message, "sending", now, attempt=True)  # committed before the gateway sees it
        try:
            ref = notifier.send(message)
        except DeliveryError as exc:
            now = self.clock()
            if not exc.retryable:
                self.outbox.set_state(message, "failed", now, error=exc.reason)
                return "failed"
            delay = backoff(self.settings, message.attempts)
            self.outbox.set_state(message, "pending", now, error=exc.reason, next_at=now + timedelta(seconds=delay))
            self._paused_until = _time.monotonic() + delay
            log.warning("gateway %s failed (%s); next try in %.1f s", message.channel, exc.reason, delay)
            return "paused"
        self.outbox.set_state(message, "sent", self.clock(), ref=ref)
        self.sent += 1
        return "sent"
