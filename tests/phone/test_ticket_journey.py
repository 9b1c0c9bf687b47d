"""The whole journey on the phone page (一票到底): after the consulting room the page lists every step, where it is,
what to prepare and the places ahead, live as the pharmacy and the lab work; in English it shows no Chinese place."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS
from client.http import CallerClient

HAN = re.compile(r"[\u4e00-\u9fff]")
LIVE_MS = 15000  # a pushed update on a machine running other suites too (the default 5 s is for a quiet one)


def staff(url: str, token: str, user: str) -> CallerClient:
    client = CallerClient(url, DEMO_TOKENS[token])
    client.login(user, DEMO_PASSWORD)
    return client


def seen_with_orders(kiosk, doctor, name: str, orders: list[dict]) -> tuple[dict, list[str]]:
    """A walk-in called, seen and given orders (paid) by the doctor: (visit, the step ids)."""
    visit = kiosk.register("NK", name=name)["visit"]
    kiosk.check_in(visit["visit_id"])
    called = next(c for c in (doctor.call_next(room)["visit"] for room in ("NK1", "NK2", "NK3", "NK4")) if c)
    assert called["visit_id"] == visit["visit_id"]
    doctor.start(visit["visit_id"])
    steps = [doctor.orders(visit["visit_id"], [order])["visit"]["visit_id"] for order in orders]
    doctor.finish(visit["visit_id"])
    return visit, steps


def test_phone_shows_every_step_live_with_where_and_places_ahead(live, kiosk, phone, tmp_path):
    doctor = staff(live, "console_nk", "zhangys")
    pharmacist = staff(live, "console_yf", "yaoshi-chen")
    lab = staff(live, "console_jy", "caixue-wu")
    blood = {"kind": "lab", "paid": True, "items": [{"code": "CBC"}]}
    for name in ("李四", "赵六"):  # two patients checked in at the lab before ours
        other, (other_lab,) = seen_with_orders(kiosk, doctor, name, [blood])
        lab.check_in_code("JY", other["ticket"])
    mine, (medicine, draw) = seen_with_orders(kiosk, doctor, "王小明", [
        {"kind": "drug", "paid": True, "items": [{"code": "AMOX"}]}, blood])
    lab.check_in_code("JY", mine["ticket"])
    token = doctor.visit_status(mine["visit_id"])["ticket_token"]

    page = phone()
    page.goto(f"{live}/t/{token}")
    journey = page.locator("#journey")
    expect(journey).to_be_visible()
    expect(page.locator("#journey-steps li")).to_have_count(3)  # the consultation, the pharmacy, the lab
    expect(page.locator("#state")).to_have_text("诊室就诊已结束，请按下面的流程继续")
    expect(page.locator("#journey-steps li").nth(1)).to_contain_text("药房正在配药")
    lab_step = page.locator("#journey-steps li").nth(2)
    expect(lab_step).to_contain_text("采血：血常规")
    expect(lab_step).to_contain_text("前面 2 人")
    expect(lab_step).to_contain_text("检验科")  # where it is: floor and place from the hospital file

    pharmacist.dispense(medicine)
    pharmacist.ready(medicine, room="YF3")  # live: the pharmacy's event reaches the clinic visit's page
    nxt = page.locator("#journey-next")
    expect(nxt).to_contain_text("药已配好，可到 3号窗口取药，前面 0 人；下一步：", timeout=LIVE_MS)
    expect(nxt).to_contain_text("采血：血常规，前面 2 人")
    expect(page.locator("#journey-steps li").nth(1)).to_contain_text("取药时请出示导诊单或就诊码")  # what to bring
    assert "王小明" not in page.content() and "王*明" in page.locator("#name").inner_text()
    page.screenshot(path=str(tmp_path / "phone-journey-zh.png"), full_page=True)

    page.locator("#lang").click()  # one language per page: no Chinese place in English
    expect(nxt).to_contain_text("Medicine ready at Window 3; 0 ahead; next: Blood draw")
    assert not HAN.search(page.locator("#journey").inner_text()), page.locator("#journey").inner_text()
    assert not HAN.search(page.locator("#location").inner_text())
    page.screenshot(path=str(tmp_path / "phone-journey-en.png"), full_page=True)
    page.locator("#lang").click()

    for _ in range(3):  # the lab draws the two ahead, then ours; the report comes later
        drawn = lab.call_next("JY1")["visit"]["visit_id"]
        lab.start(drawn)
        lab.finish(drawn)
    lab.report_ready(draw)
    expect(page.locator("#journey-steps li").nth(2)).to_contain_text("检验报告已出", timeout=LIVE_MS)
    assert pharmacist.call_next("YF3")["visit"]["visit_id"] == medicine
    pharmacist.collect(medicine, mine["ticket"])
    expect(nxt).to_have_text("今天的就诊已全部完成，祝您健康", timeout=LIVE_MS)
    expect(page.locator("#state")).to_have_text("就诊已结束，祝您健康")
    for client in (doctor, pharmacist, lab):
        client.close()


def test_a_visit_without_orders_shows_no_journey_and_english_places(live, kiosk, nurse, phone):
    visit = kiosk.register("NK", name="王小明")["visit"]
    kiosk.check_in(visit["visit_id"])
    nurse.call_next("NK3")
    page = phone()
    page.goto(f"{live}/t/{nurse.visit_status(visit['visit_id'])['ticket_token']}")
    expect(page.locator("#called")).to_be_visible()
    expect(page.locator("#called-where")).to_have_text("2 层东侧 203")
    expect(page.locator("#journey")).to_be_hidden()
    page.locator("#called-ok").click()
    page.locator("#lang").click()
    expect(page.locator("#location")).to_have_text("Floor 2 East, Room 203")
    expect(page.locator("#room")).to_have_text("Room 3")


def test_an_exam_booked_into_a_later_day_shows_its_day_and_time(live, kiosk, phone, clock):
    doctor = staff(live, "console_nk", "zhangys")
    later = clock().date() + timedelta(days=2)
    ct = {"kind": "imaging", "paid": True, "items": [{"code": "CT-CHEST"}], "slot_start": "10:40",
          "slot_day": later.isoformat()}
    mine, (exam,) = seen_with_orders(kiosk, doctor, "王小明", [ct])
    page = phone()
    page.goto(f"{live}/t/{doctor.visit_status(mine['visit_id'])['ticket_token']}")
    step = page.locator("#journey-steps li").nth(1)
    expect(step).to_contain_text(f"已预约{later.month}月{later.day}日（周{'一二三四五六日'[later.weekday()]}） 10:40 检查，"
                                 "请提前 30 分钟到检查登记台签到")
    page.locator("#lang").click()
    expect(step).to_contain_text(f"Booked {later:%a %d %b} at 10:40")
    doctor.close()


def test_the_preparation_timer_counts_down_on_the_phone_and_says_when_it_is_met(live, kiosk, phone, clock, tmp_path):
    """An ultrasound held by 憋尿 (45 minutes after drinking water): the page counts the timer down itself, every
    30 s from when it received it, also with the phone offline, and says the preparation is met at zero. Time on
    the page is Playwright's clock (page.clock), not waiting."""
    doctor = staff(live, "console_nk", "zhangys")
    desk = staff(live, "console_yx", "jishi-sun")
    clock.advance(seconds=60 - clock().second - clock().microsecond / 1e6)  # the service's clock on a whole minute
    now = clock()
    pelvis = {"kind": "imaging", "paid": True, "items": [{"code": "US-PELV"}], "slot_start": f"{now:%H:%M}"}
    mine, (exam,) = seen_with_orders(kiosk, doctor, "王小明", [pelvis])
    desk.check_in_code("YX", mine["ticket"])
    desk.prep(exam, water_at=f"{now - timedelta(minutes=19):%Y-%m-%dT%H:%M}")  # 26 minutes to go (less a few s)
    page = phone()
    page.clock.install()
    page.goto(f"{live}/t/{doctor.visit_status(mine['visit_id'])['ticket_token']}")
    step = page.locator("#journey-steps li").nth(1)
    expect(step.locator(".step-text")).to_have_text("检查准备中（憋尿），还需约 26 分钟，请稍候")
    expect(page.locator("#journey-next")).to_contain_text("还需约 26 分钟")
    page.context.set_offline(True)  # nothing new from the service from here: the page alone counts

    page.clock.run_for("00:29")  # not yet a step of the timer
    expect(step.locator(".step-text")).to_have_text("检查准备中（憋尿），还需约 26 分钟，请稍候")
    page.clock.run_for("10:01")
    expect(step.locator(".step-text")).to_have_text("检查准备中（憋尿），还需约 16 分钟，请稍候")
    expect(page.locator("#journey-next")).to_contain_text("还需约 16 分钟")
    page.clock.run_for("16:00")  # 26.5 minutes after the page received (26 minutes less a few seconds): met
    expect(step.locator(".step-text")).to_have_text("准备已满足，可以检查了，请留意叫号")
    expect(step).to_have_class(re.compile(r"\bgate-met\b"))
    expect(page.locator("#journey-next")).to_contain_text("准备已满足，可以检查了")
    page.screenshot(path=str(tmp_path / "phone-gate-met.png"), full_page=True)
    page.locator("#lang").click()
    expect(step.locator(".step-text")).to_have_text("Preparation met: you are ready for the exam; please wait for "
                                                    "your call")
    for client in (doctor, desk):
        client.close()
