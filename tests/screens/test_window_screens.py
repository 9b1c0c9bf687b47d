"""Window screens of the pharmacy and the lab (/screen/, ``kind = "window"``): the ready list (请以下患者取药) from the
journey's ``ready`` events, each window's current call, every ticket once; in the real headless Chromium at 1080
and 2160 lines and portrait. The board rules behind them are checked without a browser (common/board.py)."""
from __future__ import annotations

from datetime import datetime

import pytest
from screen_helpers import FULL_NAMES, SCREENSHOTS, frames_of, hospital_file, pair

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, run_service
from client.http import CallerClient
from common.board import AreaBoard
from common.boardview import window_view
from common.screen_layout import ScreenLayout

pytestmark = pytest.mark.timeout(120)

YF_WALL = ('settings = { kind = "wall", rooms = ["YF1", "YF2", "YF3"], next_count = 3, last_calls = 5, '
           'font_scale = 1.0, speak = false }')
PATIENTS = ("王小明", "欧阳娜娜", "司马相如", "张三丰", "买买提·艾力")


def window_hospital(tmp_path, extra: str = ""):
    path = hospital_file(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert YF_WALL in text, "the demo hospital's pharmacy wall line changed: update this test"
    path.write_text(text.replace(YF_WALL, 'settings = { kind = "window", rooms = ["YF1", "YF2", "YF3"], '
                                          f'last_calls = 3{extra} }}'), encoding="utf-8")
    return path


def staff(url: str, token: str, user: str) -> CallerClient:
    client = CallerClient(url, DEMO_TOKENS[token])
    client.login(user, DEMO_PASSWORD)
    return client


def dispensed(url: str, names) -> list[tuple[str, str, str, str]]:
    """Patients seen in internal medicine with a paid prescription: (step id, ticket, name, clinic visit id)."""
    nurse, doctor = staff(url, "console_nk", "wanghs"), staff(url, "console_nk", "zhangys")
    out = []
    for name in names:
        visit = nurse.register("NK", name=name)["visit"]
        nurse.check_in(visit["visit_id"])
        called = next(v for v in (doctor.call_next(r)["visit"] for r in ("NK1", "NK2", "NK3", "NK4")) if v)
        assert called["visit_id"] == visit["visit_id"]
        doctor.start(visit["visit_id"])
        step = doctor.orders(visit["visit_id"], [{"kind": "drug", "items": [{"code": "AMOX"}], "paid": True}])
        doctor.finish(visit["visit_id"])
        out.append((step["visit"]["visit_id"], visit["ticket"], name, visit["visit_id"]))
    return out


def ready_tickets(page) -> list[str]:
    return page.evaluate("Array.prototype.map.call(document.querySelectorAll('#ready-grid .t'),"
                         "function (e) { return e.textContent; })")


def test_pharmacy_window_screen_ready_list_and_calls(browser, tmp_path):
    with run_service(window_hospital(tmp_path), tmp_path / "h.db") as url:
        steps = dispensed(url, PATIENTS[:4])
        pharmacist = staff(url, "console_yf", "yaoshi-chen")
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
        page = context.new_page()
        frames = frames_of(page)
        pair(page, url, device="wall-yf")
        assert page.is_visible("#ready") and page.is_visible(".window-row[data-room='YF3']")
        assert "请以下患者取药" in page.text_content("#ready-caption")

        windows = ["YF1", "YF3", "YF3", "YF2"]
        for (step_id, *_), window in zip(steps, windows):
            pharmacist.dispense(step_id)
            pharmacist.ready(step_id, room=window)
        tickets = [s[1] for s in steps]
        page.wait_for_function(f"document.querySelectorAll('#ready-grid .t').length === {len(tickets)}")
        assert ready_tickets(page) == tickets  # in the order the medicine became ready
        grid = page.inner_text("#ready-grid")
        assert "王*明" in grid and "欧**娜" in grid and "司**如" in grid
        assert "（4 人）" in page.text_content("#ready-caption")

        called = pharmacist.call_next("YF3")["visit"]
        assert called["visit_id"] == steps[1][0]
        ticket = steps[1][1]
        page.wait_for_function(f"document.getElementById('call-ticket').textContent === '{ticket}'")
        assert page.text_content("#call-room") == "请到 3号窗口 取药"
        page.wait_for_function("document.querySelector(\".window-row[data-room='YF3'] .current\").textContent"
                               f".indexOf('{ticket}') >= 0")
        row = page.text_content(".window-row[data-room='YF3'] .current")
        assert row in (f"请 {ticket} 号 欧**娜 到 3号窗口 取药", f"请 {ticket} 号 到 3号窗口 取药")  # as it fits
        assert page.evaluate("(function(){var e=document.querySelector(\".window-row[data-room='YF3'] .name\");"
                             "return e.scrollWidth <= e.clientWidth;})()")  # the window's name is never cut
        # each ticket once: the called one left the ready list for its window
        page.wait_for_function(f"document.querySelectorAll('#ready-grid .t').length === {len(tickets) - 1}")
        assert ready_tickets(page) == [tickets[0], tickets[2], tickets[3]]
        assert page.text_content(".window-row[data-room='YF1'] .current") == "—"

        pharmacist.call_next("YF1")  # a second call: the first moves to the recent calls
        page.wait_for_function(f"document.getElementById('call-ticket').textContent === '{tickets[0]}'")
        page.wait_for_function("window.__screen.state.current === null", timeout=20000)
        page.wait_for_function(f"document.getElementById('recent-lines').innerText.indexOf('{ticket}') >= 0")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "web-window-pharmacy-1080.png"))

        # collected at the window: gone from it; a restart of the page lists the same from the windows' queues
        code = staff(url, "console_nk", "wanghs").visit_status(steps[1][3])["ticket_token"]
        pharmacist.collect(steps[1][0], code)
        page.wait_for_function("document.querySelector(\".window-row[data-room='YF3'] .current\").textContent === '—'")

        big = browser.new_context(viewport={"width": 3840, "height": 2160}, bypass_csp=True)
        big.add_cookies([c for c in context.cookies() if c["name"] == "screen_device"])
        page2 = big.new_page()
        page2.goto(url + "/screen/")
        page2.wait_for_function("document.querySelectorAll('#ready-grid .t').length === 2")
        assert ready_tickets(page2) == [tickets[2], tickets[3]]
        assert page2.evaluate("document.getElementById('stage').getBoundingClientRect().width") == \
            pytest.approx(3840, abs=2)
        page2.screenshot(path=str(SCREENSHOTS / "web-window-pharmacy-2160.png"))
        big.close()

        text = "\n".join(frames)
        assert '"type":"view"' in text and not [n for n in PATIENTS if n in text] and not [
            n for n in FULL_NAMES if n in text]
        context.close()


