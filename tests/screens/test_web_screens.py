"""Web screens in the real headless Chromium: pairing, calls, broadcasts, the playlist interrupted by calls, the
emergency notice, the TV as a speaker, device health, revoking.

Each test starts its own service (free port, own database and media folder) and pairs a fresh browser context.
Screenshots at 1080 and 2160 lines go to out/screenshots/web-*.png.
"""
from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
from PySide6.QtCore import Qt
from screen_helpers import (
    ADMIN,
    FULL_NAMES,
    SCREENSHOTS,
    expert_visit,
    frames_of,
    hospital_file,
    make_media,
    nurse,
    pair,
)

from caller.testing import ManualClock, free_port, run_service, run_service_process

pytestmark = pytest.mark.timeout(120)

WALL_MEDIA = ('kind = "wall", rooms = ["NK1", "NK2", "NK3", "NK4"], next_count = 3, last_calls = 5, '
              'viewing_distance_m = 5.0, screen_inches = 55, flash_seconds = 1, speak = true, media = "zone"')
ITEMS = """
[[media.items]]
file = "handwash.mp4"
title = "正确洗手六步法"
kind = "education"

[[media.items]]
file = "broken.mp4"
kind = "education"

[[media.items]]
text = "空腹抽血请在上午十点前到检验科，谢谢配合。"
title = "空腹抽血提示"
kind = "notice"
"""


@pytest.fixture
def media(tmp_path):
    return make_media(tmp_path / "media")


def wall_text(page) -> str:
    return page.evaluate("document.getElementById('screen').innerText")


