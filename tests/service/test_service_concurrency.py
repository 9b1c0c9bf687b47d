"""Scenarios 9 and 10 of the queue rules, over real HTTP with concurrent clients."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from caller.testing import DEMO_PASSWORD as PASSWORD
from caller.testing import DEMO_TOKENS as T
from client.http import CallerClient

CONSOLE_NK, KIOSK, KIOSK_2 = T["console_nk"], T["kiosk"], T["kiosk2"]


def test_two_consoles_calling_at_the_same_instant_never_get_the_same_visit(live, register_waiting):
    registered = register_waiting(9)
    consoles = [CallerClient(live, CONSOLE_NK), CallerClient(live, CONSOLE_NK)]
    consoles[0].login("wanghs", PASSWORD)
    consoles[1].login("zhangys", PASSWORD)
    called: list[str | None] = []
    for _ in range(6):  # 12 presses for 9 visits: the last presses find nobody
        barrier = threading.Barrier(2)
        results: list[dict] = [{}, {}]

        def press(i: int) -> None:
            barrier.wait()
            results[i] = consoles[i].call_next("NK3")

        threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        pair = [r["visit"]["visit_id"] if r["visit"] else None for r in results]
        assert pair[0] is None or pair[0] != pair[1]
        called.extend(pair)
    got = [v for v in called if v is not None]
    assert sorted(got) == sorted(v["visit_id"] for v in registered)  # each visit called exactly once
    assert called.count(None) == 3
    for visit_id in got:
        assert consoles[0].visit_status(visit_id)["call_count"] == 1
    for c in consoles:
        c.close()


def test_1000_tickets_from_10_kiosks_are_numbered_once_each_and_restart_next_day(live, clock):
    def issue(kiosk_no: int) -> list[str]:
        with CallerClient(live, KIOSK if kiosk_no % 2 else KIOSK_2, timeout=30) as kiosk:
            return [kiosk.register("NK", name="李四")["visit"]["ticket"] for _ in range(100)]

    with ThreadPoolExecutor(10) as pool:
        tickets = [t for batch in pool.map(issue, range(10)) for t in batch]
    assert len(tickets) == 1000
    assert sorted(tickets) == sorted(f"A{n:03d}" for n in range(1, 1001))
    assert "A1000" in tickets and "A999" in tickets

    clock.advance(days=1)
    with CallerClient(live, KIOSK) as kiosk:
        next_day = kiosk.register("NK", name="李四")["visit"]
    assert next_day["ticket"] == "A001"
    assert next_day["day"] == (clock.now).date().isoformat()
