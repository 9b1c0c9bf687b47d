"""Reading the service's event messages (docs/events.md) into plain dicts (pure).

Every knowledge of the exact JSON shapes lives here, so a change of shape is one edit.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse_ts(value: Any) -> datetime | None:
    """ISO 8601 text -> aware datetime (naive text is taken as UTC); None when missing or bad."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str) or not value:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


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
    """The room entries of a snapshot, each a dict with id, name, current, waiting ..."""
    rooms = snap.get("rooms") or []
    if isinstance(rooms, dict):
        rooms = [{"id": key, **value} for key, value in rooms.items()]
    return [r for r in rooms if isinstance(r, dict)]


def call_from_event(event: dict[str, Any]) -> dict[str, Any]:
    """A ``call`` event (or a call entry of a snapshot) as one flat dict.

    Keys: seq, ts, visit_id, ticket, name (masked), room, room_name, display_text, speech_text,
    repeat, call_count.
    """
    data = event.get("data") if isinstance(event.get("data"), dict) else event
    flat = dict(data)
    flat.setdefault("seq", event.get("seq"))
    flat.setdefault("ts", event.get("ts"))
    if "name_masked" in flat and not flat.get("name"):
        flat["name"] = flat["name_masked"]
    room = flat.get("room")
    if isinstance(room, dict):
        flat["room"] = room.get("id", "")
        flat.setdefault("room_name", room.get("name", ""))
    return flat