def test_pair_call_broadcast_and_no_full_name_in_any_frame(browser, tmp_path):
    config = hospital_file(tmp_path, wall=WALL_MEDIA.replace('media = "zone"', 'media = "none"'))
    with run_service(config, tmp_path / "h.db") as url:
        console = nurse(url)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
        page = context.new_page()
        frames = frames_of(page)
        page.goto(url + "/screen/")
        page.wait_for_function("/^\\d{6}$/.test(document.getElementById('pair-code').textContent)")
        assert "尚未配对" in page.inner_text("#pairing")
        code = page.text_content("#pair-code")
        wrong = httpx.post(url + "/api/v1/screens/pair", json={"code": "000000" if code != "000000" else "111111",
                                                               "device": "wall-nk"}, headers=ADMIN)
        assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "pairing_code_unknown"
        console.request("POST", "/screens/pair", json_body={"code": code, "device": "wall-nk"})
        page.wait_for_function("window.__screen.state.view !== null", timeout=15000)

        # the credential is in an HttpOnly cookie: not in the page, not readable by its scripts, not in a URL
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["screen_device"]["httpOnly"] and cookies["screen_device"]["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""
        assert cookies["screen_device"]["value"] not in page.content()

        first = expert_visit(console, "王小明")
        expert_visit(console, "欧阳娜娜")
        console.call_next("NK1")
        page.wait_for_function(f"document.getElementById('call-ticket').textContent === '{first}'")
        assert page.text_content("#call-name") == "王*明"
        assert "请到 内科1诊室 就诊" in page.text_content("#call-room")
        # who is next ("请准备") comes with the area's queue snapshot, a moment after the call
        page.wait_for_function("document.querySelector(\".room[data-room='NK1']\").innerText.indexOf('请准备') >= 0")
        assert first in page.inner_text(".room[data-room='NK1']")

        console.broadcast("NK", "请就诊患者提前准备好医保卡，谢谢配合")
        page.wait_for_function("document.getElementById('bcast').textContent.indexOf('医保卡') >= 0")
        page.wait_for_timeout(300)  # the flash settles (a fixed pause for the picture only, nothing asserted on it)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "web-wall-1080.png"))

        big = browser.new_context(viewport={"width": 3840, "height": 2160}, bypass_csp=True)
        big.add_cookies([{**cookies["screen_device"]}])
        page2 = big.new_page()
        page2.goto(url + "/screen/")
        page2.wait_for_function(f"document.getElementById('call-ticket').textContent === '{first}'")
        page2.wait_for_function("document.getElementById('bcast').textContent.indexOf('医保卡') >= 0")
        page2.screenshot(path=str(SCREENSHOTS / "web-wall-2160.png"))
        scale = page2.evaluate("document.getElementById('stage').getBoundingClientRect().width")
        assert scale == pytest.approx(3840, abs=2)  # the 1080-line layout drawn at twice the size, same proportions
        big.close()

        text = "\n".join(frames)
        assert frames and not [n for n in FULL_NAMES if n in text]
        assert "王*明" in text
        assert '"type":"call"' in text and '"type":"view"' in text
        context.close()


def test_door_screen_and_portrait(browser, tmp_path):
    with run_service(hospital_file(tmp_path), tmp_path / "h.db") as url:
        console = nurse(url)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page = context.new_page()
        pair(page, url, device="door-nk1", client=console)
        ticket = expert_visit(console, "司马相如")
        waiting = expert_visit(console, "张三丰")
        console.call_next("NK1")
        page.wait_for_function(f"document.getElementById('door-current').textContent.indexOf('{ticket}') === 0")
        assert "司**如" in page.text_content("#door-current")
        # the call comes first; the queue under the door follows with the area's snapshot (QUEUE_SETTLE_S later)
        page.wait_for_function(f"document.getElementById('door-next').innerText.indexOf('{waiting}') >= 0")
        assert "张建国" in page.text_content("#doctor-name")
        page.screenshot(path=str(SCREENSHOTS / "web-door-800.png"))
        context.close()

        portrait = hospital_file(tmp_path, wall=WALL_MEDIA.replace('media = "zone"', 'media = "none"')
                                 + ", width = 1080, height = 1920")
    with run_service(portrait, tmp_path / "p.db") as url:
        context = browser.new_context(viewport={"width": 1080, "height": 1920}, bypass_csp=True)
        page = context.new_page()
        pair(page, url)
        assert page.evaluate("document.getElementById('stage').classList.contains('portrait')")
        box = page.evaluate("JSON.stringify([document.getElementById('left').getBoundingClientRect(),"
                            "document.getElementById('rooms').getBoundingClientRect()])")
        left, rooms = json.loads(box)
        assert left["bottom"] <= rooms["top"] + 1  # calls above the rooms
        page.screenshot(path=str(SCREENSHOTS / "web-wall-portrait.png"))
        context.close()


@pytest.mark.timeout(180)  # three calls said one after the other (about 7 s each) while a video plays
def test_video_interrupted_by_calls_burst_said_in_order(browser, tmp_path, media):
    config = hospital_file(tmp_path, media_folder=media, wall=WALL_MEDIA, items=ITEMS, share=0.3)
    with run_service(config, tmp_path / "h.db") as url:
        console = nurse(url)
        tickets = [expert_visit(console, n) for n in ("王小明", "欧阳娜娜", "司马相如")]
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
        page = context.new_page()
        pair(page, url, client=console)
        page.mouse.click(960, 540)  # the one tap that allows sound
        page.wait_for_function("window.__screen.state.sound === true")
        page.wait_for_function("(function(){var v=document.querySelector('#zone .layer.on video');"
                               "return v && !v.paused && v.currentTime > 0.3;})()", timeout=30000)
        assert page.evaluate("document.querySelector('#zone .layer.on video').volume") == 1.0

        console.call_next("NK1")  # one call, then a burst of two more
        page.wait_for_function("document.querySelectorAll('#zone video').length && "
                               "document.querySelector('#zone .layer.on video').volume < 0.5")
        for _ in range(2):
            console.call_next("NK1")
        page.wait_for_function("window.__screen.painted.length >= 3", timeout=40000)
        painted = page.evaluate("window.__screen.painted.map(function(p){return p.ticket;})")
        assert painted == tickets  # shown one by one, in order, none dropped
        page.wait_for_function("window.__screen.played.length >= 3 && window.__screen.state.current === null",
                               timeout=60000)
        played = page.evaluate("window.__screen.played.map(function(p){return p.id;})")
        seqs = page.evaluate("window.__screen.painted.map(function(p){return 'c' + p.seq;})")
        assert played == seqs  # each call said after the one before, with its own clip
        page.wait_for_function("document.querySelector('#zone .layer.on') && "
                               "(!document.querySelector('#zone .layer.on video') || "
                               "document.querySelector('#zone .layer.on video').volume === 1)")
        page.screenshot(path=str(SCREENSHOTS / "web-wall-media-1080.png"))

        # the broken file is skipped and named in the device's health; the HEVC file is transcoded, not listed
        screens = httpx.get(url + "/api/v1/screens", headers=ADMIN).json()
        states = {m["file"]: m["state"] for m in screens["media"]}
        assert states["broken.mp4"] == "broken" and states["handwash.mp4"] == "ok"
        page.wait_for_function("window.__screen.state.cache.cached >= 1")
        devices = {}

        def reported() -> bool:
            devices.update({d["device"]: d for d in console.devices()})
            return "网页屏" in devices.get("wall-nk", {}).get("reason_zh", "")

        for _ in range(100):
            if reported():
                break
            page.wait_for_timeout(200)
        wall = devices["wall-nk"]
        assert "broken.mp4" in wall["reason_zh"] and "正在播放" in wall["reason_zh"]
        assert wall["status"] == "warning" and wall["detail"]["web"] is True
        context.close()


def test_emergency_notice_on_chosen_screens_audited_and_taken_down(browser, tmp_path):
    with run_service(hospital_file(tmp_path), tmp_path / "h.db") as url:
        console = nurse(url)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
        wall, door = context.new_page(), browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True).new_page()
        pair(wall, url, client=console)
        pair(door, url, device="door-nk1", client=console)
        notice = console.request("POST", "/screens/overrides", json_body={
            "title": "消防演练", "text": "今天10:00消防演练，请听从工作人员指挥，沿绿色指示牌从东侧楼梯疏散。",
            "text_en": "Fire drill at 10:00: follow staff, leave by the east stairs.", "devices": ["wall-nk"]})
        wall.wait_for_function("!document.getElementById('override').hidden")
        assert "消防演练" in wall.inner_text("#override")
        assert door.evaluate("document.getElementById('override').hidden")  # only the chosen screen
        wall.screenshot(path=str(SCREENSHOTS / "web-override-1080.png"))
        audit = httpx.get(url + "/api/v1/audit", headers=ADMIN).json()
        rows = audit if isinstance(audit, list) else audit.get("audit", audit.get("rows", []))
        assert any(r.get("action") == "screen_override" and r.get("user") == "wanghs" for r in rows)
        # a nurse may not cover another area's screens
        refused = httpx.post(url + "/api/v1/screens/overrides", json={"text": "x", "devices": ["wall-wy"]},
                             headers={"Authorization": f"Bearer {console.token}"})
        assert refused.status_code == 403
        console.request("DELETE", f"/screens/overrides/{notice['id']}")
        wall.wait_for_function("document.getElementById('override').hidden")
        # revoked: the page goes back to its pairing code at once
        console.request("DELETE", "/screens/wall-nk")
        wall.wait_for_function("!document.getElementById('pairing').hidden")
        context.close()


