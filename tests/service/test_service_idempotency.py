"""A retried create command with the same idempotency key returns the first result and creates nothing."""
from __future__ import annotations

from caller.client import CallerClient
from caller.testing import DEMO_TOKENS as T


def test_retry_of_register_returns_the_first_ticket(live, kiosk):
    first = kiosk.register("NK", name="张三", idempotency_key="kiosk1-0001-abcdef")
    again = kiosk.register("NK", name="张三", idempotency_key="kiosk1-0001-abcdef")
    assert again["visit"]["ticket"] == first["visit"]["ticket"] == "A001"
    assert again["seq"] == first["seq"] and again["replayed"] is True
    other = kiosk.register("NK", name="张三", idempotency_key="kiosk1-0002-abcdef")
    assert other["visit"]["ticket"] == "A002"  # a new key is a new ticket; the retry issued none
    with CallerClient(live, T["console_nk"]) as console:
        snap = console.area_queue("NK")
    assert snap["waiting"] == []  # registered only (check-in mode)
    assert len(live.service.engine.visits()) == 2


def test_retry_of_broadcast_publishes_once(live, nurse):
    first = nurse.broadcast("NK", "医生临时有事，请您稍候，谢谢。", idempotency_key="bc-0001-xyz")
    again = nurse.broadcast("NK", "医生临时有事，请您稍候，谢谢。", idempotency_key="bc-0001-xyz")
    assert first["seq"] == again["seq"]
    assert len(nurse.area_queue("NK")["broadcasts"]) == 1
