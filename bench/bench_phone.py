"""The patient's phone: live ticket pages and the notification outbox, the service as its own process on loopback.

call_to_phone: 5,000 live ticket pages (Server-Sent Events, a lean asyncio load client in 2 processes, not 5,000
    browsers; BENCH_PAGES to change), each following its own waiting visit, plus 200 wall displays (WebSocket, as in call_to_display);
    a console calls 200 patients at 10 per second. Latency of one call = from sending the HTTP command to the
    called patient's page receiving its "called" status. lost = called patients whose page never showed it.
    rss_mb = the service's resident memory with every page and wall connected. The waiting visits are registered
    and checked in before the service process starts, through the service's own command path in bulk (seed_s);
    connect_s = until every page and wall is connected. A page the service refuses, a call it refuses, a page or
    wall not connected within READY_S are counted (pages_refused, call_errors, not_ready), never waited for.
notify_outbox: 500 patients opted in to SMS; while the gateway simulator is down, the nurse calls them all (each
    call writes its messages to the outbox in the command's transaction: "3 ahead" and "called"); then the gateway
    comes back and the sender drains the outbox over HTTP. per_s = messages delivered per second from the gateway's
    return to the outbox being empty ("3 ahead" of patients already called are dropped on the way, not sent);
    duplicates = keys the simulator delivered twice (0); lost = messages the outbox counts as sent that the
    simulator never got, plus messages still waiting at the end.
"""
from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.bench_caller import _display_process, _fill_queue, _login, _post, host_port, service_split, stop_children
from caller.testing import DEMO_TOKENS, free_port, run_service_process
from common.config import DEMO_CONFIG

PAGES = int(os.environ.get("BENCH_PAGES", 5000))
PAGE_PROCS = 2
WALL_PROCS, WALLS_PER_PROC = 4, 50
CALLS = int(os.environ.get("BENCH_PHONE_CALLS", 200))
CALL_RATE = 10.0
OPTED_IN = int(os.environ.get("BENCH_OPTED_IN", 500))


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def seed_waiting(db_path: Path, count: int, dept: str = "NK", chunk: int = 500) -> list[tuple[str, str]]:
    """Register and check in ``count`` visits before the service process starts: through the service's own command
    path (the group-commit writer, as the API's handlers use it, one kiosk's principal), without 2 x ``count`` HTTP
    round trips. Returns (visit id, ticket page token) of each, in queue order."""
    from caller.api.models import RegisterBody
    from caller.service import CallerService
    from common.config import load_hospital

    service = CallerService(load_hospital(DEMO_CONFIG), db_path)
    try:
        kiosk = service.auth.resolve(DEMO_TOKENS["kiosk"])

        async def main() -> list[str]:
            ids: list[str] = []
            while len(ids) < count:
                n = min(chunk, count - len(ids))
                visits = await asyncio.gather(*(service.submit("register", kiosk, body=RegisterBody(
                    department=dept, name="测试患者", kind="general")) for _ in range(n)))
                new = [v["visit"]["visit_id"] for v in visits]
                await asyncio.gather(*(service.submit("check_in", kiosk, visit_id=v) for v in new))
                ids += new
            return ids

        ids = asyncio.run(main())
        return [(v, service.ticket_token(v)) for v in ids]
    finally:
        service.close()


def _waiting_ids(base_url: str, n: int) -> list[str]:
    queue = httpx.get(f"{base_url}/api/v1/areas/NK/queue", headers={"Authorization": f"Bearer {DEMO_TOKENS['admin']}"},
                      timeout=30).json()
    return [v["visit_id"] for v in queue["waiting"]][:n]


CONNECT_S = 60.0      # a page not connected by then counts as refused
READY_S = 240.0       # pages and walls all connected (or refused), else the run goes on with those that are


