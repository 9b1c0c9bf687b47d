"""Group commit (caller/writer.py): commands that arrive together share one transaction and one fsync, yet each is
answered only after the commit that holds it, a failed commit fails exactly the commands in it, and the events go
out in the order the commands were applied."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caller.api.models import RegisterBody
from caller.auth import Principal
from caller.commands import COMMANDS as TABLE
from caller.engine.engine import QueueEngine
from caller.service import CallerService
from caller.store import StorageError
from caller.testing import ManualClock
from common.config import DEMO_CONFIG, load_hospital

KIOSK = Principal(role="kiosk", device="kiosk-lobby-1")
NURSE = Principal(role="console", device="console-nk", area="NK", user="wanghs", user_name="王护士",
                  user_role="nurse", user_areas=("NK",))
START = datetime(2026, 11, 23, 9, 0, 0)


def _register(name: str) -> dict:
    return {"body": RegisterBody(department="NK", name=name)}


async def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


def _fill_the_disk(conn, response) -> None:
    """A write that needs more pages than the disk has left (SQLite's page limit set to the file's size)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count={pages}")
    conn.execute("INSERT INTO audit(ts, action, detail) VALUES ('', 'filler', ?)", ("x" * 4_000_000,))


def test_a_failed_commit_fails_every_command_of_its_batch_with_507_and_none_other(tmp_path):
    service = CallerService(load_hospital(DEMO_CONFIG), tmp_path / "h.db", clock=ManualClock(START))

    async def scenario() -> tuple[list, list, dict]:
        service.lock.acquire()  # the writer waits for the lock: what arrives meanwhile forms the next batch
        try:
            first = asyncio.ensure_future(service.submit("register", KIOSK, **_register("张一")))
            await asyncio.sleep(0)  # queued
            await _until(lambda: service.commands.writer.waiting() == 0)  # the writer holds [first] as its batch
            batch = [asyncio.ensure_future(service.submit("register", KIOSK, **_register("李二"),
                                                          extra_writes=_fill_the_disk))]
            batch += [asyncio.ensure_future(service.submit("register", KIOSK, **_register(f"王{i}")))
                      for i in range(8)]
            await _until(lambda: service.commands.writer.waiting() == len(batch))
        finally:
            service.lock.release()
        answers = await asyncio.gather(first, *batch, return_exceptions=True)
        with service.lock:
            service.store.conn.execute("PRAGMA max_page_count=1073741823")  # space is back
        after = await service.submit("register", KIOSK, **_register("赵三"))
        return answers[:1], answers[1:], after

    try:
        (first,), failed, after = asyncio.run(scenario())
        assert first["visit"]["ticket"] == "A001"
        assert len(failed) == 9 and all(isinstance(a, StorageError) and a.status == 507 and a.code == "disk_full"
                                        for a in failed), failed
        assert after["visit"]["ticket"] == "A002"  # the failed batch used up no number
        names = sorted(v.patient_name for v in service.engine.visits())
        assert names == ["张一", "赵三"]
        stored = sorted(v["patient_name"] for v in service.store.load().visits)
        assert stored == ["张一", "赵三"]
        published = [ev.data.get("ticket") for ev in service.hub.ring if ev.type == "queue" or ev.data.get("ticket")]
        assert len(service.hub.ring) == len({ev.seq for ev in service.hub.ring})
        assert "A003" not in published
        assert [ev.seq for ev in service.hub.ring] == sorted(ev.seq for ev in service.hub.ring)
    finally:
        service.close()


def test_commands_arriving_together_share_one_commit(tmp_path):
    service = CallerService(load_hospital(DEMO_CONFIG), tmp_path / "h.db", clock=ManualClock(START))
    commits = []
    service.store.conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)

    async def scenario() -> list[dict]:
        service.lock.acquire()
        try:
            tasks = [asyncio.ensure_future(service.submit("register", KIOSK, **_register("王一")))]
            await asyncio.sleep(0)
            await _until(lambda: service.commands.writer.waiting() == 0)  # taken: the writer waits for the lock with it
            tasks += [asyncio.ensure_future(service.submit("register", KIOSK, **_register(f"王{i}")))
                      for i in range(2, 21)]
            await _until(lambda: service.commands.writer.waiting() == 19)
            before = len(commits)
        finally:
            service.lock.release()
        answers = await asyncio.gather(*tasks)
        return answers, len(commits) - before

    try:
        answers, n_commits = asyncio.run(scenario())
        assert sorted(a["visit"]["ticket"] for a in answers) == [f"A{i:03d}" for i in range(1, 21)]
        assert n_commits == 2  # the one taken before the lock was free, then the 19 that waited behind it
    finally:
        service.close()


# ---------------------------------------------------------------------------------------- event order (property)
COMMANDS = st.lists(st.sampled_from(["register", "check_in", "call_next", "start", "finish", "broadcast"]),
                    min_size=5, max_size=40)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=COMMANDS, concurrency=st.integers(min_value=2, max_value=12))
