"""Caller service benchmarks, the service running as its own process on loopback (`python -m caller serve`).

call_to_display: 200 wall displays (4 processes x 50 WebSocket peers) follow the NK area while a console sends
    1,000 "call next" at a steady 25 per second (1,000 visits waiting at the start). Latency of one call = from the
    HTTP command going on the wire to the LAST display receiving its `call` event. Both ends are lean: the console's
    request bytes are ready before its clock starts, and a display only cuts frames from its byte stream and
    stamps them (which are calls, for which ticket, is read after the run), so the figure is the service's and
    the sockets', not the load generator's.
    lost = (call, display) pairs never received. Every call is followed by a `queue` message (area
    snapshot) to all 200 displays too, so the service writes 400 WebSocket messages per call.
    Where the time goes: ``http_p50_ms`` is the command's answer (apply, commit with its fsync, answer);
    ``service_command_ms`` the same inside the service; ``service_fanout_ms`` from an event's commit to its
    frames written to the 200 sockets (after the answer); ``call_frames_ms`` the loop's own time writing a call's
    frame to the 200 sockets (the sockets' share), ``queue_frames_ms`` the same for a queue message (snapshot
    included); the rest of ``p50_ms`` is the displays' side (4 processes sharing the machine's cores with the
    service).
call_with_console: 300 visits waiting in NK, one wall screen (public) and one staff console subscribed; a console
    sends 200 "call next" at 20 per second. http = the command's round trip; console = from sending the command
    to the console receiving the `queue` message (full staff snapshot) that includes it (seq >= the answer's seq).
throughput: 20 concurrent clients (one asyncio process, raw keep-alive HTTP) send a mix of durable commands
    (register, check-in, call next, start, finish) for THROUGHPUT_SECONDS; beside it, the rate of bare
    SQLite transactions writing the same rows (a visit row, a counter, an event, an audit row) with the
    same settings as the store (WAL, synchronous=FULL: fsynced before the answer) on the same machine and file
    system, and the same with synchronous=NORMAL (what a power cut could cost: ``sqlite_tx_per_s_normal``).
    From the service's counters (see :class:`WriteSplit`): ``commands_per_commit`` (group commit at work),
    ``commit_ms`` (one COMMIT with its fsync, against ``bare_commit_ms``), ``writer_cpu_us_per_command`` and
    ``service_cpu_us_per_command`` (the whole process: HTTP, the writer, everything). The service runs Python
    code on one core at a time, so ``1e6 / service_cpu_us_per_command`` is the most it can do whatever the disk.

Environment overrides for exploring: BENCH_DISPLAY_PROCS, BENCH_DISPLAYS_PER_PROC, BENCH_CALLS, BENCH_CALL_RATE,
BENCH_SECONDS (throughput).
"""
from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, run_service_process
from common.config import DEMO_CONFIG

DISPLAY_PROCS = int(os.environ.get("BENCH_DISPLAY_PROCS", 4))
DISPLAYS_PER_PROC = int(os.environ.get("BENCH_DISPLAYS_PER_PROC", 50))
CALLS = int(os.environ.get("BENCH_CALLS", 1000))
CALL_RATE = float(os.environ.get("BENCH_CALL_RATE", 25.0))   # calls per second, steady
THROUGHPUT_CLIENTS = 20
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_SECONDS", 8.0))


# ------------------------------------------------------------------------------------------ helpers
def _login(base_url: str) -> str:
    resp = httpx.post(f"{base_url}/api/v1/auth/login", json={"username": "wanghs", "password": DEMO_PASSWORD},
                      headers={"Authorization": f"Bearer {DEMO_TOKENS['console_nk']}"})
    resp.raise_for_status()
    return resp.json()["token"]


def _post(http: httpx.Client, path: str, token: str, body: dict | None = None) -> dict:
    resp = http.post(f"/api/v1{path}", json=body or {}, headers={"Authorization": f"Bearer {token}"})
    if resp.status_code != 200:
        raise RuntimeError(f"{path}: {resp.status_code} {resp.text[:200]}")
    return resp.json()


def host_port(base_url: str) -> tuple[str, int]:
    """("127.0.0.1", 8710) of "http://127.0.0.1:8710", for the raw sockets of the load generators."""
    host, port = base_url.removeprefix("http://").split(":")
    return host, int(port)


