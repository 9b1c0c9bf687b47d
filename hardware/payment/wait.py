"""The kiosk's wait for a payment to finish."""
from __future__ import annotations

import threading
import time

from hardware.payment.messages import TIMEOUT
from hardware.payment.model import GatewayUnavailable, OrderState
from hardware.payment.provider import PaymentProvider


def wait_for_result(
    provider: PaymentProvider,
    order_id: str,
    timeout_s: float,
    poll_s: float = 1.0,
    stop: threading.Event | None = None,
) -> str:
    """Poll until the order leaves ``pending``; return its state value, or ``"timeout"``.

    A gateway that cannot be reached for a moment is polled again until the deadline.
    ``stop`` (set e.g. when the patient presses 取消) ends the wait early with ``"timeout"``.
    On ``"timeout"`` the kiosk should ``provider.cancel(order_id)``: a payment that lands
    afterwards is then refunded by the gateway, never lost.
    """
    stop = stop or threading.Event()
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            state = provider.query(order_id).state
            if state is not OrderState.PENDING:
                return state.value
        except GatewayUnavailable:
            pass
        remaining = deadline - time.monotonic()
        if remaining <= 0 or stop.wait(min(poll_s, remaining)):
            return TIMEOUT
