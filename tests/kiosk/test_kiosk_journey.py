"""一票到底 at the kiosk: after paying, the kiosk prints a 导诊单 (guide slip) with every open step, where it is, what to
prepare and places ahead, read back from the printer simulator's bytes; 我的排队 shows the journey and keeps it current
while the pharmacy works; the slip follows the screen's language."""
from __future__ import annotations

import re

from kiosk_driver import click, pay_current_order, register_until, visible_texts, wait_screen
from test_kiosk_day import card_on_home
from test_kiosk_services import identify_again

from caller.testing import DEMO_TOKENS
from client.http import CallerClient, CallerError
from hardware.printer import decode_for
from hardware.printer.decode import QRCode, text_lines

HAN = re.compile(r"[\u4e00-\u9fff]")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def slip_of(printer_sim, job) -> tuple[str, list[str]]:
    """A printed job's text and its QR codes, decoded from the bytes the printer received."""
    elements = decode_for(printer_sim.core.profile, job.data)
    return "\n".join(text_lines(elements)), [e.payload.decode() for e in elements if isinstance(e, QRCode)]


def seen_with_orders(admin: CallerClient, patient_id: str, paid: bool = True) -> tuple[dict, str]:
    """The patient's visit of today (registered at the kiosk) is seen and the doctor orders medicine and a blood
    test, paid at the HIS (``paid``) or left for the patient to pay: (the visit's status, the pharmacy step's id)."""
    regs = admin.request("GET", "/records/registrations", params={"patient_id": int(patient_id)})["registrations"]
    visit_id = next(r["visit_id"] for r in regs if r.get("visit_id"))
    status = admin.visit_status(visit_id)
    rooms = [r["id"] for a in admin.hospital()["areas"] for r in a["rooms"] if status["dept_id"] in r.get("departments", ())]
    for room in [status["room_id"]] if status.get("room_id") else rooms:  # a room this number may be seen in
        try:
            admin.call_visit(visit_id, room, "一票到底 test")
            break
        except CallerError as refused:
            assert refused.code == "wrong_doctor", refused
    admin.start(visit_id)
    medicine = admin.orders(visit_id, [{"kind": "drug", "paid": paid, "items": [{"code": "AMOX", "quantity": 2}]}])["visit"]["visit_id"]
    admin.orders(visit_id, [{"kind": "lab", "paid": paid, "items": [{"code": "CBC"}, {"code": "GLU"}]}])
    admin.finish(visit_id)
    return admin.visit_status(visit_id), medicine


def test_guide_slip_after_payment_and_the_journey_live_on_my_queue(qtbot, kiosk, reader_sim, printer_sim,
                                                                   payment_sim, service, tmp_path):
    card = register_until(qtbot, kiosk, reader_sim, seed=41)
    pay_current_order(payment_sim)
    ticket = wait_screen(qtbot, kiosk, "ticket")
    number = ticket.number.text()
    patient_id = kiosk.session.patient.id
    assert printer_sim.core.wait_for_jobs(1, timeout=5)  # the queue ticket (and the 挂号凭条)
    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")

    admin = CallerClient(service, DEMO_TOKENS["admin"])
    status, medicine = seen_with_orders(admin, patient_id)
    admin.request("POST", "/records/bills", json_body={"patient_id": int(patient_id), "kind": "drug", "title": "西药费",
                                                       "items": [{"name": "阿莫西林胶囊", "quantity": 1, "unit_fen": 1850}]})
    bills = identify_again(qtbot, kiosk, reader_sim, card, "pay", "bills")
    before = len(printer_sim.core.jobs)
    click(qtbot, bills.pay_button)
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    done = wait_screen(qtbot, kiosk, "paid")
    assert any("请一并取走导诊单" in t for t in visible_texts(done))
    assert printer_sim.core.wait_for_jobs(before + 2, timeout=10)  # the receipt, then the guide slip
    receipt, _ = slip_of(printer_sim, printer_sim.core.jobs[before])
    slip, codes = slip_of(printer_sim, printer_sim.core.jobs[before + 1])
    assert "缴费凭条" in receipt and "导诊单" in slip
    assert number in slip.splitlines() and card.name not in slip and "姓名：" in slip  # masked name only
    assert flat("2. 取药") in flat(slip) and flat("3. 采血：血常规、空腹血糖") in flat(slip)
    assert "药房正在配药" in slip and "检验科采血处" in slip and "准备：需空腹采血" in flat(slip)
    assert "请到采血处签到" in flat(slip)  # the lab step waits for the patient's check-in there
    assert codes == [f"{service}/t/{status['ticket_token']}"]  # the code the lab and the pharmacy scan
    (tmp_path / "guide-slip.txt").write_text(slip, encoding="utf-8")

    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    queue = identify_again(qtbot, kiosk, reader_sim, card, "queue", "my_queue")
    lines = [w.text() for w in queue.journey_labels[status["visit_id"]]]
    assert "药房正在配药" in lines[0] and any(line.startswith("2. 取药：") for line in lines)
    assert queue.guide_button is not None and queue.links == [f"{kiosk.devices.status_url.replace('{token}', status['ticket_token'])}"]
    admin.dispense(medicine)
    admin.ready(medicine, room="YF3")  # the screen follows without the patient doing anything
    qtbot.waitUntil(lambda: "药已配好，可到 3号窗口取药" in queue.journey_labels[status["visit_id"]][0].text(),
                    timeout=20000)
    assert kiosk.current is queue
    kiosk.grab().save(str(tmp_path / "kiosk-my-queue-journey.png"))

    kiosk.set_language("en")  # the slip in the screen's language
    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    queue = identify_again(qtbot, kiosk, reader_sim, card, "queue", "my_queue")
    english = "\n".join(w.text() for w in queue.journey_labels[status["visit_id"]])
    assert "Medicine ready at Window 3" in english and not HAN.search(english), english
    jobs = len(printer_sim.core.jobs)
    click(qtbot, queue.guide_button)
    wait_screen(qtbot, kiosk, "guide_printed")
    assert printer_sim.core.wait_for_jobs(jobs + 1, timeout=10)
    slip, codes = slip_of(printer_sim, printer_sim.core.jobs[-1])
    assert "Guide slip" in slip and flat("Medicine ready at Window 3") in flat(slip)
    assert [line for line in slip.splitlines() if HAN.search(line)] == ["Name: " + status["name"]]  # no Chinese else
    assert codes == [f"{service}/t/{status['ticket_token']}"]
    admin.close()


