"""Active/standby on a real PostgreSQL with real service processes: SIGKILL the active in the middle of a stream of
commands, and cut an active from the database (docs/high-availability.md)."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from caller.ha.processes import ServiceProcess
from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, free_port
from client.http import CallerClient, CallerError, EventSubscriber
from common.config import DEMO_CONFIG
from display.speaker import SpeakerAgent
from hardware.speech import SpeechWorker
from tests.pg_fixture import pg_cluster  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(180)


@dataclass
class Site:
    """One hospital on one PostgreSQL database, its hospital file naming both service addresses."""

    db: str
    config: Path
    logs: Path
    ports: list[int]
    processes: list[ServiceProcess | None] = field(default_factory=lambda: [None, None])

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]


@pytest.fixture(scope="module")
def site(pg_cluster, tmp_path_factory):
    root = tmp_path_factory.mktemp("ha")
    ports = [free_port(), free_port()]
    config = root / "hospital.toml"
    services = json.dumps([f"http://127.0.0.1:{port}" for port in ports])
    config.write_text(Path(DEMO_CONFIG).read_text(encoding="utf-8").replace(
        "[hospital]\n", f"[hospital]\nservices = {services}\n", 1), encoding="utf-8")
    site = Site(pg_cluster.create_database(f"ha_{root.name}"), config, root, ports)
    try:
        yield site
    finally:
        for process in site.processes:
            if process is not None:
                process.kill()


@pytest.fixture
def pair(site):
    """(active, standby): the two services of the site, a dead one started again at its address."""
    for i, process in enumerate(site.processes):
        if process is None or process.process.poll() is not None:
            site.processes[i] = ServiceProcess.start(site.db, site.logs, config=site.config, port=site.ports[i],
                                                     name=f"{i}-{time.monotonic():.0f}")
    deadline = time.monotonic() + 60
    while True:
        roles = {(p.health() or {}).get("role"): p for p in site.processes}
        if set(roles) == {"active", "standby"}:
            return roles["active"], roles["standby"]
        for process in site.processes:
            if process.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{process.url}: {roles}\n{process.tail()}")
        time.sleep(0.05)


class Wall:
    """A wall screen's event link (the same subscriber client/link.py runs), recording what it is sent."""

    def __init__(self, addresses: str):
        self.messages: list[dict] = []
        self.statuses: list[str] = []
        self.changed = threading.Condition()
        self.link = EventSubscriber(addresses, DEMO_TOKENS["wall_nk"], "NK", self._event, self._status)

    def _event(self, message: dict) -> None:
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()

    def _status(self, status: str) -> None:
        with self.changed:
            self.statuses.append(status)
            self.changed.notify_all()

    def wait(self, condition, timeout: float = 20.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: condition(self), timeout)

    def called_visits(self) -> list[str]:
        return [m["data"]["visit_id"] for m in self.messages if m["type"] == "call"]


