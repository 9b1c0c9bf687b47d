"""Staff queue changes as deltas: what changed between two area snapshots, and applying it (pure).

A console follows a whole area: sending the full staff snapshot on every change costs ~770 bytes per waiting
patient (385 KB at 500 waiting). Between two snapshots usually one or two visits changed; the delta carries
those visits' items and, per list, only the moves:

    {"items": {visit_id: item, ...},                 # new or changed visits (whole items)
     "lists": {"waiting": {"remove": [id, ...], "insert": [[id, after_id | None], ...]},
               "rooms/NK3/queue": {"ids": [...]},   # a list sent whole when that is shorter
               ...},
     "rooms": {"NK3": {"paused": true, ...}},        # changed room fields (not lists)
     "set": {"broadcasts": [...], ...}}              # changed top-level fields (not lists)

``apply_delta(old, queue_delta(old, new)) == new`` for any two snapshots of one area (a hypothesis
property in the tests). Visits that keep their relative order are not sent again; a visit that moved is
removed and inserted after its new predecessor.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Any

AREA_LISTS = ("waiting", "called", "missed", "away")
ROOM_LISTS = ("called", "in_service", "queue", "next")


def _paths(snap: dict) -> dict[str, list[dict]]:
    """Every list of visit items in a snapshot, by path."""
    out = {name: snap.get(name) or [] for name in AREA_LISTS}
    for room in snap.get("rooms") or []:
        for name in ROOM_LISTS:
            out[f"rooms/{room.get('room_id')}/{name}"] = room.get(name) or []
    return out


def _kept_in_order(old_ids: list[str], new_ids: list[str]) -> set[str]:
    """The largest set of ids present in both lists whose relative order did not change (LIS)."""
    where = {vid: i for i, vid in enumerate(old_ids)}
    seq = [(where[vid], vid) for vid in new_ids if vid in where]
    tails: list[int] = []
    tail_at: list[int] = []
    parent = [-1] * len(seq)
    for i, (pos, _vid) in enumerate(seq):
        k = bisect_left(tails, pos)
        if k == len(tails):
            tails.append(pos)
            tail_at.append(i)
        else:
            tails[k] = pos
            tail_at[k] = i
        parent[i] = tail_at[k - 1] if k else -1
    kept: set[str] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        kept.add(seq[i][1])
        i = parent[i]
    return kept


def _list_ops(old_ids: list[str], new_ids: list[str]) -> dict | None:
    if old_ids == new_ids:
        return None
    kept = _kept_in_order(old_ids, new_ids)
    remove = [vid for vid in old_ids if vid not in kept]
    insert = []
    for i, vid in enumerate(new_ids):
        if vid not in kept:
            insert.append([vid, new_ids[i - 1] if i else None])
    if len(remove) + 2 * len(insert) >= len(new_ids):
        return {"ids": list(new_ids)}
    return {"remove": remove, "insert": insert}


def queue_delta(old: dict, new: dict) -> dict:
    """The delta that turns snapshot ``old`` into ``new`` (same area)."""
    old_paths, new_paths = _paths(old), _paths(new)
    old_items = {i["visit_id"]: i for items in old_paths.values() for i in items}
    items = {}
    for listed in new_paths.values():
        for item in listed:
            vid = item["visit_id"]
            if vid not in items and old_items.get(vid) != item:
                items[vid] = item
    lists = {}
    for path, listed in new_paths.items():
        ops = _list_ops([i["visit_id"] for i in old_paths.get(path, [])], [i["visit_id"] for i in listed])
        if ops is not None:
            lists[path] = ops
    old_rooms = {r.get("room_id"): r for r in old.get("rooms") or []}
    rooms = {}
    for room in new.get("rooms") or []:
        before = old_rooms.get(room.get("room_id"), {})
        changed = {k: v for k, v in room.items() if k not in ROOM_LISTS and before.get(k) != v}
        if changed or room.get("room_id") not in old_rooms:
            rooms[room.get("room_id")] = changed
    delta: dict[str, Any] = {"items": items, "lists": lists, "rooms": rooms,
                             "set": {k: v for k, v in new.items() if k not in AREA_LISTS and k != "rooms"
                                     and old.get(k) != v}}
    if [r.get("room_id") for r in new.get("rooms") or []] != list(old_rooms):
        delta["room_order"] = [r.get("room_id") for r in new.get("rooms") or []]
    return delta


def _apply_ops(ids: list[str], ops: dict) -> list[str]:
    if "ids" in ops:
        return list(ops["ids"])
    moved = set(ops.get("remove") or []) | {vid for vid, _after in ops.get("insert") or []}
    out = [vid for vid in ids if vid not in moved]
    for vid, after in ops.get("insert") or []:
        out.insert(out.index(after) + 1 if after is not None else 0, vid)
    return out


def apply_delta(old: dict, delta: dict) -> dict:
    """The snapshot ``queue_delta(old, new)`` describes: ``new``."""
    old_paths = _paths(old)
    items = {i["visit_id"]: i for listed in old_paths.values() for i in listed}
    items.update(delta.get("items") or {})
    lists = delta.get("lists") or {}

    def rebuilt(path: str) -> list[dict]:
        ids = [i["visit_id"] for i in old_paths.get(path, [])]
        if path in lists:
            ids = _apply_ops(ids, lists[path])
        return [items[vid] for vid in ids]

    new = {k: v for k, v in old.items() if k not in AREA_LISTS and k != "rooms"}
    new.update(delta.get("set") or {})
    for name in AREA_LISTS:
        if name in old or f"{name}" in lists:
            new[name] = rebuilt(name)
    old_rooms = {r.get("room_id"): r for r in old.get("rooms") or []}
    order = delta.get("room_order") or list(old_rooms)
    room_changes = delta.get("rooms") or {}
    rooms = []
    for room_id in order:
        room = {k: v for k, v in old_rooms.get(room_id, {}).items() if k not in ROOM_LISTS}
        room.update(room_changes.get(room_id) or {})
        for name in ROOM_LISTS:
            path = f"rooms/{room_id}/{name}"
            if name in old_rooms.get(room_id, {}) or path in lists:
                room[name] = rebuilt(path)
        rooms.append(room)
    new["rooms"] = rooms
    return new
