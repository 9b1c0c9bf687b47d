"""Pieces under the API: a failed write leaves nothing behind; replay from the database; slow peers."""
from __future__ import annotations

import asyncio
import json
import queue
import threading

import pytest
from websockets.sync.client import connect
from websockets.sync.server import serve

from caller.api.models import RegisterBody
from caller.auth import Principal
from caller.events import Subscriber
from caller.testing import DEMO_TOKENS as T
from client.http import EventSubscriber

KIOSK = Principal(role="kiosk", device="kiosk-lobby-1")


def test_a_failing_write_changes_nothing_in_memory_or_on_disk(live, kiosk):
    service = live.service
    first = kiosk.register("NK", name="张三")["visit"]

    def broken(conn, response):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        service.execute("register", KIOSK, body=RegisterBody(department="NK", name="李四"), extra_writes=broken)
    assert [v.ticket for v in service.engine.visits()] == [first["ticket"]]
    assert len(service.store.load().visits) == 1
    assert kiosk.register("NK", name="李四")["visit"]["ticket"] == "A002"  # the number was not used up


def test_replay_comes_from_the_database_when_the_memory_ring_no_longer_has_it(live, nurse, register_waiting):
    register_waiting(2)
    since = live.service.hub.seq
    called = nurse.call_next("NK3")["visit"]
    last = nurse.broadcast("NK", "请您稍候。")["seq"]
    hub = live.service.hub
    hub.ring.clear()
    hub.ring_floor = hub.seq  # as after a restart: nothing in memory
    url = f"{live.replace('http', 'ws')}/api/v1/events?area=NK&since={since}"
    with connect(url, additional_headers={"Authorization": f"Bearer {T['wall_nk']}"}) as ws:
        got = []
        while not got or got[-1]["seq"] != last:
            msg = json.loads(ws.recv(timeout=5))
            if msg["type"] != "heartbeat":
                got.append(msg)
    assert [m["type"] for m in got] == ["call", "queue", "broadcast"]
    assert got[0]["data"]["ticket"] == called["ticket"]
    assert got[1]["data"]["queue"]["area_id"] == "NK"


def test_a_waiting_queue_message_is_replaced_by_a_newer_one_but_calls_are_never_dropped():
    async def scenario() -> tuple[list[str], str | None]:
        sub = Subscriber("NK", "public")
        for text, replaceable in (("q1", True), ("q2", True), ("call", False), ("q3", True)):
            sub.offer(text, replaceable)
        sent = [await sub.next() for _ in range(3)]
        sub.close()
        return sent, await sub.next()

    sent, after_close = asyncio.run(scenario())
    assert sent == ["q2", "call", "q3"]  # q1 replaced by the newer state; the order never changes
    assert after_close is None


