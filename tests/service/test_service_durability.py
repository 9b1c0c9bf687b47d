"""An acknowledged command is durable: SIGKILL the service mid-stream, restart, the queues are as acknowledged."""
from __future__ import annotations

import threading

from caller.commands import COMMANDS
from caller.engine.engine import QueueEngine
from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, run_service_process
from client.http import CallerClient, CallerError
from common.clock import hospital_now
from common.config import DEMO_CONFIG, load_hospital


def _queues(snapshot: dict) -> dict:
    """The order of every list of an area snapshot, by visit id."""
    ids = lambda items: [(v["visit_id"], v["ticket"], v["state"], v["call_count"]) for v in items]  # noqa: E731
    out = {key: ids(snapshot[key]) for key in ("waiting", "called", "missed", "away")}
    for room in snapshot["rooms"]:
        for key in ("queue", "called", "in_service"):
            out[f"{room['room_id']}.{key}"] = ids(room[key])
    return out


def _script():
    """An endless mix of the commands a clinic sends: (method, kwargs) with visit ids filled in as it goes."""
    n = 0
    while True:
        n += 1
        yield "register", {}
        yield "check_in", {}
        if n % 2 == 0:
            yield "call_next", {"room": "NK3" if n % 4 else "NK4"}
        if n % 6 == 0:
            yield "start", {}
            yield "finish", {}


def test_sigkill_mid_stream_then_restart_keeps_every_acknowledged_command(tmp_path):
    config = load_hospital(DEMO_CONFIG)
    mirror = QueueEngine(config)  # the same commands, applied only once acknowledged
    db = tmp_path / "hospital.db"
    acknowledged = threading.Event()
    state = {"acks": 0, "in_flight": None}
    stop = threading.Event()

    with run_service_process(DEMO_CONFIG, db) as proc:
        kiosk = CallerClient(proc.base_url, DEMO_TOKENS["kiosk"])
        nurse = CallerClient(proc.base_url, DEMO_TOKENS["console_nk"])
        nurse.login("wanghs", DEMO_PASSWORD)

        def run() -> None:
            last_visit = None
            last_called = None
            for command, args in _script():
                if stop.is_set():
                    return
                now = hospital_now()
                try:
                    if command == "register":
                        state["in_flight"] = ("register", {})
                        visit = kiosk.register("NK", name="赵六")["visit"]
                        mirror.register("NK", "", "赵六", "general", "onsite", visit["session"], now=now, actor="t")
                        last_visit = visit["visit_id"]
                    elif command == "check_in":
                        state["in_flight"] = ("check_in", {"visit_id": last_visit})
                        kiosk.check_in(last_visit)
                        mirror.check_in(last_visit, actor="t", now=now)
                    elif command == "call_next":
                        state["in_flight"] = ("call_next", {"room_id": args["room"]})
                        called = nurse.call_next(args["room"])["visit"]
                        mirror.call_next(args["room"], actor="t", now=now)
                        last_called = called["visit_id"] if called else last_called
                    elif last_called is not None:
                        state["in_flight"] = (command, {"visit_id": last_called})
                        getattr(nurse, command)(last_called)
                        COMMANDS[command].run(mirror, {"visit_id": last_called}, actor="t", now=now)
                except CallerError as exc:
                    assert exc.code == "unreachable", exc
                    return
                state["in_flight"] = None
                state["acks"] += 1
                if state["acks"] >= 80:
                    acknowledged.set()

        worker = threading.Thread(target=run)
        worker.start()
        assert acknowledged.wait(60)
        proc.kill()  # SIGKILL while the worker keeps sending
        worker.join(30)
        stop.set()
        kiosk.close()
        nurse.close()

    acked = _queues(mirror.snapshot("NK", public=False))
    in_flight = state["in_flight"]
    with run_service_process(DEMO_CONFIG, db) as proc:
        with CallerClient(proc.base_url, DEMO_TOKENS["console_nk"]) as console:
            restored = _queues(console.area_queue("NK"))
            if restored != acked and in_flight is not None:
                # killed after the commit of the in-flight command but before its answer: it may be there too
                command, args = in_flight
                if command == "register":
                    mirror.register("NK", "", "赵六", "general", "onsite",
                                    "am" if hospital_now().hour < 12 else "pm", now=hospital_now(), actor="t")
                else:
                    COMMANDS[command].run(mirror, args, actor="t", now=hospital_now())
                acked = _queues(mirror.snapshot("NK", public=False))
            assert restored == acked
            assert sum(len(v) for v in restored.values()) > 10
        with CallerClient(proc.base_url, DEMO_TOKENS["kiosk"]) as kiosk:
            issued = {v.ticket for v in mirror.visits()}
            fresh = kiosk.register("NK", name="赵六")["visit"]["ticket"]
            assert fresh not in issued  # numbering continues: a ticket is never issued twice


