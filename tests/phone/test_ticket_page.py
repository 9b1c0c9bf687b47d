"""The live ticket page on a patient's phone: real headless Chromium at 360 px, opened from a printed ticket's QR."""
from __future__ import annotations

import re
from datetime import datetime

import httpx
from playwright.sync_api import expect

from hardware.printer import TicketDoc, decode_for, profile_named, render_ticket
from hardware.printer.decode import QRCode
from kiosk.app import ticket_page_url
from kiosk.devices import ticket_link
from kiosk.models import Ticket
from tests.phone.conftest import waiting

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")  # Chinese characters and punctuation


def printed_qr_url(service: str, status: dict) -> str:
    """Print the ticket as the kiosk does and read its QR code back from the printer's bytes."""
    ticket = Ticket(visit_id=status["visit_id"], ticket=status["ticket"], department=status["dept_name"],
                    ticket_token=status["ticket_token"])
    profile = profile_named("generic-80-gbk")
    doc = TicketDoc(hospital="仁和市第一人民医院", ticket_no=ticket.ticket, department=ticket.department, room="-",
                    location="-", masked_name=status["name"], ahead=status["ahead"],
                    wait_minutes=int(status["estimate_minutes"]), printed_at=datetime(2026, 11, 23, 9, 0),
                    status_url=ticket_link(ticket_page_url(None, service), ticket))
    codes = [e for e in decode_for(profile, render_ticket(doc, profile)) if isinstance(e, QRCode)]
    assert len(codes) == 1
    return codes[0].payload.decode("ascii")


def test_phone_follows_the_queue_live_and_shows_the_call_full_screen(live, kiosk, nurse, phone, tmp_path):
    visits = waiting(kiosk, 4)
    mine = nurse.visit_status(visits[3]["visit_id"])
    url = printed_qr_url(live, mine)
    assert re.fullmatch(rf"{live}/t/[A-Za-z0-9_-]{{24}}", url) and mine["visit_id"] not in url

    page = phone()
    page.goto(url)
    expect(page.locator("#ticket")).to_have_text(mine["ticket"])
    expect(page.locator("#ahead")).to_have_text("3")
    expect(page.locator("#name")).to_have_text("王*明")
    expect(page.locator("#conn")).to_contain_text("实时更新")
    assert "王小明" not in page.content()
    page.screenshot(path=str(tmp_path / "phone-waiting.png"))
    page.locator("#sound").click()  # one tap allows sound
    expect(page.locator("#sound")).to_contain_text("提示音已开启")

    family = phone()  # a family member opens the same link on another phone
    family.goto(url)
    expect(family.locator("#ahead")).to_have_text("3")

    for ahead in ("2", "1", "0"):
        nurse.call_next("NK3")
        expect(page.locator("#ahead")).to_have_text(ahead)  # live, without reloading
    expect(page.locator("#estimate")).to_contain_text("马上就到您了")
    chimes_before = page.evaluate("window.ticketPage.chimes")

    assert nurse.call_next("NK3")["visit"]["visit_id"] == mine["visit_id"]
    banner = page.locator("#called")
    expect(banner).to_be_visible()
    expect(page.locator("#called-text")).to_have_text("请到 内科3诊室 就诊")
    expect(family.locator("#called-text")).to_have_text("请到 内科3诊室 就诊")
    assert page.evaluate("window.__vibrations.length") == 1
    assert page.evaluate("window.ticketPage.chimes") == chimes_before + 1
    box = banner.bounding_box()
    assert box["width"] == 360 and box["height"] >= 700  # full screen
    page.screenshot(path=str(tmp_path / "phone-called.png"))

    nurse.call_again(mine["visit_id"])  # called again: the phone vibrates again
    page.wait_for_function("window.__vibrations.length === 2")
    page.locator("#called-ok").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#state")).to_contain_text("正在叫您的号")


def test_page_switches_to_english_and_fits_a_narrow_phone(live, kiosk, nurse, phone):
    visits = waiting(kiosk, 2)
    status = nurse.visit_status(visits[1]["visit_id"])
    page = phone()
    page.goto(f"{live}/t/{status['ticket_token']}")
    page.locator("#lang").click()
    expect(page.locator("#state")).to_have_text("Waiting: please listen for your number")
    expect(page.locator("#dept")).to_have_text("Internal Medicine")
    location = page.locator("#location").inner_text()
    assert location.strip() not in ("", "-") and not CJK.search(location), location  # where to go, in English
    expect(page.locator("#lang")).to_have_text("中文")  # the way back is written in its own language
    shown = page.evaluate("document.body.innerText").replace(status["name"], "").replace("中文", "", 1)  # as is the
    assert not CJK.search(shown), CJK.findall(shown)  # masked name; all the rest in one language
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    page.reload()  # the choice is remembered
    expect(page.locator("#lang")).to_have_text("中文")
    nurse.call_next("NK3")
    assert nurse.call_next("NK3")["visit"]["visit_id"] == status["visit_id"]
    expect(page.locator("#called")).to_be_visible()  # the call, full screen, in English too
    called = page.evaluate("document.body.innerText").replace(status["name"], "").replace("中文", "", 1)
    assert not CJK.search(called), CJK.findall(called)