@pytest.mark.timeout(180)  # the service is killed and started again (two process starts) while the page plays
def test_keeps_playing_from_its_cache_while_the_service_is_away_and_repeats_no_call(browser, tmp_path, media):
    items = ITEMS.replace('file = "broken.mp4"', 'file = "masks.png"')
    config = hospital_file(tmp_path, media_folder=media, wall=WALL_MEDIA, items=items)
    db, port = tmp_path / "h.db", free_port()
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
    page = context.new_page()
    with run_service_process(config, db, port=port) as service:
        console = nurse(service.base_url)
        first = expert_visit(console, "王小明")
        second = expert_visit(console, "欧阳娜娜")
        pair(page, service.base_url, client=console)
        page.mouse.click(960, 540)
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
        page.wait_for_function("window.__screen.state.cache.items > 0 && "
                               "window.__screen.state.cache.cached === window.__screen.state.cache.items",
                               timeout=30000)
        console.call_next("NK1")
        page.wait_for_function(f"window.__screen.painted.some(function(p){{return p.ticket === '{first}';}})")
        page.wait_for_function("window.__screen.state.current === null", timeout=30000)  # shown and said
        service.kill()
    page.wait_for_function("!document.getElementById('lost').hidden", timeout=15000)
    assert "连接中断" in page.text_content("#lost")
    seen = set()
    for _ in range(3):  # the playlist goes on from the page's own cache: slide after slide, videos included
        page.wait_for_function("window.__screen.playing && window.__screen.playing.at > %f" %
                               page.evaluate("window.__screen.playing.at"), timeout=30000)
        seen.add(page.evaluate("window.__screen.playing.id"))
    assert len(seen) >= 2
    page.reload()  # even a reload while the service is down: the page from the service worker, media from IndexedDB
    page.wait_for_function("!document.getElementById('screen').hidden && "
                           "document.getElementById('call-ticket').textContent.length >= 0 && "
                           "window.__screen.state.view !== null", timeout=15000)
    page.wait_for_function("window.__screen.playing && window.__screen.playing.type", timeout=30000)
    assert first in page.inner_text("#rooms")
    painted_before = page.evaluate("window.__screen.painted.length")
    with run_service_process(config, db, port=port) as service:
        page.wait_for_function("document.getElementById('lost').hidden", timeout=20000)
        page.wait_for_timeout(1500)  # anything replayed on reconnect would show by now (asserted just below)
        assert page.evaluate("window.__screen.painted.length") == painted_before  # no call said twice
        nurse(service.base_url).call_next("NK1")
        page.wait_for_function(f"window.__screen.painted.some(function(p){{return p.ticket === '{second}';}})",
                               timeout=15000)
        tickets = page.evaluate("window.__screen.painted.map(function(p){return p.ticket;})")
        assert tickets.count(first) <= 1 and tickets.count(second) == 1
    context.close()


