"""Reloading the hospital file into a running service (pure: what changed, and what a new file may not do).

``python -m caller reload`` (or ``systemctl reload hospital-service``, i.e. SIGHUP) re-reads the file; the service
validates it as a whole (:func:`common.config.load_hospital`), then checks it against the live queues here, and only
then applies it: notices, rules, devices, users, schedules and fees, with no connection or queue dropped.
"""
from __future__ import annotations

from typing import Any, Iterable

from common.config import HospitalConfig


def _ids(items: Iterable[Any], key: str = "id") -> set[str]:
    return {getattr(item, key) for item in items}


def config_changes(old: HospitalConfig, new: HospitalConfig) -> dict[str, Any]:
    """What a reload changes, for the audit row and the answer (names only, never tokens or hashes)."""
    out: dict[str, Any] = {}
    for kind, attr, key in (("areas", "areas", "id"), ("departments", "departments", "id"),
                            ("doctors", "doctors", "id"), ("devices", "devices", "id"),
                            ("users", "users", "username")):
        before, after = _ids(getattr(old, attr), key), _ids(getattr(new, attr), key)
        added, removed = sorted(after - before), sorted(before - after)
        if added:
            out[f"{kind}_added"] = added
        if removed:
            out[f"{kind}_removed"] = removed
    old_devices = {d.id: d for d in old.devices}
    changed = sorted(d.id for d in new.devices if d.id in old_devices and d != old_devices[d.id])
    if changed:
        out["devices_changed"] = changed  # a new token, area, room or settings
    old_users = {u.username: u for u in old.users}
    changed = sorted(u.username for u in new.users if u.username in old_users and u != old_users[u.username])
    if changed:
        out["users_changed"] = changed
    old_areas = {a.id: a for a in old.areas}
    notices = sorted(a.id for a in new.areas if a.id in old_areas and a.notices != old_areas[a.id].notices)
    if notices:
        out["notices_changed"] = notices
    rules = sorted(a.id for a in new.areas if a.id in old_areas and a.rules != old_areas[a.id].rules)
    if rules:
        out["rules_changed"] = rules
    for section in ("hospital", "schedule", "fees", "notify"):
        if getattr(old, section) != getattr(new, section):
            out[f"{section}_changed"] = True
    return out


def reload_problems(old: HospitalConfig, new: HospitalConfig, live: Iterable[Any]) -> list[tuple[str, str]]:
    """Why ``new`` cannot replace ``old`` while the service runs: (key, message) pairs, empty when it can.

    ``live`` are today's visits that are not finished: their area, department and room must still exist.
    """
    problems: list[tuple[str, str]] = []
    if new.hospital.timezone != old.hospital.timezone:
        problems.append(("hospital.timezone", "changing the time zone needs a restart of the service, "
                                              "outside clinic hours"))
    areas = _ids(new.areas)
    departments = _ids(new.departments)
    rooms = {room.id for area in new.areas for room in area.rooms}
    seen: set[tuple[str, str]] = set()
    for visit in live:
        for key, value, known in (("areas", visit.area_id, areas), ("departments", visit.dept_id, departments),
                                  ("rooms", getattr(visit, "room_id", None), rooms)):
            if value and value not in known and (key, value) not in seen:
                seen.add((key, value))
                problems.append((key, f"{value!r} is removed but patients are still queued there today; "
                                      "remove it after clinic hours"))
    return problems
