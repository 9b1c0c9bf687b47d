"""What a notification is, what sends it, and how sending fails."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

CHANNELS = ("sms", "wechat")

# Events a patient can be told about (docs/notifications.md).
EVENTS = ("ahead", "called", "missed", "recalled", "stopped", "reminder_day", "reminder_soon", "report_ready")


@dataclass(frozen=True)
class Message:
    """One message to one recipient, as planned by a command; written to the outbox in the command's transaction.

    ``key`` is unique: the outbox ignores a second message with the same key, and the gateway receives it with
    every attempt (its idempotency key), so a message is never delivered twice.
    """

    key: str
    event: str
    channel: str
    recipient: str             # phone number (sms) or WeChat openid
    template: str              # name in caller.notify.texts.TEMPLATES
    params: dict[str, Any]     # display-safe values only: never a name, ID number or patient id
    text: str                  # the rendered Chinese text
    visit_id: str | None
    due_at: datetime
    expires_at: datetime | None = None


@dataclass
class Outgoing:
    """A message in the outbox, with its delivery state."""

    id: int
    key: str
    event: str
    channel: str
    recipient: str
    template: str
    params: dict[str, Any]
    text: str
    visit_id: str | None
    due_at: str
    expires_at: str | None
    state: str                 # pending | sending | sent | delivered | failed | dropped | unknown
    attempts: int = 0
    next_at: str = ""
    last_error: str = ""
    gateway_ref: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """The gateway did not take the message. ``retryable``: try again later (timeouts, 5xx, 429)."""

    def __init__(self, reason: str, retryable: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Notifier(Protocol):
    """An adapter towards one gateway (SMS, WeChat, the simulator)."""

    channel: str
    #: True when the gateway takes our idempotency key (a resend after a crash is delivered once);
    #: False: a message whose send was interrupted is never sent again (state ``unknown``).
    idempotent: bool

    def send(self, message: Outgoing) -> str:
        """Hand the message to the gateway; return its reference. Raises DeliveryError."""
        ...
