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


def test_the_called_patients_page_is_told_first_then_the_others_in_chunks(tmp_path):
    clock = ManualClock(datetime(2026, 11, 23, 9, 0))
    app = create_app(load_hospital(DEMO_CONFIG), tmp_path / "h.db", clock=clock)
    service, feed = app.state.service, app.state.ticket_feed
    who = Principal(role="admin", device="test")

    async def scenario() -> None:
        await service.hub.start()
        ids = []
        for _ in range(PAGES):
            visit = service.execute("register", who, body=RegisterBody(department="NK", name="王小明"))["visit"]
            service.execute("check_in", who, visit_id=visit["visit_id"])
            ids.append(visit["visit_id"])
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