def test_a_display_follows_the_service_through_a_crash_and_restart(tmp_path):
    import queue

    from caller.testing import free_port
    from client.http import EventSubscriber

    db, port = tmp_path / "hospital.db", free_port()
    events: queue.Queue = queue.Queue()
    statuses: queue.Queue = queue.Queue()
    with run_service_process(DEMO_CONFIG, db, port=port) as proc:
        sub = EventSubscriber(proc.base_url, DEMO_TOKENS["wall_nk"], "NK", events.put, statuses.put).start()
        assert statuses.get(timeout=10) == "connected"
        assert events.get(timeout=10)["type"] == "snapshot"
        with CallerClient(proc.base_url, DEMO_TOKENS["kiosk"]) as kiosk:
            visit = kiosk.register("NK", name="赵六")["visit"]
            kiosk.check_in(visit["visit_id"])
        proc.kill()
        assert statuses.get(timeout=10) == "lost"
    try:
        with run_service_process(DEMO_CONFIG, db, port=port) as proc:
            assert statuses.get(timeout=15) == "connected"
            with CallerClient(proc.base_url, DEMO_TOKENS["console_nk"]) as nurse:
                nurse.login("wanghs", DEMO_PASSWORD)
                called = nurse.call_next("NK3")["visit"]
            seen = []
            while not any(m["type"] == "call" for m in seen):
                seen.append(events.get(timeout=10))
            call = next(m for m in seen if m["type"] == "call")
            assert call["data"]["ticket"] == called["ticket"] == visit["ticket"]
            assert "snapshot" not in [m["type"] for m in seen]  # resumed from its last seq, nothing missed
    finally:
        sub.stop()


def test_sigkill_during_bursts_from_20_writers_loses_nothing_acknowledged(tmp_path):
    """20 clients at once (18 kiosks registering and checking in, 2 consoles calling): their commands share
    commits; SIGKILL in the middle; after the restart every acknowledged command is there."""
    db = tmp_path / "hospital.db"
    acked: dict[str, str] = {}  # visit id -> the furthest acknowledged step: registered / checked_in / called
    tickets: list[str] = []
    enough = threading.Event()
    guard = threading.Lock()

    def note(visit_id: str, step: str) -> None:
        with guard:
            acked[visit_id] = step
            if len(acked) >= 150:
                enough.set()

    with run_service_process(DEMO_CONFIG, db) as proc:
        def kiosk_writer() -> None:
            with CallerClient(proc.base_url, DEMO_TOKENS["kiosk"], timeout=30) as kiosk:
                while True:
                    try:
                        visit = kiosk.register("NK", name="赵六")["visit"]
                        with guard:
                            tickets.append(visit["ticket"])
                        note(visit["visit_id"], "registered")
                        kiosk.check_in(visit["visit_id"])
                        note(visit["visit_id"], "checked_in")
                    except CallerError as exc:
                        assert exc.code == "unreachable", exc
                        return

        def console_writer(room: str) -> None:
            with CallerClient(proc.base_url, DEMO_TOKENS["console_nk"], timeout=30) as nurse:
                try:
                    nurse.login("wanghs", DEMO_PASSWORD)
                    while True:
                        called = nurse.call_next(room)["visit"]
                        if called is not None:
                            note(called["visit_id"], "called")
                except CallerError as exc:
                    assert exc.code == "unreachable", exc

        threads = [threading.Thread(target=kiosk_writer) for _ in range(18)]
        threads += [threading.Thread(target=console_writer, args=(room,)) for room in ("NK3", "NK4")]
        for t in threads:
            t.start()
        assert enough.wait(120)
        proc.kill()  # SIGKILL while all 20 keep sending
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)

    assert len(tickets) == len(set(tickets))  # no number was issued twice
    with run_service_process(DEMO_CONFIG, db) as proc:
        with CallerClient(proc.base_url, DEMO_TOKENS["console_nk"]) as console:
            console.login("wanghs", DEMO_PASSWORD)
            lost = []
            for visit_id, step in acked.items():
                try:
                    state = console.visit_status(visit_id)["state"]
                except CallerError as exc:
                    lost.append((visit_id, step, exc.code))
                    continue
                if (step == "checked_in" and state == "registered") or (step == "called" and state != "called"):
                    lost.append((visit_id, step, state))
            assert not lost, lost
        with CallerClient(proc.base_url, DEMO_TOKENS["kiosk"]) as kiosk:
            assert kiosk.register("NK", name="赵六")["visit"]["ticket"] not in tickets
