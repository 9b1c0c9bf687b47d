"""Doctors' sessions and slots for a day, and when a day's numbers are released. Pure: no I/O, no clock."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from records.settings import RecordsSettings

WEEKDAY_KEYS = (
    ("mon", "monday", "1", "周一"), ("tue", "tuesday", "2", "周二"), ("wed", "wednesday", "3", "周三"),
    ("thu", "thursday", "4", "周四"), ("fri", "friday", "5", "周五"), ("sat", "saturday", "6", "周六"),
    ("sun", "sunday", "7", "周日"),
)


@dataclass(frozen=True)
class PlannedSession:
    """One doctor's half-day: which kind of number it sells, at what fee, and its slots."""

    day: date
    session: str  # "am" | "pm"
    doctor_id: str
    department_id: str
    room_id: str | None
    kind: str  # "general" | "expert"
    fee_fen: int
    starts: str
    ends: str
    slots: tuple[tuple[str, str, int], ...]  # (start HH:MM, end HH:MM, quota)


def _hm(value: str) -> int:
    hh, mm = value.split(":")
    return int(hh) * 60 + int(mm)


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slot_times(starts: str, ends: str, minutes: int) -> list[tuple[str, str]]:
    """Cut [starts, ends) into slots of `minutes`; a shorter tail becomes a slot of its own."""
    out, t, end = [], _hm(starts), _hm(ends)
    while t < end:
        out.append((_fmt(t), _fmt(min(t + minutes, end))))
        t += minutes
    return out


def doctor_sessions_on(doctor: Any, day: date) -> list[str]:
    """Which sessions ("am"/"pm") a doctor works on a weekday.

    Accepts the shapes a hospital file uses: a mapping weekday -> ["am", "pm"] (keys mon/monday/1/周一),
    a list of seven lists (Monday first), or a plain list ["am", "pm"] meaning every weekday.
    """
    if hasattr(doctor, "works"):  # common.config.Doctor: days + sessions
        return [s for s in ("am", "pm") if doctor.works(day.weekday(), s)]
    sessions = getattr(doctor, "sessions", None)
    if sessions is None and isinstance(doctor, dict):
        sessions = doctor.get("sessions")
    if not sessions:
        return []
    keys = WEEKDAY_KEYS[day.weekday()]
    if isinstance(sessions, dict):
        for key, value in sessions.items():
            if str(key).lower() in keys:
                return [s for s in value if s in ("am", "pm")]
        return []
    items = list(sessions)
    if items and all(isinstance(s, str) for s in items):
        return [s for s in items if s in ("am", "pm")] if day.weekday() < 5 else []
    if len(items) == 7:
        return [s for s in (items[day.weekday()] or []) if s in ("am", "pm")]
    return []


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def plan_day(doctors: Iterable[Any], day: date, settings: RecordsSettings,
             emergency_departments: frozenset[str] = frozenset()) -> list[PlannedSession]:
    """Every session of every doctor on `day`, with slots and quotas."""
    planned = []
    for doctor in doctors:
        for session in doctor_sessions_on(doctor, day):
            starts, ends = settings.sessions[session]
            if str(_attr(doctor, "department")) in emergency_departments:
                kind = "emergency"
            else:
                kind = "expert" if _attr(doctor, "expert", False) else "general"
            quota = settings.quota_for(kind)
            planned.append(PlannedSession(
                day=day, session=session, doctor_id=str(_attr(doctor, "id")),
                department_id=str(_attr(doctor, "department")), room_id=_attr(doctor, "room"),
                kind=kind, fee_fen=settings.fee_for(kind), starts=starts, ends=ends,
                slots=tuple((s, e, quota) for s, e in slot_times(starts, ends, settings.slot_minutes)),
            ))
    return planned


def release_moment(day: date, settings: RecordsSettings) -> datetime:
    """When the numbers of `day` go on sale: release_time, advance_days before the day (today's: already out)."""
    hh, mm = (int(x) for x in settings.release_time.split(":"))
    return datetime.combine(day - timedelta(days=settings.advance_days), datetime.min.time()).replace(hour=hh, minute=mm)


def is_released(day: date, now: datetime, settings: RecordsSettings) -> bool:
    """True when `day`'s numbers may be sold at `now` (never for a past day)."""
    return day >= now.date() and now >= release_moment(day, settings)


def slot_has_ended(day: date, ends: str, now: datetime) -> bool:
    """A slot of today that is already over is not sold any more."""
    return datetime.combine(day, datetime.min.time()) + timedelta(minutes=_hm(ends)) <= now


def check_in_opens_at(day: date, slot_start: str, early_minutes: int | None) -> datetime | None:
    """Earliest check-in for a slot: None when any time is allowed (rule 5 of the queue rules)."""
    if early_minutes is None:
        return None
    return datetime.combine(day, datetime.min.time()) + timedelta(minutes=_hm(slot_start) - early_minutes)
