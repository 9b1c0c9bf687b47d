"""The sender's rules, step by step on a movable clock: rate limit per phone, quiet hours, expiry, order."""
from __future__ import annotations

from datetime import datetime, timedelta

from caller.notify.adapters import SmsGateway
from caller.notify.model import Message
from caller.notify.outbox import Outbox
from caller.notify.sender import Sender
from caller.notify.simulator import GatewaySimulator
from caller.notify.texts import render
from caller.store import Store
from caller.testing import ManualClock
from tests.phone.conftest import SECRET, notify_settings


def make(n: int, event: str, to: str, at: datetime, expires: timedelta | None = None) -> Message:
    params = {"hospital": "仁和市第一人民医院", "ticket": f"A{n:03d}", "title": "血常规"}
    return Message(key=f"m{n}", event=event, channel="sms", recipient=to, template=event, params=params,
                   text=render(event, params), visit_id=None, due_at=at, expires_at=at + expires if expires else None)


def rig(tmp_path, clock, **settings):
    gateway = GatewaySimulator(SECRET).start()
    config = notify_settings(gateway.url, **settings)
    outbox = Outbox(Store(tmp_path / "h.db"))
    sender = Sender(outbox, {"sms": SmsGateway(config.sms, "仁和市第一人民医院")}, config, clock)
    return gateway, outbox, sender


def test_a_phone_gets_at_most_rate_limit_messages_per_window_the_rest_later_in_order(tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 10, 0))
    gateway, outbox, sender = rig(tmp_path, clock, rate_limit=2, rate_window_minutes=10)
    with outbox.store.transaction() as conn:
        outbox.enqueue(conn, [make(i, "ahead", "13800000001", clock()) for i in range(1, 5)]
                       + [make(9, "ahead", "13800000002", clock())], clock())
    while sender.run_once():
        pass
    assert [(d.to, d.key) for d in gateway.delivered] == [("13800000001", "m1"), ("13800000002", "m9"),
                                                          ("13800000001", "m2")]
    clock.advance(minutes=5)
    while sender.run_once():
        pass
    assert [d.key for d in gateway.delivered][3:] == []  # still two in the last 10 minutes
    clock.advance(minutes=6)
    while sender.run_once():
        pass
    assert [d.key for d in gateway.delivered][3:] == ["m3", "m4"]
    gateway.stop()


def test_reminders_wait_for_the_end_of_quiet_hours_queue_events_do_not(tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 22, 30))
    gateway, outbox, sender = rig(tmp_path, clock, quiet_hours="21:00-07:30")
    with outbox.store.transaction() as conn:
        outbox.enqueue(conn, [make(1, "report_ready", "13800000001", clock()),
                              make(2, "called", "13800000002", clock())], clock())
    while sender.run_once():
        pass
    assert [d.key for d in gateway.delivered] == ["m2"]  # a night emergency call is sent at once
    clock.set(datetime(2026, 11, 24, 7, 29))
    sender.run_once()
    assert len(gateway.delivered) == 1
    clock.set(datetime(2026, 11, 24, 7, 30))
    sender.run_once()
    assert [d.key for d in gateway.delivered] == ["m2", "m1"]
    assert gateway.delivered[1].text == "【仁和市第一人民医院】您好，您的血常规报告已出，可到门诊自助机打印。祝您健康！"
    gateway.stop()


def test_an_expired_message_is_dropped_not_sent_late(tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 10, 0))
    gateway, outbox, sender = rig(tmp_path, clock)
    with outbox.store.transaction() as conn:
        outbox.enqueue(conn, [make(1, "called", "13800000001", clock(), expires=timedelta(minutes=10))], clock())
    clock.advance(minutes=11)
    sender.run_once()
    assert gateway.delivered == []
    assert [(m["key"], m["state"], m["last_error"]) for m in outbox.messages()] == [("m1", "dropped", "expired")]
    gateway.stop()


def test_a_message_interrupted_mid_send_is_resent_only_to_an_idempotent_gateway(tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 10, 0))
    gateway, outbox, sender = rig(tmp_path, clock)
    with outbox.store.transaction() as conn:
        outbox.enqueue(conn, [make(1, "called", "13800000001", clock()), make(2, "called", "13800000002", clock())],
                       clock())
    first, second = outbox.due(clock())
    outbox.set_state(first, "sending", clock(), attempt=True)   # as if the service died while sending these
    outbox.set_state(second, "sending", clock(), attempt=True)
    assert outbox.recover({"sms": True}, clock()) == {"resend": 2, "unknown": 0}
    assert outbox.counts() == {"pending": 2}
    outbox.set_state(first, "sending", clock())
    assert outbox.recover({"sms": False}, clock()) == {"resend": 0, "unknown": 1}  # WeChat-like: never twice
    gateway.stop()


def test_wechat_subscribe_message_in_the_official_shape_with_a_fresh_token(tmp_path):
    from caller.notify.adapters import WeChatGateway
    from caller.notify.model import Outgoing
    from common.notify_settings import WeChatSettings

    with GatewaySimulator() as gateway:
        settings = WeChatSettings(api=gateway.url, app_id="wx0123456789abcdef", app_secret="s",
                                  templates={"called": "TPL-CALLED"}, page="pages/queue/index",
                                  fields={"called": {"character_string1": "ticket", "thing2": "room", "thing3": "text"}})
        wechat = WeChatGateway(settings)
        params = {"hospital": "仁和市第一人民医院", "ticket": "A005", "room": "内科3诊室", "location": "2 层东侧 203"}
        message = Outgoing(id=1, key="k", event="called", channel="wechat", recipient="o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
                           template="called", params=params, text=render("called", params), visit_id=None,
                           due_at="", expires_at=None, state="pending")
        wechat._token = "expired-token"  # WeChat answers 40001: the adapter fetches a new token and sends once
        wechat._token_until = float("inf")
        assert wechat.send(message) == "1"
        body = gateway.delivered[0].body
        assert body["touser"] == "o6_bmjrPTlm6_2sgVt7hMZOPfL2M" and body["template_id"] == "TPL-CALLED"
        assert body["page"] == "pages/queue/index" and body["miniprogram_state"] == "formal"
        assert body["data"]["character_string1"] == {"value": "A005"}
        assert body["data"]["thing2"] == {"value": "内科3诊室"}
        assert len(body["data"]["thing3"]["value"]) == 20  # WeChat's limit for a thing field
        assert not wechat.idempotent
        wechat.close()
