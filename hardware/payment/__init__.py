"""Payments in integer fen: the provider interface, a scriptable simulated gateway (in-process
and over HTTP), the kiosk's wait helper, patient messages and the scan-to-pay QR code."""
from hardware.payment.http_provider import HttpProvider
from hardware.payment.messages import TIMEOUT, PatientMessage, patient_message, yuan
from hardware.payment.model import (
    GatewayUnavailable,
    IdempotencyConflict,
    InvalidRequest,
    InvalidTransition,
    Method,
    Order,
    OrderNotFound,
    OrderState,
    PaymentError,
    Refund,
)
from hardware.payment.provider import PaymentProvider
from hardware.payment.qr import png_bytes, qr_png
from hardware.payment.simulated import Outcome, SimulatedProvider
from hardware.payment.wait import wait_for_result

__all__ = [
    "GatewayUnavailable",
    "HttpProvider",
    "IdempotencyConflict",
    "InvalidRequest",
    "InvalidTransition",
    "Method",
    "Order",
    "OrderNotFound",
    "OrderState",
    "Outcome",
    "PatientMessage",
    "PaymentError",
    "PaymentProvider",
    "Refund",
    "SimulatedProvider",
    "TIMEOUT",
    "patient_message",
    "png_bytes",
    "qr_png",
    "wait_for_result",
    "yuan",
]
