"""What the API and the events show: visit summaries, area/room snapshots, call data, statistics.

Public views (display/speaker tokens) are display-safe: masked names only, never an ID number or patient id.
Shapes are documented in docs/events.md.
"""
from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from caller.config import HospitalConfig
from caller.engine.announce import plain, visit_item
from caller.engine.model import Change, EngineEvent, Visit, VisitState

CallerService = Any  # caller.service.CallerService; not imported, because the service imports this module

PUBLIC_EVENT_KEYS_DROPPED = ("patient_name", "patient_id", "id_number", "full_name")


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
    """One visit for a list: the engine's display-safe item plus names of department, room, doctor."""
    rules = service.config.rules_for_area(visit.area_id)
    item = visit_item(visit, rules, True)
    if not public:
        item.update({key: plain(value) for key, value in visit_row(visit).items() if key not in item})
    names = _names(service)
    room = names["room"].get(visit.room_id) if visit.room_id else None
    doctor = names["doctor"].get(visit.doctor_id) if visit.doctor_id else None
    item["dept_name"] = names["dept"].get(visit.dept_id, visit.dept_id)
    item["room_name"] = room.name if room else None
    item["doctor_name"] = doctor.name if doctor else None
    item["priority_kind"] = visit.priority_kind
    item["position"] = position
    if public:
        for key in PUBLIC_EVENT_KEYS_DROPPED:
            item.pop(key, None)
    return item


PUBLIC_LIST_MAX = 10   # public lists are cut to their head (``*_total`` keeps the full count)
PUBLIC_ROOM_CALLED_MAX = 3


def _public_snapshot(service: "CallerService", area_id: str) -> dict:
    """``engine.snapshot(area, public=True)`` with every list cut to its head *before* building items.

    Same shape (a test compares the two); wall screens follow it on every queue change, so it must stay
    cheap however many visits the day has.
    """
    engine = service.engine
    area = service.config.area(area_id)
    rules = area.rules
    doctors = _names(service)["doctor"]

    def items(visits: list[Visit], most: int) -> tuple[list[dict], int]:
        shown = [v for v in visits if not (v.number_kind == "extra" and not rules.extra_numbers_called)]
        return [visit_item(v, rules, True) for v in shown[:most]], len(shown)

    called = engine.called(area_id)
    in_service = engine.in_service(area_id)
    rooms = []
    for room in area.rooms:
        doctor_id = engine.room_doctor(room.id)
        doctor = doctors.get(doctor_id or "")
        room_called, called_total = items([v for v in called if v.room_id == room.id], PUBLIC_ROOM_CALLED_MAX)
        queue, queue_total = items(engine.room_queue(room.id), PUBLIC_LIST_MAX)
        rooms.append({
            "room_id": room.id, "name": room.name, "name_en": room.name_en,
            "paused": engine.room_state(room.id).paused, "return_at": engine.room_state(room.id).return_at,
            "doctor_id": doctor_id,
            "doctor_name": doctor.name if doctor else "",
            "called": room_called,
            "in_service": items([v for v in in_service if v.room_id == room.id], PUBLIC_LIST_MAX)[0],
            "queue": queue, "called_total": called_total, "queue_total": queue_total,
            "next": items(engine.room_next(room.id), PUBLIC_LIST_MAX)[0],
        })
    snap: dict[str, Any] = {"area_id": area_id, "name": area.name, "name_en": area.name_en, "day": None}
    for key, visits in (("waiting", engine.area_queue(area_id)), ("called", called),
                        ("missed", engine.missed(area_id)), ("away", engine.away(area_id))):
        snap[key], snap[f"{key}_total"] = items(visits, PUBLIC_LIST_MAX)
    snap["rooms"] = rooms
    return snap


def area_snapshot(service: "CallerService", area_id: str, public: bool) -> dict:
    """The engine's area snapshot plus notices and broadcasts; public lists cut to their head."""
    if public:
        snap = _public_snapshot(service, area_id)
        snap["day"] = _engine_day(service)
    else:
        snap = service.engine.snapshot(area_id, False)
    area = service.config.area(area_id)
    snap["emergency"] = area.emergency
    snap["location"] = area.location
    snap["notices"] = list(area.notices)
    snap["broadcasts"] = list(service.broadcasts.get(area_id, ()))
    return snap


def _engine_day(service: "CallerService") -> str | None:
    day = getattr(service.engine, "_day", None)
    return day.isoformat() if day else None


def room_snapshot(service: "CallerService", room_id: str, public: bool) -> dict:
    area_id = service.area_of_room(room_id)
    snap = area_snapshot(service, area_id, public)
    room = next(r for r in snap["rooms"] if r["room_id"] == room_id)
    return {**room, "area_id": area_id}


