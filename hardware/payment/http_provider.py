"""``PaymentProvider`` over HTTP, against ``hardware.payment.simulator`` (or a gateway adapter with the same API)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from hardware.payment.model import ERRORS, GatewayUnavailable, Method, Order, PaymentError
from hardware.payment.provider import PaymentProvider, day_string
from hardware.payment.simulated import Outcome


class HttpProvider(PaymentProvider):
    """Talks JSON to the gateway at ``base_url``. Thread-safe (one pooled ``httpx.Client``).

    A request that cannot reach the gateway raises ``GatewayUnavailable``; retrying
    ``create_order`` with the same idempotency key is always safe.
    """

    def __init__(self, base_url: str, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HttpProvider":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, params: dict[str, str] | None = None) -> Any:
        try:
            response = self._client.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(
                f"payment gateway {self.base_url} unreachable: {type(exc).__name__}: {exc}",
                "支付系统暂时无法连接，请稍候再试或到人工窗口办理。",
            ) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success and data is not None:
            return data
        if isinstance(data, dict) and data.get("error") in ERRORS:
            raise ERRORS[data["error"]](data.get("message_en", ""), data.get("message_zh", ""))
        if response.status_code >= 500:
            raise GatewayUnavailable(f"payment gateway answered {response.status_code}", "支付系统暂时不可用，请稍候再试或到人工窗口办理。")
        raise PaymentError(f"payment gateway answered {response.status_code}: {response.text[:200]}")

    # -- PaymentProvider --------------------------------------------------------

    def create_order(self, amount_fen: int, subject: str, method: Method, idempotency_key: str) -> Order:
        body = {"amount_fen": amount_fen, "subject": subject, "method": method, "idempotency_key": idempotency_key}
        return Order.from_dict(self._call("POST", "/orders", body))

    def query(self, order_id: str) -> Order:
        return Order.from_dict(self._call("GET", f"/orders/{order_id}"))

    def cancel(self, order_id: str) -> Order:
        return Order.from_dict(self._call("POST", f"/orders/{order_id}/cancel"))

    def refund(self, order_id: str, amount_fen: int | None = None, reason: str = "") -> Order:
        return Order.from_dict(self._call("POST", f"/orders/{order_id}/refund", {"amount_fen": amount_fen, "reason": reason}))

    def reconciliation(self, day: dt.date | str) -> list[Order]:
        rows = self._call("GET", "/reconciliation", params={"day": day_string(day)})
        return [Order.from_dict(row) for row in rows]

    def pay_with_code(self, order_id: str, code: str) -> Order:
        return Order.from_dict(self._call("POST", f"/orders/{order_id}/pay-with-code", {"code": code}))

    # -- simulator controls (the simulated gateway only) ------------------------

    def script(self, outcome: Outcome) -> None:
        self._call("POST", "/sim/script", {"scope": "default", "outcome": outcome.to_dict()})

    def script_next(self, outcome: Outcome) -> None:
        self._call("POST", "/sim/script", {"scope": "next", "outcome": outcome.to_dict()})

    def script_order(self, order_id: str, outcome: Outcome) -> Order:
        return Order.from_dict(
            self._call("POST", "/sim/script", {"scope": "order", "order_id": order_id, "outcome": outcome.to_dict()})
        )

    def patient_pays(self, order_id: str) -> Order:
        """Demo/test: the patient scans the QR code and pays now."""
        return Order.from_dict(self._call("POST", f"/sim/orders/{order_id}/patient-pays"))
