"""A retried create command with the same idempotency key returns the first result and creates nothing."""
from __future__ import annotations

from caller.testing import DEMO_TOKENS as T
from client.http import CallerClient


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


def test_a_key_is_the_senders_own_and_bound_to_its_body(live, kiosk):
    first = kiosk.register("NK", name="张三", idempotency_key="shared-key-0001")
    # another kiosk sending the same key gets its own visit, never the first patient's answer
    with CallerClient(live, T["kiosk2"]) as other:
        theirs = other.register("NK", name="李四", idempotency_key="shared-key-0001")
    assert theirs.get("replayed") is not True and theirs["visit"]["ticket"] == "A002"
    assert "张三" not in str(theirs)
    # the same sender reusing the key for another request: 409, nothing registered
    import pytest

    from client.http import CallerError

    with pytest.raises(CallerError) as refused:
        kiosk.register("NK", name="王五", idempotency_key="shared-key-0001")
    assert refused.value.status == 409 and refused.value.code == "idempotency_conflict"
    assert "请" in refused.value.message_zh
    assert kiosk.register("NK", name="张三", idempotency_key="shared-key-0001")["visit"]["ticket"] == first["visit"]["ticket"]
    assert len(live.service.engine.visits()) == 2