def visit_status(service: "CallerService", visit: Visit, now: datetime,
                 place: tuple[int, float] | None = None, why: bool = True) -> dict:
    """Where a patient is: position, visits ahead, estimate, room, state (for the kiosk and the ticket QR).

    ``place``: (ahead, minutes) when the caller already has it (``engine.positions`` of the area); ``why``: False
    leaves out the "why here" text (the caller has it already)."""
    ahead = place[0] if place is not None else service.engine.position(visit.id)[0]
    out = summary(service, visit, public=True)
    queued = visit.state in (VisitState.waiting, VisitState.room_waiting, VisitState.registered)
    shown = service.estimate(visit.id, ahead if place is not None else None)
    out.update({"ahead": ahead if queued else 0, "position": ahead + 1 if queued else None,
                "estimate_minutes": shown.minutes if queued else 0,
                "estimate_min": shown.low if queued else 0, "estimate_max": shown.high if queued else 0,
                "ticket_token": service.ticket_links.token(visit)})
    if queued and why:  # "why here", short, for the kiosk, the ticket page and the phone
        out["why_zh"], out["why_en"] = service.engine.why_here(visit.id)
    return out


def call_data(service: "CallerService", event: EngineEvent) -> dict:
    """The display-safe call event; the engine already rendered the texts with the masked/speech names."""
    data = dict(event.data)
    staff = {k: data.pop(k) for k in list(data) if k in PUBLIC_EVENT_KEYS_DROPPED}
    room = _names(service)["room"].get(data.get("room_id") or "")
    if room is not None:
        data.setdefault("room_name", room.name)
        data.setdefault("room_name_en", room.name_en)
    if staff:
        data["staff"] = staff
    return data


def event_data(service: "CallerService", event: EngineEvent, command: str) -> dict:
    """Turn an engine event into the stored/published data (docs/events.md)."""
    data = dict(event.data)
    if event.type == "queue":
        ids = data.get("visit_ids", [])
        visits = [service.engine.visit(i) for i in ids]
        out = {"reason": data.get("reason", command), "reasons": data.get("reasons", [command]),
               "changed": [summary(service, v, public=True) for v in visits]}
        full = {v.id: v.patient_name for v in visits}
        if full:
            out["staff"] = {"names": full}
        return out
    return call_data(service, event)


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
    return [{**e.data, "area": e.area_id, "active": True} for e in service.engine.wait_alerts(now)]


def stats_summary(service: "CallerService", now: datetime) -> dict:
    today = now.date()
    per_dept = []
    all_today = [v for v in service.engine.visits() if v.day == today]
    for dept in service.config.departments:
        visits = [v for v in all_today if v.dept_id == dept.id]
        waits = [(v.called_at - (v.checkin_at or v.registered_at)).total_seconds() / 60
                 for v in visits if v.called_at and (v.checkin_at or v.registered_at)]
        services = [(v.finished_at - v.started_at).total_seconds() / 60
                    for v in visits if v.finished_at and v.started_at]
        per_dept.append({
            "department": dept.id, "name": dept.name, "area": dept.area,
            "registered": len(visits),
            "waiting": sum(1 for v in visits if v.in_queue),
            "done": sum(1 for v in visits if v.state is VisitState.done),
            "missed": sum(1 for v in visits if v.state is VisitState.missed),
            "cancelled": sum(1 for v in visits if v.state is VisitState.cancelled),
            "median_wait_minutes": round(median(waits), 1) if waits else None,
            "median_service_minutes": round(median(services), 1) if services else None,
        })
    return {"day": today.isoformat(), "departments": per_dept, "alerts": wait_alerts(service, now)}


def hospital_public(cfg: HospitalConfig) -> dict:
    """The hospital's structure as apps need it (no tokens, no users, no password hashes)."""
    return {
        "hospital": cfg.hospital.model_dump(),
        "areas": [{"id": a.id, "name": a.name, "name_en": a.name_en, "location": a.location, "location_en": a.location_en,
                   "emergency": a.emergency, "notices": list(a.notices),
                   "rooms": [r.model_dump() for r in a.rooms],
                   "rules": {"check_in_mode": a.rules.check_in_mode, "call_repeat": a.rules.call_repeat,
                             "call_targets": list(a.rules.call_targets), "screen_name": a.rules.screen_name,
                             "speech_name": a.rules.speech_name, "missed_after_calls": a.rules.missed_after_calls,
                             "special_kinds": [k.model_dump() for k in a.rules.special_kinds]}}
                  for a in cfg.areas],
        "departments": [d.model_dump() for d in cfg.departments],
        "doctors": [d.model_dump() for d in cfg.doctors],
        "fees": cfg.fees.model_dump(),
        "schedule": cfg.schedule.model_dump(mode="json"),
        "device_health": cfg.device_health.model_dump(),
    }
