"""Appointment reminders: the day before (``reminder_day_before_at``) and shortly before the slot
(``reminder_before_minutes``), for patients who opted in with records (records/reminders.py).

Planning is a look at records, not a timer: every minute (and at once when records say something changed) the
scheduler reads the final, not yet checked-in appointments of today and tomorrow of patients who opted in, and
writes their reminders into the outbox with a future ``due_at``. The outbox's unique keys make every look
idempotent, so a look after a restart adds only what was missing and nothing is planned twice; from there the
outbox's rules apply (sent once, quiet hours, rate limit). When its time comes, a reminder is sent only if the
appointment is still on (not cancelled, not checked in, its session not stopped, the patient still opted in);
otherwise it is dropped.

| event | due | dropped when |
|---|---|---|
| reminder_day | the day before at ``reminder_day_before_at`` (18:00) | booked after that moment; not sent by midnight |
| reminder_soon | ``reminder_before_minutes`` (15) before the slot | booked after that moment; the slot has begun |
"""
from __future__ import annotations

import logging
import threading
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Iterable

from caller.notify.model import Message, Outgoing
from caller.notify.texts import render
from common.config import HospitalConfig
from common.notify_settings import NotifySettings

log = logging.getLogger("caller.notify")

EVENTS = ("reminder_day", "reminder_soon")
SCAN_EVERY = timedelta(minutes=1)

# records' reminder_bookings(first_day, last_day, registration_ids=None) -> rows (see records/reminders.py)
Source = Callable[..., list[dict[str, Any]]]


def key(row: dict[str, Any], event: str) -> str:
    hhmm = str(row["starts"]).replace(":", "")[:4]
    return f"reminder:{row['registration_id']}:{event}:{row['date']}T{hhmm}:{row['channel']}"


def registration_of(message_key: str) -> int | None:
    """The registration a reminder's key names (``reminder:<registration id>:...``)."""
    parts = message_key.split(":")
    return int(parts[1]) if len(parts) > 2 and parts[0] == "reminder" and parts[1].isdigit() else None


def slot_start(row: dict[str, Any]) -> datetime:
    hours, minutes = (int(x) for x in str(row["starts"]).split(":")[:2])
    return datetime.combine(date.fromisoformat(row["date"]), time(hours, minutes))


def params(config: HospitalConfig, row: dict[str, Any], start: datetime) -> dict[str, Any]:
    """Display-safe values of a reminder: the hospital, day, time, department, doctor and where to check in."""
    dept = next((d for d in config.departments if d.id == row["department_id"]), None)
    doctor = next((d for d in config.doctors if d.id == row["doctor_id"]), None)
    area = next((a for a in config.areas if dept is not None and a.id == dept.area), None)
    return {"hospital": config.hospital.name, "date": f"{start.month}月{start.day}日", "time": start.strftime("%H:%M"),
            "dept": dept.name if dept else str(row["department_id"]), "doctor": f" {doctor.name}医生" if doctor else "",
            "location": (dept.location if dept else "") or (area.location if area else "") or "门诊"}


def plan_reminders(rows: Iterable[dict[str, Any]], config: HospitalConfig, settings: NotifySettings,
                   now: datetime) -> list[Message]:
    """The reminders of these appointments that are still ahead of their expiry (pure)."""
    hours, minutes = (int(x) for x in settings.reminder_day_before_at.split(":"))
    out = []
    for row in rows:
        start = slot_start(row)
        booked = datetime.fromisoformat(row["booked_at"]) if row.get("booked_at") else None
        day_before = datetime.combine(start.date() - timedelta(days=1), time(hours, minutes))
        soon = start - timedelta(minutes=settings.reminder_before_minutes)
        for event, due, expires in (("reminder_day", day_before, datetime.combine(start.date(), time())),
                                    ("reminder_soon", soon, start)):
            if (booked is not None and booked >= due) or now >= expires:
                continue  # booked after its moment (they know), or too late to be of use
            values = params(config, row, start)
            out.append(Message(key=key(row, event), event=event, channel=row["channel"], recipient=row["recipient"],
                               template=event, params=values, text=render(event, values), visit_id=None,
                               due_at=due, expires_at=expires))
    return out


class ReminderScheduler:
    """Plans reminders into the outbox; ``tick(now)`` is called by the sender before each round."""

    def __init__(self, config: Callable[[], HospitalConfig], settings: Callable[[], NotifySettings],
                 enqueue: Callable[[list[Message], datetime], int], channels: Callable[[], Iterable[str]]):
        self.config = config
        self.settings = settings
        self.enqueue = enqueue
        self.channels = channels
        self.source: Source | None = None
        self._last: datetime | None = None
        self._changed = threading.Event()
        self._planned: set[str] = set()
        self.planned = 0

    def attach(self, source: Source) -> None:
        """Records plug in their appointments (records.api.install)."""
        self.source = source
        self._changed.set()

    def changed(self) -> None:
        """Records changed something reminders depend on (an opt-in): plan at the next round, not in a minute."""
        self._changed.set()

    def tick(self, now: datetime) -> int:
        """Plan what is missing when a minute has passed since the last look (or something changed)."""
        if self.source is None:
            return 0
        if not self._changed.is_set() and self._last is not None and self._last <= now < self._last + SCAN_EVERY:
            return 0
        self._changed.clear()
        self._last = now
        return self.scan(now)

    def scan(self, now: datetime) -> int:
        """Plan the reminders of today's and tomorrow's appointments; returns how many new ones were written."""
        if self.source is None:
            return 0
        channels = set(self.channels())
        rows = [r for r in self.source(now.date().isoformat(), (now.date() + timedelta(days=1)).isoformat())
                if r["channel"] in channels]
        messages = [m for m in plan_reminders(rows, self.config(), self.settings(), now) if m.key not in self._planned]
        if not messages:
            return 0
        added = self.enqueue(messages, now)
        self._planned.update(m.key for m in messages)
        if len(self._planned) > 50_000:
            self._planned.clear()  # a day's worth at most: the outbox's keys stay the real guard
        self.planned += added
        if added:
            log.info("planned %d appointment reminders", added)
        return added

    def still_true(self, message: Outgoing) -> bool:
        """The appointment is still on, at the same time, and the patient still wants this channel at this address."""
        registration = registration_of(message.key)
        if self.source is None or registration is None:
            return False
        day = message.key.split(":")[3].split("T")[0]
        rows = self.source(day, day, [registration])
        return any(key(r, message.event) == message.key and r["recipient"] == message.recipient for r in rows)