def test_guessed_old_or_malformed_links_find_nothing(live, kiosk, nurse, clock):
    visit = waiting(kiosk, 1)[0]
    token = nurse.visit_status(visit["visit_id"])["ticket_token"]
    assert httpx.get(f"{live}/t/{token}").status_code == 200
    for guess in (visit["visit_id"], "A" * 24, token[:-1] + ("A" if token[-1] != "A" else "B"), "x"):
        answer = httpx.get(f"{live}/t/{guess}")
        assert answer.status_code == 404 and "没有找到这张号票" in answer.text
        assert httpx.get(f"{live}/t/{guess}/events").status_code == 404
    clock.advance(days=1)  # the link ends with the visit's day
    assert httpx.get(f"{live}/t/{token}").status_code == 404
    assert httpx.get(f"{live}/t/{token}/status").status_code == 404


def test_link_survives_a_restart_of_the_service(hospital, tmp_path, clock):
    from caller.testing import DEMO_TOKENS, run_service
    from client.http import CallerClient

    db = tmp_path / "hospital.db"
    with run_service(hospital, db, clock=clock, records=False) as live:
        with CallerClient(live, DEMO_TOKENS["kiosk"]) as kiosk, CallerClient(live, DEMO_TOKENS["admin"]) as admin:
            visit = waiting(kiosk, 1)[0]
            token = admin.visit_status(visit["visit_id"])["ticket_token"]
    with run_service(hospital, db, clock=clock, records=False) as live:
        status = httpx.get(f"{live}/t/{token}/status").json()
    assert status["ticket"] == visit["ticket"] and "visit_id" not in status and "ticket_token" not in status


def test_event_stream_resumes_with_the_current_status_and_sends_heartbeats(live, kiosk, nurse):
    visits = waiting(kiosk, 3)
    token = nurse.visit_status(visits[2]["visit_id"])["ticket_token"]
    nurse.call_next("NK3")
    feed = live.app.state.ticket_feed
    with httpx.stream("GET", f"{live}/t/{token}/events", headers={"Last-Event-ID": "1"}, timeout=10) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["x-accel-buffering"] == "no"
        seen: list[str] = []
        for line in stream.iter_lines():
            seen.append(line)
            if line.startswith("data: ") and "event: ping" not in seen:
                live.service.hub.loop.call_soon_threadsafe(feed.heartbeat)  # the heartbeat's turn comes
            if line == "event: ping":
                break
    assert seen[0] == "retry: 3000"
    status_at = seen.index("event: status")
    assert seen[status_at - 1].startswith("id: ") and '"ahead":1' in seen[status_at + 1]


def test_one_link_holds_a_handful_of_live_connections_and_all_phones_a_cap(live, kiosk, nurse):
    """One ticket link cannot take the service's file descriptors: the sixth live connection gets 503 with
    Retry-After (the page backs off), while the link's other pages, other links and the service go on."""
    from contextlib import ExitStack

    from common.config import SecurityConfig

    first, second = waiting(kiosk, 2)
    token = nurse.visit_status(first["visit_id"])["ticket_token"]
    other = nurse.visit_status(second["visit_id"])["ticket_token"]
    with ExitStack() as held:
        for _ in range(5):
            stream = held.enter_context(httpx.stream("GET", f"{live}/t/{token}/events", timeout=10))
            assert stream.status_code == 200
        refused = httpx.get(f"{live}/t/{token}/events", timeout=10)
        assert refused.status_code == 503 and int(refused.headers["retry-after"]) > 0
        assert refused.json()["error"]["code"] == "too_many_connections"
        assert httpx.get(f"{live}/t/{token}", timeout=10).status_code == 200  # the page itself still opens
        assert httpx.get(f"{live}/healthz", timeout=10).status_code == 200
        config = live.service.config  # every phone together have a cap too
        live.service.config = config.model_copy(update={"security": SecurityConfig(phone_connections=6)})
        with httpx.stream("GET", f"{live}/t/{other}/events", timeout=10) as sixth:
            assert sixth.status_code == 200
            assert httpx.get(f"{live}/t/{other}/events", timeout=10).status_code == 503
