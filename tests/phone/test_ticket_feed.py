"""The called patient's phone hears first: after a call, the feed sends the visit the call names in the next loop
turn, and the other pages of the area ("ahead" went down by one) in chunks over the following turns."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime

from caller.api.app import create_app
from caller.api.models import RegisterBody
from caller.auth import Principal
from caller.testing import ManualClock
from caller.ticket_feed import CHUNK
from common.config import DEMO_CONFIG, load_hospital

PAGES = CHUNK + 30


def statuses(page) -> list[dict]:
    out = []
    while page._pending:
        raw = page._pending.popleft().decode()
        out.append(json.loads(raw.split("data: ", 1)[1]))
    return out


def _morning(tmp_path):
    """A service at 9:00 on the demo hospital, its phone ticket feed, and an admin to send the commands."""
    app = create_app(load_hospital(DEMO_CONFIG), tmp_path / "h.db", clock=ManualClock(datetime(2026, 11, 23, 9, 0)))
    return app.state.service, app.state.ticket_feed, Principal(role="admin", device="test")


def _checked_in(service, who: Principal, count: int) -> list[str]:
    """``count`` visits registered and checked in at internal medicine, in order."""
    ids = []
    for _ in range(count):
        visit = service.execute("register", who, body=RegisterBody(department="NK", name="王小明"))["visit"]
        service.execute("check_in", who, visit_id=visit["visit_id"])
        ids.append(visit["visit_id"])
    return ids


def test_the_called_patients_page_is_told_first_then_the_others_in_chunks(tmp_path):
    service, feed, who = _morning(tmp_path)

    async def scenario() -> None:
        await service.hub.start()
        ids = _checked_in(service, who, PAGES)
        while feed.backlog():
            await asyncio.sleep(0)
        pages = {visit_id: feed.open(visit_id)[0] for visit_id in ids}
        ahead_before = {v: service.visit_status(v)["ahead"] for v in ids}

        called = service.execute("call_next", who, room_id="NK3")["visit"]["visit_id"]
        await asyncio.sleep(0)  # one loop turn
        assert [s["state"] for s in statuses(pages[called])] == ["called"]
        assert feed.backlog() > 0 and not any(statuses(p) for v, p in pages.items() if v != called)

        turns = 0
        while feed.backlog():
            await asyncio.sleep(0)
            turns += 1
        assert turns >= 2  # a thousand pages never hold the loop for one long turn
        for visit_id, page in pages.items():
            if visit_id == called:
                continue
            got = statuses(page)
            if ahead_before[visit_id] > ahead_before[called]:  # behind the called patient: one fewer ahead
                assert [s["ahead"] for s in got] == [ahead_before[visit_id] - 1], visit_id
        await service.hub.stop()

    asyncio.run(scenario())
    service.close()


def message(raw: bytes) -> tuple[int, dict]:
    head, data = raw.decode().split("data: ", 1)
    return int(head.split("id: ", 1)[1].split("\n", 1)[0]), json.loads(data)


def messages(page) -> list[tuple[int, dict]]:
    """(id, status) of every message waiting for a page."""
    out = []
    while page._pending:
        out.append(message(page._pending.popleft()))
    return out


def test_while_calls_come_faster_than_the_area_tables_pages_never_go_back_and_end_on_the_current_status(
        tmp_path, monkeypatch):
    """An area whose tables may not be recomputed yet (as for thousands waiting while calls flood): each page gets at
    most the status as of those tables, never an older one than it had (ids never go down), the called patient hears
    at once all the same, and once newer tables may be had every page ends on exactly its current status."""
    import caller.ticket_feed as ticket_feed
    from caller.ticket_feed import service_phone_status

    monkeypatch.setattr(ticket_feed, "TABLES_SHARE", 1e-9)  # once computed, the tables stay for good (until below)
    monkeypatch.setattr(ticket_feed, "LONG_TABLES_SHARE", 1e-9)
    service, feed, who = _morning(tmp_path)

    async def scenario() -> None:
        await service.hub.start()
        ids = _checked_in(service, who, PAGES)
        opened = {visit_id: feed.open(visit_id) for visit_id in ids}
        pages = {visit_id: page for visit_id, (page, _) in opened.items()}
        got = {visit_id: [message(first)] for visit_id, (_, first) in opened.items()}
        called = []
        for room in ("NK3", "NK4", "NK3"):
            called.append(service.execute("call_next", who, room_id=room)["visit"]["visit_id"])
            await asyncio.sleep(0)  # one loop turn: the called patient's page has been told
            told = messages(pages[called[-1]])
            assert [s["state"] for _, s in told] == ["called"]
            got[called[-1]] += told
            for _ in range(3):
                await asyncio.sleep(0)
            for visit_id, page in pages.items():
                got[visit_id] += messages(page)
        while feed._later or feed._queuing:  # what the tables allow is sent; the rest waits for newer tables
            await asyncio.sleep(0)
        assert any(feed._parked.values())
        page, first = feed.open(ids[-1])  # a page opened meanwhile: the status as of those tables, for now
        pages["late"], got["late"], ids = page, [message(first)], ids + ["late"]
        assert got["late"][0][0] < service.hub.seq
        for area, tables in list(feed._tables.items()):  # newer tables may be had from now on
            feed._tables[area] = tables._replace(ready=0.0)
        feed._schedule_drain()
        while feed.backlog():
            await asyncio.sleep(0)
        for visit_id, page in pages.items():
            got[visit_id] += messages(page)
        with service.lock:
            for visit_id in ids:
                seqs = [seq for seq, _ in got[visit_id]]
                assert seqs == sorted(seqs), visit_id
                visit = service.engine.visit(ids[-2] if visit_id == "late" else visit_id)
                now = json.loads(json.dumps(service_phone_status(service, visit)))
                assert got[visit_id][-1][1] == now, visit_id
        await service.hub.stop()

    asyncio.run(scenario())
    service.close()