def test_sigkill_of_the_active_mid_stream_loses_nothing_and_says_nothing_twice(pair, tmp_path):
    active, standby = pair
    addresses = f"{standby.url},{active.url}"  # the standby first: everyone is sent on to the active one
    wall = Wall(addresses)
    speech = SpeechWorker(out_dir=tmp_path / "wav", backend="espeak-ng")
    speaker = SpeakerAgent(addresses, DEMO_TOKENS["speaker_nk"], "NK", speech, state_file=tmp_path / "speaker.json")
    kiosks = [CallerClient(addresses, DEMO_TOKENS[k]) for k in ("kiosk", "kiosk2")]
    nurse = CallerClient(addresses, DEMO_TOKENS["console_nk"])
    nurse.login("wanghs", DEMO_PASSWORD)  # the user's session is in the database: it works on the next active too
    registered: list[dict] = []  # acknowledged registrations
    called: list[str] = []       # visits an acknowledged call-next called
    refused: list[str] = []
    killed = threading.Event()
    stop = threading.Event()
    after_kill = {"acks": 0}
    lock = threading.Lock()

    def acknowledged() -> None:
        with lock:
            if killed.is_set():
                after_kill["acks"] += 1

    def kiosk_loop(kiosk: CallerClient) -> None:
        while not stop.is_set():
            try:
                visit = kiosk.register("NK", name="张三丰")["visit"]
                with lock:
                    registered.append(visit)
                kiosk.check_in(visit["visit_id"])
                acknowledged()
            except CallerError as exc:  # not acknowledged (the kiosk shows the refusal; the patient tries again)
                refused.append(exc.code)

    def nurse_loop() -> None:
        room = 0
        while not stop.is_set():
            try:
                visit = nurse.call_next(("NK3", "NK4")[room % 2])["visit"]
                room += 1
                if visit is not None:
                    with lock:
                        called.append(visit["visit_id"])
                    acknowledged()
            except CallerError as exc:  # a call whose answer was lost is not retried: it may have been made
                refused.append(exc.code)
            stop.wait(0.15)

    wall.link.start()
    speaker.start()
    threads = [threading.Thread(target=kiosk_loop, args=(k,)) for k in kiosks] + [threading.Thread(target=nurse_loop)]
    try:
        assert wall.wait(lambda w: "connected" in w.statuses)
        for thread in threads:
            thread.start()
        assert wall.wait(lambda w: len(w.called_visits()) >= 5, 30), "no calls before the failover"
        active.kill()  # SIGKILL mid-stream: like pulling the plug of the active machine
        killed.set()
        standby.wait_role("active", 15)
        deadline = time.monotonic() + 30
        while after_kill["acks"] < 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert after_kill["acks"] >= 20, f"the new active acknowledged {after_kill['acks']} commands: {refused[-5:]}"
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)

    with CallerClient(standby.url, DEMO_TOKENS["admin"]) as admin:
        for visit in registered:  # every acknowledged registration is there, with its ticket
            status = admin.visit_status(visit["visit_id"])
            assert status["ticket"] == visit["ticket"]
        calls = [e for e in admin.audit(limit=5000) if e["action"] == "call"]
    tickets = [v["ticket"] for v in registered]
    assert len(tickets) == len(set(tickets)), "a ticket number was issued twice"
    called_in_audit = {e["visit_id"] for e in calls}
    assert set(called) <= called_in_audit, "an acknowledged call is missing"

    # the wall resumed on the new active one: every call made was shown, once, in seq order
    assert wall.wait(lambda w: set(called) <= set(w.called_visits()), 20), "the wall missed a call"
    shown = wall.called_visits()
    assert len(shown) == len(set(shown)), "the wall was sent a call twice"
    seqs = [m["seq"] for m in wall.messages if m["type"] != "snapshot"]
    assert seqs == sorted(set(seqs)), "the wall was sent an event twice or out of order"
    assert wall.statuses[-1] == "connected" and "lost" in wall.statuses
    assert wall.link.addresses.current == standby.url

    # the speaker said every call, none twice
    assert speaker.wait_announced(len(called), 20)
    said = [a.item_id for a in speaker.announced]
    assert len(said) == len(set(said)), f"the speaker repeated a call: {said}"
    spoken = {a.seq for a in speaker.announced}
    call_seqs = {m["seq"] for m in wall.messages if m["type"] == "call" and m["data"]["visit_id"] in set(called)}
    assert call_seqs <= spoken

    wall.link.stop()
    speaker.stop()
    speech.stop()
    for client in (*kiosks, nurse):
        client.close()


