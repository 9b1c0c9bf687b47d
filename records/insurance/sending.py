"""The platforms' share of the service's durable outbox: e-invoice requests (channel ``einvoice``) and 医保 reversals
(channel ``medins``), written in the transaction of the payment or claim that needs them, and sent by a sender of
their own (caller.notify.sender.Sender, restricted to these channels). A platform that is away is retried with the
outbox's backoff without holding up the patients' text messages, nor they it.
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, AsyncIterator, Iterable

from caller.notify.model import Message, Notifier
from caller.notify.sender import Sender

CHANNELS = ("einvoice", "medins")  # the notify sender leaves these to this one (caller/notify/notifications.py)


class PlatformOutbox:
    """``enqueue`` inside the caller's transaction, ``wake`` after it; ``running`` while the service runs."""

    def __init__(self, notify: Any, clock: Any) -> None:
        self.notify = notify  # caller.notify.notifications.Notifications: its outbox and settings
        self.notifiers: dict[str, Notifier] = {}
        self.sender = Sender(notify.outbox, self.notifiers, notify.settings, clock, channels=CHANNELS,
                             name="platform-sender")

    def attach(self, notifier: Notifier) -> None:
        self.notifiers[notifier.channel] = notifier

    def enqueue(self, conn: Any, messages: Iterable[Message], now: datetime) -> int:
        return self.notify.outbox.enqueue(conn, list(messages), now)

    def wake(self) -> None:
        self.sender.wake()

    def messages(self) -> list[dict[str, Any]]:
        return [m for m in self.notify.outbox.messages() if m["channel"] in CHANNELS]

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.sender.start()
        try:
            yield
        finally:
            self.sender.stop()