class _RawHttp:
    """A minimal keep-alive HTTP/1.1 JSON client on asyncio streams, so the load generator stays cheaper
    than the service it measures (both share this machine's cores). A timed command's bytes can be made before
    the clock starts (:meth:`request`, then :meth:`send`): an HTTP library spends a millisecond of this machine's
    CPU building a request, the client's time, not the service's."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request(self, path: str, token: str, body: dict) -> bytes:
        payload = json.dumps(body).encode()
        return (f"POST /api/v1{path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload

    async def send(self, request: bytes) -> dict:
        """Send a request made by :meth:`request` and read its answer (a refusal raises)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        data = json.loads(await self.reader.readexactly(length))
        if status != 200:
            raise RuntimeError(f"{head[:40]!r}: {status} {data}")
        return data

    async def post(self, path: str, token: str, body: dict) -> dict:
        return await self.send(self.request(path, token, body))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _fill_queue(base_url: str, count: int, dept: str = "NK", workers: int = 10) -> None:
    """Register and check in `count` visits (general numbers) over `workers` concurrent connections."""
    host, port = host_port(base_url)
    kiosk = DEMO_TOKENS["kiosk"]

    async def work(n: int) -> None:
        http = _RawHttp(host, port)
        try:
            for _ in range(n):
                visit = await http.post("/visits", kiosk, {"department": dept, "name": "测试患者", "kind": "general"})
                await http.post(f"/visits/{visit['visit']['visit_id']}/check-in", kiosk, {})
        finally:
            http.close()

    async def main() -> None:
        await asyncio.gather(*(work(count // workers + (1 if i < count % workers else 0)) for i in range(workers)))

    asyncio.run(main())


# --------------------------------------------------------------------------------- call_to_display
class _DisplayPeer(asyncio.Protocol):
    """One wall display as a load generator: the WebSocket handshake, then each server frame cut from the byte
    stream and stamped with the time its last bytes arrived; pings answered. Nothing else runs per frame (which
    messages are calls, and for which ticket, is read after the run): 200 of these share this machine's two cores
    with the service they measure, so what they cost per message is added to the latency of the last one."""

    def __init__(self, host: str, port: int, path: str, token: str, on_ready, frames: list):
        import base64

        self.request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                        f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n").encode()
        self.on_ready, self.frames = on_ready, frames  # frames: (arrival time, payload) of `call` messages
        self.buf = b""
        self.upgraded = False
        self.first = True  # the first text frame is the area snapshot
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self.buf + data if self.buf else data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            if b" 101 " not in buf.split(b"\r\n", 1)[0]:
                self.transport.close()
                return
            self.upgraded, buf = True, buf[end + 4:]
        at = 0
        while len(buf) - at >= 2:
            b0, n = buf[at], buf[at + 1] & 0x7F
            head = 2
            if n == 126:
                if len(buf) - at < 4:
                    break
                n, head = int.from_bytes(buf[at + 2:at + 4], "big"), 4
            elif n == 127:
                if len(buf) - at < 10:
                    break
                n, head = int.from_bytes(buf[at + 2:at + 10], "big"), 10
            if len(buf) - at < head + n:
                break
            payload = buf[at + head:at + head + n]
            at += head + n
            opcode = b0 & 0x0F
            if opcode == 0x1:
                if self.first:
                    self.first = False
                    self.on_ready()
                elif b'"type":"call"' in payload[:60]:
                    self.frames.append((now, payload))
            elif opcode == 0x9:  # ping -> masked pong (mask 0: payload unchanged)
                self.transport.write(bytes((0x8A, 0x80 | len(payload), 0, 0, 0, 0)) + payload)
            elif opcode == 0x8:
                self.transport.close()
        self.buf = buf[at:]


def _display_process(base_url: str, token: str, clients: int, ready, stop, results) -> None:
    """One process of `clients` displays: when each call (by ticket) reached the last and how many displays."""
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    host, port = host_port(base_url)
    frames: list[tuple[float, bytes]] = []
    connected = 0

    def on_ready() -> None:
        nonlocal connected
        connected += 1
        if connected == clients:
            ready.set()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        peers = []
        for _ in range(clients):
            _, peer = await loop.create_connection(
                lambda: _DisplayPeer(host, port, "/api/v1/events?area=NK", token, on_ready, frames),
                host, port)
            peers.append(peer)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for peer in peers:
            peer.transport.close()

    asyncio.run(main())
    arrivals: dict[str, tuple[float, int]] = {}
    for at, payload in frames:
        ticket = json.loads(payload)["data"]["ticket"]
        last, count = arrivals.get(ticket, (0.0, 0))
        arrivals[ticket] = (max(last, at), count + 1)
    results.put(arrivals)


def call_to_display() -> dict:
    with tempfile.TemporaryDirectory() as tmp, run_service_process(DEMO_CONFIG, Path(tmp) / "bench.db") as svc:
        return _call_to_display(svc.base_url)


def stop_children(procs: list, stop) -> None:
    """End the load processes whatever happened: ask, wait a little, then terminate (a benchmark always ends)."""
    stop.set()
    for p in procs:
        p.join(10)
    for p in procs:
        if p.is_alive():
            p.terminate()
            p.join(5)


def service_split(base_url: str, command: str) -> dict:
    """The service's own mean times from its /metrics: applying, committing and answering one ``command``
    (``service_command_ms``); from an event committed to its frames written to every subscriber's socket
    (``service_fanout_ms``, waiting for the loop included); and the loop's own work writing one event's frames
    to every socket: ``call_frames_ms`` for a ``call`` (the same bytes to each), ``queue_frames_ms`` for a
    ``queue`` (the area snapshot serialised once per audience, then written)."""
    try:
        text = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {DEMO_TOKENS['admin']}"},
                         timeout=10).text
    except httpx.HTTPError:
        return {}
    names = {f'hospital_command_seconds_sum{{command="{command}"}}': "command_sum",
             f'hospital_command_seconds_count{{command="{command}"}}': "command_count",
             "hospital_event_fanout_seconds_sum": "fanout_sum", "hospital_event_fanout_seconds_count": "fanout_count"}
    for etype in ("call", "queue"):
        names[f'hospital_event_frames_seconds_sum{{type="{etype}"}}'] = f"{etype}_sum"
        names[f'hospital_event_frames_seconds_count{{type="{etype}"}}'] = f"{etype}_count"
    values: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name in names:
            values[names[name]] = float(value)
    out = {}
    for key, what in (("service_command_ms", "command"), ("service_fanout_ms", "fanout"),
                      ("call_frames_ms", "call"), ("queue_frames_ms", "queue")):
        if values.get(f"{what}_count"):
            out[key] = round(1000 * values[f"{what}_sum"] / values[f"{what}_count"], 2)
    return out


def _metrics(base_url: str) -> dict[str, float]:
    """The service's unlabelled counters from /metrics (name -> value); {} when it does not answer."""
    try:
        text = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {DEMO_TOKENS['admin']}"},
                         timeout=10).text
    except httpx.HTTPError:
        return {}
    out = {}
    for line in text.splitlines():
        if line.startswith("hospital_") and "{" not in line and " " in line:
            name, value = line.split(" ", 1)
            try:
                out[name] = float(value)
            except ValueError:
                pass
    return out


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class WriteSplit:
    """Where a run's commands spent the service's time, from its counters (any machine load): how many commands
    each commit carried, the COMMIT (fsync) time, the writer thread's CPU and the whole process's CPU per
    command. On a busy machine wall-clock rates fall with the CPU share the service gets; these do not."""

    def __init__(self, base_url: str, pid: int):
        self.base_url, self.pid = base_url, pid
        self.before = _metrics(base_url)
        self.cpu_before = _cpu_seconds(pid)
        self.commits = 0.0  # transactions the writer committed in the run (set by result())

    def result(self) -> dict:
        after, cpu = _metrics(self.base_url), _cpu_seconds(self.pid) - self.cpu_before

        def delta(name: str) -> float:
            return after.get(name, 0.0) - self.before.get(name, 0.0)

        batches, commands = delta("hospital_write_batches_total"), delta("hospital_write_batch_commands_total")
        self.commits = batches
        if not batches or not commands:
            return {}
        return {"commands_per_commit": round(commands / batches, 2),
                "commit_ms": round(1000 * delta("hospital_store_commit_seconds_total") / batches, 3),
                "writer_busy_us_per_command": round(1e6 * delta("hospital_write_batch_seconds_total") / commands, 1),
                "writer_cpu_us_per_command": round(1e6 * delta("hospital_write_batch_cpu_seconds_total") / commands, 1),
                "service_cpu_us_per_command": round(1e6 * cpu / commands, 1)}


def _call_to_display(base_url: str) -> dict:
    _fill_queue(base_url, CALLS)
    ctx = mp.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    readies = [ctx.Event() for _ in range(DISPLAY_PROCS)]
    procs = [ctx.Process(target=_display_process,
                         args=(base_url, DEMO_TOKENS["wall_nk"], DISPLAYS_PER_PROC, readies[i], stop, results))
             for i in range(DISPLAY_PROCS)]
    sent: dict[str, float] = {}
    answered: list[float] = []
    try:
        for p in procs:
            p.start()
        for r in readies:
            if not r.wait(60):
                raise RuntimeError("displays did not connect")
        asyncio.run(_console_calls(base_url, _login(base_url), sent, answered))
        time.sleep(1.0)  # let the last events arrive
        stop.set()
        per_proc = [results.get(timeout=30) for _ in procs]
    finally:
        stop_children(procs, stop)
    latencies, lost = [], 0
    displays = DISPLAY_PROCS * DISPLAYS_PER_PROC
    for ticket, t0 in sent.items():
        got = [pp[ticket] for pp in per_proc if ticket in pp]
        received = sum(count for _, count in got)
        lost += displays - received
        if got:
            latencies.append((max(t for t, _ in got) - t0) * 1000)
    latencies.sort()
    answered.sort()
    return {
        "displays": displays, "calls": len(sent),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        "max_ms": round(latencies[-1], 2), "lost": lost, "rate_per_s": CALL_RATE,
        "http_p50_ms": round(statistics.median(answered), 2),
        "http_p99_ms": round(answered[int(len(answered) * 0.99) - 1], 2),
        **service_split(base_url, "call_next"),
    }


async def _console_calls(base_url: str, token: str, sent: dict[str, float], answered: list[float]) -> None:
    """CALLS "call next" at CALL_RATE, alternating two rooms: when each was sent (by the ticket called) and how
    long its answer took. The requests are made before the clock starts."""
    host, port = host_port(base_url)
    console = _RawHttp(host, port)
    calls = [console.request(f"/rooms/{room}/call-next", token, {}) for room in ("NK4", "NK3")]
    interval = 1.0 / CALL_RATE
    try:
        start = time.monotonic()
        for i in range(CALLS):
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            t0 = time.monotonic()
            visit = (await console.send(calls[i % 2]))["visit"]
            answered.append((time.monotonic() - t0) * 1000)
            if visit is None:
                raise RuntimeError("nobody left to call")
            sent[visit["ticket"]] = t0
    finally:
        console.close()


# -------------------------------------------------------------------------------- call_with_console
def _follow(url: str, token: str, arrivals: dict[int, float], ready: threading.Event, stop: threading.Event) -> None:
    """Record when each queue message (by seq) arrived; answer nothing else."""
    from websockets.sync.client import connect

    with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None) as ws:
        ws.recv(timeout=10)  # snapshot
        ready.set()
        while not stop.is_set():
            try:
                text = ws.recv(timeout=0.2)
            except TimeoutError:
                continue
            if '"type":"queue"' in text[:60]:
                arrivals[json.loads(text)["seq"]] = time.monotonic()