def test_paying_the_orders_at_the_kiosk_opens_their_steps(qtbot, kiosk, reader_sim, printer_sim, payment_sim,
                                                          service, tmp_path):
    """The doctor's unpaid orders are the patient's bills at the kiosk (one per step, priced from the catalog);
    paying them there opens the steps (the pharmacy's 待配药, the lab's check-in), audited as done by the kiosk,
    and the 导诊单 printed after payment shows them; nothing is left to pay afterwards."""
    card = register_until(qtbot, kiosk, reader_sim, seed=43)
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "ticket")
    patient_id = kiosk.session.patient.id
    assert printer_sim.core.wait_for_jobs(1, timeout=5)
    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    admin = CallerClient(service, DEMO_TOKENS["admin"])
    status, medicine = seen_with_orders(admin, patient_id, paid=False)
    journey = admin.journey(status["visit_id"])
    unpaid = {s["kind"]: s for s in journey["steps"] if not s["paid"]}
    assert set(unpaid) == {"pharmacy", "lab"}

    bills = identify_again(qtbot, kiosk, reader_sim, card, "pay", "bills")
    texts = visible_texts(bills)
    assert any("阿莫西林" in t for t in texts) and any("血常规" in t for t in texts), texts
    due = sum(s["amount"] for s in unpaid.values())
    assert any(f"{due / 100:.2f}" in t for t in texts), (due, texts)  # the steps' prices, from the catalog
    kiosk.grab().save(str(tmp_path / "kiosk-journey-bills.png"))
    before = len(printer_sim.core.jobs)
    click(qtbot, bills.pay_button)
    wait_screen(qtbot, kiosk, "payment")
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "paid")
    assert printer_sim.core.wait_for_jobs(before + 2, timeout=10)  # the receipt, then the guide slip
    slip, _codes = slip_of(printer_sim, printer_sim.core.jobs[before + 1])
    assert "导诊单" in slip and "药房正在配药" in slip and "请到采血处签到" in flat(slip), slip

    steps = {s["kind"]: s for s in admin.journey(status["visit_id"])["steps"]}
    assert steps["pharmacy"]["paid"] and steps["pharmacy"]["stage"] == "pending"  # 待配药
    assert steps["lab"]["paid"] and steps["lab"]["state"] == "registered"  # open: waits for the check-in at the lab
    paid = [r for r in admin.audit(visit=medicine) if r["action"] == "pay"]
    assert paid and paid[0]["device"] == kiosk.settings.device_id == "kiosk-lobby-1", paid
    kiosk.go_home("home")  # the card on the idle kiosk: the day page keeps the visit the doctor is done with
    card_on_home(qtbot, kiosk, reader_sim, card)
    day = wait_screen(qtbot, kiosk, "day")
    line = day.queue_lines[status["visit_id"]].text()
    assert line.startswith("药房正在配药") and "下一步：" in line and "采血" in line, line
    assert day.cancel_button is None  # seen by the doctor: nothing to 退号
    kiosk.grab().save(str(tmp_path / "kiosk-day-journey.png"))
    admin.dispense(medicine)  # the pharmacist can start on it
    left = admin.request("GET", "/records/bills", params={"patient_id": int(patient_id)})["bills"]
    assert left == []  # paid once: nothing to pay again
    admin.close()


