"""What one person on the hospital LAN can do with a copied kiosk token and a ticket link, against the service as its
own process on loopback (docs/security.md).

session_abuse:
- one kiosk token claims a card read every 2 s (30 a minute: a name and an ID number, what a copied token can send)
  while a second thread guesses the last 4 phone digits of one patient as fast as the service answers, for up to
  60 s (it ends sooner once the kiosk is suspended and the guesses refused): ``sessions_opened`` (sessions the
  claims opened, ≤ 10), ``guesses_before_lock`` (wrong guesses answered before the first refusal, ≤ 10),
  ``healthz_p99_ms`` (/healthz asked every 50 ms meanwhile);
- 1,100 connections held on one ticket link's live feed (``/t/<token>/events``): ``link_accepted`` (answered 200,
  ≤ 20), and while they are held ``healthz_ok`` (/healthz answers 200) and ``register_ok`` (a registration at
  another kiosk is acknowledged).
Bounded in time whatever the service does; JSON on stdout only.
"""
from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.bench_caller import host_port
from caller.testing import DEMO_TOKENS, run_service_process
from common.config import DEMO_CONFIG
from records.ids import make_id_number

ABUSE_S = 60.0
LINK_CONNECTIONS = 1100


def _patients(base: str, n: int) -> list[dict]:
    admin = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}
    out = []
    with httpx.Client(base_url=base + "/api/v1", headers=admin, timeout=30) as http:
        for i in range(n):
            number = make_id_number(f"110101198001{(i % 28) + 1:02d}{i:03d}")
            name = f"测试{chr(0x4E00 + i)}"
            http.post("/records/patients", json={"source": "typed", "id_number": number, "name": name,
                                                 "phone": "13812345678"}).raise_for_status()
            out.append({"id_number": number, "name": name})
    return out


def _abuse(base: str) -> dict:
    people = _patients(base, 31)
    kiosk = {"Authorization": f"Bearer {DEMO_TOKENS['kiosk']}"}
    stop = threading.Event()
    opened, guesses, latencies = [], [], []
    refused = {"claims": False, "guesses": False}
    deadline = time.monotonic() + ABUSE_S

    def claims() -> None:
        with httpx.Client(base_url=base + "/api/v1/records", headers=kiosk, timeout=10) as http:
            for p in people[1:]:
                if stop.is_set() or time.monotonic() > deadline:
                    return
                r = http.post("/patients/identify", json={"id_number": p["id_number"], "card_name": p["name"]})
                if r.status_code == 200 and r.json().get("session_token"):
                    opened.append(1)
                elif r.status_code >= 400:
                    refused["claims"] = True
                stop.wait(2.0)

    def guessing() -> None:
        target = people[0]["id_number"]
        with httpx.Client(base_url=base + "/api/v1/records", headers=kiosk, timeout=10) as http:
            for digits in range(10000):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                r = http.post("/patients/identify", json={"id_number": target, "phone_last4": f"{digits:04d}"})
                if r.status_code != 200:
                    refused["guesses"] = True
                    return
                if r.json().get("second_factor_required"):
                    guesses.append(digits)

    def health() -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            while not stop.is_set() and time.monotonic() < deadline:
                t0 = time.perf_counter()
                http.get("/healthz")
                latencies.append((time.perf_counter() - t0) * 1000)
                stop.wait(0.05)

    threads = [threading.Thread(target=f, daemon=True) for f in (claims, guessing, health)]
    for t in threads:
        t.start()
    while time.monotonic() < deadline and not (refused["claims"] and refused["guesses"]):
        time.sleep(0.2)
    time.sleep(1.0)  # a few more health samples after the refusals
    stop.set()
    for t in threads:
        t.join(15)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None
    return {"sessions_opened": len(opened), "guesses_before_lock": len(guesses),
            "healthz_p99_ms": round(p99, 1) if p99 is not None else None,
            "healthz_median_ms": round(statistics.median(latencies), 1) if latencies else None,
            "abuse_s": round(ABUSE_S - max(0.0, deadline - time.monotonic()), 1)}


def _flood(base: str) -> dict:
    admin = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}
    with httpx.Client(base_url=base + "/api/v1", headers=admin, timeout=30) as http:
        visit = http.post("/visits", json={"department": "NK", "name": "张三"}).json()["visit"]
        token = http.get(f"/visits/{visit['visit_id']}/status").json()["ticket_token"]
    host, port = host_port(base)
    statuses: list[str] = []
    writers: list[asyncio.StreamWriter] = []

    async def open_one() -> None:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
            writers.append(writer)
            writer.write(f"GET /t/{token}/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), 10)
            statuses.append(line.decode(errors="replace").split(" ")[1] if line else "closed")
        except (OSError, asyncio.TimeoutError, IndexError):
            statuses.append("error")

    async def main() -> dict:
        await asyncio.gather(*(open_one() for _ in range(LINK_CONNECTIONS)))
        # every connection is still held open: does the service still serve everyone else?
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            health = await http.get("/healthz")
            kiosk2 = {"Authorization": f"Bearer {DEMO_TOKENS['kiosk2']}"}
            registered = await http.post("/api/v1/visits", headers=kiosk2, json={"department": "NK", "name": "李四"})
        for writer in writers:
            writer.close()
        return {"link_accepted": statuses.count("200"), "link_refused_503": statuses.count("503"),
                "link_errors": statuses.count("error") + statuses.count("closed"),
                "healthz_ok": health.status_code == 200, "register_ok": registered.status_code == 200}

    return asyncio.run(asyncio.wait_for(main(), 90))


def session_abuse() -> dict:
    with tempfile.TemporaryDirectory() as tmp, run_service_process(DEMO_CONFIG, Path(tmp) / "bench.db") as svc:
        result = _abuse(svc.base_url)
        result.update(_flood(svc.base_url))
    return result


BENCHES = {"session_abuse": session_abuse}
