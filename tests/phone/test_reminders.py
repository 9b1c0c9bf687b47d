"""Appointment reminders, end to end: a patient books tomorrow at the kiosk and asks to be reminded; the service
plans the day-before and the 15-minutes-before texts and sends them, once, through the gateway simulators, across
a restart, and not at all for an appointment that is cancelled. The hospital clock is moved by hand."""
from __future__ import annotations

import sqlite3
import time
from datetime import datetime

import pytest

from caller.testing import DEMO_TOKENS, ManualClock, run_service
from client.http import CallerClient, CallerError
from common.notify_settings import WeChatSettings
from records.ids import make_id_number
from tests.phone.conftest import notify_settings

PHONE = "13812345678"
OPENID = "oWx1234567890abcdefgh"
HOSPITAL = "仁和市第一人民医院"
_serial = iter(range(200, 999))


def config_for(hospital, gateway, **notify):
    schedule = hospital.schedule.model_copy(update={"pay_at_visit": True})  # booked = final: no payment step here
    return hospital.model_copy(update={"notify": notify_settings(gateway.url, **notify), "schedule": schedule})


class Kiosk:
    """The kiosk's calls: a patient session opened by making the record, kept for every later call."""

    def __init__(self, url: str):
        self.client = CallerClient(url, DEMO_TOKENS["kiosk"])

    def call(self, method: str, path: str, body: dict | None = None, **params):
        answer = self.client.request(method, path, json_body=body, params=params or None)
        if isinstance(answer, dict) and answer.get("session_token"):
            self.client.headers["X-Patient-Session"] = answer["session_token"]
        return answer

    def new_patient(self, name: str = "李秀英") -> int:
        number = make_id_number(f"11010119500101{next(_serial):03d}")
        return self.call("POST", "/records/patients", {"source": "typed", "id_number": number, "name": name,
                                                        "phone": PHONE})["patient"]["patient_id"]

    def book(self, patient: int, day: str, start: str = "09:00") -> dict:
        sessions = self.call("GET", "/records/slots", department="NK", date=day)["sessions"]
        slot = next(x for s in sessions for x in s["slots"] if x["start"] == start and x["remaining"] > 0)
        return self.call("POST", "/records/registrations", {"patient_id": patient, "slot_id": slot["slot_id"]})

    def close(self) -> None:
        self.client.close()


def outbox(db) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT key, state FROM notify_outbox WHERE event LIKE 'reminder%' ORDER BY id").fetchall()


def outbox_all(db):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT key, state, recipient, last_error FROM notify_outbox ORDER BY id").fetchall()


def planned(db, n: int) -> list[tuple[str, str]]:
    """Wait until the scheduler has written n reminders to the outbox."""
    return until(db, lambda rows: len(rows) >= n)


def settled(db) -> list[tuple[str, str]]:
    """Wait until no reminder is on its way to the gateway."""
    return until(db, lambda rows: "sending" not in [s for _, s in rows])


def until(db, check, timeout: float = 10.0) -> list[tuple[str, str]]:
    """Wait until the reminders in the outbox pass ``check`` (the sender works in its own thread)."""
    deadline = time.monotonic() + timeout
    while not check(rows := outbox(db)):
        assert time.monotonic() < deadline, rows
        time.sleep(0.02)
    return rows


def at(service, clock: ManualClock, when: datetime) -> None:
    clock.set(when)
    service.notify.sender.wake()


