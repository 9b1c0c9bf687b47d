"""Payment orders and how their state changes (pure: no clock, no I/O).

Amounts are integer fen (1 元 = 100 fen). States::

    pending -> paid | declined | expired | cancelled
    paid    -> refunded                 (full refund, or a cancel that lost the race)
    cancelled | expired -> refunded     (a payment landed after the kiosk gave up:
                                         the gateway refunds it automatically)

A partial refund leaves the order ``paid`` with ``refunded_fen`` > 0.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any, Literal

from common.refusal import Refusal

Method = Literal["qr", "code", "card"]
METHODS: tuple[str, ...] = ("qr", "code", "card")


class OrderState(str, Enum):
    PENDING = "pending"
    PAID = "paid"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"

    @property
    def is_final(self) -> bool:
        """No payment can still land (refunded is final; paid can still be refunded but is settled)."""
        return self is not OrderState.PENDING


class PaymentError(Refusal):
    """Base of payment errors (a refusal: code and status on the class); ``message_zh`` is fit to show a patient
    or nurse."""

    code = "payment_error"
    status = 400

    def __init__(self, message_en: str, message_zh: str = "支付出现问题，请到人工窗口办理，谢谢。") -> None:
        super().__init__(type(self).code, message_zh, message_en)


class InvalidRequest(PaymentError):
    code = "invalid_request"


class IdempotencyConflict(PaymentError):
    """The same idempotency key was used for a different amount, method or subject."""

    code = "idempotency_conflict"
    status = 409


class OrderNotFound(PaymentError):
    code = "order_not_found"
    status = 404


class InvalidTransition(PaymentError):
    """The operation does not apply to the order's current state (e.g. refund an unpaid order)."""

    code = "invalid_transition"
    status = 409


class GatewayUnavailable(PaymentError):
    """The payment gateway could not be reached or did not answer."""

    code = "gateway_unavailable"
    status = 503


ERRORS: dict[str, type[PaymentError]] = {
    cls.code: cls
    for cls in (PaymentError, InvalidRequest, IdempotencyConflict, OrderNotFound, InvalidTransition, GatewayUnavailable)
}


@dataclass(frozen=True)
class Refund:
    amount_fen: int
    reason: str
    at: float
    automatic: bool = False


@dataclass(frozen=True)
class HistoryEntry:
    at: float
    state: OrderState
    note: str = ""


@dataclass(frozen=True)
class Order:
    order_id: str
    idempotency_key: str
    amount_fen: int
    subject: str
    method: Method
    state: OrderState
    created_at: float
    expires_at: float
    code_url: str = ""
    paid_at: float | None = None
    decline_reason: str = ""
    refunds: tuple[Refund, ...] = ()
    history: tuple[HistoryEntry, ...] = field(default=())

    @property
    def refunded_fen(self) -> int:
        return sum(r.amount_fen for r in self.refunds)

    @property
    def auto_refunded(self) -> bool:
        """True when the gateway refunded a payment that landed after a cancel or expiry."""
        return any(r.automatic for r in self.refunds)

    @property
    def net_fen(self) -> int:
        """What the hospital keeps: paid amount minus refunds."""
        return (self.amount_fen if self.paid_at is not None else 0) - self.refunded_fen

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        data["history"] = [{**asdict(h), "state": h.state.value} for h in self.history]
        data["refunded_fen"] = self.refunded_fen
        data["auto_refunded"] = self.auto_refunded
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Order":
        return cls(
            order_id=data["order_id"],
            idempotency_key=data["idempotency_key"],
            amount_fen=int(data["amount_fen"]),
            subject=data["subject"],
            method=data["method"],
            state=OrderState(data["state"]),
            created_at=float(data["created_at"]),
            expires_at=float(data["expires_at"]),
            code_url=data.get("code_url", ""),
            paid_at=data.get("paid_at"),
            decline_reason=data.get("decline_reason", ""),
            refunds=tuple(Refund(**r) for r in data.get("refunds", ())),
            history=tuple(
                HistoryEntry(h["at"], OrderState(h["state"]), h.get("note", "")) for h in data.get("history", ())
            ),
        )


