"""A tiny hospital (through common.config.hospital_from_dict) and a clinic helper for the queue engine tests.

Area OPD (rooms R1 R2: general doctors of department X; R3: the expert of X; R4: department Y) and an
emergency area ER (E1 takes triage levels 1-2, E2 levels 3-4). Visits are named by their patient
names ("a", "b", ...) so tests read like the spec's scenarios.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

from caller.engine.engine import QueueEngine
from caller.engine.model import Visit
from common.config import hospital_from_dict

DAY = date(2026, 11, 23)

DEFAULT_ROOMS = [
    {"id": "R1", "name": "1诊室", "departments": ["X"]},
    {"id": "R2", "name": "2诊室", "departments": ["X"]},
    {"id": "R3", "name": "3诊室", "departments": ["X"]},
    {"id": "R4", "name": "4诊室", "departments": ["Y"]},
]
DEFAULT_DOCTORS = [
    {"id": "D1", "name": "王医生", "department": "X", "room": "R1"},
    {"id": "D2", "name": "赵医生", "department": "X", "room": "R2"},
    {"id": "D3", "name": "李专家", "department": "X", "room": "R3", "expert": True},
    {"id": "D4", "name": "周医生", "department": "Y", "room": "R4"},
    {"id": "D5", "name": "陈医生", "department": "X", "room": "R2"},
]


def build_hospital(rules: dict | None = None, rooms: list[dict] | None = None, doctors: list[dict] | None = None,
                   er_rules: dict | None = None) -> Any:
    raw = {
        "hospital": {"name": "测试医院"},
        "rules": rules or {},
        "areas": [
            {"id": "OPD", "name": "内科诊区", "rooms": rooms if rooms is not None else DEFAULT_ROOMS},
            {"id": "ER", "name": "急诊诊区", "emergency": True, "rules": {"check_in_mode": False, "base_order": "registration", **(er_rules or {})},
             "rooms": [
                 {"id": "E1", "name": "抢救室", "departments": ["E"], "triage_levels": [1, 2]},
                 {"id": "E2", "name": "急诊诊室", "departments": ["E"], "triage_levels": [3, 4]},
             ]},
        ],
        "departments": [
            {"id": "X", "name": "内科", "prefix": "A", "area": "OPD"},
            {"id": "Y", "name": "外科", "prefix": "B", "area": "OPD"},
            {"id": "E", "name": "急诊科", "prefix": "E", "area": "ER"},
        ],
        "doctors": doctors if doctors is not None else DEFAULT_DOCTORS,
    }
    return hospital_from_dict(raw)


class Clinic:
    """An engine plus a hand-moved clock and short-hands for the scenarios."""

    def __init__(self, rules: dict | None = None, **kwargs: Any):
        self.engine = QueueEngine(build_hospital(rules, **kwargs))
        self.now = datetime.combine(DAY, time(8, 0))
        self._seq = itertools.count(1)

    def at(self, hh_mm: str) -> "Clinic":
        hour, minute = map(int, hh_mm.split(":"))
        self.now = datetime.combine(self.now.date(), time(hour, minute))
        return self

    def tick(self, minutes: float = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    def reg(self, name: str, dept: str = "X", source: str = "onsite", seq: int | None = None,
            slot: str | None = None, kind: str = "general", doctor: str | None = None, session: str = "am",
            triage: int | None = None) -> Visit:
        slot_start = slot_end = None
        if slot:
            start, end = slot.split("-")
            slot_start, slot_end = time.fromisoformat(start), time.fromisoformat(end)
        change = self.engine.register(dept, f"P-{name}", name, kind, source, session, self.tick(),
                                      reg_seq=seq if seq is not None else next(self._seq), doctor_id=doctor,
                                      slot_start=slot_start, slot_end=slot_end, triage_level=triage, actor="kiosk")
        return change.result

    def arrive(self, name: str, **kwargs: Any) -> Visit:
        """Register and check in (check-in mode) in one go."""
        visit = self.reg(name, **kwargs)
        if visit.state.value == "registered":
            self.engine.check_in(visit.id, actor="kiosk", now=self.tick())
        return self.engine.visit(visit.id)

    def checkin(self, visit: Visit):
        return self.engine.check_in(visit.id, actor="kiosk", now=self.tick())

    def call(self, room: str = "R1"):
        return self.engine.call_next(room, actor="nurse", now=self.tick()).result

    def do(self, command: str, *args: Any, **kwargs: Any):
        return getattr(self.engine, command)(*args, actor="nurse", now=self.tick(), **kwargs)

    def names(self, area: str = "OPD") -> list[str]:
        return [v.patient_name for v in self.engine.area_queue(area)]

    def room_names(self, room: str) -> list[str]:
        return [v.patient_name for v in self.engine.room_queue(room)]