def test_a_patient_who_opted_in_is_reminded_the_day_before_and_15_minutes_before(hospital, gateway, tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 10, 0))
    db = tmp_path / "h.db"
    with run_service(config_for(hospital, gateway), db, clock=clock) as live:
        kiosk = Kiosk(live)
        patient = kiosk.new_patient()
        booking = kiosk.book(patient, "2026-11-24", "09:00")
        assert booking["state"] == "final"
        view = kiosk.call("GET", f"/records/patients/{patient}/reminders")
        assert view["phone_masked"] == "138********" and view["reminders"] == []
        answer = kiosk.call("POST", f"/records/patients/{patient}/reminders", {"channel": "sms"})
        assert answer["reminders"] == [{"channel": "sms", "to": "138********", "since": "2026-11-23T10:00:00"}]
        assert PHONE not in str(answer)  # the kiosk never sees the full number on record

        assert [state for _, state in planned(db, 2)] == ["pending", "pending"]
        assert gateway.delivered == []  # planned for later, nothing sent at 10:00

        at(live.service, clock, datetime(2026, 11, 23, 18, 0))
        assert gateway.wait_for(1)
        day = gateway.delivered[0]
        assert day.to == PHONE
        assert day.text == (f"【{HOSPITAL}】您好，您预约了 11月24日 09:00 的内科 王志强医生，请提前 15 分钟到门诊楼 2 层东侧 "
                            "内科诊区自助机签到。如不能前来，请提前取消。")
        assert "李秀英" not in day.text and "李*英" not in day.text

        at(live.service, clock, datetime(2026, 11, 24, 8, 45))
        assert gateway.wait_for(2)
        soon = gateway.delivered[1]
        assert soon.text == (f"【{HOSPITAL}】您好，您预约的内科 王志强医生将于 09:00 开始，请到门诊楼 2 层东侧 内科诊区"
                             "自助机签到，谢谢。")
        assert [d.key for d in gateway.delivered] == [k for k, _ in outbox(db)]
        checked = kiosk.call("POST", f"/records/registrations/{booking['registration_id']}/check-in", {})
        optins = kiosk.call("GET", f"/visits/{checked['visit_id']}/notify")["optins"]
        assert optins == [{"channel": "sms", "to": "138********"}]  # and now the queue's texts ("快到您时")
        kiosk.close()


def test_reminders_survive_a_restart_and_are_sent_once_also_when_the_service_was_down_at_their_time(
        hospital, gateway, tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 10, 0))
    db = tmp_path / "h.db"
    config = config_for(hospital, gateway)
    with run_service(config, db, clock=clock) as live:
        kiosk = Kiosk(live)
        patient = kiosk.new_patient()
        kiosk.book(patient, "2026-11-24", "10:00")
        kiosk.call("POST", f"/records/patients/{patient}/reminders", {"channel": "sms"})
        planned(db, 2)
        kiosk.close()
    clock.set(datetime(2026, 11, 23, 19, 30))  # the service was down at 18:00
    with run_service(config, db, clock=clock) as live:
        assert gateway.wait_for(1)  # the day-before text goes when the service is back (before midnight)
        assert len(settled(db)) == 2  # the look after the restart planned nothing twice
    with run_service(config, db, clock=clock) as live:  # once more: nothing new is sent
        at(live.service, clock, datetime(2026, 11, 24, 9, 45))
        assert gateway.wait_for(2)
        rows = settled(db)
    assert len(rows) == 2 and all(state in ("sent", "delivered") for _, state in rows)
    keys = [d.key for d in gateway.delivered]
    assert len(keys) == len(set(keys)) == 2 and gateway.duplicates == 0


def test_no_reminder_for_a_cancelled_appointment_nor_after_opting_out_nor_for_one_booked_after_its_time(
        hospital, gateway, tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 10, 0))
    db = tmp_path / "h.db"
    with run_service(config_for(hospital, gateway), db, clock=clock) as live:
        kiosk = Kiosk(live)
        patient = kiosk.new_patient()
        cancelled = kiosk.book(patient, "2026-11-24", "09:00")
        kiosk.call("POST", f"/records/patients/{patient}/reminders", {"channel": "sms"})
        planned(db, 2)
        kiosk.call("POST", f"/records/registrations/{cancelled['registration_id']}/cancel", {})
        at(live.service, clock, datetime(2026, 11, 23, 18, 0))
        until(db, lambda rows: [s for _, s in rows] == ["dropped", "pending"])
        assert gateway.delivered == []

        at(live.service, clock, datetime(2026, 11, 23, 20, 0))  # booked after 18:00: only the 15-minute reminder
        kiosk.book(patient, "2026-11-24", "10:30")
        live.service.notify.reminders.changed()
        rows = planned(db, 3)
        assert rows[2][0].startswith("reminder:") and ":reminder_soon:2026-11-24T1030:sms" in rows[2][0]

        kiosk.call("DELETE", f"/records/patients/{patient}/reminders/sms")
        assert kiosk.call("GET", f"/records/patients/{patient}/reminders")["reminders"] == []
        at(live.service, clock, datetime(2026, 11, 24, 10, 15))
        until(db, lambda rows: rows[2][1] == "dropped")
        assert gateway.delivered == []
        kiosk.close()


