"""Event messages shaped as the service sends them (the models of common/wire.py), for the display tests."""
from __future__ import annotations

from datetime import datetime, timezone

from common.privacy import spoken_name
from common.speech_text import speakable, spoken_room, spoken_ticket
from common.wire import BroadcastData, CallData, PublicSnapshot, RoomSnapshot, VisitItem


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="milliseconds")


def room(room_id: str, name: str, current=None, waiting=(), paused=False, doctor=None, return_at=None) -> dict:
    doctor = doctor or {}
    return RoomSnapshot[VisitItem](
        room_id=room_id, name=name, paused=paused, return_at=return_at, doctor_id=doctor.get("id"),
        doctor_name=doctor.get("name") or "", called=[current] if current else [], in_service=[],
        queue=list(waiting), next=list(waiting)).model_dump()


def visit(ticket: str, name: str, visit_id: str | None = None) -> dict:
    return VisitItem(visit_id=visit_id or f"v-{ticket}", ticket=ticket, name=name, dept_id="NK", doctor_id=None,
                     number_kind="general", state="room_waiting", room_id=None, late=False, recalled=False,
                     priority=False, triage_level=None, call_count=0).model_dump()


def snapshot(seq: int, rooms: list[dict], ts: datetime, notices=None) -> dict:
    data = PublicSnapshot(area_id="NK", name="内科诊区", day=ts.date().isoformat(), waiting=[], called=[], missed=[],
                          away=[], rooms=rooms, notices=notices or [], broadcasts=[]).model_dump()
    return {"seq": seq, "type": "snapshot", "area": "NK", "ts": iso(ts), "data": data}


def call(seq: int, ticket: str, name: str, room_id: str, room_name: str, ts: datetime, *,
         speech: str | None = None, repeat: int = 2, visit_id: str | None = None) -> dict:
    """A call as the service renders it (default call template; the spoken name of the masked one)."""
    if speech is None:
        speech = speakable(f"请 {spoken_ticket(ticket)} 号 {spoken_name(name)} 到 {spoken_room(room_name)} 就诊")
    data = CallData(visit_id=visit_id or f"v-{ticket}", ticket=ticket, name=name, room_id=room_id,
                    room_name=room_name, dept_id="NK", number_kind="general",
                    text=f"请 {ticket} 号 {name} 到 {room_name} 就诊", speech=" ".join(speech.split()),
                    repeat=repeat, call_count=1, targets=["area_screen", "room_screen", "speaker"])
    return {"seq": seq, "type": "call", "area": "NK", "ts": iso(ts), "data": data.model_dump()}


def broadcast(seq: int, text: str, ts: datetime) -> dict:
    data = BroadcastData(text=text, speech=speakable(text))
    return {"seq": seq, "type": "broadcast", "area": "NK", "ts": iso(ts), "data": data.model_dump()}


NOON = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
