"""What the API and the events show: visit summaries, area/room snapshots, call data, statistics.

Public views (display/speaker tokens) are display-safe: masked names only, never an ID number or patient id.
The shapes are the models of common/wire.py (docs/events.md is generated from them).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from caller.engine.model import Change, EngineEvent, Visit, VisitState
from common.config import HospitalConfig
from common.wire import PUBLIC, STAFF, visit_item

CallerService = Any  # caller.service.CallerService; not imported, because the service imports this module


def _names(service: "CallerService") -> dict[str, dict[str, Any]]:
    cached = getattr(service, "_view_names", None)
    if cached is None:
        cfg = service.config
        cached = {
            "dept": {d.id: d.name for d in cfg.departments},
            "room": {r.id: r for a in cfg.areas for r in a.rooms},
            "doctor": {d.id: d for d in cfg.doctors},
        }
        service._view_names = cached
    return cached


def visit_row(visit: Visit) -> dict[str, Any]:
    """``Visit.to_row()`` without dataclasses.asdict's deep copies (every field of a Visit is flat)."""
    row = dict(visit.__dict__)
    row["state"] = visit.state.value
    return row


def summary(service: "CallerService", visit: Visit, public: bool, position: int | None = None) -> dict:
    """One visit for a list (:class:`common.wire.VisitSummary`, staff: ``StaffVisitSummary``): the visit's
    item for the audience plus the names of its department, room and doctor."""
    rules = service.config.rules_for_area(visit.area_id)
    item = visit_item(visit, rules.screen_name, PUBLIC if public else STAFF)
    names = _names(service)
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


def area_snapshot(service: "CallerService", area_id: str, public: bool) -> dict:
    """The engine's area snapshot (:class:`common.wire.AreaSnapshot`) plus notices and broadcasts; public
    lists cut to their head. Always of the service's day: after midnight, before any command, an empty day."""
    service.engine.see_day(service.clock())
    if public:
        snap = service.engine.snapshot(area_id, True, most=PUBLIC_LIST_MAX, room_called_most=PUBLIC_ROOM_CALLED_MAX)
    else:
        snap = service.engine.snapshot(area_id, False)
    area = service.config.area(area_id)
    snap["emergency"] = area.emergency
    snap["location"] = area.location
    snap["notices"] = list(area.notices)
    snap["broadcasts"] = list(service.broadcasts.get(area_id, ()))
    return snap


def room_snapshot(service: "CallerService", room_id: str, public: bool) -> dict:
    area_id = service.area_of_room(room_id)
    snap = area_snapshot(service, area_id, public)
    room = next(r for r in snap["rooms"] if r["room_id"] == room_id)
    return {**room, "area_id": area_id}


def visit_status(service: "CallerService", visit: Visit, now: datetime,
                 place: tuple[int, float] | None = None, why: bool = True, rooms: int | None = None) -> dict:
    """Where a patient is: position, visits ahead, estimate, room, state (for the kiosk and the ticket QR).

    ``place``: (ahead, minutes) when the caller already has it (``engine.positions`` of the area); ``why``: False
    leaves out the "why here" text (the caller has it already); ``rooms``: the rooms that may serve it, when the
    caller has them (``engine.serving_rooms`` of the area)."""
    ahead = place[0] if place is not None else service.engine.position(visit.id)[0]
    out = summary(service, visit, public=True)
    queued = visit.state in (VisitState.waiting, VisitState.room_waiting, VisitState.registered)
    shown = service.estimate(visit.id, ahead if place is not None else None, rooms if place is not None else None)
    out.update({"ahead": ahead if queued else 0, "position": ahead + 1 if queued else None,
                "estimate_minutes": shown.minutes if queued else 0,
                "estimate_min": shown.low if queued else 0, "estimate_max": shown.high if queued else 0,
                "ticket_token": service.ticket_links.token(visit)})
    if queued and why:  # "why here", short, for the kiosk, the ticket page and the phone
        out["why_zh"], out["why_en"] = service.why_here(visit)
    return out


def event_data(service: "CallerService", event: EngineEvent, command: str) -> dict:
    """The stored data of an engine event (the models of common/wire.py; common.wire.project makes each
    audience's view of it when it is sent). Only ``queue`` events are completed here."""
    if event.type != "queue":
        return event.data
    visits = [service.engine.visit(i) for i in event.data.get("visit_ids", [])]
    out = {"reason": event.data.get("reason", command), "reasons": event.data.get("reasons", [command]),
           "changed": [summary(service, v, public=True) for v in visits]}
    if visits:
        out["names"] = {v.id: v.patient_name for v in visits}
    return out


def command_response(service: "CallerService", command: str, change: Change, audience: str) -> dict:
    """The HTTP answer of a command: the visit it is about (staff view) and what changed."""
    result = change.result
    return {
        "ok": True,
        "command": command,
        "visit": summary(service, result, public=audience == "public") if result is not None else None,
        "changed": [v.id for v in change.visits],
    }


def wait_alerts(service: "CallerService", now: datetime) -> list[dict]:
    """Departments whose longest current wait passes the area's threshold (the engine decides)."""
    return [e.data for e in service.engine.wait_alerts(now)]


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
