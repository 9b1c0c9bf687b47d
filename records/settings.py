"""Records settings: sessions, slot length, quotas, hold time, release time, fees by number kind.

Read from the hospital config when it has them (an optional `records` table and `fees`), else defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import time
from typing import Any

NUMBER_KINDS = ("general", "expert", "extra", "emergency")
KIND_NAMES_ZH = {"general": "普通号", "expert": "专家号", "extra": "加号", "emergency": "急诊号"}
SESSION_NAMES_ZH = {"am": "上午", "pm": "下午"}

DEFAULT_FEES_FEN = {"general": 1500, "expert": 3500, "extra": 1500, "emergency": 2000}


@dataclass(frozen=True)
class RecordsSettings:
    """How the records part schedules and sells numbers. Times are hospital local time."""

    sessions: dict[str, tuple[str, str]] = field(default_factory=lambda: {"am": ("08:00", "12:00"), "pm": ("13:30", "17:00")})
    slot_minutes: int = 15
    quota_general: int = 4
    quota_expert: int = 2
    hold_minutes: int = 5
    advance_days: int = 7
    release_time: str = "08:00"
    pay_at_visit: bool = False
    fees_fen: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_FEES_FEN))
    extra_quota: int = 5  # extra numbers (加号) per doctor per session
    check_in_mode: bool = True
    early_check_in_minutes: int | None = 30  # None: any time; 0: not before the slot starts
    reprint_limit: int = 3  # 补打: reprints of one slip at a kiosk, then the desk
    cancel_until: str = "called"  # 退号 by the patient: "called" (until called) or "slot_start" (until the slot starts)

    def __post_init__(self) -> None:
        hh, mm = (int(x) for x in self.release_time.split(":"))
        if (hh, mm) == (0, 0):
            raise ValueError("release_time must not be midnight: numbers are released in working hours (e.g. 08:00)")
        time(hh, mm)
        if self.slot_minutes <= 0 or self.hold_minutes <= 0:
            raise ValueError("slot_minutes and hold_minutes must be positive")

    def quota_for(self, kind: str) -> int:
        return self.quota_expert if kind == "expert" else self.quota_general

    def fee_for(self, kind: str) -> int:
        return int(self.fees_fen.get(kind, self.fees_fen.get("general", 0)))


def settings_from_config(cfg: Any, **overrides: Any) -> RecordsSettings:
    """Settings from a HospitalConfig: [schedule] (sessions, slot length, quota, release, hold, pay-at-visit),
    [fees] per number kind, and the hospital [rules] (check-in mode, early check-in); then explicit overrides."""
    values: dict[str, Any] = {}
    schedule = getattr(cfg, "schedule", None)
    if schedule is not None:
        values["sessions"] = {s: tuple(t.strftime("%H:%M") for t in schedule.session_span(s)) for s in ("am", "pm")}
        values.update(slot_minutes=schedule.slot_minutes, quota_general=schedule.slot_quota, quota_expert=schedule.slot_quota,
                      extra_quota=schedule.extra_quota, hold_minutes=schedule.hold_minutes,
                      advance_days=schedule.book_days_ahead, release_time=f"{schedule.release_hour:02d}:00",
                      pay_at_visit=schedule.pay_at_visit)
        values["cancel_until"] = getattr(schedule, "cancel_until", "called")
        values["reprint_limit"] = getattr(schedule, "reprint_limit", 3)
    fees = getattr(cfg, "fees", None)
    if fees is not None:
        values["fees_fen"] = {kind: int(getattr(fees, kind)) for kind in NUMBER_KINDS if hasattr(fees, kind)}
    rules = getattr(cfg, "rules", None)
    if rules is not None:
        values["check_in_mode"] = bool(rules.check_in_mode)
        values["early_check_in_minutes"] = early_minutes(rules)
    values.update(overrides)
    return replace(RecordsSettings(), **values)


def early_minutes(rules: Any) -> int | None:
    """Queue rule 5 as minutes before the slot start: None = any time, 0 = not before the slot starts."""
    mode = getattr(rules, "early_check_in", "minutes_before")
    if mode == "any_time":
        return None
    if mode == "slot_start":
        return 0
    return int(getattr(rules, "early_check_in_minutes", 30))
