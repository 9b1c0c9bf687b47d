"""Payment flows the kiosk relies on, run in-process and over HTTP against the simulator."""
from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest

from hardware.payment import (
    HttpProvider,
    IdempotencyConflict,
    InvalidRequest,
    InvalidTransition,
    OrderNotFound,
    OrderState,
    Outcome,
    SimulatedProvider,
    patient_message,
    wait_for_result,
)

Gateway = SimulatedProvider | HttpProvider
TODAY = dt.date.today()
WECHAT_CODE = "134567890123456789"


def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    """Wait for a condition the gateway will reach on its own (a scripted late payment)."""
    deadline = time.monotonic() + timeout_s
    done = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        done.wait(0.02)
    return True


def test_approved_payment(gateway: Gateway) -> None:
    gateway.script_next(Outcome.approve(after_s=0.05))
    order = gateway.create_order(2500, "挂号费 内科", "card", "visit-1:pay")
    assert order.state is OrderState.PENDING and order.amount_fen == 2500
    assert wait_for_result(gateway, order.order_id, timeout_s=5, poll_s=0.02) == "paid"
    paid = gateway.query(order.order_id)
    assert paid.paid_at is not None and paid.net_fen == 2500
    assert patient_message("paid").zh.startswith("支付成功")


def test_declined_payment_says_why_and_what_next(gateway: Gateway) -> None:
    gateway.script_next(Outcome.decline("余额不足"))
    order = gateway.create_order(8800, "检查费", "card", "bill-7:pay")
    assert wait_for_result(gateway, order.order_id, timeout_s=5, poll_s=0.02) == "declined"
    declined = gateway.query(order.order_id)
    assert declined.decline_reason == "余额不足" and declined.net_fen == 0
    message = patient_message("declined", declined)
    assert "余额不足" in message.zh and "未扣款" in message.zh and "人工窗口" in message.zh


def test_timeout_then_cancel_charges_nothing(gateway: Gateway) -> None:
    gateway.script_next(Outcome.no_answer())
    order = gateway.create_order(1000, "挂号费", "qr", "visit-2:pay")
    assert wait_for_result(gateway, order.order_id, timeout_s=0.15, poll_s=0.03) == "timeout"
    cancelled = gateway.cancel(order.order_id)
    assert cancelled.state is OrderState.CANCELLED and cancelled.net_fen == 0
    assert gateway.cancel(order.order_id).state is OrderState.CANCELLED  # cancelling twice is harmless
    assert patient_message("timeout").zh.startswith("支付超时，未扣款，请重新支付或到人工窗口办理")
    (row,) = [o for o in gateway.reconciliation(TODAY) if o.order_id == order.order_id]
    assert row.state is OrderState.CANCELLED and row.paid_at is None


def test_patient_pays_after_the_kiosk_cancelled_is_refunded_and_reconciled(gateway: Gateway) -> None:
    gateway.script_next(Outcome.no_answer())
    order = gateway.create_order(3300, "缴费 处方", "qr", "rx-9:pay")
    assert wait_for_result(gateway, order.order_id, timeout_s=0.1, poll_s=0.03) == "timeout"
    gateway.cancel(order.order_id)

    late = gateway.patient_pays(order.order_id)  # the phone finally got through

    assert late.state is OrderState.REFUNDED
    assert late.auto_refunded and late.refunded_fen == 3300 and late.net_fen == 0
    (row,) = [o for o in gateway.reconciliation(TODAY) if o.order_id == order.order_id]
    assert row.state is OrderState.REFUNDED and row.auto_refunded
    assert [h.state for h in row.history] == [OrderState.PENDING, OrderState.CANCELLED, OrderState.REFUNDED]


def test_scripted_late_success_after_cancel_ends_refunded(gateway: Gateway) -> None:
    gateway.script_next(Outcome.approve(after_s=0.3))
    order = gateway.create_order(1200, "挂号费", "card", "visit-3:pay")
    assert wait_for_result(gateway, order.order_id, timeout_s=0.05, poll_s=0.02) == "timeout"
    assert gateway.cancel(order.order_id).state is OrderState.CANCELLED
    assert until(lambda: gateway.query(order.order_id).state is OrderState.REFUNDED)
    (row,) = [o for o in gateway.reconciliation(TODAY.isoformat()) if o.order_id == order.order_id]
    assert row.auto_refunded and row.net_fen == 0


def test_cancel_that_loses_the_race_refunds(gateway: Gateway) -> None:
    order = gateway.create_order(500, "挂号费", "card", "visit-4:pay")  # default: approved at once
    assert gateway.query(order.order_id).state is OrderState.PAID
    after = gateway.cancel(order.order_id)
    assert after.state is OrderState.REFUNDED and after.auto_refunded and after.net_fen == 0