def test_subscriber_reports_lost_when_a_connected_server_goes_silent():
    statuses: queue.Queue = queue.Queue()
    release = threading.Event()

    def silent(ws) -> None:
        release.wait(10)  # accepts, then says nothing: no heartbeat

    with serve(silent, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sub = EventSubscriber(f"http://127.0.0.1:{port}", "t", "NK", lambda m: None, statuses.put, silence=0.5).start()
        try:
            assert statuses.get(timeout=5) == "connected"
            assert statuses.get(timeout=3) == "lost"
        finally:
            release.set()
            sub.stop()
            server.shutdown()


def test_events_also_flow_through_plain_asgi_when_frames_cannot_be_written_directly(hospital, tmp_path, clock):
    import warnings

    from caller.testing import DEMO_PASSWORD, run_service
    from client.http import CallerClient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with run_service(hospital, tmp_path / "h.db", clock=clock, records=False, ws="websockets") as live:
            kiosk = CallerClient(live, T["kiosk"])
            nurse = CallerClient(live, T["console_nk"])
            nurse.login("wanghs", DEMO_PASSWORD)
            visit = kiosk.register("NK", name="张三")["visit"]
            kiosk.check_in(visit["visit_id"])
            url = f"{live.replace('http', 'ws')}/api/v1/events?area=NK"
            with connect(url, additional_headers={"Authorization": f"Bearer {T['wall_nk']}"}) as ws:
                assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
                assert [s.direct for s in live.service.hub.all_subscribers()] == [None]
                nurse.call_next("NK3")
                types = [json.loads(ws.recv(timeout=5))["type"] for _ in range(2)]
                assert types == ["call", "queue"]
                assert json.loads(ws.recv(timeout=3))["type"] == "heartbeat"
            kiosk.close()
            nurse.close()


def test_commands_arriving_together_share_one_queue_snapshot_and_calls_still_go_out_in_order(tmp_path):
    from caller.events import EventHub
    from caller.store import EventRow, Store

    built: list[tuple[str, str]] = []

    def snapshot(area: str, audience: str) -> dict:
        built.append((area, audience))
        return {"area_id": area, "waiting": [{"visit_id": f"v{len(built)}", "ticket": f"A{len(built):03d}"}]}

    async def scenario() -> tuple[list[dict], list[dict]]:
        hub = EventHub(Store(tmp_path / "h.db"), snapshot)
        await hub.start()
        wall, _ = hub.subscribe("NK", "public", None)
        console, _ = hub.subscribe("NK", "staff", None)
        built.clear()
        ts = "2026-11-23T09:00:00.000"
        hub.publish([EventRow(1, "queue", "NK", ts, {"reason": "check_in"})])
        hub.publish([EventRow(2, "call", "NK", ts, {"ticket": "A001", "staff": {"patient_name": "王小明"}}),
                     EventRow(3, "queue", "NK", ts, {"reason": "call"})])
        # the call did not wait behind the stale queue state 1, nor for any snapshot
        assert wall.has_pending() and console.has_pending() and built == []
        hub.publish([EventRow(4, "queue", "NK", ts, {"reason": "check_in"})])
        got = []
        for sub in (wall, console):  # each peer's messages up to its queue snapshot, and nothing after it
            messages = [json.loads(await asyncio.wait_for(sub.next(), 5))]
            while messages[-1]["type"] != "queue":
                messages.append(json.loads(await asyncio.wait_for(sub.next(), 5)))
            assert not sub.has_pending()
            got.append(messages)
        await hub.stop()
        return got[0], got[1]

    wall, console = asyncio.run(scenario())
    assert [(m["seq"], m["type"]) for m in wall] == [(2, "call"), (4, "queue")]
    assert [(m["seq"], m["type"]) for m in console] == [(2, "call"), (4, "queue")]
    assert "staff" not in wall[0]["data"] and console[0]["data"]["staff"] == {"patient_name": "王小明"}
    assert sorted(built) == [("NK", "public"), ("NK", "staff")]  # one snapshot per audience for the batch


def test_a_peer_replayed_from_the_database_while_committed_events_wait_to_be_sent_gets_each_call_once(tmp_path):
    """A wall reconnecting (after a failover: nothing in the ring yet) while the writer's last batch is committed
    but its events not yet sent: the replay stops at what the hub has sent, the rest comes live, once."""
    from caller.events import EventHub
    from caller.store import ChangeRows, EventRow, Store

    store = Store(tmp_path / "h.db")
    ts = "2026-11-23T09:00:00.000"

    def commit(*tickets: str) -> list[EventRow]:
        with store.transaction() as conn:
            return store.write_change(conn, ChangeRows(events=[("call", "NK", ts, {"ticket": t}) for t in tickets]))

    async def scenario() -> list[tuple[int, str]]:
        hub = EventHub(store, lambda area, audience: {"area_id": area, "waiting": []})
        await hub.start()
        hub.publish(commit("A001"))            # committed and sent
        hub.ring.clear()
        hub.ring_floor = hub.seq              # as on a service that just took over: the ring is empty
        hub.publish(commit("A002", "A003"), later=True)  # committed; sent once the answers are out
        wall, first = hub.subscribe("NK", "public", since=0)
        hub.drain()
        messages = [json.loads(text) for text in first]
        while not messages or messages[-1]["type"] != "call" or messages[-1]["data"]["ticket"] != "A003":
            messages.append(json.loads(await asyncio.wait_for(wall.next(), 5)))
        while wall.has_pending():  # whatever else is already there (a call said twice would be)
            messages.append(json.loads(await wall.next()))
        await hub.stop()
        return [(m["seq"], m["data"]["ticket"]) for m in messages if m["type"] == "call"]

    assert asyncio.run(scenario()) == [(1, "A001"), (2, "A002"), (3, "A003")]
    store.close()


def test_calls_close_together_reach_the_wall_before_the_one_queue_snapshot_they_share(tmp_path):
    """Two rooms of an area call at nearly the same moment: the wall has both calls before the area's public
    snapshot is even built, then one queue message (the newer state); a wall of another area has its call at once;
    the area's console has each queue change right after its call (it does not wait for the walls' window); another
    event of an area whose public snapshot is held comes after it, at once, not at the end of the window."""
    from caller.events import EventHub
    from caller.store import EventRow, Store

    built: list[tuple[str, str]] = []

    def snapshot(area: str, audience: str) -> dict:
        built.append((area, audience))
        return {"area_id": area, "waiting": []}

    ts = "2026-11-23T09:00:00.000"

    def call(seq: int, area: str, ticket: str) -> list[EventRow]:
        return [EventRow(seq, "call", area, ts, {"ticket": ticket}), EventRow(seq + 1, "queue", area, ts, {"reason": "call"})]

    async def received(sub, count: int, within: float) -> list[tuple[int, str]]:
        messages = [json.loads(await asyncio.wait_for(sub.next(), within)) for _ in range(count)]
        return [(m["seq"], m["type"]) for m in messages]

    async def scenario() -> None:
        # a window far longer than the test needs: the order below does not depend on this machine's speed
        hub = EventHub(Store(tmp_path / "h.db"), snapshot, queue_settle_s=30.0)
        await hub.start()
        nk, _ = hub.subscribe("NK", "public", None)
        ks, _ = hub.subscribe("KS", "public", None)
        console, _ = hub.subscribe("NK", "staff", None)
        built.clear()
        hub.publish(call(1, "NK", "A001"))
        await asyncio.sleep(0)  # the next loop turn: a second command's batch
        hub.publish(call(3, "KS", "K001"))
        hub.publish(call(5, "NK", "A002"))
        assert await received(nk, 2, 5) == [(1, "call"), (5, "call")]
        assert await received(ks, 1, 5) == [(3, "call")]
        assert await received(console, 4, 5) == [(1, "call"), (2, "queue"), (5, "call"), (6, "queue")]
        assert [b for b in built if b[1] == "public"] == [] and not nk.has_pending()  # the calls waited for none
        # a notice of the NK area now: the held snapshot goes first, then the notice, without waiting the window
        hub.publish([EventRow(7, "broadcast", "NK", ts, {"text": "请保持安静"})])
        assert await received(nk, 2, 5) == [(6, "queue"), (7, "broadcast")]
        assert await received(ks, 1, 5) == [(4, "queue")]
        assert await received(console, 1, 5) == [(7, "broadcast")]
        # one public snapshot per area for both its calls; the console's for each change
        assert sorted(built) == [("KS", "public"), ("NK", "public"), ("NK", "staff"), ("NK", "staff")]
        await hub.stop()

    asyncio.run(scenario())


def test_stored_documents_keep_chinese_readable_and_write_any_key_as_the_standard_library_does():
    from datetime import datetime

    from caller.store import dumps

    assert dumps({"name": "王小明", "room": "内科1诊室"}) == '{"name":"王小明","room":"内科1诊室"}'
    assert dumps({1: "A001", 2: [{3: "A002"}]}) == json.dumps({1: "A001", 2: [{3: "A002"}]}, separators=(",", ":"))
    assert dumps({"at": datetime(2026, 12, 8, 9, 30)}) == '{"at":"2026-12-08T09:30:00"}'
    assert json.loads(dumps({"n": 2 ** 70, 7: "x"})) == {"n": 2 ** 70, "7": "x"}  # past 64 bits: still written
