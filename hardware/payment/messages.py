"""What to tell the patient after a payment attempt, Chinese first, with the next step."""
from __future__ import annotations

from dataclasses import dataclass

from hardware.payment.model import Order, OrderState

TIMEOUT = "timeout"


@dataclass(frozen=True)
class PatientMessage:
    zh: str
    en: str


_MESSAGES: dict[str, PatientMessage] = {
    OrderState.PAID.value: PatientMessage(
        "支付成功，谢谢。请取走您的凭条。", "Payment successful, thank you. Please take your receipt."
    ),
    OrderState.PENDING.value: PatientMessage(
        "正在等待支付结果，请稍候……", "Waiting for the payment result, please wait..."
    ),
    OrderState.EXPIRED.value: PatientMessage(
        "订单已过期，未扣款。请重新支付，或到人工窗口办理。",
        "The order expired and nothing was charged. Please pay again or go to a service counter.",
    ),
    OrderState.CANCELLED.value: PatientMessage(
        "支付已取消，未扣款。如需缴费，请重新操作。",
        "Payment cancelled, nothing was charged. Please start again if you still need to pay.",
    ),
    OrderState.REFUNDED.value: PatientMessage(
        "款项已原路退回，一般1-3个工作日到账。如有疑问，请到人工窗口咨询。",
        "The money has been refunded to your account (usually 1-3 working days). "
        "Please ask at a service counter if you have questions.",
    ),
    TIMEOUT: PatientMessage(
        "支付超时，未扣款，请重新支付或到人工窗口办理。如您已付款，款项将自动原路退回。",
        "Payment timed out and nothing was charged. Please pay again or go to a service counter. "
        "If money did leave your account, it will be refunded automatically.",
    ),
}


def yuan(amount_fen: int) -> str:
    """Money for people: ``1250`` -> ``"12.50元"``."""
    sign = "-" if amount_fen < 0 else ""
    return f"{sign}{abs(amount_fen) // 100}.{abs(amount_fen) % 100:02d}元"


def patient_message(result: str | OrderState, order: Order | None = None) -> PatientMessage:
    """The message for a ``wait_for_result`` result (a state value or ``"timeout"``).

    For a decline, pass the order to include the gateway's reason (e.g. 余额不足).
    """
    key = result.value if isinstance(result, OrderState) else result
    if key == OrderState.DECLINED.value:
        reason = order.decline_reason if order is not None and order.decline_reason else "支付被拒绝"
        return PatientMessage(
            f"支付未成功：{reason}。未扣款，请更换支付方式后重新支付，或到人工窗口办理。",
            f"Payment declined ({reason}). Nothing was charged. Please try another way to pay or go to a service counter.",
        )
    try:
        return _MESSAGES[key]
    except KeyError:
        raise ValueError(f"no patient message for result {result!r}") from None