def test_same_key_gives_the_same_order_and_never_a_second_charge(gateway: Gateway) -> None:
    first = gateway.create_order(2000, "挂号费", "card", "visit-5:pay")
    again = gateway.create_order(2000, "挂号费", "card", "visit-5:pay")
    assert again.order_id == first.order_id
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: gateway.create_order(700, "药费", "card", "rx-5:pay").order_id, range(16)))
    assert len(ids) == 1
    today = [o for o in gateway.reconciliation(TODAY) if o.idempotency_key in ("visit-5:pay", "rx-5:pay")]
    assert len(today) == 2 and sum(o.net_fen for o in today) == 2700


def test_same_key_with_another_amount_is_a_clear_error(gateway: Gateway) -> None:
    gateway.create_order(2000, "挂号费", "card", "visit-6:pay")
    with pytest.raises(IdempotencyConflict) as err:
        gateway.create_order(2100, "挂号费", "card", "visit-6:pay")
    assert "visit-6:pay" in err.value.message_en and "2100" in err.value.message_en
    assert "未扣款" in err.value.message_zh
    assert len([o for o in gateway.reconciliation(TODAY) if o.idempotency_key == "visit-6:pay"]) == 1


def test_refund_full_and_partial(gateway: Gateway) -> None:
    order = gateway.create_order(5000, "检查费", "card", "bill-8:pay")
    partly = gateway.refund(order.order_id, 1500, reason="少做一项检查")
    assert partly.state is OrderState.PAID and partly.refunded_fen == 1500 and partly.net_fen == 3500
    with pytest.raises(InvalidRequest):
        gateway.refund(order.order_id, 4000)
    rest = gateway.refund(order.order_id, reason="患者取消")
    assert rest.state is OrderState.REFUNDED and rest.refunded_fen == 5000 and not rest.auto_refunded
    with pytest.raises(InvalidTransition) as err:
        gateway.refund(order.order_id)
    assert "无法退款" in err.value.message_zh


def test_refund_of_unpaid_order_is_refused(gateway: Gateway) -> None:
    gateway.script_next(Outcome.no_answer())
    order = gateway.create_order(900, "挂号费", "qr", "visit-9:pay")
    with pytest.raises(InvalidTransition):
        gateway.refund(order.order_id)


def test_payment_code_scanned_at_the_kiosk(gateway: Gateway) -> None:
    gateway.script_next(Outcome.approve(after_s=0.05))
    order = gateway.create_order(1800, "药费", "code", "rx-10:pay")
    assert order.code_url == ""
    # nothing happens until the code is presented
    assert wait_for_result(gateway, order.order_id, timeout_s=0.1, poll_s=0.02) == "timeout"
    gateway.pay_with_code(order.order_id, WECHAT_CODE)
    assert wait_for_result(gateway, order.order_id, timeout_s=5, poll_s=0.02) == "paid"
    note = gateway.query(order.order_id).history[1].note
    assert WECHAT_CODE not in note and note.endswith("1345****6789")  # the code is not kept in full


def test_bad_payment_code_asks_to_refresh(gateway: Gateway) -> None:
    order = gateway.create_order(1800, "药费", "code", "rx-11:pay")
    with pytest.raises(InvalidRequest) as err:
        gateway.pay_with_code(order.order_id, "12345")
    assert "付款码无效" in err.value.message_zh
    qr_order = gateway.create_order(1800, "药费", "qr", "rx-12:pay")
    with pytest.raises(InvalidTransition):
        gateway.pay_with_code(qr_order.order_id, WECHAT_CODE)


def test_declined_payment_code(gateway: Gateway) -> None:
    gateway.script_next(Outcome.decline("付款码已过期"))
    order = gateway.create_order(1800, "药费", "code", "rx-13:pay")
    gateway.pay_with_code(order.order_id, "284567890123456789")
    assert wait_for_result(gateway, order.order_id, timeout_s=5, poll_s=0.02) == "declined"
    assert "付款码已过期" in patient_message("declined", gateway.query(order.order_id)).zh


def test_unknown_order_and_bad_requests(gateway: Gateway) -> None:
    with pytest.raises(OrderNotFound):
        gateway.query("SIM-nope")
    with pytest.raises(InvalidRequest):
        gateway.create_order(0, "挂号费", "card", "k0")
    with pytest.raises(InvalidRequest):
        gateway.create_order(100, "挂号费", "cash", "k1")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest):
        gateway.reconciliation("23/11/2026")


def test_qr_order_scanned_by_the_patient(gateway: Gateway) -> None:
    gateway.script_next(Outcome.no_answer())
    order = gateway.create_order(1000, "挂号费", "qr", "visit-14:pay")
    assert order.order_id in order.code_url
    waited: list[str] = []
    waiter = threading.Thread(target=lambda: waited.append(wait_for_result(gateway, order.order_id, 5, 0.02)))
    waiter.start()
    gateway.patient_pays(order.order_id)
    waiter.join(6)
    assert waited == ["paid"]