def test_events_go_out_in_the_order_of_the_commands_applied(tmp_path_factory, commands, concurrency):
    """However the commands interleave, (1) the events a live screen receives are in seq order with nothing
    missing; (2) the commands, taken in the order of their answers' seq, replayed one by one on a fresh engine
    give the same queues: the order of the events is the order in which the commands were applied."""
    config = load_hospital(DEMO_CONFIG)
    service = CallerService(config, tmp_path_factory.mktemp("order") / "h.db", clock=ManualClock(START))

    async def client(todo: list[str], done: list) -> None:
        for command in todo:
            visits = service.engine.visits()
            try:
                if command == "register":
                    answer = await service.submit("register", KIOSK, **_register("周五"))
                    args = {}
                elif command == "call_next":
                    answer = await service.submit("call_next", NURSE, room_id="NK3")
                    args = {"room_id": "NK3"}
                elif command == "broadcast":
                    answer = await service.submit("broadcast", NURSE, area_id="NK", text="请您稍候。")
                    args = {}
                else:
                    wanted = {"check_in": "registered", "start": "called", "finish": "in_service"}[command]
                    target = next((v for v in reversed(visits) if v.state.value == wanted), None)
                    if target is None:
                        continue
                    answer = await service.submit(command, NURSE if command != "check_in" else KIOSK,
                                                  visit_id=target.id)
                    args = {"visit_id": target.id}
            except Exception:  # refused by the rules (another client got there first): changes nothing
                continue
            done.append((answer["seq"], command, args))

    async def scenario() -> tuple[list, list[int]]:
        await service.hub.start()
        sub, _ = service.hub.subscribe("NK", "staff", None)
        received: list[int] = []

        async def listen() -> None:
            while (text := await sub.next()) is not None:
                import json

                message = json.loads(text)
                if message["type"] != "heartbeat":
                    received.append(message["seq"])

        listener = asyncio.ensure_future(listen())
        done: list = []
        todo = ["register"] * 3 + commands  # something to check in and to call from the start
        parts = [todo[i::concurrency] for i in range(concurrency)]
        await asyncio.gather(*(client(part, done) for part in parts))
        await _until(lambda: not service.hub._inbox and not sub.has_pending())
        await asyncio.sleep(0)
        sub.close()
        await listener
        await service.hub.stop()
        return done, received

    try:
        done, received = asyncio.run(scenario())
        assert done and received
        assert received == sorted(received) and len(received) == len(set(received))
        stored = [ev.seq for ev in service.store.events_since("NK", 0)]
        assert [s for s in stored if s in set(received)] == received  # nothing out of order on the wire
        missing = set(stored) - set(received)
        kinds = {ev.seq: ev.type for ev in service.store.events_since("NK", 0)}
        assert all(kinds[s] == "queue" for s in missing)  # only superseded queue states are skipped
        mirror = QueueEngine(config)
        for _seq, command, args in sorted(done, key=lambda d: d[0]):
            now = START
            if command == "register":
                mirror.register("NK", "", "周五", "general", "onsite", "am", now=now, actor="t")
            elif command == "broadcast":
                continue
            else:
                TABLE[command].run(mirror, args, now=now, actor="t")
        ours = service.engine.snapshot("NK", public=False)
        theirs = mirror.snapshot("NK", public=False)
        for key in ("waiting", "called"):
            assert [(v["ticket"], v["state"]) for v in ours[key]] == [(v["ticket"], v["state"]) for v in theirs[key]]
    finally:
        service.close()


def test_a_batch_of_commands_is_one_commit_and_a_refusal_in_it_changes_nothing(tmp_path):
    """CommandRunner.execute_batch (replays and imports): the commands in order, one COMMIT; the refused one gets
    its refusal and the others stand, durable across a restart."""
    from caller.engine.model import RuleError

    db = tmp_path / "h.db"
    service = CallerService(load_hospital(DEMO_CONFIG), db, clock=ManualClock(START))
    commits = []
    service.store.conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
    try:
        first = service.execute("register", NURSE, **_register("王一"))["visit"]["visit_id"]
        before = len(commits)
        answers = service.commands.execute_batch(NURSE, [("check_in", {"visit_id": first}), ("register", _register("王二")),
                                                ("check_in", {"visit_id": first}), ("register", _register("王三"))])
        assert len(commits) - before == 1
        assert answers[0]["visit"]["state"] == "waiting" and answers[1]["visit"]["ticket"] == "A002"
        assert isinstance(answers[2], RuleError) and answers[3]["visit"]["ticket"] == "A003"
    finally:
        service.close()
    again = CallerService(load_hospital(DEMO_CONFIG), db, clock=ManualClock(START))
    try:
        assert sorted(v.ticket for v in again.engine.visits()) == ["A001", "A002", "A003"]
    finally:
        again.close()
