"""What the API and the events show: visit summaries, area/room snapshots, call data, statistics.

Presenters: they take the engine and the hospital file (and the few facts the service keeps beside the engine,
passed as values), never the service. Public views (display/speaker tokens) are display-safe: masked names only,
never an ID number or patient id. The shapes are the models of common/wire.py (docs/events.md is generated from
them).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from caller.engine.engine import QueueEngine
from caller.engine.model import Change, EngineEvent, Visit, VisitState
from cockpit.estimate import Estimate
from common.config import HospitalConfig
from common.wire import PUBLIC, STAFF, visit_item

_NAMES_KEPT = 4  # hospital files whose names are kept (a reload makes a new one; tests run several services)
_names_of: dict[int, tuple[HospitalConfig, dict[str, dict[str, Any]]]] = {}


def _names(config: HospitalConfig) -> dict[str, dict[str, Any]]:
    """Departments', rooms' and doctors' names by id, made once per hospital file (kept with the file it is of)."""
    known = _names_of.get(id(config))
    if known is None or known[0] is not config:
        if len(_names_of) >= _NAMES_KEPT:
            _names_of.pop(next(iter(_names_of)))
        known = _names_of[id(config)] = (config, {
            "dept": {d.id: d.name for d in config.departments},
            "room": {r.id: r for a in config.areas for r in a.rooms},
            "doctor": {d.id: d for d in config.doctors},
        })
    return known[1]


def visit_row(visit: Visit) -> dict[str, Any]:
    """``Visit.to_row()`` without dataclasses.asdict's deep copies (every field of a Visit is flat)."""
    row = dict(visit.__dict__)
    row["state"] = visit.state.value
    return row


def summary(config: HospitalConfig, visit: Visit, public: bool, position: int | None = None) -> dict:
    """One visit for a list (:class:`common.wire.VisitSummary`, staff: ``StaffVisitSummary``): the visit's
    item for the audience plus the names of its department, room and doctor."""
    rules = config.rules_for_area(visit.area_id)
    item = visit_item(visit, rules.screen_name, PUBLIC if public else STAFF)
    names = _names(config)
    room = names["room"].get(visit.room_id) if visit.room_id else None
    doctor = names["doctor"].get(visit.doctor_id) if visit.doctor_id else None
    item["dept_name"] = names["dept"].get(visit.dept_id, visit.dept_id)
    item["room_name"] = room.name if room else None
    item["doctor_name"] = doctor.name if doctor else None
    item["priority_kind"] = visit.priority_kind
    item["position"] = position
    return item


PUBLIC_LIST_MAX = 10   # public lists are cut to their head (``*_total`` keeps the full count)
PUBLIC_ROOM_CALLED_MAX = 3


def area_snapshot(engine: QueueEngine, config: HospitalConfig, area_id: str, public: bool,
                  broadcasts: list[dict]) -> dict:
    """The engine's area snapshot (:class:`common.wire.AreaSnapshot`) plus notices and ``broadcasts`` (today's
    latest announcements in the area); public lists cut to their head. The caller has the engine see the day first
    (``QueueEngine.see_day``): after midnight, before any command, an empty day."""
    if public:
        snap = engine.snapshot(area_id, True, most=PUBLIC_LIST_MAX, room_called_most=PUBLIC_ROOM_CALLED_MAX)
    else:
        snap = engine.snapshot(area_id, False)
    area = config.area(area_id)
    snap["emergency"] = area.emergency
    snap["location"] = area.location
    snap["notices"] = list(area.notices)
    snap["broadcasts"] = list(broadcasts)
    return snap


def room_snapshot(area: dict, room_id: str) -> dict:
    """One room of its area's snapshot (:func:`area_snapshot`)."""
    room = next(r for r in area["rooms"] if r["room_id"] == room_id)
    return {**room, "area_id": area["area_id"]}


def visit_status(config: HospitalConfig, visit: Visit, ahead: int, shown: Estimate, ticket_token: str,
                 why: tuple[str, str] | None) -> dict:
    """Where a patient is: position, visits ahead, estimate, room, state (for the kiosk and the ticket QR).

    ``ahead``: the visits ahead of it; ``shown``: its waiting-time estimate; ``why``: its "why here" texts, or None
    to leave them out (the caller has them already)."""
    out = summary(config, visit, public=True)
    queued = visit.state in (VisitState.waiting, VisitState.room_waiting, VisitState.registered)
    out.update({"ahead": ahead if queued else 0, "position": ahead + 1 if queued else None,
                "estimate_minutes": shown.minutes if queued else 0,
                "estimate_min": shown.low if queued else 0, "estimate_max": shown.high if queued else 0,
                "ticket_token": ticket_token})
    if queued and why is not None:  # "why here", short, for the kiosk, the ticket page and the phone
        out["why_zh"], out["why_en"] = why
    return out


def event_data(engine: QueueEngine, config: HospitalConfig, event: EngineEvent, command: str) -> dict:
    """The stored data of an engine event (the models of common/wire.py; common.wire.project makes each
    audience's view of it when it is sent). Only ``queue`` events are completed here."""
    if event.type != "queue":
        return event.data
    visits = [engine.visit(i) for i in event.data.get("visit_ids", [])]
    out = {"reason": event.data.get("reason", command), "reasons": event.data.get("reasons", [command]),
           "changed": [summary(config, v, public=True) for v in visits]}
    if visits:
        out["names"] = {v.id: v.patient_name for v in visits}
    return out


def command_response(config: HospitalConfig, command: str, change: Change, audience: str) -> dict:
    """The HTTP answer of a command: the visit it is about (staff view) and what changed."""
    result = change.result
    return {
        "ok": True,
        "command": command,
        "visit": summary(config, result, public=audience == "public") if result is not None else None,
        "changed": [v.id for v in change.visits],
    }


def stats_summary(config: HospitalConfig, now: datetime, waiting: dict[str, int], today: dict[str, Any],
                  alerts: list[dict]) -> dict:
    """Today's figures per department: `waiting` (the queues now, counted under the service lock) and `today`,
    the departments' rollup totals of the day (cockpit.rollups.Totals, read without the lock). Medians are
    whole minutes, from the same minute histograms as the cockpit's wait_median and service_median."""
    per_dept = []
    for dept in config.departments:
        t = today.get(dept.id)
        per_dept.append({
            "department": dept.id, "name": dept.name, "area": dept.area,
            "registered": t.n["registered"] if t else 0,
            "waiting": waiting.get(dept.id, 0),
            "done": t.n["service"] if t else 0,
            "missed": t.n["missed"] if t else 0,
            "cancelled": t.n["cancelled"] if t else 0,
            "median_wait_minutes": t.quantile("wait", 0.5) if t else None,
            "median_service_minutes": t.quantile("service", 0.5) if t else None,
        })
    return {"day": now.date().isoformat(), "departments": per_dept, "alerts": alerts}