def call_with_console(calls: int = 200, waiting: int = 300, rate: float = 20.0) -> dict:
    with tempfile.TemporaryDirectory() as tmp, run_service_process(DEMO_CONFIG, Path(tmp) / "bench.db") as svc:
        _fill_queue(svc.base_url, waiting)
        ws_url = f"{svc.base_url.replace('http', 'ws')}/api/v1/events?area=NK"
        stop = threading.Event()
        console_arrivals: dict[int, float] = {}
        followers = []
        for token, arrivals in ((DEMO_TOKENS["wall_nk"], {}), (DEMO_TOKENS["console_nk"], console_arrivals)):
            ready = threading.Event()
            thread = threading.Thread(target=_follow, args=(ws_url, token, arrivals, ready, stop), daemon=True)
            thread.start()
            if not ready.wait(20):
                raise RuntimeError("subscriber did not connect")
            followers.append(thread)
        token = _login(svc.base_url)
        answered, sent = [], []
        with httpx.Client(base_url=svc.base_url, timeout=10) as http:
            start = time.monotonic()
            for i in range(calls):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                t0 = time.monotonic()
                seq = _post(http, f"/rooms/{'NK3' if i % 2 else 'NK4'}/call-next", token)["seq"]
                answered.append((time.monotonic() - t0) * 1000)
                sent.append((seq, t0))
        time.sleep(1.0)
        stop.set()
        for thread in followers:
            thread.join(5)
    seen = sorted(console_arrivals.items())
    console = []
    for seq, t0 in sent:
        first = next((t for s, t in seen if s >= seq), None)
        if first is not None:
            console.append((first - t0) * 1000)
    return {"calls": calls, "waiting_at_start": waiting, "rate_per_s": rate,
            "http_p50_ms": round(_pct(answered, 0.5), 2), "http_p99_ms": round(_pct(answered, 0.99), 2),
            "console_p50_ms": round(_pct(console, 0.5), 2), "console_p99_ms": round(_pct(console, 0.99), 2),
            "console_missing": calls - len(console)}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


