"""The interface the kiosk pays through; implemented in-process and over HTTP."""
from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod

from hardware.payment.model import InvalidRequest, Method, Order


class PaymentProvider(ABC):
    """A payment gateway. Amounts are integer fen. Every method may raise ``PaymentError``."""

    @abstractmethod
    def create_order(self, amount_fen: int, subject: str, method: Method, idempotency_key: str) -> Order:
        """Create (or, for a repeated key, return the existing) order; never charges twice."""

    @abstractmethod
    def query(self, order_id: str) -> Order:
        """The order as the gateway sees it now."""

    @abstractmethod
    def cancel(self, order_id: str) -> Order:
        """Make sure the payer is not charged: pending -> cancelled, paid -> refunded."""

    @abstractmethod
    def refund(self, order_id: str, amount_fen: int | None = None, reason: str = "") -> Order:
        """Refund all (``None``) or part of a paid order."""

    @abstractmethod
    def reconciliation(self, day: dt.date | str) -> list[Order]:
        """Every order created on ``day`` (local time) with its final state, oldest first."""

    @abstractmethod
    def pay_with_code(self, order_id: str, code: str) -> Order:
        """Charge the payer's payment code (read by the kiosk scanner) for a ``code`` order."""


def day_string(day: dt.date | str) -> str:
    """``date(2026, 11, 23)`` or ``"2026-11-23"`` -> ``"2026-11-23"`` (validated)."""
    if isinstance(day, dt.date):
        return day.isoformat()
    try:
        return dt.date.fromisoformat(day).isoformat()
    except ValueError as exc:
        raise InvalidRequest(f"day must be YYYY-MM-DD, got {day!r}", "日期格式不正确。") from exc
