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
from common.notify_settings import NotifySettings

log = logging.getLogger("caller.notify")

QUIET_EVENTS = frozenset({"reminder_day", "report_ready"})  # queue events are sent whenever they happen
IDLE_SECONDS = 1.0
BATCH = 20  # messages per commit pair towards an idempotent gateway


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
                 clock: Callable[[], datetime], still_true: Callable[[Outgoing], bool] = lambda m: True,
                 plan: Callable[[datetime], object] | None = None, channels: tuple[str, ...] | None = None,
                 name: str = "notify-sender"):
        self.outbox = outbox
        self.channels = channels  # the outbox's channels this sender owns (None: all)
        self.name = name
        self.notifiers = notifiers
        self.settings = settings
        self.clock = clock
        self.still_true = still_true
        self.plan = plan  # planning that depends on time (appointment reminders), before each round
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._paused_until = 0.0  # monotonic: the gateway failed, wait before trying anything again
        self._retired: list[Notifier] = []  # gateways replaced by a reload, closed by the sender's next round
        self.sent = 0

    # ------------------------------------------------------------- lifecycle
    def start(self) -> None:
        recovered = self.outbox.recover({c: n.idempotent for c, n in self.notifiers.items()}, self.clock(),
                                        self.channels)
        if any(recovered.values()):
            log.warning("outbox after restart: %s", recovered)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for notifier in [*self.notifiers.values(), *self._retired]:
            close = getattr(notifier, "close", None)
            if close:
                close()

    def reconfigure(self, notifiers: dict[str, Notifier], settings: NotifySettings) -> dict[str, Notifier]:
        """New gateways and limits (a reloaded hospital file) from the next message on: a message on its way
        finishes with the gateway it started with, which the sender closes at its next round."""
        old, self.notifiers, self.settings = self.notifiers, notifiers, settings
        self._retired += old.values()
        self._paused_until = 0.0  # a new gateway is tried at once
        self.wake()
        return old

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
        """Handle the messages due now; return how many were handled (sent, dropped, deferred or failed).

        Drops and deferrals of a batch share one commit. Messages for a gateway that takes our idempotency key go
        out in groups of BATCH: one commit marks the group ``sending``, one records the answers (a crash between
        the two resends the group with the same keys, delivered once). Others go one at a time.
        """
        while self._retired:
            close = getattr(self._retired.pop(), "close", None)
            if close:
                close()
        if self.plan is not None:
            try:
                self.plan(self.clock())
            except Exception:
                log.exception("planning reminders failed; sending what is due anyway")
        due = self.outbox.due(self.clock(), limit, self.channels)
        ready: list[Outgoing] = []
        with self.outbox.store.transaction():
            for message in due:
                if self._settle(message) is None:
                    ready.append(message)
        handled = len(due) - len(ready)
        while ready and not self._stop.is_set():
            notifier = self.notifiers.get(ready[0].channel)
            if notifier is None:  # its gateway was removed by a reload during this round: next round decides
                break
            size = BATCH if notifier.idempotent else 1
            group = [m for m in ready if m.channel == ready[0].channel][:size]
            ready = [m for m in ready if m not in group]
            handled += len(group)
            if not self._send(notifier, group):
                break
        return handled

    def _settle(self, message: Outgoing) -> str | None:
        """Drop, defer or fail a message that must not go now (inside the caller's transaction); None: send it."""
        now = self.clock()
        if message.expires_at and now.isoformat(timespec="milliseconds") > message.expires_at:
            self.outbox.set_state(message, "dropped", now, error="expired")
            return "dropped"
        if not self.still_true(message):
            self.outbox.set_state(message, "dropped", now, error="no longer true")
            return "dropped"
        if message.channel not in self.notifiers:  # (removed by a reload): waits until expiry or the gateway's return
            self.outbox.set_state(message, "pending", now, next_at=now + timedelta(minutes=1),
                                  error=f"no {message.channel} gateway configured")
            return "deferred"
        quiet = self.settings.quiet
        if message.event in QUIET_EVENTS and quiet and in_span(now, quiet):
            self.outbox.set_state(message, "pending", now, next_at=span_end(now, quiet), error="quiet hours")
            return "deferred"
        window = timedelta(minutes=self.settings.rate_window_minutes)
        if self.outbox.sent_since(message.recipient, now - window) >= self.settings.rate_limit:
            self.outbox.set_state(message, "pending", now, next_at=now + window / self.settings.rate_limit,
                                  error="rate limit")
            return "deferred"
        return None

    def _send(self, notifier: Notifier, group: list[Outgoing]) -> bool:
        """Send a group; False when the gateway failed (the sender pauses, the rest waits in order)."""
        with self.outbox.store.transaction():  # committed before the gateway sees any of them
            for message in group:
                self.outbox.set_state(message, "sending", self.clock(), attempt=True)
        answers: list[tuple[Outgoing, str | DeliveryError | None]] = []
        down = False
        for message in group:
            if down:
                answers.append((message, None))  # not tried: the gateway just failed
                continue
            try:
                answers.append((message, notifier.send(message)))
            except DeliveryError as exc:
                answers.append((message, exc))
                down = exc.retryable
        now = self.clock()
        delay = 0.0
        with self.outbox.store.transaction():
            for message, answer in answers:
                if isinstance(answer, str):
                    self.outbox.set_state(message, "sent", now, ref=answer)
                    self.sent += 1
                elif answer is None:
                    message.attempts -= 1
                    self.outbox.set_state(message, "pending", now, error="not tried: gateway down")
                elif not answer.retryable:
                    self.outbox.set_state(message, "failed", now, error=answer.reason)
                else:
                    delay = backoff(self.settings, message.attempts)
                    self.outbox.set_state(message, "pending", now, error=answer.reason,
                                          next_at=now + timedelta(seconds=delay))
        if down:
            self._paused_until = _time.monotonic() + delay
            log.warning("gateway %s failed; next try in %.1f s", notifier.channel, delay)
        return not down
