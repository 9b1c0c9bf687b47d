"""Event messages shaped as the service sends them (docs/events.md), for the display tests."""
from __future__ import annotations

from datetime import datetime, timezone


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="milliseconds")


def room(room_id: str, name: str, current=None, waiting=(), paused=False, doctor=None) -> dict:
    doctor = doctor or {}
    return {"room_id": room_id, "name": name, "paused": paused, "doctor_id": doctor.get("id"),
            "doctor_name": doctor.get("name"), "called": [current] if current else [], "in_service": [],
            "queue": list(waiting)}


def visit(ticket: str, name: str, visit_id: str | None = None) -> dict:
    return {"visit_id": visit_id or f"v-{ticket}", "ticket": ticket, "name": name}


def snapshot(seq: int, rooms: list[dict], ts: datetime, notices=None) -> dict:
    data = {"rooms": rooms}
    if notices is not None:
        data["notices"] = notices
    return {"seq": seq, "type": "snapshot", "area": "NK", "ts": iso(ts), "data": data}


def call(seq: int, ticket: str, name: str, room_id: str, room_name: str, ts: datetime, *,
         speech_text: str = "", repeat: int = 2, visit_id: str | None = None) -> dict:
    return {"seq": seq, "type": "call", "area": "NK", "ts": iso(ts),
            "data": {"visit_id": visit_id or f"v-{ticket}", "ticket": ticket, "name": name, "room_id": room_id,
                     "room": room_name, "room_name": room_name, "text": f"请 {ticket} 号 {name} 到 {room_name} 就诊",
                     "speech": speech_text, "repeat": repeat, "call_count": 1,
                     "targets": ["area_screen", "room_screen", "speaker"]}}


def broadcast(seq: int, text: str, ts: datetime) -> dict:
    return {"seq": seq, "type": "broadcast", "area": "NK", "ts": iso(ts), "data": {"text": text, "text_en": "", "speech_text": text}}


NOON = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