def validate_request(amount_fen: int, subject: str, method: str, idempotency_key: str) -> None:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise InvalidRequest(f"amount_fen must be a positive integer, got {amount_fen!r}", "金额不正确，请到人工窗口办理。")
    if method not in METHODS:
        raise InvalidRequest(f"method must be one of {METHODS}, got {method!r}", "不支持的支付方式，请选择其他方式。")
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidRequest(f"subject must be a non-empty string, got {subject!r}", "缴费项目为空，请到人工窗口办理。")
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise InvalidRequest("idempotency_key must not be empty", "支付请求不完整，请重新操作。")


def check_same_request(order: Order, amount_fen: int, subject: str, method: str) -> None:
    """A repeated key must describe the same payment; anything else is refused, never charged twice."""
    if (order.amount_fen, order.method, order.subject) != (amount_fen, method, subject):
        raise IdempotencyConflict(
            f"idempotency key {order.idempotency_key!r} already used for order {order.order_id} "
            f"({order.amount_fen} fen, {order.method}, {order.subject!r}); refused {amount_fen} fen, {method}, {subject!r}",
            "同一笔支付的金额或方式与之前不一致，已拒绝，未扣款。请重新下单或到人工窗口办理。",
        )


def _moved(order: Order, state: OrderState, at: float, note: str = "", **changes: Any) -> Order:
    return replace(order, state=state, history=order.history + (HistoryEntry(at, state, note),), **changes)


def payment_landed(order: Order, at: float) -> Order:
    """The payer's money arrived. After a cancel or expiry it is refunded at once."""
    if order.state is OrderState.PENDING:
        return _moved(order, OrderState.PAID, at, "payment received", paid_at=at)
    if order.state in (OrderState.CANCELLED, OrderState.EXPIRED):
        refund = Refund(order.amount_fen, f"payment arrived after order was {order.state.value}", at, automatic=True)
        return _moved(
            order, OrderState.REFUNDED, at, f"late payment after {order.state.value}: refunded automatically",
            paid_at=at, refunds=order.refunds + (refund,),
        )
    return order  # duplicate notification for a paid / refunded / declined order: nothing moves


def declined(order: Order, at: float, reason: str) -> Order:
    if order.state is not OrderState.PENDING:
        return order
    return _moved(order, OrderState.DECLINED, at, reason, decline_reason=reason)


def expired(order: Order, at: float) -> Order:
    if order.state is not OrderState.PENDING:
        return order
    return _moved(order, OrderState.EXPIRED, at, "not paid in time")


def cancelled(order: Order, at: float) -> Order:
    """Cancel means "make sure the payer is not charged": a pending order closes, a paid one is refunded."""
    if order.state is OrderState.PENDING:
        return _moved(order, OrderState.CANCELLED, at, "cancelled by merchant")
    if order.state is OrderState.PAID:
        remaining = order.amount_fen - order.refunded_fen
        refund = Refund(remaining, "cancel after payment", at, automatic=True)
        return _moved(
            order, OrderState.REFUNDED, at, "cancel raced with payment: refunded automatically",
            refunds=order.refunds + (refund,),
        )
    return order  # already closed: cancelling again is harmless


def refunded(order: Order, at: float, amount_fen: int | None, reason: str) -> Order:
    if order.state is not OrderState.PAID:
        raise InvalidTransition(
            f"order {order.order_id} is {order.state.value}; only paid orders can be refunded",
            "该订单未支付或已退款，无法退款。如有疑问请到人工窗口咨询。",
        )
    remaining = order.amount_fen - order.refunded_fen
    amount = remaining if amount_fen is None else amount_fen
    if not isinstance(amount, int) or amount <= 0 or amount > remaining:
        raise InvalidRequest(
            f"refund amount must be 1..{remaining} fen, got {amount_fen!r}", "退款金额不正确，请到人工窗口办理。"
        )
    refunds = order.refunds + (Refund(amount, reason, at),)
    if amount == remaining:
        return _moved(order, OrderState.REFUNDED, at, reason or "refunded", refunds=refunds)
    return replace(order, refunds=refunds, history=order.history + (HistoryEntry(at, order.state, f"partial refund {amount} fen"),))