# ---------------------------------------------------------------------------------------- throughput
async def _mixed_client(host: str, port: int, kiosk: str, nurse: str, room: str, until: float) -> int:
    """register -> check in -> call next -> start -> finish, over and over; returns the commands done."""
    http = _RawHttp(host, port)
    done = 0
    try:
        while time.monotonic() < until:
            visit = await http.post("/visits", kiosk, {"department": "NK", "name": "测试患者", "kind": "general"})
            await http.post(f"/visits/{visit['visit']['visit_id']}/check-in", kiosk, {})
            called = (await http.post(f"/rooms/{room}/call-next", nurse, {}))["visit"]
            done += 3
            if called is not None:
                await http.post(f"/visits/{called['visit_id']}/start", nurse, {})
                await http.post(f"/visits/{called['visit_id']}/finish", nurse, {})
                done += 2
    finally:
        http.close()
    return done


async def _mixed_load(base_url: str, nurse: str, clients: int, seconds: float) -> tuple[int, float]:
    host, port = host_port(base_url)
    start = time.monotonic()
    until = start + seconds
    done = await asyncio.wait_for(asyncio.gather(*(  # a service that stops answering ends the run too
        _mixed_client(host, port, DEMO_TOKENS["kiosk"], nurse, "NK3" if i % 2 else "NK4", until)
        for i in range(clients))), seconds + 60)
    return sum(done), time.monotonic() - start