def test_an_active_cut_from_the_database_stops_acknowledging_before_the_standby_serves(pair, site):
    active, standby = pair
    wall = Wall(f"{active.url},{standby.url}")
    wall.link.start()
    assert wall.wait(lambda w: "connected" in w.statuses)
    only_active = CallerClient(active.url, DEMO_TOKENS["kiosk"])  # one address: no following, we see its answers
    assert only_active.register("NK", name="李四")["visit"]["ticket"]
    answers: list[tuple[float, float, str]] = []  # (sent, answered, outcome) of commands sent to the cut one
    cut_done = threading.Event()
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            sent = time.monotonic()
            try:
                visit = only_active.register("NK", name="李四")["visit"]
                outcome = "ok:" + visit["visit_id"]
            except CallerError as exc:
                outcome = f"{exc.status}:{exc.code}"
            answers.append((sent, time.monotonic(), outcome))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        time.sleep(0.3)
        with psycopg.connect(site.db, autocommit=True) as conn:  # the database ends the active's session
            backend = conn.execute("SELECT backend_pid FROM service_active").fetchone()[0]
            assert conn.execute("SELECT pg_terminate_backend(%s)", (backend,)).fetchone()[0]
        cut = time.monotonic()
        cut_done.set()
        standby.wait_role("active", 15)
        health = active.wait_role("standby", 15)  # it stepped down and names the new active one
        assert health["active"] == standby.url
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join(15)

    after = [outcome for sent, _, outcome in answers if sent > cut]
    assert after and not [o for o in after if o.startswith("ok")], f"acknowledged after the cut: {after[:5]}"
    assert after[-1] == "503:standby"
    ok_before = [o.split(":", 1)[1] for _, _, o in answers if o.startswith("ok")]
    with CallerClient(standby.url, DEMO_TOKENS["admin"]) as admin:
        for visit_id in ok_before:  # what it acknowledged before the cut is in the database
            assert admin.visit_status(visit_id)["visit_id"] == visit_id
    import httpx

    assert httpx.get(active.url + "/readyz").status_code == 503
    assert httpx.get(standby.url + "/readyz").status_code == 200

    # the wall left the cut one and follows the new active one
    assert wall.wait(lambda w: w.link.addresses.current == standby.url and w.statuses[-1] == "connected", 20)
    with CallerClient(f"{active.url},{standby.url}", DEMO_TOKENS["console_nk"]) as nurse:
        nurse.login("wanghs", DEMO_PASSWORD)
        for _, _, outcome in answers:
            if outcome.startswith("ok"):
                nurse.check_in(outcome.split(":", 1)[1])
        visit = nurse.call_next("NK3")["visit"]
    assert visit is not None
    assert wall.wait(lambda w: visit["visit_id"] in w.called_visits())
    wall.link.stop()
    only_active.close()


def test_the_phone_ticket_page_moves_to_the_new_active_service(pair, browser, tmp_path):
    from playwright.sync_api import expect

    active, standby = pair
    both = f"{active.url},{standby.url}"
    nurse = CallerClient(both, DEMO_TOKENS["console_nk"])
    nurse.login("wanghs", DEMO_PASSWORD)
    with CallerClient(both, DEMO_TOKENS["kiosk"]) as kiosk:
        visit = kiosk.register("NK", name="王小明")["visit"]
        kiosk.check_in(visit["visit_id"])
    status = nurse.visit_status(visit["visit_id"])
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    # the QR code names the address the kiosk used: a standby's sends the phone on to the active one
    page.goto(f"{standby.url}/t/{status['ticket_token']}")
    assert page.url.startswith(active.url + "/t/")
    expect(page.locator("#conn")).to_contain_text("实时更新")
    active.kill()
    standby.wait_role("active", 15)
    nurse.call_visit(visit["visit_id"], "NK3", "测试：主备切换后叫号")  # the nurse's session lives on in the database
    nurse.close()
    expect(page.locator("#called")).to_be_visible(timeout=20_000)  # told by the new active one
    expect(page.locator("#called-ticket")).to_have_text(status["ticket"])
    expect(page.locator("#conn")).to_contain_text("实时更新")
    page.screenshot(path=str(tmp_path / "phone-after-failover.png"))
    context.close()
