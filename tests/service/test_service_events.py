"""The live event protocol (docs/events.md) over a real WebSocket: replay, snapshot, heartbeat, reconnects."""
from __future__ import annotations

import json
import queue
import time

import httpx
from websockets.sync.client import connect

from caller.testing import DEMO_TOKENS as T
from client.http import EventSubscriber


def _ws(live, token: str, since: int | None = None, area: str = "NK"):
    url = f"{live.replace('http', 'ws')}/api/v1/events?area={area}"
    if since is not None:
        url += f"&since={since}"
    return connect(url, additional_headers={"Authorization": f"Bearer {token}"})


def _until(ws, seq: int) -> list[dict]:
    """Messages up to and including the one with this seq (heartbeats skipped)."""
    out = []
    while True:
        msg = json.loads(ws.recv(timeout=5))
        if msg["type"] == "heartbeat":
            continue
        out.append(msg)
        if msg.get("seq") == seq:
            return out


def test_reconnect_with_since_replays_what_was_missed_in_order(live, kiosk, nurse, register_waiting):
    register_waiting(3)
    with _ws(live, T["wall_nk"]) as ws:
        first = json.loads(ws.recv(timeout=5))
    assert first["type"] == "snapshot" and first["seq"] == live.service.hub.seq
    last_seen = first["seq"]

    called = nurse.call_next("NK3")["visit"]               # missed while disconnected
    nurse.broadcast("NK", "请您耐心等候，谢谢。")
    kiosk.register("WK", name="李雷")                        # another area: not replayed to NK
    last = nurse.call_again(called["visit_id"])["seq"]

    with _ws(live, T["wall_nk"], since=last_seen) as ws:
        replay = _until(ws, last)
    seqs = [m["seq"] for m in replay]
    assert seqs == sorted(seqs) and seqs[0] > last_seen
    assert [m["type"] for m in replay] == ["call", "queue", "broadcast", "call"]
    assert all(m["area"] == "NK" for m in replay)
    calls = [m["data"] for m in replay if m["type"] == "call"]
    assert [c["call_count"] for c in calls] == [1, 2] and calls[0]["ticket"] == called["ticket"]
    queues = [m for m in replay if m["type"] == "queue"]
    assert len(queues) == 1  # older queue states collapse into the latest, which carries the current snapshot
    assert queues[0]["data"]["queue"]["rooms"][2]["called"][0]["ticket"] == called["ticket"]


def test_snapshot_instead_of_replay_when_too_much_was_missed_or_since_is_unknown(live, kiosk, register_waiting):
    register_waiting(2)
    current = live.service.hub.seq
    live.service.hub.replay_limit = 2  # so that "too much" is reached quickly
    with _ws(live, T["wall_nk"], since=current - 3) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
    with _ws(live, T["wall_nk"], since=current + 50) as ws:  # a database that was replaced
        msg = json.loads(ws.recv(timeout=5))
    assert msg["type"] == "snapshot" and msg["seq"] == current
    assert msg["data"]["area_id"] == "NK"
    assert len(msg["data"]["rooms"][2]["queue"]) + len(msg["data"]["waiting"]) == 2


def test_heartbeat_carries_the_current_seq_and_closed_peers_are_dropped(live):
    with _ws(live, T["speaker_nk"]) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        # a screen declares the link dead after 6 s of silence: a heartbeat must come well before that
        beat = json.loads(ws.recv(timeout=5))
        assert beat["type"] == "heartbeat" and beat["seq"] == live.service.hub.seq
        # with uvicorn's sans-I/O WebSocket the hub writes frames straight to the socket
        assert [s.direct is not None for s in live.service.hub.all_subscribers()] == [True]
        assert httpx.get(f"{live}/healthz").json()["subscribers"] == 1
    deadline = time.monotonic() + 5
    while httpx.get(f"{live}/healthz").json()["subscribers"] != 0:
        assert time.monotonic() < deadline, "a closed peer stayed subscribed"
        time.sleep(0.05)


def test_event_subscriber_reports_connected_then_lost_and_resumes(live, nurse, register_waiting):
    register_waiting(2)
    events: queue.Queue = queue.Queue()
    statuses: queue.Queue = queue.Queue()
    sub = EventSubscriber(live, T["wall_nk"], "NK", events.put, statuses.put).start()
    try:
        assert statuses.get(timeout=5) == "connected"
        assert events.get(timeout=5)["type"] == "snapshot"
        called = nurse.call_next("NK3")["visit"]
        msg = events.get(timeout=5)
        assert msg["type"] == "call" and msg["data"]["ticket"] == called["ticket"]
        # cut the link from the server side: the subscriber notices, reconnects and resumes from its last seq
        for s in list(live.service.hub.all_subscribers()):
            s.close()
        assert statuses.get(timeout=6) == "lost"
        assert statuses.get(timeout=6) == "connected"
        nurse.call_again(called["visit_id"])
        types = []
        while "call" not in types:
            types.append(events.get(timeout=5)["type"])
        assert "snapshot" not in types  # resumed with since: no snapshot needed
    finally:
        sub.stop()