def _bare_sqlite_rate(path: Path, seconds: float = 3.0, synchronous: str = "FULL") -> float:
    """Transactions/s writing the rows of one command (visit, counter, event, audit) with the given settings."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE visits(id TEXT PRIMARY KEY, date TEXT, area TEXT, state TEXT, data TEXT)")
    conn.execute("CREATE TABLE counters(key TEXT PRIMARY KEY, value INTEGER)")
    conn.execute("CREATE TABLE events(seq INTEGER PRIMARY KEY, ts TEXT, type TEXT, area TEXT, data TEXT)")
    conn.execute("CREATE TABLE audit(id INTEGER PRIMARY KEY, ts TEXT, user TEXT, device TEXT, action TEXT, "
                 "visit_id TEXT, before TEXT, after TEXT, detail TEXT)")
    row = json.dumps({"id": "x", "ticket": "A001", "patient_name": "测试患者", "state": "waiting",
                      "order_key": "[0,0,0,1,1,1]", "registered_at": "2026-11-23T09:00:00"} | {f"f{i}": None for i in range(25)})
    event = json.dumps({"reason": "check_in", "changed": [{"visit_id": "x", "ticket": "A001", "name": "测*者"}]})
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR REPLACE INTO visits VALUES (?,?,?,?,?)", (f"v{n % 5000}", "2026-11-23", "NK", "waiting", row))
        conn.execute("INSERT OR REPLACE INTO counters VALUES (?,?)", ("ticket:NK", n))
        conn.execute("INSERT INTO events(ts, type, area, data) VALUES (?,?,?,?)", ("2026-11-23T09:00:00", "queue", "NK", event))
        conn.execute("INSERT INTO audit(ts, user, device, action, visit_id, before, after, detail) VALUES (?,?,?,?,?,?,?,?)",
                     ("2026-11-23T09:00:00", "wanghs", "console-nk", "check_in", f"v{n}", "registered", "waiting", "{}"))
        conn.execute("COMMIT")
        n += 1
    conn.close()
    return n / seconds


def throughput() -> dict:
    with tempfile.TemporaryDirectory() as tmp, run_service_process(DEMO_CONFIG, Path(tmp) / "bench.db") as svc:
        nurse = _login(svc.base_url)
        split = WriteSplit(svc.base_url, svc.process.pid)
        total, elapsed = asyncio.run(_mixed_load(svc.base_url, nurse, THROUGHPUT_CLIENTS, THROUGHPUT_SECONDS))
        ops = total / elapsed
        counters = split.result()
        sqlite_rate = _bare_sqlite_rate(Path(tmp) / "bare.db")
        normal_rate = _bare_sqlite_rate(Path(tmp) / "bare-normal.db", synchronous="NORMAL")
    return {"clients": THROUGHPUT_CLIENTS, "seconds": round(elapsed, 1), "ops": total, "synchronous": "FULL",
            "ops_per_s": round(ops, 1), "sqlite_tx_per_s": round(sqlite_rate, 1),
            "sqlite_tx_per_s_normal": round(normal_rate, 1), "ratio": round(ops / sqlite_rate, 3),
            "bare_commit_ms": round(1000 / sqlite_rate, 3), "load_average": os.getloadavg()[0], **counters}


BENCHES = {"call_to_display": call_to_display, "call_with_console": call_with_console, "throughput": throughput}


# --------------------------------------------------------------------------------------- login flood
LOGIN_FLOOD_CLIENTS = 4
LOGIN_FLOOD_SECONDS = 8.0


def _flood_logins(base_url: str, clients: int, seconds: float, results) -> None:
    """Child process: ``clients`` connections posting wrong logins (rotating user names) as fast as answered."""
    host, port = host_port(base_url)
    consoles = [DEMO_TOKENS[k] for k in ("console_nk", "console_wy", "console_jz", "console_nk")]

    async def one(i: int) -> dict:
        reader, writer = await asyncio.open_connection(host, port)
        counts: dict[int, int] = {}
        until = time.monotonic() + seconds
        n = 0
        while time.monotonic() < until:
            n += 1
            payload = json.dumps({"username": f"user{i}-{n % 50}", "password": f"guess-{n}"}).encode()
            writer.write(f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer "
                         f"{consoles[i % len(consoles)]}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = next(int(line[15:]) for line in head.split(b"\r\n") if line[:15].lower() == b"content-length:")
            await reader.readexactly(length)
            counts[status] = counts.get(status, 0) + 1
        writer.close()
        return counts

    async def main() -> dict:
        total: dict[int, int] = {}
        for counts in await asyncio.gather(*(one(i) for i in range(clients))):
            for status, n in counts.items():
                total[status] = total.get(status, 0) + n
        return total

    results.put(asyncio.run(main()))


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1) if ordered else 0.0


def login_flood() -> dict:
    """/healthz and call-next latency while four clients flood the login with wrong passwords."""
    with tempfile.TemporaryDirectory() as tmp, run_service_process(DEMO_CONFIG, Path(tmp) / "bench.db") as svc:
        base = svc.base_url
        nurse = _login(base)
        _fill_queue(base, 400)
        ctx = mp.get_context("spawn")
        results = ctx.Queue()
        flood = ctx.Process(target=_flood_logins, args=(base, LOGIN_FLOOD_CLIENTS, LOGIN_FLOOD_SECONDS, results))
        flood.start()
        health: list[float] = []
        calls: list[float] = []
        with httpx.Client(base_url=base, timeout=10) as http:
            time.sleep(0.5)  # the flood is running
            end = time.monotonic() + LOGIN_FLOOD_SECONDS - 1.0
            i = 0
            while time.monotonic() < end:
                t0 = time.monotonic()
                http.get("/healthz").raise_for_status()
                health.append((time.monotonic() - t0) * 1000)
                if i % 4 == 0:
                    t0 = time.monotonic()
                    _post(http, f"/rooms/{'NK3' if i % 8 else 'NK4'}/call-next", nurse)
                    calls.append((time.monotonic() - t0) * 1000)
                i += 1
                time.sleep(0.02)
        statuses = results.get(timeout=60)
        flood.join(30)
    return {"clients": LOGIN_FLOOD_CLIENTS, "seconds": LOGIN_FLOOD_SECONDS,
            "logins": sum(statuses.values()), "refused_401": statuses.get(401, 0),
            "locked_429": statuses.get(429, 0), "healthz_p99_ms": _p99(health), "call_next_p99_ms": _p99(calls),
            "healthz_samples": len(health), "call_next_samples": len(calls)}


BENCHES["login_flood"] = login_flood