def _page_process(base_url: str, tokens: list[str], ready, stop, results) -> None:
    """Open one SSE connection per token; record when each page first showed "called". ``ready`` is set once
    every page connected or was refused (an error answer, a closed or silent connection): the run never waits
    for a page the service will not serve."""
    host, port = host_port(base_url)
    called: dict[str, float] = {}
    messages = 0
    answered = 0
    refused = 0

    def settled() -> None:
        nonlocal answered
        answered += 1
        if answered == len(tokens):
            ready.set()

    async def page(token: str) -> None:
        nonlocal messages, refused
        first = True
        writer = None
        try:
            async def connect():
                reader, writer = await asyncio.open_connection(host, port)
                writer.write(f"GET /t/{token}/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
                             .encode())
                head = await reader.readuntil(b"\r\n\r\n")
                if b" 200 " not in head.split(b"\r\n", 1)[0]:
                    raise ConnectionRefusedError(head[:40])
                return reader, writer

            reader, writer = await asyncio.wait_for(connect(), CONNECT_S)
            while True:
                line = await (asyncio.wait_for(reader.readline(), CONNECT_S) if first else reader.readline())
                if not line:
                    return
                if line.startswith(b"data: {"):  # (chunked framing lines are skipped)
                    messages += 1
                    if first:
                        first = False
                        settled()
                    if b'"state":"called"' in line and token not in called:
                        called[token] = time.monotonic()
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if first:  # never served: refused
                refused += 1
                settled()
            if writer is not None:
                writer.close()

    async def main() -> None:
        tasks = [asyncio.create_task(page(t)) for t in tokens]
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    results.put((called, messages, refused))


def call_to_phone() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        started = time.monotonic()
        seeded = seed_waiting(db, PAGES + 50)[:PAGES]  # the queue before the service starts: no HTTP set-up
        seed_s = time.monotonic() - started
        # a hospital expecting this many phones raises its cap of live ticket pages (docs/security.md; the demo
        # hospital keeps the default 300): the pages the benchmark opens are all allowed, the walls come on top
        config = Path(tmp) / "hospital.toml"
        config.write_text(DEMO_CONFIG.read_text(encoding="utf-8")
                          + f"\n[security]\nphone_connections = {PAGES + 100}\n", encoding="utf-8")
        with run_service_process(config, db) as svc:
            return _call_to_phone(svc, seeded, seed_s)


def _call_to_phone(svc, seeded: list[tuple[str, str]], seed_s: float) -> dict:
    base_url = svc.base_url
    tokens = [token for _, token in seeded]
    token_of = dict(seeded)
    ctx = mp.get_context("spawn")
    stop, results, wall_results = ctx.Event(), ctx.Queue(), ctx.Queue()
    page_ready = [ctx.Event() for _ in range(PAGE_PROCS)]
    wall_ready = [ctx.Event() for _ in range(WALL_PROCS)]
    share = len(tokens) // PAGE_PROCS + 1
    procs = [ctx.Process(target=_page_process, args=(base_url, tokens[i * share:(i + 1) * share], page_ready[i],
                                                     stop, results)) for i in range(PAGE_PROCS)]
    walls = [ctx.Process(target=_display_process, args=(base_url, DEMO_TOKENS["wall_nk"], WALLS_PER_PROC,
                                                        wall_ready[i], stop, wall_results)) for i in range(WALL_PROCS)]
    called: dict[str, float] = {}
    messages = refused = 0
    sent: dict[str, float] = {}
    errors: list[str] = []
    answered: list[float] = []
    try:
        for p in procs + walls:
            p.start()
        connect_start = time.monotonic()
        deadline = connect_start + READY_S
        not_ready = sum(1 for event in page_ready + wall_ready if not event.wait(max(0.0, deadline - time.monotonic())))
        connect_s = time.monotonic() - connect_start
        rss = _rss_mb(svc.process.pid)
        token = _login(base_url)
        with httpx.Client(base_url=base_url, timeout=10) as http:
            start = time.monotonic()
            for i in range(CALLS):
                delay = start + i / CALL_RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                t0 = time.monotonic()
                try:
                    visit = _post(http, f"/rooms/{'NK3' if i % 2 else 'NK4'}/call-next", token)["visit"]
                except (RuntimeError, httpx.HTTPError) as exc:  # refused or not answered: counted, the run goes on
                    errors.append(str(exc)[:120])
                    continue
                answered.append((time.monotonic() - t0) * 1000)
                if visit is not None and visit["visit_id"] in token_of:
                    sent[token_of[visit["visit_id"]]] = t0
        time.sleep(1.5)
        rss = max(rss, _rss_mb(svc.process.pid))
        split = service_split(base_url, "call_next")
        stop.set()
        for _ in procs:
            got, count, no = results.get(timeout=60)
            called.update(got)
            messages += count
            refused += no
    finally:
        stop_children(procs + walls, stop)
    latencies = sorted((called[t] - t0) * 1000 for t, t0 in sent.items() if t in called)
    out = {"pages": len(tokens), "walls": WALL_PROCS * WALLS_PER_PROC, "calls": len(sent),
           "lost": sum(1 for t in sent if t not in called), "rss_mb": rss, "pages_refused": refused,
           "not_ready": not_ready, "call_errors": len(errors), "seed_s": round(seed_s, 1),
           "connect_s": round(connect_s, 1), "page_messages": messages,
           "load_average": os.getloadavg()[0], **split}
    if latencies:
        out.update({"p50_ms": round(statistics.median(latencies), 1),
                    "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 1),
                    "max_ms": round(latencies[-1], 1)})
    if answered:
        out.update({"http_p50_ms": round(statistics.median(answered), 1),
                    "http_p99_ms": round(sorted(answered)[max(0, int(len(answered) * 0.99) - 1)], 1)})
    if errors:
        out["first_error"] = errors[0]
    return out


