"""Patients who opted in get plain Chinese texts through the gateway: close to their turn, called, missed; once each."""
from __future__ import annotations

import time

import pytest

from caller.testing import DEMO_TOKENS
from client.http import CallerError
from tests.phone.conftest import waiting

PHONE = "13812345678"


def wait_until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def test_patient_is_told_when_three_are_ahead_and_when_called_once_each(live, kiosk, nurse, gateway):
    visits = waiting(kiosk, 5, name="王小明")
    mine = visits[4]
    answer = nurse.notify(mine["visit_id"], "sms", PHONE)
    assert answer["to"] == "138********" and "已为您开通通知" in answer["message_zh"]
    assert gateway.stats()["delivered"] == 0  # four ahead: nothing yet

    nurse.call_next("NK3")
    assert gateway.wait_for(1)
    ahead = gateway.delivered[0]
    assert ahead.to == PHONE and ahead.template == "ahead"
    assert ahead.text == f"【仁和市第一人民医院】您好，您的内科排队号 {mine['ticket']} 前面还有 3 位，请回到内科诊区候诊，留意叫号。"
    for _ in range(4):
        nurse.call_next("NK3")
    assert gateway.wait_for(2)
    called = gateway.delivered[1]
    assert called.text == f"【仁和市第一人民医院】您好，请 {mine['ticket']} 号到 内科3诊室 就诊（2 层东侧 203）。谢谢！"
    nurse.call_again(mine["visit_id"])
    assert gateway.wait_for(3)
    nurse.missed(mine["visit_id"])
    assert gateway.wait_for(4)
    assert [d.template for d in gateway.delivered] == ["ahead", "called", "called", "missed"]
    assert all("王" not in d.text and "小明" not in d.text for d in gateway.delivered)  # no name in any text
    assert gateway.stats()["duplicates"] == 0

    # the console's visit audit shows who opted in and each message's delivery (reports come back signed)
    wait_until(lambda: [m["state"] for m in nurse.notifications(mine["visit_id"])["messages"]].count("delivered") == 4)
    view = nurse.notifications(mine["visit_id"])
    assert view["optins"] == [{"channel": "sms", "to": "138********"}]
    audit = [a["action"] for a in nurse.audit(visit=mine["visit_id"])]
    assert "notify_optin" in audit and audit.count("notify_sent") == 4 and audit.count("notify_delivered") == 4
    assert PHONE not in str(nurse.audit(visit=mine["visit_id"]))


def test_gateway_down_for_a_while_delivers_everything_after_in_order_and_never_twice(live, kiosk, nurse, gateway):
    visits = waiting(kiosk, 8)
    phones = [f"139000000{i:02d}" for i in range(8)]
    gateway.fail_for(1.5)
    for visit, phone in zip(visits, phones):
        nurse.notify(visit["visit_id"], "sms", phone)
    for _ in range(6):
        nurse.call_next("NK3")
    assert gateway.stats()["delivered"] == 0
    assert gateway.wait_for(1, timeout=10)  # the gateway is back
    wait_until(lambda: not [m for v in visits for m in nurse.notifications(v["visit_id"])["messages"]
                            if m["state"] in ("pending", "sending")])
    sent = [m for v in visits for m in nurse.notifications(v["visit_id"])["messages"] if m["state"] in ("sent", "delivered")]
    keys = [d.key for d in gateway.delivered]
    assert len(keys) == len(set(keys)) == len(sent)  # none twice, none lost
    assert gateway.stats()["received"] > len(keys)   # the failed attempts were made and retried
    for phone in phones:  # each phone's messages arrived in the order they were written
        mine = [d for d in gateway.delivered if d.to == phone]
        assert [d.template for d in mine] == sorted((d.template for d in mine), key=["ahead", "called"].index)


def test_three_ahead_is_dropped_not_sent_late_once_the_patient_was_called(live, kiosk, nurse, gateway):
    visits = waiting(kiosk, 4)
    mine = visits[3]
    gateway.fail_for(1.0)
    nurse.notify(mine["visit_id"], "sms", PHONE)  # three ahead: the message waits for the gateway
    nurse.call_next("NK3")
    for _ in range(3):
        nurse.call_next("NK3")
    assert nurse.visit_status(mine["visit_id"])["state"] == "called"
    assert gateway.wait_for(1, timeout=10)
    wait_until(lambda: all(m["state"] not in ("pending", "sending")
                           for m in nurse.notifications(mine["visit_id"])["messages"]))
    states = {m["event"]: m["state"] for m in nurse.notifications(mine["visit_id"])["messages"]}
    assert states["ahead"] == "dropped" and states["called"] in ("sent", "delivered")
    assert [d.template for d in gateway.delivered] == ["called"]


def test_opt_in_refuses_a_wrong_number_in_chinese_and_english(live, kiosk, nurse):
    visit = waiting(kiosk, 1)[0]
    with pytest.raises(CallerError) as err:  # a kiosk acts only for the patient identified at it
        kiosk.notify(visit["visit_id"], "sms", PHONE)
    assert err.value.status == 403 and err.value.code == "patient_session_required"
    with pytest.raises(CallerError) as err:
        nurse.notify(visit["visit_id"], "sms", "1381234")
    assert err.value.status == 422 and "11 位" in err.value.message_zh and "11 digits" in err.value.message_en
    with pytest.raises(CallerError) as err:
        nurse.notify(visit["visit_id"], "wechat", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
    assert err.value.status == 409 and "暂未开通" in err.value.message_zh
    assert nurse.notifications(visit["visit_id"])["optins"] == []
    nurse.notify(visit["visit_id"], "sms", PHONE)
    nurse.stop_notify(visit["visit_id"], "sms")
    assert nurse.notifications(visit["visit_id"])["optins"] == []


def test_delivery_reports_need_the_gateway_signature(live, kiosk):
    import httpx

    answer = httpx.post(f"{live}/api/v1/notify/sms/status", json={"client_ref": "x", "status": "delivered"})
    assert answer.status_code == 403
    answer = httpx.post(f"{live}/api/v1/notify/sms/status", json={"status": "delivered"},
                        headers={"Authorization": f"Bearer {DEMO_TOKENS['admin']}"})
    assert answer.status_code == 403