def test_window_screen_portrait_lists_what_fits_and_counts_the_rest(browser, tmp_path):
    with run_service(window_hospital(tmp_path, ", width = 1080, height = 1920"), tmp_path / "h.db") as url:
        names = [f"{s}{g}" for s in "赵钱孙李周吴郑王冯陈褚卫" for g in ("建国", "小红")][:20]
        steps = dispensed(url, names)
        pharmacist = staff(url, "console_yf", "yaoshi-chen")
        for step_id, *_ in steps:
            pharmacist.ready(step_id, room="YF2")
        context = browser.new_context(viewport={"width": 1080, "height": 1920}, bypass_csp=True)
        page = context.new_page()
        pair(page, url, device="wall-yf")
        page.wait_for_function("document.querySelectorAll('#ready-grid .t').length > 0")
        assert page.evaluate("document.getElementById('stage').classList.contains('portrait')")
        shown = ready_tickets(page)
        assert shown == [s[1] for s in steps][:len(shown)]
        if len(shown) < len(steps):
            assert f"另有 {len(steps) - len(shown)} 位" in page.text_content("#ready-more")
        # nothing of the list is cut off below the panel
        bottom = page.evaluate("(function(){var g=document.getElementById('ready-grid').getBoundingClientRect();"
                               "var last=[].slice.call(document.querySelectorAll('#ready-grid > div')).pop()"
                               ".getBoundingClientRect(); return [g.bottom, last.bottom];})()")
        assert bottom[1] <= bottom[0] + 1
        page.screenshot(path=str(SCREENSHOTS / "web-window-pharmacy-portrait.png"))
        context.close()


# ------------------------------------------------------------------------------------ the board, without a browser
NOW = datetime(2026, 11, 23, 9, 0)


def event(seq: int, kind: str, data: dict, area: str = "YF") -> dict:
    return {"seq": seq, "type": kind, "area": area, "ts": "2026-11-23T09:00:00", "data": data}


def ready(seq: int, visit: str, ticket: str, name: str, kind: str = "medicine", room: str | None = "YF1") -> dict:
    return event(seq, "ready", {"kind": kind, "visit_id": visit, "journey_id": visit[:-3], "ticket": ticket,
                                "name": name, "room_id": room, "room_name": "1号窗口" if room else None,
                                "text": "", "text_en": ""})


