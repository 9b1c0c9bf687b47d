"""The phone page talks back: 我马上到 (the nurse's console shows it beside the ticket) and 我不排了 (the refund rule
told first, then the number ends), both audited with the ticket page as who did it and refused once called.

Real headless Chromium at 360 px, and the real console window (pytest-qt) against the same live service."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, run_service
from client.http import CallerClient
from common.fonts import load_cjk_font
from tests.phone.conftest import waiting


@pytest.fixture
def service(hospital, clock, tmp_path):
    with run_service(hospital, tmp_path / "hospital.db", clock=clock, records=False) as url:
        yield url


@pytest.fixture
def console(qtbot, qapp, service):
    from caller_console.app import open_console

    load_cjk_font(qapp)
    window = open_console(service, DEMO_TOKENS["console_nk"], "wanghs", DEMO_PASSWORD, area="NK", room="NK3")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.online, timeout=10000)
    yield window
    window.shutdown()


def row_of(window, ticket: str) -> list[str] | None:
    """The console's line of a ticket (its cells, in whichever list it is), or None when it is listed nowhere."""
    for pane in window.panes:
        for i in range(pane.model.rowCount()):
            if pane.cell(i, 0) == ticket:
                return [pane.cell(i, c) for c in range(pane.model.columnCount())]
    return None


def test_on_my_way_reaches_the_console_and_leaving_ends_the_number(service, qtbot, console, phone, tmp_path):
    with CallerClient(service, DEMO_TOKENS["kiosk"]) as kiosk, CallerClient(service, DEMO_TOKENS["console_nk"]) as nurse:
        nurse.login("wanghs", DEMO_PASSWORD)
        visits = waiting(kiosk, 3)
        mine = nurse.visit_status(visits[2]["visit_id"])
        ticket = mine["ticket"]
        qtbot.waitUntil(lambda: row_of(console, ticket) is not None, timeout=10000)
        assert not any("马上到" in cell for cell in row_of(console, ticket))

        page = phone()
        page.goto(f"{service}/t/{mine['ticket_token']}")
        expect(page.locator("#ahead")).to_have_text("2")
        expect(page.locator("#actions")).to_be_visible()

        page.locator("#onway").click()
        expect(page.locator("#act-msg")).to_contain_text("已告诉护士您马上到")
        expect(page.locator("#onway-note")).to_contain_text("已告诉护士您马上到（09:")  # live, from the service
        qtbot.waitUntil(lambda: any("马上到 09:" in cell for cell in row_of(console, ticket) or []), timeout=10000)
        console.grab().save(str(tmp_path / "console-on-my-way.png"))
        page.screenshot(path=str(tmp_path / "phone-on-my-way.png"))

        page.locator("#leave").click()  # the rule first: nothing is done before the patient confirms
        sheet = page.locator("#leave-sheet")
        expect(sheet).to_be_visible()
        expect(page.locator("#leave-terms")).to_contain_text("退出后本号作废")
        page.screenshot(path=str(tmp_path / "phone-leave-terms.png"))
        assert nurse.visit_status(mine["visit_id"])["state"] == "waiting"
        page.locator("#leave-no").click()
        expect(sheet).to_be_hidden()
        assert nurse.visit_status(mine["visit_id"])["state"] == "waiting"

        page.locator("#leave").click()
        page.locator("#leave-yes").click()
        expect(page.locator("#act-msg")).to_contain_text("您已退出排队")
        expect(page.locator("#state")).to_have_text("已弃号")
        expect(page.locator("#actions")).to_be_hidden()
        qtbot.waitUntil(lambda: row_of(console, ticket) is None, timeout=10000)  # gone from the nurse's list
        assert nurse.visit_status(mine["visit_id"])["state"] == "cancelled"
        assert "王小明" not in page.content()

        trail = {row["action"]: row for row in nurse.audit(visit=mine["visit_id"])}
        assert trail["on_my_way"]["device"] == "ticket-page" and trail["leave_queue"]["device"] == "ticket-page"
        assert not trail["leave_queue"]["user"]
        assert trail["leave_queue"]["before"] in ("waiting", "room_waiting") and trail["leave_queue"]["after"] == "cancelled"


def test_page_cannot_leave_or_say_on_my_way_once_called(live, kiosk, nurse, phone):
    visit = waiting(kiosk, 1)[0]
    token = nurse.visit_status(visit["visit_id"])["ticket_token"]
    page = phone()
    page.goto(f"{live}/t/{token}")
    expect(page.locator("#actions")).to_be_visible()
    nurse.call_next("NK3")
    expect(page.locator("#called")).to_be_visible()
    expect(page.locator("#actions")).to_be_hidden()  # the page stops offering them

    for path in ("leave", "on-my-way"):  # a page that had not heard of the call yet is refused, in plain words
        answer = httpx.post(f"{live}/t/{token}/{path}", timeout=10)
        assert answer.status_code == 409
        error = answer.json()["error"]
        assert error["code"] == "already_called" and "已被呼叫" in error["message_zh"] and "请直接到诊室" in error["message_zh"]
    assert nurse.visit_status(visit["visit_id"])["state"] == "called"
    assert not [row for row in nurse.audit(visit=visit["visit_id"]) if row["action"] in ("leave_queue", "on_my_way")]


def test_talking_back_needs_the_link(live, kiosk, nurse):
    visit = waiting(kiosk, 1)[0]
    for guess in (visit["visit_id"], "A" * 24):
        assert httpx.post(f"{live}/t/{guess}/leave", timeout=10).status_code == 404
        assert httpx.post(f"{live}/t/{guess}/on-my-way", timeout=10).status_code == 404
        assert httpx.get(f"{live}/t/{guess}/leave", timeout=10).status_code == 404
    assert nurse.visit_status(visit["visit_id"])["state"] == "waiting"
