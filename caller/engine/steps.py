"""Journey steps, the pure facts about one step: what it needs before it may be called (preparation gates) and
how it is told to a patient. No I/O, no clock: every function takes `now`.

A step's `prep` (set when it opens, from the catalog) says what the exam needs:
``{"fasting_hours": 8, "water_minutes": 45, "contrast": true}``; its `gates` say what the patient has done:
``{"fasting_since": "2026-12-07T22:00:00", "water_at": "...", "consent_at": "..."}``. The step is held (never
called, by call next or by hand) until every gate is met.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from caller.engine.model import Visit

STEP_KINDS = ("pharmacy", "lab", "imaging", "cashier")
GATES_ZH = {"fasting": "空腹", "water": "憋尿", "contrast": "增强知情同意"}
GATES_EN = {"fasting": "fasting", "water": "full bladder", "contrast": "contrast consent"}


@dataclass(frozen=True)
class Gate:
    """Whether a step may be called now: ``met``; else what is missing and, when only time is missing, from when
    (``ready_at``, the timer the patient and the technician see)."""

    met: bool
    missing: tuple[str, ...] = ()  # fasting / water / contrast: not recorded yet or not yet long enough
    ready_at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def seconds_left(self, now: datetime) -> int | None:
        if self.met or self.ready_at is None:
            return None
        return max(0, int((self.ready_at - now).total_seconds()))


def loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def gate(visit: Visit, now: datetime) -> Gate:
    """The step's preparation gates at `now` (a step without preparation is always met)."""
    prep = loads(visit.prep)
    if not prep:
        return Gate(True)
    done = loads(visit.gates)
    missing: list[str] = []
    waits: list[datetime] = []
    unknown = False
    hours = float(prep.get("fasting_hours") or 0)
    if hours > 0:
        since = _when(done.get("fasting_since"))
        if since is None:
            missing.append("fasting")
            unknown = True
        elif now < since + timedelta(hours=hours):
            missing.append("fasting")
            waits.append(since + timedelta(hours=hours))
    minutes = int(prep.get("water_minutes") or 0)
    if minutes > 0:
        drank = _when(done.get("water_at"))
        if drank is None:
            missing.append("water")
            unknown = True
        elif now < drank + timedelta(minutes=minutes):
            missing.append("water")
            waits.append(drank + timedelta(minutes=minutes))
    if prep.get("contrast") and not done.get("consent_at"):
        missing.append("contrast")
        unknown = True
    if not missing:
        return Gate(True)
    return Gate(False, tuple(missing), None if unknown or not waits else max(waits), {"prep": prep, "done": done})


def gate_names(g: Gate) -> tuple[str, str]:
    """What a held step still waits for, in Chinese and English (憋尿 / full bladder); empty when met."""
    return "、".join(GATES_ZH[m] for m in g.missing), ", ".join(GATES_EN[m] for m in g.missing)


def gate_text(g: Gate, now: datetime) -> tuple[str, str]:
    """What the patient and the technician read about a held step, in Chinese and English."""
    if g.met:
        return "检查准备已完成，请留意叫号", "Preparation complete; please wait for your call"
    left = g.seconds_left(now)
    zh, en = gate_names(g)
    if left is not None:
        minutes = (left + 59) // 60
        return (f"检查准备中（{zh}），还需约 {minutes} 分钟，请稍候",
                f"Preparing ({en}): about {minutes} min left, please wait")
    return f"请先完成检查准备：{zh}，并告知登记台，谢谢", f"Please complete the preparation first: {en}; tell the desk"