def snapshot(seq: int, queue: list[tuple[str, str]], total: int | None = None) -> dict:
    items = [{"visit_id": v, "ticket": t, "name": "王*明", "dept_id": "YF", "doctor_id": None,
              "number_kind": "general", "state": "room_waiting", "room_id": "YF1", "late": False,
              "recalled": False, "priority": False, "triage_level": None, "call_count": 0} for v, t in queue]
    room = {"room_id": "YF1", "name": "1号窗口", "paused": False, "return_at": None, "doctor_id": None,
            "doctor_name": "", "called": [], "in_service": [],
            "queue": items, "next": items, "queue_total": total if total is not None else len(items)}
    return event(seq, "snapshot", {"area_id": "YF", "name": "门诊西药房", "day": "2026-11-23", "waiting": [],
                                   "called": [], "missed": [], "away": [], "rooms": [room], "notices": [],
                                   "broadcasts": []})


def test_board_keeps_the_pharmacy_list_true_to_the_windows_queues():
    board = AreaBoard("YF", ready_kind="medicine")
    board.apply(snapshot(1, []), NOW)
    board.apply(ready(2, "v1-P1", "A001", "王小明"), NOW)
    board.apply(ready(3, "v2-P1", "A002", "欧阳娜娜"), NOW)
    board.apply(ready(3, "v2-P1", "A002", "欧阳娜娜"), NOW)  # a replay changes nothing
    assert [(r.ticket, r.name) for r in board.ready] == [("A001", "王*明"), ("A002", "欧**娜")]  # masked again
    board.apply(snapshot(4, [("v2-P1", "A002")]), NOW)  # A001 collected or gone: off the list
    assert [r.ticket for r in board.ready] == ["A002"]
    board.apply(snapshot(5, [("v2-P1", "A002"), ("v3-P1", "A003")]), NOW)  # missed while away: filled in
    assert [r.ticket for r in board.ready] == ["A002", "A003"]
    board.apply(snapshot(6, [("v3-P1", "A003")], total=40), NOW)  # a cut list proves nothing about the rest
    assert [r.ticket for r in board.ready] == ["A002", "A003"]
    view = window_view(board, ScreenLayout.from_settings({"kind": "window"}), title="门诊西药房")
    assert [r["ticket"] for r in view["ready"]] == ["A002", "A003"] and view["ready_caption"] == "请以下患者取药"
    assert view["ready_total"] == 40  # the ones the cut list did not carry are counted
    board.apply(snapshot(7, [("v2-P1", "A002"), ("v3-P1", "A003")]), NOW)
    board.apply(event(8, "call", {"visit_id": "v3-P1", "ticket": "A003", "name": "王*明", "room_id": "YF1",
                                  "room_name": "1号窗口", "dept_id": "YF", "number_kind": "general",
                                  "text": "请 A003 号 王*明 到 1号窗口取药", "speech": "", "repeat": 1,
                                  "call_count": 1, "targets": ["area_screen"]}), NOW)
    view = window_view(board, ScreenLayout.from_settings({"kind": "window"}))
    assert [r["ticket"] for r in view["ready"]] == ["A002"]
    assert view["windows"][0]["current"][0] == "请 A003 号 王*明 到 1号窗口 取药"
    board.tick(datetime(2026, 11, 24, 0, 0, 1))  # a new day: yesterday's list goes
    assert board.ready == []


def test_board_lists_the_labs_newest_reports_first_and_ignores_medicine():
    board = AreaBoard("JY", ready_kind="report")
    board.apply(ready(1, "v1-L1", "A001", "王小明", kind="report", room=None), NOW)
    board.apply(ready(2, "v9-P1", "A009", "张三", kind="medicine"), NOW)
    board.apply(ready(3, "v2-L1", "A002", "司马相如", kind="report", room=None), NOW)
    view = window_view(board, ScreenLayout.from_settings({"kind": "window", "ready_count": 1}), verb="采血")
    assert [r["ticket"] for r in view["ready"]] == ["A002"] and view["ready_total"] == 2
    assert "检验报告已出" in view["ready_caption"]
    assert [r["name"] for r in window_view(board, ScreenLayout.from_settings({"kind": "window"}))["ready"]] == \
        ["司**如", "王*明"]
    hidden = window_view(board, ScreenLayout.from_settings({"kind": "window", "show_names": False}))
    assert [r["name"] for r in hidden["ready"]] == ["", ""]
