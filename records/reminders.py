"""Appointment reminders: which patients asked to be reminded of their appointments, and on which channel.

The opt-in belongs to the patient (not to one booking): a patient who says "yes, text me" at the kiosk is
reminded of every appointment they have from then on, until they opt out. By default the text goes to the phone
on record, so the kiosk never needs to see the full number. The caller service's reminder scheduler reads
:meth:`Reminders.reminder_bookings` and plans the messages in its outbox (caller/notify/reminders.py). The table is
``rec_reminder_optin`` (records/db.py).
"""
from __future__ import annotations

import re
from typing import Any

from common.privacy import mask_phone
from records.core import RecordsCore, iso
from records.errors import RecordsError, not_found

PHONE = re.compile(r"^1\d{10}$")
OPENID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def masked(channel: str, recipient: str) -> str:
    return mask_phone(recipient) if channel == "sms" else recipient[:4] + "…"


class Reminders:
    """A patient's reminder opt-ins, and the appointments the reminder scheduler must know about."""

    def __init__(self, core: RecordsCore) -> None:
        self.core = core

    def reminder_view(self, patient_id: int) -> dict[str, Any]:
        """The patient's reminder opt-ins and the phone on record, numbers masked (what a kiosk may show)."""
        patient = self.core.db.one("SELECT phone FROM rec_patients WHERE id = ?", (patient_id,))
        if patient is None:
            raise not_found("该就诊档案", "The patient record")
        rows = self.core.db.all("SELECT channel, recipient, ts FROM rec_reminder_optin WHERE patient_id = ? ORDER BY channel",
                           (patient_id,))
        phone = patient["phone"] or ""
        return {"patient_id": patient_id, "phone_masked": mask_phone(phone) if PHONE.match(phone) else None,
                "reminders": [{"channel": r["channel"], "to": masked(r["channel"], r["recipient"]), "since": r["ts"]}
                              for r in rows]}

    def set_reminders(self, patient_id: int, channel: str, to: str | None, by: str) -> dict[str, Any]:
        """Opt in to appointment reminders on one channel; an SMS without a number goes to the phone on record."""
        recipient = (to or "").strip().replace(" ", "").replace("-", "")
        with self.core.db.transaction() as conn:
            row = conn.execute("SELECT phone FROM rec_patients WHERE id = ?", (patient_id,)).fetchone()
            if row is None:
                raise not_found("该就诊档案", "The patient record")
            if channel == "sms":
                recipient = recipient or (row["phone"] or "")
                if not PHONE.match(recipient):
                    raise RecordsError("invalid_phone", "手机号码应为 11 位数字，请核对后重新输入。",
                                       "A mobile number has 11 digits starting with 1.", status=422)
            elif channel == "wechat":
                if not OPENID.match(recipient):
                    raise RecordsError("invalid_openid", "微信账号无效，请重新关注后再试。", "Not a WeChat openid.", status=422)
            else:
                raise RecordsError("invalid_request", "通知方式只能是短信或微信。", "channel must be sms or wechat", status=422)
            if channel not in self.notify_channels():
                raise RecordsError("channel_unavailable", "对不起，本院暂未开通这种通知方式，请留意叫号屏和手机上的排队页面。",
                                   f"The hospital has no {channel} gateway configured.", status=409)
            conn.execute('INSERT INTO rec_reminder_optin (patient_id, channel, recipient, "by", ts) VALUES (?, ?, ?, ?, ?) '
                         'ON CONFLICT (patient_id, channel) DO UPDATE SET recipient = excluded.recipient, '
                         '"by" = excluded."by", ts = excluded.ts', (patient_id, channel, recipient, by, iso(self.core.now())))
            self.core.audit(conn, "reminder_optin", patient_id=patient_id, channel=channel, to=masked(channel, recipient))
        self.tell_scheduler()
        today = self.core.now().date().isoformat()
        for row in self.core.db.all("SELECT visit_id FROM rec_registrations WHERE patient_id = ? AND date = ? "
                               "AND state = 'final' AND visit_id IS NOT NULL", (patient_id, today)):
            self.follow_visit(row["visit_id"], [(channel, recipient)])  # today's queue too: "快到您时"
        return {**self.reminder_view(patient_id),
                "message_zh": "已为您开通预约提醒：就诊前一天和就诊前会给您发短信。",
                "message_en": "You will be reminded the day before and shortly before each appointment."}

    def stop_reminders(self, patient_id: int, channel: str) -> dict[str, Any]:
        with self.core.db.transaction() as conn:
            removed = conn.execute("DELETE FROM rec_reminder_optin WHERE patient_id = ? AND channel = ?",
                                   (patient_id, channel)).rowcount > 0
            if removed:
                self.core.audit(conn, "reminder_optout", patient_id=patient_id, channel=channel)
        return {**self.reminder_view(patient_id), "removed": removed}

    def notify_channels(self) -> tuple[str, ...]:
        """The channels the hospital has a gateway for (none without a queue that sends)."""
        channels = getattr(self.core.queue, "notify_channels", None)
        return tuple(channels()) if channels is not None else ()

    def follow_visit(self, visit_id: str, recipients: list[tuple[str, str]] | None = None,
                     patient_id: int | None = None) -> None:
        """A visit of a patient who asked for reminders gets the queue's messages too (to the same addresses)."""
        if recipients is None:
            recipients = [(r["channel"], r["recipient"]) for r in self.core.db.all(
                "SELECT channel, recipient FROM rec_reminder_optin WHERE patient_id = ?", (patient_id,))]
        follow = getattr(self.core.queue, "follow_visit", None)
        for channel, recipient in recipients if follow is not None else ():
            follow(visit_id, channel, recipient)

    def tell_scheduler(self) -> None:
        """Something reminders depend on changed (an opt-in, a booking): the service plans at once, not at its
        next periodic look."""
        wake = getattr(self.core.queue, "reminders_changed", None)
        if wake is not None:
            wake()

    def reminder_bookings(self, first_day: str, last_day: str, registration_ids: list[int] | None = None
                          ) -> list[dict[str, Any]]:
        """Final appointments from first_day to last_day (ISO dates) of patients who opted in, not checked in,
        in a session that is not stopped: one row per appointment and channel. With ``registration_ids``: only
        those (the sender asks whether a reminder is still true)."""
        sql = ("SELECT r.id AS registration_id, r.patient_id, r.date, x.starts, s.department_id, s.doctor_id, "
               "COALESCE(r.final_at, r.created_at) AS booked_at, o.channel, o.recipient "
               "FROM rec_registrations r JOIN rec_slots x ON x.id = r.slot_id JOIN rec_sessions s ON s.id = r.session_id "
               "JOIN rec_reminder_optin o ON o.patient_id = r.patient_id "
               "WHERE r.state = 'final' AND r.checked_in_at IS NULL AND s.status = 'open' AND r.date BETWEEN ? AND ?")
        params: list[Any] = [first_day, last_day]
        if registration_ids is not None:
            if not registration_ids:
                return []
            sql += f" AND r.id IN ({','.join('?' * len(registration_ids))})"
            params += registration_ids
        return self.core.db.all(sql + " ORDER BY r.date, x.starts, r.id, o.channel", tuple(params))
