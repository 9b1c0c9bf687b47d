"""The cockpit in real headless Chromium: a manager logs in, sees today live and the month, the charts are drawn,
drills down hospital -> area -> department, opens the PDCA page and exports it; the XLSX holds the page's figures."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import httpx
import pytest
from cockpit_helpers import KIOSK, WINDOW, Day
from openpyxl import load_workbook

from caller.testing import ManualClock, run_service
from cockpit.screens import PAINTED, WALL_CHARTS, drill, login, show, wait_painted

TODAY = date(2026, 11, 23)


@pytest.fixture
def live(tmp_path):
    clock = ManualClock(datetime(2026, 11, 2, 8, 0))
    with run_service(db_path=tmp_path / "hospital.db", clock=clock, records=False) as url:
        day = Day(url.service, clock)
        for d in (date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), TODAY):  # four Mondays of the month
            for n, dept in enumerate(("NK", "NK", "WK")):
                v = day.at(f"08:{n:02d}", d).register(dept=dept, who=WINDOW if n == 1 else KIOSK)
                day.do("check_in", visit_id=v)
            room = {"NK": "NK3", "WK": "WK2"}
            for dept in ("NK", "WK"):
                called = day.at("08:25", d).call(room[dept])
                if called:
                    day.at("08:30", d).do("start", visit_id=called)
                    day.at("08:41", d).do("finish", visit_id=called)
        url.day, url.clock = day, clock
        yield url


def test_manager_sees_today_live_the_month_drills_down_and_exports_the_pdca(live, browser, tmp_path):
    # bypass_csp: this test's wait_for_function strings are evaluated as JavaScript, which the page's own
    # policy (script-src 'self') rightly forbids; the page's scripts are files and need no exception
    page = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                               bypass_csp=True).new_page()
    page.goto(live + "/cockpit/")
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#login input[name=username]", "yuanzhang")
    page.fill("#login input[name=password]", "wrong-password")
    page.click("#login button[type=submit]")
    page.wait_for_function("document.querySelector('#login-error').textContent.includes('不正确')")
    login(page, live, "yuanzhang", "demo1234")
    cookie = next(c for c in page.context.cookies() if c["name"] == "cockpit_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # the page's script cannot read the session

    card = "#cards .card[data-kpi=registrations] .v"
    assert page.text_content(card).startswith("3")
    assert page.evaluate(PAINTED, "#chart-trend") and page.evaluate(PAINTED, "#chart-channels")
    page.screenshot(path=str(tmp_path / "cockpit-today.png"), full_page=True)

    live.day.at("10:00", TODAY).register(dept="NK")  # a patient registers: the open page updates by itself
    page.wait_for_function("(s) => document.querySelector(s).textContent.startsWith('4')", arg=card, timeout=15000)

    show(page, "month")
    assert page.text_content(card).startswith("13")
    assert page.text_content("#crumbs a") == "仁和市第一人民医院"
    drill(page, "内科诊区")
    drill(page, "内科")
    rows = page.locator("#children tbody td:first-child").all_text_contents()
    assert "内科3诊室" in rows and any("医生" not in r for r in rows)  # rooms, then the department's doctors
    nk3 = page.locator("#children tbody tr[data-key=NK3] td").all_text_contents()
    assert nk3[1:3] == ["—", "4"]  # a room has no registrations of its own; served in NK3: one each Monday
    page.click("#lang")
    page.wait_for_function("document.querySelector('h1').textContent === 'Service cockpit'")
    wait_painted(page)
    page.screenshot(path=str(tmp_path / "cockpit-department-en.png"), full_page=True)

    # the what-if: everything chosen from lists, nothing typed
    page.wait_for_selector("#whatif-form select[name=area] option[value=NK]", state="attached")
    page.select_option("#whatif-form select[name=area]", "NK")
    page.select_option("#whatif-form select[name=room_cap]", "3")
    page.check("#whatif-form input[name=open_rooms][value=NK4]")
    page.select_option("#whatif-form select[name=am]", index=2)  # the morning starting half an hour earlier
    assert page.is_disabled("#whatif-form input[name=open_rooms][value=NK3]")  # it worked that day anyway
    page.click("#whatif-form button[type=submit]")
    page.wait_for_selector("#whatif-table:not([hidden])")
    visits = page.locator("#whatif-table tr[data-measure=visits] td").all_text_contents()
    # internal medicine's three patients of today (surgery's is not replayed): as they happened, replayed, changed
    assert visits == ["Visits", "3", "3", "3"]
    use = page.locator("#whatif-table tr[data-measure=room_utilisation] td").all_text_contents()
    assert use[1] == page.text_content("#cards .card[data-kpi=room_utilisation] .v").removesuffix("%")
    page.fill("#day", "2026-11-24")  # a day nobody came: told so, in the page's language
    page.dispatch_event("#day", "change")
    page.wait_for_function("document.querySelector('#crumbs a:last-child') && document.body.dataset.shown")
    page.click("#whatif-form button[type=submit]")
    page.wait_for_function("document.querySelector('#whatif-error').textContent.includes('No visits')")
    assert page.is_hidden("#whatif-table")
    page.fill("#day", "2026-11-23")
    page.dispatch_event("#day", "change")

    href = page.get_attribute("#pdca-link", "href")
    assert href == "/cockpit/pdca?month=2026-11&dept=NK"
    page.goto(live + href)
    shown = [[c.strip() for c in row] for row in page.eval_on_selector_all(
        "#pdca-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")]
    with page.expect_download() as download:
        page.click("#xlsx")
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    exported = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert len(exported) == len(shown) > 5
    for page_row, xlsx_row in zip(shown, exported):
        assert page_row[0] == xlsx_row[0]
        for on_page, in_file in zip(page_row[2:4], xlsx_row[2:4]):  # actual and target
            assert (on_page == "—") == (in_file is None)
            if in_file is not None:
                assert float(on_page) == pytest.approx(float(in_file), abs=0.005)
    p90 = next(r for r in shown if r[0].startswith("候诊时长P90"))
    assert p90[3] == "30"  # the target from the hospital file
    csv_text = httpx.get(live + "/cockpit/export/pdca.csv?month=2026-11&dept=NK",
                         cookies={"cockpit_session": cookie["value"]}).content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(csv_text)))[1:]
    assert [row[2] for row in table[:len(shown)]] == [r[2] for r in shown]

    page.goto(live + "/cockpit/")
    page.wait_for_selector("#logout:not([hidden])")
    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    # logging out ended the session on the server: a copy of the old cookie opens nothing any more
    stolen = httpx.get(live + "/cockpit/api/view", cookies={"cockpit_session": cookie["value"]})
    assert stolen.status_code == 401
    assert httpx.get(live + "/cockpit/pdca?month=2026-11", cookies={"cockpit_session": cookie["value"]},
                     follow_redirects=False).headers["location"] == "/cockpit/"
    page.context.close()


def test_only_managers_and_admins_get_in_and_nothing_changes_from_another_site(live):
    def login(user: str, headers: dict | None = None) -> httpx.Response:
        return httpx.post(live + "/cockpit/api/login", json={"username": user, "password": "demo1234"},
                          headers={"X-Cockpit": "1"} if headers is None else headers)

    nurse = login("wanghs")
    assert nurse.status_code == 403  # a nurse works at a console, not in the cockpit, and is told so plainly
    assert nurse.json()["error"]["message_zh"] == "对不起，服务效能驾驶舱只供管理人员使用；护士和医生请在叫号工作站登录，谢谢。"
    assert nurse.json()["error"]["message_en"] == "The cockpit is for managers; nurses and doctors please log in at a console."
    assert login("yuanzhang", headers={}).status_code == 403  # a form posted from another site has no X-Cockpit
    ok = login("admin")
    assert ok.status_code == 200
    assert httpx.get(live + "/cockpit/api/view").status_code == 401
    token = ok.cookies["cockpit_session"]
    assert httpx.get(live + "/cockpit/api/view", cookies={"cockpit_session": token}).status_code == 200
    manager = login("yuanzhang").cookies["cockpit_session"]
    # the manager's session is no console token: no calling patients with it
    r = httpx.post(live + "/api/v1/rooms/NK3/call-next", headers={"Authorization": f"Bearer {manager}"})
    assert r.status_code == 403
    console = httpx.post(live + "/api/v1/auth/login", json={"username": "yuanzhang", "password": "demo1234"},
                         headers={"Authorization": "Bearer " + console_token(live)})
    assert console.status_code == 403  # and a manager cannot log in at a nurse console


def console_token(live) -> str:
    return next(d.token for d in live.service.config.devices if d.role == "console")


def test_the_pdca_record_is_kept_audited_and_exported_and_the_wall_updates_live(live, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(live + "/cockpit/")
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#login input[name=username]", "wanghs")  # a nurse is refused in plain words
    page.fill("#login input[name=password]", "demo1234")
    page.click("#login button[type=submit]")
    page.wait_for_function("document.querySelector('#login-error').textContent.includes('护士和医生请在叫号工作站登录')")
    login(page, live, "yuanzhang", "demo1234")

    # targets from the hospital file: today's p90 wait (NK 25 min; WK waits on) against wait_p90 = 30 -> green
    p90 = page.locator("#cards .card[data-kpi=wait_p90]")
    assert "met" in p90.get_attribute("class").split() and "≤ 30" in p90.text_content()
    assert page.locator("#cards .card[data-kpi=registrations] .cmp[data-cmp=mom]").count() == 1  # 环比 beside it
    assert "52" in page.text_content("#legend")
    assert page.text_content("#room-use-explained").startswith("诊室利用率 = 接诊分钟 ÷ 开诊分钟")

    # PDCA of the month: plan, an action done (a date outside the month is refused first), a decision
    page.wait_for_selector("#pdca-check tr[data-kpi=wait_p90]")
    page.fill("#pdca-form textarea[name=plan]", "高峰时段加开一个诊室")
    first = page.locator("#pdca-do tbody tr").last
    first.locator("input[name=do_date]").fill("2026-12-01")
    first.locator("input[name=do_action]").fill("周一上午加开内科4诊室")
    first.locator("input[name=do_by]").fill("王护士长")
    page.select_option("#pdca-form select[name=decision]", "continue")
    page.click("#pdca-form button[type=submit]")
    page.wait_for_function("document.querySelector('#pdca-error').textContent.includes('不在 2026-11 月内')")
    first.locator("input[name=do_date]").fill("2026-11-16")
    page.click("#pdca-form button[type=submit]")
    page.wait_for_function("document.querySelector('#pdca-saved').textContent.includes('yuanzhang')")
    assert page.text_content("#pdca-error") == ""
    page.screenshot(path=str(tmp_path / "cockpit-pdca-record.png"), full_page=True)

    page.reload()  # kept in the store: it comes back
    page.wait_for_function("document.querySelector('#pdca-saved').textContent.includes('yuanzhang')")
    assert page.input_value("#pdca-form textarea[name=plan]") == "高峰时段加开一个诊室"
    assert page.input_value("#pdca-do tbody tr:first-child input[name=do_action]") == "周一上午加开内科4诊室"
    assert page.input_value("#pdca-form select[name=decision]") == "continue"
    saved = [r for r in live.service.store.audit() if r["action"] == "pdca_saved"]
    assert [(r["user"], r["detail"]["month"], r["detail"]["actions"]) for r in saved] == [("yuanzhang", "2026-11", 1)]
    page.goto(live + "/cockpit/pdca?month=2026-11&dept=")  # the printable page and the exports carry it
    assert "2026-11-16 周一上午加开内科4诊室（王护士长）" in page.text_content("body")
    assert "部分有效，进入下一轮 PDCA" in page.text_content("body")
    cookie = next(c for c in context.cookies() if c["name"] == "cockpit_session")
    csv_text = httpx.get(live + "/cockpit/export/pdca.csv?month=2026-11", cookies={"cockpit_session": cookie["value"]}
                         ).content.decode("utf-8-sig")
    assert ["D 执行 Do", "2026-11-16 周一上午加开内科4诊室（王护士长）"] in list(csv.reader(io.StringIO(csv_text)))

    # 大屏: the wall mode, full screen in the director's office, updating by itself
    wall = context.new_page()
    wall.set_viewport_size({"width": 1920, "height": 1080})
    wall.goto(live + "/cockpit/?wall=1")
    wall.wait_for_selector("#cards .card[data-kpi=registrations]")
    wait_painted(wall, WALL_CHARTS)
    assert wall.evaluate("document.body.classList.contains('wall')")
    assert wall.is_hidden("#pdca") and wall.is_hidden("#whatif") and wall.is_hidden("#periods")
    assert wall.text_content("#cards .card[data-kpi=registrations] .v").startswith("3")
    wall.screenshot(path=str(tmp_path / "cockpit-wall.png"))
    live.day.at("10:30", TODAY).register(dept="WK")
    wall.wait_for_function("document.querySelector('#cards .card[data-kpi=registrations] .v').textContent.startsWith('4')",
                           timeout=15000)
    context.close()
