"""call_to_web_wall: a console call -> the call painted in web walls in headless Chromium while a video plays.

The service runs as its own process on a copy of the demo hospital whose NK wall is a web screen with a media zone
(a short H.264 clip made with ffmpeg) that speaks its calls. Three Chromium pages show that wall (sound not
allowed, so each page moves on as soon as its clip is there: what is measured is the call and the clip, not the
length of the announcement); 200 more screens are connected as load clients (a second process, one WebSocket each,
with the same paired credential; the calls start once each of them has its first board from the service, so the
first call does not wait behind 200 screens being greeted). Each page notes, against the machine's clock (``performance.timeOrigin +
performance.now()``, the same clock as the console's ``time.time()``), when it painted each call, when each call's
clip was there to play, and when an emergency notice covered it.

Fields: ``p99_ms`` (console call sent -> painted, every page), and where that time goes, per call and page on the
same clock: ``service_*`` (sent -> the service made the page's call message: command, commit, publish),
``socket_*`` (-> the page's handler got it: fan-out to every screen, the socket, the page's event loop), ``page_*``
(-> the frame showing it painted), ``answer_*`` (the console's answer), ``queued_calls`` (calls that found the
page still showing the one before: they wait their turn, by design; ``alone_p99_ms`` and ``page_alone_*`` are
the calls that did not); ``lost`` (calls some page or load client never got),
``clip_p99_ms`` (call sent -> its clip ready in the page), ``override_p99_ms`` (notice sent -> painted on every page
and received by every load client). Everything is bounded in time: the benchmark ends even when the service refuses.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, REPO, free_port, wait_healthy
from client.http import CallerClient, CallerError
from demo.media import hospital_file, make_media

PAGES = 3
LOAD_CLIENTS = 200
CALLS = 40
CALL_GAP_S = 1.2
OVERRIDES = 5
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding"]
WALL = ('kind = "wall", rooms = ["NK1", "NK2", "NK3", "NK4"], next_count = 3, last_calls = 5, flash_seconds = 0.5, '
        'speak = true, media = "zone"')
ITEMS = '[[media.items]]\nfile = "handwash.mp4"\nkind = "education"\n'


def _log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


# ------------------------------------------------------------------------------------------ the load clients
async def _load_clients(url: str, cookie: str, count: int, seconds: float) -> dict:
    import websockets

    seen: list[set[str]] = [set() for _ in range(count)]
    overrides: dict[str, list[float]] = {}
    ready = 0

    async def one(i: int) -> None:
        nonlocal ready
        uri = url.replace("http://", "ws://") + "/screen/api/live"
        async with websockets.connect(uri, additional_headers={"Cookie": f"screen_device={cookie}"},
                                      max_size=None, open_timeout=20) as ws:
            await ws.send(json.dumps({"type": "hello", "last_call": 10**9}))  # old calls are not replayed
            counted = False
            async for text in ws:
                message = json.loads(text)
                if not counted and message.get("type") == "view":  # connected: the service has sent its board
                    counted = True
                    ready += 1
                if message.get("type") == "call":
                    seen[i].add(str(message["ticket"]))
                elif message.get("type") == "override":
                    overrides.setdefault(message["id"], []).append(time.time() * 1000)

    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    start = time.monotonic()
    while ready < count and time.monotonic() - start < 60:
        await asyncio.sleep(0.1)
    print(json.dumps({"ready": ready}), flush=True)
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"seen": [sorted(s) for s in seen], "overrides": overrides}


def load_main(argv: list[str]) -> int:
    url, cookie, count, seconds = argv[0], argv[1], int(argv[2]), float(argv[3])
    result = asyncio.run(_load_clients(url, cookie, count, seconds))
    print(json.dumps(result), flush=True)
    return 0


# ------------------------------------------------------------------------------------------------ the bench
def call_to_web_wall(pages: int = PAGES, load_clients: int = LOAD_CLIENTS, calls: int = CALLS) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-web-wall-") as tmp_name:
        tmp = Path(tmp_name)
        media = make_media(tmp / "media", seconds=30)
        config = hospital_file(tmp, media_folder=media, wall=WALL, items=ITEMS, share=0.25, repeat=1,
                               keys="doctor_slides = false\nprice_slides = false")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        service = subprocess.Popen(
            [sys.executable, "-m", "caller", "serve", "--config", str(config), "--db", str(tmp / "h.db"),
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--demo"],
            cwd=str(REPO), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load = None
        try:
            wait_healthy(url, timeout=60, process=service)
            console = CallerClient(url, DEMO_TOKENS["console_nk"], timeout=20)
            console.login("wanghs", DEMO_PASSWORD)
            for i in range(calls):
                visit = console.register("NK", name=f"患者{i}", doctor="nk-zhang", kind="expert")["visit"]
                console.check_in(visit["visit_id"])
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
                first = context.new_page()
                first.goto(url + "/screen/")
                first.wait_for_function("/^\\d{6}$/.test(document.getElementById('pair-code').textContent)")
                code = first.text_content("#pair-code")
                console.request("POST", "/screens/pair", json_body={"code": code, "device": "wall-nk"})
                first.wait_for_function("window.__screen.state.view !== null", timeout=30000)
                cookie = next(c["value"] for c in context.cookies() if c["name"] == "screen_device")
                tabs = [first] + [context.new_page() for _ in range(pages - 1)]
                for tab in tabs[1:]:
                    tab.goto(url + "/screen/")
                for tab in tabs:  # a video playing in every page before the first call
                    tab.wait_for_function("(function(){var v=document.querySelector('#zone .layer.on video');"
                                          "return v && !v.paused && v.currentTime > 0.2;})()", timeout=60000)
                run_s = calls * CALL_GAP_S + OVERRIDES * 2.0 + 30
                load = subprocess.Popen([sys.executable, "-m", "bench.bench_screens", url, cookie, str(load_clients),
                                         str(run_s)], cwd=str(REPO), env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
                ready = json.loads(load.stdout.readline() or '{"ready": 0}')["ready"]
                _log(f"call_to_web_wall: {len(tabs)} pages, {ready} load clients")

                sent: dict[str, float] = {}
                answered: list[float] = []
                for _ in range(calls):
                    t0 = time.time() * 1000
                    try:
                        answer = console.call_next("NK1")
                    except CallerError as exc:
                        _log(f"call_to_web_wall: call refused: {exc}")
                        answer = {}
                    if answer.get("visit"):
                        called = answer["visit"]["ticket"]
                        sent[called] = t0
                        answered.append(time.time() * 1000 - t0)
                    time.sleep(max(0.0, CALL_GAP_S - (time.time() * 1000 - t0) / 1000))
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:  # every page shows the last call (bounded wait)
                    done = all(tab.evaluate("window.__screen.painted.length") >= len(sent) for tab in tabs)
                    if done:
                        break
                    time.sleep(0.2)

                override_sent: dict[str, float] = {}
                for i in range(OVERRIDES):
                    t0 = time.time() * 1000
                    try:
                        notice = console.request("POST", "/screens/overrides",
                                                 json_body={"text": f"演练通知 {i}", "devices": ["wall-nk"]})
                    except CallerError as exc:
                        _log(f"call_to_web_wall: notice refused: {exc}")
                        continue
                    override_sent[notice["id"]] = t0
                    time.sleep(1.0)
                    console.request("DELETE", f"/screens/overrides/{notice['id']}")
                    time.sleep(1.0)

                paint, clip, over, lost = [], [], [], 0
                stages: dict[str, list[float]] = {"service": [], "socket": [], "page": [], "page_alone": []}
                alone: list[float] = []  # calls that found the page free (no call before them still shown)
                queued = 0
                for tab in tabs:
                    probe = tab.evaluate("JSON.stringify({p: window.__screen.painted, c: window.__screen.clips,"
                                         " o: window.__screen.overrides, k: window.__screen.calls})")
                    probe = json.loads(probe)
                    painted = {p["ticket"]: p["t"] for p in probe["p"]}
                    queued += sum(1 for k in probe["k"] if k.get("queued"))
                    waited = {k["seq"] for k in probe["k"] if k.get("queued")}
                    for p in probe["p"]:  # where the time goes, per call: the same machine clock throughout
                        t0 = sent.get(p["ticket"])
                        if t0 is None or not p.get("server_ms") or not p.get("at"):
                            continue
                        stages["service"].append(p["server_ms"] - t0)  # command, commit, publish: message made
                        stages["socket"].append(p["at"] - p["server_ms"])  # fan-out, socket, the page's handler
                        stages["page"].append(p["t"] - p["at"])  # drawing and the frame painted (and any wait)
                        if p["seq"] not in waited:
                            stages["page_alone"].append(p["t"] - p["at"])
                            alone.append(p["t"] - t0)
                    for ticket, t0 in sent.items():
                        if ticket in painted:
                            paint.append(painted[ticket] - t0)
                        else:
                            lost += 1
                    arrived = {c["id"]: c["arrived"] for c in probe["c"] if "arrived" in c}
                    seq_of = {p["ticket"]: p["seq"] for p in probe["p"]}
                    for ticket, t0 in sent.items():
                        if f"c{seq_of.get(ticket)}" in arrived:
                            clip.append(arrived[f"c{seq_of[ticket]}"] - t0)
                    shown = {}
                    for o in probe["o"]:
                        shown.setdefault(o["id"], o["t"])
                    over += [shown[i] - t0 for i, t0 in override_sent.items() if i in shown]
                    lost += sum(1 for i in override_sent if i not in shown)
                browser.close()
            load.stdin = None
            out, _ = load.communicate(timeout=run_s + 60)
            result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"seen": [], "overrides": {}}
            wanted = set(sent)
            load_lost = sum(len(wanted - set(s)) for s in result["seen"]) + (load_clients - len(result["seen"])) * len(wanted)
            for oid, t0 in override_sent.items():
                times = result["overrides"].get(oid, [])
                over += [t - t0 for t in times]
                load_lost += load_clients - len(times)
            return {"pages": len(tabs), "load_clients": ready, "calls": len(sent), "p50_ms": _p(paint, 0.5),
                    "p99_ms": _p(paint, 0.99), "max_ms": _p(paint, 1.0), "lost": lost + load_lost,
                    "clip_p50_ms": _p(clip, 0.5), "clip_p99_ms": _p(clip, 0.99), "clips": len(clip),
                    "override_p99_ms": _p(over, 0.99), "overrides": len(override_sent),
                    "answer_p50_ms": _p(answered, 0.5), "answer_p99_ms": _p(answered, 0.99),
                    **{f"{name}_{q}_ms": _p(values, v) for name, values in stages.items()
                       for q, v in (("p50", 0.5), ("p99", 0.99))},
                    "queued_calls": queued, "alone_p99_ms": _p(alone, 0.99),
                    "load_avg": round(os.getloadavg()[0], 1)}
        finally:
            if load is not None and load.poll() is None:
                load.kill()
                load.wait(10)
            service.terminate()
            try:
                service.wait(15)
            except subprocess.TimeoutExpired:
                service.kill()
                service.wait(5)


BENCHES = {"call_to_web_wall": call_to_web_wall}

if __name__ == "__main__":
    sys.exit(load_main(sys.argv[1:]))
