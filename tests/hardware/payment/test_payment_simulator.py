"""The simulated gateway under a controlled clock, its HTTP server as a process, QR codes, and outages."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from hardware.payment import (
    TIMEOUT,
    GatewayUnavailable,
    HttpProvider,
    InvalidRequest,
    OrderState,
    Outcome,
    PaymentError,
    SimulatedProvider,
    patient_message,
    qr_png,
    wait_for_result,
    yuan,
)

REPO = Path(__file__).resolve().parents[3]
NOON = dt.datetime(2026, 11, 23, 12, 0).timestamp()


class Clock:
    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_unpaid_order_expires_and_a_payment_after_that_is_refunded() -> None:
    clock = Clock()
    gateway = SimulatedProvider(Outcome.no_answer(), clock=clock, expires_after_s=120)
    order = gateway.create_order(1500, "挂号费", "qr", "k1")
    clock.now += 119
    assert gateway.query(order.order_id).state is OrderState.PENDING
    clock.now += 1
    assert gateway.query(order.order_id).state is OrderState.EXPIRED
    assert "过期" in patient_message("expired").zh
    late = gateway.patient_pays(order.order_id)
    assert late.state is OrderState.REFUNDED and late.auto_refunded and late.net_fen == 0


def test_payment_scheduled_before_expiry_wins_even_if_nobody_looked_in_time() -> None:
    clock = Clock()
    gateway = SimulatedProvider(Outcome.approve(after_s=60), clock=clock, expires_after_s=120)
    order = gateway.create_order(1500, "挂号费", "card", "k1")
    clock.now += 1000  # first look long after both moments
    seen = gateway.query(order.order_id)
    assert seen.state is OrderState.PAID and seen.paid_at == NOON + 60


def test_reconciliation_is_per_day_with_final_states() -> None:
    clock = Clock(dt.datetime(2026, 11, 22, 23, 59).timestamp())
    gateway = SimulatedProvider(Outcome.approve(after_s=120), clock=clock)
    yesterday = gateway.create_order(100, "挂号费", "card", "a")
    clock.now = NOON
    today = gateway.create_order(200, "挂号费", "card", "b")
    gateway.cancel(today.order_id)
    assert [o.order_id for o in gateway.reconciliation("2026-11-22")] == [yesterday.order_id]
    (row,) = gateway.reconciliation(dt.date(2026, 11, 23))
    assert row.order_id == today.order_id and row.state is OrderState.CANCELLED
    clock.now += 120  # the scripted payment lands after the cancel
    (row,) = gateway.reconciliation(dt.date(2026, 11, 23))
    assert row.state is OrderState.REFUNDED and row.auto_refunded


def test_script_order_changes_a_pending_order() -> None:
    clock = Clock()
    gateway = SimulatedProvider(Outcome.no_answer(), clock=clock)
    order = gateway.create_order(100, "挂号费", "card", "a")
    gateway.script_order(order.order_id, Outcome.decline("银行卡已冻结", after_s=5))
    clock.now += 5
    declined = gateway.query(order.order_id)
    assert declined.state is OrderState.DECLINED and declined.decline_reason == "银行卡已冻结"


operations = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(1, 200)),
        st.tuples(st.just("cancel"), st.integers(0, 3)),
        st.tuples(st.just("patient_pays"), st.integers(0, 3)),
        st.tuples(st.just("refund"), st.integers(0, 3), st.integers(1, 3000)),
        st.tuples(st.just("create"), st.integers(0, 3)),
    ),
    max_size=25,
)
outcomes = st.one_of(
    st.builds(Outcome.approve, st.integers(0, 300)),
    st.builds(Outcome.decline, st.just("余额不足"), st.integers(0, 300)),
    st.just(Outcome.no_answer()),
)


@settings(max_examples=300, deadline=None)
@given(ops=operations, scripts=st.lists(outcomes, min_size=4, max_size=4))
def test_money_is_never_lost_or_taken_twice(ops: list[tuple], scripts: list[Outcome]) -> None:
    clock = Clock()
    gateway = SimulatedProvider(Outcome.no_answer(), clock=clock, expires_after_s=250)
    for outcome in scripts:
        gateway.script_next(outcome)
    amounts = [1000, 2000, 3000, 500]
    ids = [gateway.create_order(amounts[i], "缴费", "card", f"k{i}").order_id for i in range(4)]
    for op in ops:
        try:
            if op[0] == "advance":
                clock.now += op[1]
            elif op[0] == "cancel":
                gateway.cancel(ids[op[1]])
            elif op[0] == "patient_pays":
                gateway.patient_pays(ids[op[1]])
            elif op[0] == "refund":
                gateway.refund(ids[op[1]], op[2])
            else:  # a retried create returns the same order
                assert gateway.create_order(amounts[op[1]], "缴费", "card", f"k{op[1]}").order_id == ids[op[1]]
        except PaymentError:
            pass  # refusing an operation is fine; the invariants below must hold regardless
    rows = gateway.reconciliation("2026-11-23")
    assert sorted(o.order_id for o in rows) == sorted(ids)
    for order in rows:
        assert 0 <= order.refunded_fen <= order.amount_fen
        if order.state is OrderState.PAID:
            assert order.paid_at is not None and order.net_fen > 0
        elif order.state is OrderState.REFUNDED:
            assert order.paid_at is not None and order.net_fen == 0
        else:  # pending, declined, cancelled, expired: nothing taken
            assert order.paid_at is None and order.net_fen == 0 and not order.refunds


def test_qr_png_decodes_to_the_code_url_and_loads_in_qt() -> None:
    order = SimulatedProvider(Outcome.no_answer()).create_order(1000, "挂号费", "qr", "k")
    png = qr_png(order, size=300)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (300, 300)
    (found,) = zxingcpp.read_barcodes(image)
    assert found.text == order.code_url

    from PySide6.QtGui import QImage

    qimage = QImage.fromData(png, "PNG")
    assert not qimage.isNull() and qimage.width() == 300


def test_qr_png_refuses_orders_without_a_code_url_and_tiny_sizes() -> None:
    gateway = SimulatedProvider(Outcome.no_answer())
    with pytest.raises(InvalidRequest):
        qr_png(gateway.create_order(1000, "挂号费", "card", "k"))
    with pytest.raises(ValueError, match="too small"):
        qr_png(gateway.create_order(1000, "挂号费", "qr", "k2"), size=20)


def test_unreachable_gateway_is_reported_and_the_wait_times_out() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with HttpProvider(f"http://127.0.0.1:{port}", timeout_s=1) as gateway:
        with pytest.raises(GatewayUnavailable) as err:
            gateway.create_order(100, "挂号费", "card", "k")
        assert "无法连接" in err.value.message_zh
        assert wait_for_result(gateway, "SIM1", timeout_s=0.1, poll_s=0.02) == TIMEOUT


def test_simulator_runs_as_its_own_process() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardware.payment.simulator", "--port", "0", "--approve-after", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("payment simulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        with HttpProvider(url) as gateway:
            order = gateway.create_order(1990, "挂号费", "qr", "proc-1")
            assert order.code_url == f"{url}/sim/pay/{order.order_id}"
            assert wait_for_result(gateway, order.order_id, timeout_s=5, poll_s=0.02) == "paid"
    finally:
        proc.terminate()
        proc.wait(5)


def test_pay_page_for_phones_pays_the_order() -> None:
    import httpx

    from hardware.payment.simulator import SimulatorServer

    with SimulatorServer(SimulatedProvider(Outcome.no_answer())) as server, HttpProvider(server.url) as gateway:
        order = gateway.create_order(1250, "挂号费", "qr", "page-1")
        page = httpx.get(order.code_url)
        assert page.status_code == 200 and "12.50元" in page.text and "确认支付" in page.text
        assert httpx.post(order.code_url).status_code == 200
        assert gateway.query(order.order_id).state is OrderState.PAID


def test_every_outcome_has_a_polite_chinese_message() -> None:
    for result in ["paid", "pending", "expired", "cancelled", "refunded", "declined", TIMEOUT]:
        message = patient_message(result)
        assert message.en and "请" in message.zh
    with pytest.raises(ValueError):
        patient_message("lost")


def test_amounts_in_fen_read_as_yuan() -> None:
    assert [yuan(1250), yuan(5), yuan(100000), yuan(-300)] == ["12.50元", "0.05元", "1000.00元", "-3.00元"]


@pytest.mark.parametrize("field,value", [("subject", None), ("subject", 12), ("idempotency_key", None),
                                         ("amount_fen", "12.50")])
def test_http_api_answers_a_malformed_order_with_400_and_keeps_serving(field, value) -> None:
    import httpx

    from hardware.payment.simulator import SimulatorServer

    body = {"amount_fen": 1250, "subject": "挂号费", "method": "qr", "idempotency_key": "bad-1", field: value}
    with SimulatorServer(SimulatedProvider(Outcome.no_answer())) as server:
        answer = httpx.post(f"{server.url}/orders", json=body)
        assert answer.status_code == 400
        assert answer.json()["error"] == InvalidRequest.code and answer.json()["message_zh"]
        good = httpx.post(f"{server.url}/orders", json={**body, field: {"subject": "挂号费", "idempotency_key": "ok-1",
                                                                         "amount_fen": 1250}[field]})
        assert good.status_code == 200 and good.json()["state"] == "pending"