def notify_outbox() -> dict:
    from caller.notify.simulator import GatewaySimulator

    with tempfile.TemporaryDirectory() as tmp, GatewaySimulator("bench-secret") as gateway:
        port = free_port()
        config = Path(tmp) / "hospital.toml"
        config.write_text(DEMO_CONFIG.read_text(encoding="utf-8") + f"""
[notify]
rate_limit = 100
retry_base_seconds = 0.05
retry_max_seconds = 0.2
[notify.sms]
url = "{gateway.url}"
secret = "bench-secret"
""", encoding="utf-8")
        db = Path(tmp) / "bench.db"
        with run_service_process(config, db, port=port) as svc:
            base_url = svc.base_url
            _fill_queue(base_url, OPTED_IN)
            visit_ids = _waiting_ids(base_url, OPTED_IN)
            admin = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}
            with httpx.Client(base_url=base_url, headers=admin, timeout=30) as http:
                for i, visit_id in enumerate(visit_ids):
                    http.post(f"/api/v1/visits/{visit_id}/notify", json={"channel": "sms", "to": f"1390000{i:04d}"})
            gateway.wait_for(3, timeout=30)  # the first three were already within three of the head
            before = len(gateway.delivered)
            gateway.fail_for(3600)
            token = _login(base_url)
            with httpx.Client(base_url=base_url, timeout=30) as http:
                for i in range(len(visit_ids)):
                    _post(http, f"/rooms/{'NK3' if i % 2 else 'NK4'}/call-next", token)
            gateway.fail_for(0)
            start = time.monotonic()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                    open_ = conn.execute("SELECT COUNT(*) FROM notify_outbox WHERE state IN ('pending','sending')").fetchone()[0]
                if not open_:
                    break
                time.sleep(0.1)
            elapsed = time.monotonic() - start
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                rows = conn.execute("SELECT key, state FROM notify_outbox").fetchall()
    keys = [d.key for d in gateway.delivered]
    sent = {k for k, state in rows if state in ("sent", "delivered")}
    waiting = sum(1 for _, state in rows if state in ("pending", "sending"))
    return {"messages": len(rows), "delivered": len(keys), "dropped": sum(1 for _, s in rows if s == "dropped"),
            "per_s": round((len(keys) - before) / elapsed, 1), "duplicates": len(keys) - len(set(keys)),
            "lost": len(sent - set(keys)) + waiting, "resent_same_key": gateway.stats()["duplicates"]}


BENCHES = {"call_to_phone": call_to_phone, "notify_outbox": notify_outbox}
