"""A simulated payment gateway whose outcomes are scripted, globally or per order.

Time only matters when someone looks: every call first settles the orders whose
scripted moment has passed (payment landed, declined, expired), in time order.
That makes the simulator deterministic under an injected clock and thread-safe
under one lock.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Callable, Literal

from hardware.payment import model
from hardware.payment.model import (
    InvalidRequest,
    InvalidTransition,
    Method,
    Order,
    OrderNotFound,
    OrderState,
)
from hardware.payment.provider import PaymentProvider, day_string

# WeChat Pay codes start 10-15, Alipay 25-30, UnionPay 62; all 16-24 digits.
PAYMENT_CODE = re.compile(r"^(1[0-5]|2[5-9]|30|62)\d{14,22}$")


@dataclass(frozen=True)
class Outcome:
    """What the simulated payer does: pay, be declined, or never answer; ``after_s`` after the attempt starts.

    The attempt starts when the order is created (``qr``, ``card``) or when the
    payment code is presented (``code``).
    """

    kind: Literal["approve", "decline", "no_answer"]
    after_s: float = 0.0
    reason: str = ""

    @classmethod
    def approve(cls, after_s: float = 0.0) -> "Outcome":
        return cls("approve", after_s)

    @classmethod
    def decline(cls, reason: str = "余额不足", after_s: float = 0.0) -> "Outcome":
        return cls("decline", after_s, reason)

    @classmethod
    def no_answer(cls) -> "Outcome":
        return cls("no_answer")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "after_s": self.after_s, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Outcome":
        kind = data.get("kind")
        if kind not in ("approve", "decline", "no_answer"):
            raise InvalidRequest(f"outcome kind must be approve, decline or no_answer, got {kind!r}")
        after_s = float(data.get("after_s", 0.0))
        if after_s < 0:
            raise InvalidRequest("after_s must not be negative")
        reason = str(data.get("reason", "")) or ("余额不足" if kind == "decline" else "")
        return cls(kind, after_s, reason)


@dataclass
class _Slot:
    order: Order
    outcome: Outcome
    due_at: float | None  # when the scripted outcome happens; None: not started / never


class SimulatedProvider(PaymentProvider):
    """In-memory gateway. ``clock`` returns epoch seconds (inject a fake one in tests)."""

    def __init__(
        self,
        default: Outcome = Outcome.approve(1.0),  # noqa: B008 (a frozen dataclass, shared safely)
        *,
        clock: Callable[[], float] = time.time,
        expires_after_s: float = 300.0,
        code_url_base: str = "simpay://pay/",
    ) -> None:
        self._default = default
        self._next: deque[Outcome] = deque()
        self._clock = clock
        self._expires_after_s = expires_after_s
        self.code_url_base = code_url_base
        self._lock = threading.RLock()
        self._slots: dict[str, _Slot] = {}
        self._by_key: dict[str, str] = {}
        self._serial = itertools.count(1)

    # -- scripting --------------------------------------------------------------

    def script(self, outcome: Outcome) -> None:
        """Outcome for every order created from now on (unless ``script_next`` says otherwise)."""
        with self._lock:
            self._default = outcome

    def script_next(self, outcome: Outcome) -> None:
        """Outcome for the next order created (queued: call twice for the next two)."""
        with self._lock:
            self._next.append(outcome)

    def script_order(self, order_id: str, outcome: Outcome) -> Order:
        """Re-script a pending order; its outcome happens ``after_s`` from now."""
        with self._lock:
            slot = self._settled(order_id)
            slot.outcome = outcome
            if slot.order.method != "code" or slot.due_at is not None:
                slot.due_at = self._due(outcome, self._clock())
            return slot.order

    def patient_pays(self, order_id: str) -> Order:
        """The patient scans the order's QR code and pays, now. After a cancel this is refunded."""
        with self._lock:
            slot = self._settled(order_id)
            slot.order = model.payment_landed(slot.order, self._clock())
            slot.due_at = None
            return slot.order

    # -- PaymentProvider --------------------------------------------------------

    def create_order(self, amount_fen: int, subject: str, method: Method, idempotency_key: str) -> Order:
        model.validate_request(amount_fen, subject, method, idempotency_key)
        with self._lock:
            existing = self._by_key.get(idempotency_key)
            if existing is not None:
                slot = self._settled(existing)
                model.check_same_request(slot.order, amount_fen, subject, method)
                return slot.order
            now = self._clock()
            order_id = f"SIM{time.strftime('%Y%m%d', time.localtime(now))}{next(self._serial):06d}"
            outcome = self._next.popleft() if self._next else self._default
            order = Order(
                order_id=order_id,
                idempotency_key=idempotency_key,
                amount_fen=amount_fen,
                subject=subject,
                method=method,
                state=OrderState.PENDING,
                created_at=now,
                expires_at=now + self._expires_after_s,
                code_url=f"{self.code_url_base}{order_id}" if method == "qr" else "",
                history=(model.HistoryEntry(now, OrderState.PENDING, "created"),),
            )
            due = None if method == "code" else self._due(outcome, now)
            self._slots[order_id] = _Slot(order, outcome, due)
            self._by_key[idempotency_key] = order_id
            return order

    def query(self, order_id: str) -> Order:
        with self._lock:
            return self._settled(order_id).order

    def cancel(self, order_id: str) -> Order:
        with self._lock:
            slot = self._settled(order_id)
            slot.order = model.cancelled(slot.order, self._clock())
            if slot.outcome.kind == "decline":
                slot.due_at = None  # a decline after a cancel changes nothing
            return slot.order

    def refund(self, order_id: str, amount_fen: int | None = None, reason: str = "") -> Order:
        with self._lock:
            slot = self._settled(order_id)
            slot.order = model.refunded(slot.order, self._clock(), amount_fen, reason)
            return slot.order

    def reconciliation(self, day: dt.date | str) -> list[Order]:
        wanted = day_string(day)
        with self._lock:
            orders = [self._settled(oid).order for oid in list(self._slots)]
        return sorted(
            (o for o in orders if dt.date.fromtimestamp(o.created_at).isoformat() == wanted),
            key=lambda o: (o.created_at, o.order_id),
        )

    def pay_with_code(self, order_id: str, code: str) -> Order:
        code = code.strip()
        if not PAYMENT_CODE.match(code):
            raise InvalidRequest(
                "payment code must be 16-24 digits from WeChat Pay, Alipay or UnionPay",
                "付款码无效，请在手机上刷新付款码后重新扫描。",
            )
        with self._lock:
            slot = self._settled(order_id)
            if slot.order.method != "code":
                raise InvalidTransition(
                    f"order {order_id} is paid by {slot.order.method}, not by payment code",
                    "该订单不能用付款码支付，请按屏幕提示操作。",
                )
            if slot.order.state is not OrderState.PENDING:
                raise InvalidTransition(
                    f"order {order_id} is {slot.order.state.value}", "该订单已结束，请重新下单。"
                )
            if slot.due_at is None and slot.outcome.kind != "no_answer":
                slot.due_at = self._due(slot.outcome, self._clock())
            slot.order = replace(
                slot.order,
                history=slot.order.history
                + (model.HistoryEntry(self._clock(), OrderState.PENDING, f"payment code {code[:4]}****{code[-4:]}"),),
            )
            return slot.order

    # -- time -------------------------------------------------------------------

    @staticmethod
    def _due(outcome: Outcome, start: float) -> float | None:
        return None if outcome.kind == "no_answer" else start + outcome.after_s

    def _settled(self, order_id: str) -> _Slot:
        """The slot with every scripted event up to now applied, in time order."""
        slot = self._slots.get(order_id)
        if slot is None:
            raise OrderNotFound(f"no order {order_id!r}", "找不到该订单，请重新下单或到人工窗口咨询。")
        now = self._clock()
        events: list[tuple[float, str]] = []
        if slot.due_at is not None and slot.due_at <= now:
            events.append((slot.due_at, slot.outcome.kind))
        if slot.order.state is OrderState.PENDING and slot.order.expires_at <= now:
            events.append((slot.order.expires_at, "expire"))
        for at, what in sorted(events):
            if what == "approve":
                slot.order = model.payment_landed(slot.order, at)
                slot.due_at = None
            elif what == "decline":
                slot.order = model.declined(slot.order, at, slot.outcome.reason)
                slot.due_at = None
            else:
                slot.order = model.expired(slot.order, at)
        return slot