def test_a_nurse_pairs_the_tv_from_the_console_and_sees_its_health(browser, qtbot, tmp_path):
    from caller_console.app import open_console

    with run_service(hospital_file(tmp_path), tmp_path / "h.db") as url:
        window = open_console(url, "demo-console-nk-9c2e47b1d3a6", "wanghs", "demo1234", area="NK", room="NK1")
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.screen_pairing.display.findData("wall-nk-tv") >= 0, timeout=10000)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
        page = context.new_page()
        page.goto(url + "/screen/")
        page.wait_for_function("/^\\d{6}$/.test(document.getElementById('pair-code').textContent)")
        pairing = window.screen_pairing
        pairing.display.setCurrentIndex(pairing.display.findData("wall-nk-tv"))
        qtbot.keyClicks(pairing.code, page.text_content("#pair-code"))
        assert pairing.button.isEnabled()
        qtbot.mouseClick(pairing.button, Qt.LeftButton)
        page.wait_for_function("window.__screen.state.view !== null", timeout=15000)
        qtbot.waitUntil(lambda: pairing.code.text() == "", timeout=5000)
        window.runner.submit("devices", window.client.devices)

        def shown() -> bool:
            row = next((d for d in window.devices if d["device"] == "wall-nk-tv"), {})
            if "网页屏" not in row.get("reason_zh", ""):
                window.runner.submit("devices", window.client.devices)
                return False
            return True

        qtbot.waitUntil(shown, timeout=20000)  # the TV's heartbeat, in the device pane
        context.close()
        window.shutdown()


def test_midnight_clears_yesterdays_calls(browser, tmp_path):
    """The service's clock crosses midnight with no command after it: the wall drops yesterday's called visit from
    the call panel, the recent calls and its room, and the fresh snapshot it takes for the new day (the engine's)
    does not bring it back."""
    clock = ManualClock(datetime(2026, 11, 23, 23, 58, 0))
    with run_service(hospital_file(tmp_path), tmp_path / "h.db", clock=clock) as url:
        console = nurse(url)
        ticket = expert_visit(console, "王小明")
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
        page = context.new_page()
        pair(page, url, client=console)
        console.call_next("NK1")
        page.wait_for_function(f"document.getElementById('call-ticket').textContent === '{ticket}'")
        page.wait_for_function("window.__screen.state.current === null", timeout=20000)
        assert "王*明" in page.inner_text(".room[data-room='NK1']")
        page.evaluate("window.__views = []; window.__screen.onView = function (v) { window.__views.push(v); };")
        clock.set(datetime(2026, 11, 24, 0, 0, 5))  # the service's tick rolls the board to the new day
        # the last view the page got shows nothing of yesterday: no newest call, no recent call, an empty room
        page.wait_for_function("(function () { var v = window.__views[window.__views.length - 1];"
                               "return v && v.kind === 'wall' && !v.newest && !v.recent.length && "
                               "JSON.stringify(v.rooms).indexOf('王*明') < 0; })()", timeout=15000)
        # the engine's own snapshot is of the new day (what every screen subscribing now starts from)
        snap = httpx.get(url + "/api/v1/areas/NK/queue", headers=ADMIN).json()
        assert snap["day"] == "2026-11-24" and snap["called"] == []
        assert all(not r["called"] for r in snap["rooms"])
        # the resubscription for the new day has been made and has brought nothing of yesterday back
        page.wait_for_function("window.__screen.state.view && !window.__screen.state.view.newest && "
                               "document.getElementById('rooms').innerText.indexOf('王*明') < 0")
        assert "王*明" not in page.inner_text("#screen")
        assert page.evaluate("window.__screen.painted.length") == 1  # not announced again
        context.close()
