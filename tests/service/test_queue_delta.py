"""Staff queue deltas: applying the delta of two snapshots gives the second, and a small change stays small."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from common.queue_delta import apply_delta, queue_delta

ids = st.lists(st.sampled_from([f"v{i}" for i in range(30)]), unique=True, max_size=12)


@st.composite
def snapshots(draw):
    version = draw(st.integers(0, 2))

    def items(names):
        return [{"visit_id": v, "ticket": v.upper(), "state": draw(st.sampled_from(["waiting", "called"])),
                 "v": version} for v in names]

    rooms = [{"room_id": r, "name": r, "paused": draw(st.booleans()), "called": items(draw(ids)),
              "in_service": [], "queue": items(draw(ids)), "next": items(draw(ids))} for r in ("R1", "R2")]
    return {"area_id": "NK", "day": "2026-11-23", "broadcasts": draw(st.lists(st.text(max_size=3), max_size=2)),
            "waiting": items(draw(ids)), "called": items(draw(ids)), "missed": [], "away": items(draw(ids)),
            "rooms": rooms}


def _consistent(snap):
    """One visit has one item in a snapshot (the engine builds each from the same visit)."""
    seen = {}
    for key in ("waiting", "called", "missed", "away"):
        for item in snap[key]:
            seen.setdefault(item["visit_id"], item)
    for room in snap["rooms"]:
        for key in ("called", "in_service", "queue", "next"):
            room[key] = [seen.setdefault(i["visit_id"], i) for i in room[key]]
    for key in ("waiting", "called", "missed", "away"):
        snap[key] = [seen[i["visit_id"]] for i in snap[key]]
    return snap


@settings(max_examples=300, deadline=None)
@given(old=snapshots(), new=snapshots())
def test_applying_the_delta_gives_the_new_snapshot(old, new):
    old, new = _consistent(old), _consistent(new)
    assert apply_delta(old, queue_delta(old, new)) == new


def test_one_check_in_among_500_waiting_sends_one_item_and_one_insert():
    waiting = [{"visit_id": f"v{i}", "ticket": f"A{i:03d}"} for i in range(500)]
    old = {"area_id": "NK", "waiting": waiting, "called": [], "missed": [], "away": [], "rooms": []}
    new = {**old, "waiting": waiting[:3] + [{"visit_id": "new", "ticket": "A999"}] + waiting[3:]}
    delta = queue_delta(old, new)
    assert delta["items"] == {"new": {"visit_id": "new", "ticket": "A999"}}
    assert delta["lists"] == {"waiting": {"remove": [], "insert": [["new", "v2"]]}}
    assert apply_delta(old, delta) == new