def test_reminders_reach_wechat_and_a_wrong_number_is_refused_in_chinese(hospital, gateway, tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 10, 0))
    wechat = WeChatSettings(api=gateway.url, app_id="wx0123456789abcdef", app_secret="s", kind="template",
                            templates={"reminder_day": "tpl-reminder"},
                            fields={"reminder_day": {"date1": "date", "time2": "time", "thing3": "dept"}})
    with run_service(config_for(hospital, gateway, wechat=wechat), tmp_path / "h.db", clock=clock) as live:
        kiosk = Kiosk(live)
        patient = kiosk.new_patient()
        kiosk.book(patient, "2026-11-24", "09:00")
        with pytest.raises(CallerError) as refused:
            kiosk.call("POST", f"/records/patients/{patient}/reminders", {"channel": "sms", "to": "1381234"})
        assert refused.value.status == 422 and "11 位" in refused.value.message_zh
        kiosk.call("POST", f"/records/patients/{patient}/reminders", {"channel": "wechat", "to": OPENID})
        at(live.service, clock, datetime(2026, 11, 23, 18, 0))
        assert gateway.wait_for(1)
        sent = gateway.delivered[0]
        assert sent.channel == "wechat" and sent.to == OPENID and sent.template == "tpl-reminder"
        assert sent.text == "11月24日 09:00 内科"
        kiosk.close()


def test_a_doctor_stopping_a_session_tells_the_patients_waiting_for_it_and_those_booked_for_it(
        hospital, gateway, tmp_path):
    """停诊 through records' API: today's patient who opted in for their visit, and tomorrow's who opted in for
    appointment reminders, are told what to do next; the reminders of the stopped session are never sent."""
    clock = ManualClock(datetime(2026, 11, 23, 9, 0))
    db = tmp_path / "h.db"
    with run_service(config_for(hospital, gateway), db, clock=clock) as live:
        today = Kiosk(live)
        waiting = today.book(today.new_patient("赵桂兰"), "2026-11-23", "10:00")
        assert waiting["visit_id"]
        today.call("POST", f"/visits/{waiting['visit_id']}/notify", {"channel": "sms", "to": "13900001111"})
        tomorrow = Kiosk(live)
        patient = tomorrow.new_patient("钱淑珍")
        booked = tomorrow.book(patient, "2026-11-24", "09:00")
        tomorrow.call("POST", f"/records/patients/{patient}/reminders", {"channel": "sms"})
        planned(db, 2)

        with CallerClient(live, DEMO_TOKENS["console_nk"]) as doctor:
            doctor.login("zhangys", "demo1234")
            for reg in (waiting, booked):
                session = live.app.state.records.registration_status(reg["registration_id"])["registration"]
                slot = doctor.request("GET", "/records/slots", params={"department": "NK", "date": reg["date"]})
                session_id = next(s["session_id"] for s in slot["sessions"] for x in s["slots"]
                                  if x["slot_id"] == session["slot_id"])
                doctor.request("POST", f"/records/sessions/{session_id}/stop", json_body={"notice": "医生临时外出"})
        assert gateway.wait_for(2), (gateway.delivered, outbox_all(db))
        texts = {d.to: d.text for d in gateway.delivered}
        assert texts == {
            "13900001111": f"【{HOSPITAL}】您好，很抱歉，王志强医生上午临时停诊。请到挂号窗口或自助机改约其他医生或时段，已缴费用将全额退回。",
            PHONE: f"【{HOSPITAL}】您好，很抱歉，王志强医生上午临时停诊。请到挂号窗口或自助机改约其他医生或时段，已缴费用将全额退回。"}
        at(live.service, clock, datetime(2026, 11, 23, 18, 0))
        until(db, lambda rows: [s for _, s in rows] == ["dropped", "pending"])  # the session is off: dropped
        assert len(gateway.delivered) == 2
        today.close()
        tomorrow.close()
