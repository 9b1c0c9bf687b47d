"""What a call says and what screens may show: display text, speech text, display-safe visit items."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import privacy
from caller.engine.model import Visit
from caller.engine.rules import QueueRules


def screen_name(name: str, rules: QueueRules) -> str:
    """The name as public screens show it: masked, or nothing (the privacy package's rule)."""
    return privacy.screen_name(name, rules.screen_name)


def speech_name(name: str, rules: QueueRules) -> str:
    """The name as speakers say it: nothing, surname + 某某 (患者 without a surname), or the full name."""
    return privacy.spoken_name(name, rules.speech_name)


def render(template: str, **fields: str) -> str:
    """Fill a call template; an empty field leaves no double space behind."""
    return " ".join(template.format(**fields).split())


def call_texts(visit: Visit, rules: QueueRules, room_name: str, dept_name: str, doctor_name: str) -> tuple[str, str]:
    """(display text, speech text) of the call of `visit` to `room_name`."""
    template = rules.template_for(visit.number_kind)
    common = {"ticket": visit.ticket, "room": room_name, "dept": dept_name, "doctor": doctor_name}
    display = render(template, name=screen_name(visit.patient_name, rules), **common)
    speech = render(template, name=speech_name(visit.patient_name, rules), **common)
    return display, speech


def plain(value: Any) -> Any:
    """JSON-safe form of a row value."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def visit_item(visit: Visit, rules: QueueRules, public: bool) -> dict[str, Any]:
    """One visit as a queue list shows it. Public: display-safe (masked name, no patient id)."""
    item = {
        "visit_id": visit.id,
        "ticket": visit.ticket,
        "name": screen_name(visit.patient_name, rules),
        "dept_id": visit.dept_id,
        "doctor_id": visit.doctor_id,
        "number_kind": visit.number_kind,
        "state": visit.state.value,
        "room_id": visit.room_id,
        "late": visit.late,
        "recalled": visit.recalled,
        "priority": visit.priority_kind is not None,
        "triage_level": visit.triage_level,
        "call_count": visit.call_count,
    }
    if not public:
        item.update({key: plain(value) for key, value in visit.to_row().items() if key not in item})
    return item
