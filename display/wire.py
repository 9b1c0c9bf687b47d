"""Reading the service's event messages (docs/events.md) into plain dicts (pure).

Every knowledge of the exact JSON shapes lives here, so a change of shape is one edit.
"""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any


def parse_ts(value: Any, zone: tzinfo | None) -> datetime | None:
    """ISO 8601 text -> aware datetime; None when missing or bad.

    The service sends naive hospital time: it is read in ``zone`` (the hospital's, from the screen's clock),
    never in this machine's zone.
    """
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, str) and value:
        try:
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if ts.tzinfo:
        return ts
    return ts.replace(tzinfo=zone) if zone is not None else ts.astimezone()


def snapshot_of(event: dict[str, Any]) -> dict[str, Any] | None:
    """The area snapshot an event carries (``snapshot`` events, ``queue`` events with one)."""
    data = event.get("data")
    if not isinstance(data, dict):
        return None
    for key in ("queue", "snapshot"):
        if isinstance(data.get(key), dict):
            return data[key]
    if "rooms" in data:
        return data
    return None


def rooms_from_snapshot(snap: dict[str, Any]) -> list[dict[str, Any]]:
    """The room entries of a snapshot: room_id, name, paused, doctor_id, doctor_name, called,
    in_service, queue (lists of visit items)."""
    rooms = snap.get("rooms") or []
    return [r for r in rooms if isinstance(r, dict)]


def current_of_room(room: dict[str, Any]) -> dict[str, Any] | None:
    """Who a room screen shows as "now": the latest called visit, else the one with the doctor."""
    for key in ("called", "in_service"):
        items = room.get(key) or []
        if items and isinstance(items[0], dict):
            return items[0]
    current = room.get("current")
    return current if isinstance(current, dict) else None


def call_from_event(event: dict[str, Any]) -> dict[str, Any]:
    """A ``call`` event as one flat dict.

    Keys: seq, ts, visit_id, ticket, name (masked), room_id, room_name, text (for screens),
    speech (for speakers), repeat, call_count, targets (None: every output).
    """
    data = event.get("data") if isinstance(event.get("data"), dict) else event
    flat = dict(data)
    flat["seq"] = event.get("seq", flat.get("seq"))
    flat["ts"] = event.get("ts", flat.get("ts"))
    flat["room_id"] = str(flat.get("room_id") or "")
    flat["room_name"] = str(flat.get("room_name") or flat.get("room") or flat["room_id"])
    flat["text"] = str(flat.get("text") or flat.get("display_text") or "")
    flat["speech"] = str(flat.get("speech") or flat.get("speech_text") or "")
    targets = flat.get("targets")
    flat["targets"] = list(targets) if isinstance(targets, list) else None
    return flat


def call_goes_to(call: dict[str, Any], target: str) -> bool:
    """Whether a call is meant for ``area_screen``, ``room_screen`` or ``speaker``."""
    return call.get("targets") is None or target in call["targets"]