def test_an_exam_booked_into_a_later_day_on_my_queue_and_the_guide_slip(qtbot, kiosk, reader_sim, printer_sim,
                                                                       payment_sim, service, clock):
    """我的排队 and the 导诊单 say the exam's booked day and time."""
    from datetime import timedelta

    card = register_until(qtbot, kiosk, reader_sim, seed=52)
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "ticket")
    patient_id = kiosk.session.patient.id
    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    admin = CallerClient(service, DEMO_TOKENS["admin"])
    status, _medicine = seen_with_orders(admin, patient_id)
    later = clock().date() + timedelta(days=1)
    admin.orders(status["visit_id"], [{"kind": "imaging", "paid": True, "items": [{"code": "CT-CHEST"}],
                                       "slot_start": "10:20", "slot_day": later.isoformat()}])
    booked = f"已预约{later.month}月{later.day}日（周{'一二三四五六日'[later.weekday()]}） 10:20 检查"
    queue = identify_again(qtbot, kiosk, reader_sim, card, "queue", "my_queue")
    lines = [w.text() for w in queue.journey_labels[status["visit_id"]]]
    assert any(booked in line for line in lines), lines
    jobs = len(printer_sim.core.jobs)
    click(qtbot, queue.guide_button)
    wait_screen(qtbot, kiosk, "guide_printed")
    assert printer_sim.core.wait_for_jobs(jobs + 1, timeout=10)
    slip, _codes = slip_of(printer_sim, printer_sim.core.jobs[-1])
    assert flat(booked) in flat(slip)
    admin.close()


def test_a_lab_report_ready_stays_on_my_queue_and_the_day_page_until_printed(qtbot, kiosk, reader_sim, printer_sim,
                                                                             payment_sim, service, clock, tmp_path):
    """Every step done, the lab's report out (报告已出): 我的排队 says so and prints it; the day page keeps the visit
    with 检验报告已出 until the report is printed, then lets it go."""
    from datetime import timedelta

    card = register_until(qtbot, kiosk, reader_sim, seed=47)
    pay_current_order(payment_sim)
    wait_screen(qtbot, kiosk, "ticket")
    patient_id = kiosk.session.patient.id
    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    admin = CallerClient(service, DEMO_TOKENS["admin"])
    status, medicine = seen_with_orders(admin, patient_id)
    admin.dispense(medicine)
    admin.ready(medicine, room="YF3")
    admin.call_visit(medicine, "YF3", "一票到底 test")
    admin.collect(medicine, status["ticket_token"])  # 已取药
    draw = next(s["visit_id"] for s in admin.journey(status["visit_id"])["steps"] if s["kind"] == "lab")
    admin.check_in_code("JY", status["ticket"])
    admin.call_visit(draw, "JY1", "一票到底 test")
    admin.start(draw)
    admin.finish(draw)  # 采血完成: every step done, the report not out yet

    queue = identify_again(qtbot, kiosk, reader_sim, card, "queue", "my_queue")
    assert queue.reports_button is None and not any("检验报告已出" in t for t in visible_texts(queue))
    admin.report_ready(draw)
    records = service.app.state.records  # the lab system's report reaches the records
    now = clock()
    report = records.add_report(int(patient_id), "血常规", now - timedelta(hours=1), now,
                                [{"name": "白细胞计数", "result": "6.2", "unit": "10^9/L", "ref_low": 3.5, "ref_high": 9.5}])
    records.verify_report(report, "lab-1")
    records.verify_report(report, "lab-2")

    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    queue = identify_again(qtbot, kiosk, reader_sim, card, "queue", "my_queue")
    assert any("检验报告已出" in t for t in visible_texts(queue)), visible_texts(queue)
    lines = [w.text() for w in queue.journey_labels[status["visit_id"]]]
    assert any(line.startswith("3. 采血") and "检验报告已出" in line for line in lines), lines
    assert queue.guide_button is None and queue.reports_button is not None  # nothing left to go to; a report to print
    kiosk.grab().save(str(tmp_path / "kiosk-my-queue-report.png"))

    kiosk.go_home("home")  # the day page keeps the visit while the report waits to be printed
    card_on_home(qtbot, kiosk, reader_sim, card)
    day = wait_screen(qtbot, kiosk, "day")
    assert day.queue_lines[status["visit_id"]].text() == "检验报告已出，可以打印"

    kiosk.go_home("home")
    wait_screen(qtbot, kiosk, "home")
    queue = identify_again(qtbot, kiosk, reader_sim, card, "queue", "my_queue")
    click(qtbot, queue.reports_button)
    reports = wait_screen(qtbot, kiosk, "reports")
    jobs = len(printer_sim.core.jobs)
    click(qtbot, reports.print_buttons[0])
    wait_screen(qtbot, kiosk, "printed")
    assert printer_sim.core.wait_for_jobs(jobs + 1, timeout=10)
    slip, _codes = slip_of(printer_sim, printer_sim.core.jobs[-1])
    assert "白细胞计数" in slip and "6.2" in slip

    kiosk.go_home("home")  # printed: the day page has nothing of this visit left
    card_on_home(qtbot, kiosk, reader_sim, card)
    qtbot.waitUntil(lambda: kiosk.current.name in ("day", "departments"), timeout=10000)
    assert status["visit_id"] not in getattr(kiosk.current, "queue_lines", {})
    admin.close()
