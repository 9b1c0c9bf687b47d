"""The whole journey (一票到底) through the real service: HTTP commands, the store, the event stream, the speaker."""
from __future__ import annotations

import queue
from datetime import datetime

import pytest

from caller.engine.model import RuleError
from caller.testing import DEMO_PASSWORD as PASSWORD
from caller.testing import DEMO_TOKENS as T
from caller.testing import run_service
from client.http import CallerClient, CallerError, EventSubscriber


def staff(url: str, token: str, user: str) -> CallerClient:
    client = CallerClient(url, token)
    client.login(user, PASSWORD)
    return client


def wait_for(events: "queue.Queue[dict]", match, timeout: float = 10.0) -> dict:
    """The first event ``match`` accepts (others are skipped); fails after ``timeout`` seconds."""
    deadline = datetime.now().timestamp() + timeout
    while True:
        left = deadline - datetime.now().timestamp()
        assert left > 0, "the event never came"
        event = events.get(timeout=left)
        if match(event):
            return event


@pytest.fixture
def seen_patient(live, kiosk, clock):
    """王小明 registered at a kiosk, seen by 张建国 in an internal-medicine room: (visit, doctor client)."""
    visit = kiosk.register("NK", name="王小明", patient_id="P-001")["visit"]
    kiosk.check_in(visit["visit_id"])
    doctor = staff(live, T["console_nk"], "zhangys")
    called = None
    for room in ("NK1", "NK2", "NK3", "NK4"):
        called = doctor.call_next(room)["visit"]
        if called:
            break
    assert called["visit_id"] == visit["visit_id"]
    doctor.start(visit["visit_id"])
    yield visit, doctor
    doctor.close()


def test_prescription_paid_ready_wall_speaker_and_scan(live, seen_patient, kiosk, tmp_path):
    from display.speaker import SpeakerAgent
    from hardware.speech import SpeechWorker

    visit, doctor = seen_patient
    answer = doctor.orders(visit["visit_id"], [{"kind": "drug", "items": [{"code": "AMOX"}, {"code": "IBU", "quantity": 2}]}])
    step_id = answer["visit"]["visit_id"]
    assert answer["visit"]["state"] == "registered" and step_id.startswith(visit["visit_id"])
    doctor.finish(visit["visit_id"])

    journey = doctor.journey(visit["visit_id"])
    assert journey["name"] == "王*明" and [s["kind"] for s in journey["steps"]] == ["clinic", "pharmacy"]
    assert journey["steps"][1]["amount"] == 1850 + 2 * 1620 and not journey["steps"][1]["paid"]
    assert "缴费" in journey["next_text"]

    cashier = staff(live, T["console_sf"], "shoufei-he")
    cashier.pay_step(step_id)
    pharmacist = staff(live, T["console_yf"], "yaoshi-chen")
    pharmacist.dispense(step_id)

    wall_events: queue.Queue[dict] = queue.Queue()
    speech = SpeechWorker(out_dir=tmp_path / "wav", backend="espeak-ng")
    speaker = SpeakerAgent(live, T["speaker_yf"], "YF", speech, now=live.service.now_aware, health_interval=60)
    with EventSubscriber(live, T["wall_yf"], "YF", wall_events.put):
        speaker.start()
        try:
            wait_for(wall_events, lambda e: e["type"] == "snapshot")
            pharmacist.ready(step_id, room="YF3")
            ready = wait_for(wall_events, lambda e: e["type"] == "ready")["data"]
            assert ready["kind"] == "medicine" and ready["name"] == "王*明" and ready["room_name"] == "3号窗口"
            assert "王小明" not in str(ready) and "P-001" not in str(ready)
            listed = wait_for(wall_events, lambda e: e["type"] == "queue")["data"]["queue"]
            window = next(r for r in listed["rooms"] if r["room_id"] == "YF3")
            assert [v["ticket"] for v in window["queue"]] == [visit["ticket"]] and window["queue"][0]["name"] == "王*明"

            assert pharmacist.call_next("YF3")["visit"]["visit_id"] == step_id
            call = wait_for(wall_events, lambda e: e["type"] == "call")["data"]
            assert call["text"] == f"请 {visit['ticket']} 号 王*明 到 3号窗口取药" and call["repeat"] == 1
            assert speaker.wait_announced(1, 10)
            assert speech.wait_idle(20)
        finally:
            speaker.stop()
            speech.stop()
    assert [a.text for a in speaker.announced] == [call["speech"]] and "王某某" in call["speech"]
    assert len(list((tmp_path / "wav").glob("*.wav"))) == 1  # said once

    with pytest.raises(CallerError) as refused:  # another patient's code
        other = kiosk.register("NK", name="李四")["visit"]
        pharmacist.collect(step_id, other["ticket"])
    assert refused.value.code == "wrong_patient"
    code = doctor.visit_status(visit["visit_id"])["ticket_token"]
    done = pharmacist.collect(step_id, f"https://hospital.example/t/{code}")
    assert done["visit"]["state"] == "done"
    trail = [row["action"] for row in pharmacist.audit(step_id)]
    assert trail == ["open_step", "pay", "start_dispensing", "ready", "call", "collect"]
    assert doctor.journey(step_id)["next_text"].startswith("今天的就诊已全部完成")
    for client in (cashier, pharmacist):
        client.close()


def test_window_staff_work_only_their_own_area(live, seen_patient):
    visit, doctor = seen_patient
    step_id = doctor.orders(visit["visit_id"], [{"kind": "drug", "items": [{"code": "AMOX"}], "paid": True}])["visit"]["visit_id"]
    lab = staff(live, T["console_jy"], "caixue-wu")
    with pytest.raises(CallerError) as refused:
        lab.ready(step_id)
    assert refused.value.status == 403
    with pytest.raises(CallerError) as refused:
        lab.orders(visit["visit_id"], [{"kind": "lab", "items": [{"code": "CBC"}]}])
    assert refused.value.status == 403
    with pytest.raises(CallerError) as refused:
        doctor.orders(visit["visit_id"], [{"kind": "drug", "items": [{"code": "AMOX"}], "price": 1}])
    assert refused.value.status == 422  # an order carries no price of its own: the hospital file's catalog decides
    lab.close()


def test_the_seam_keeps_orders_through_a_restart(hospital, tmp_path, clock):
    """HIS orders through CallerService.open_steps: durable, and the same order number opens once."""
    from caller.auth import Principal
    from common.wire import Order

    db = tmp_path / "caller.db"
    his = Principal(role="admin", device="his", user=None)
    with run_service(hospital, db, clock=clock, records=False) as url:
        service = url.service
        visit = service.execute("register", his, body=_walk_in())["visit"]
        orders = [Order(kind="lab", items=[{"code": "CBC"}, {"code": "GLU"}], order_id="ORM-1", paid=True),
                  Order(kind="imaging", items=[{"code": "US-ABD"}], order_id="ORM-2", slot_start="10:00")]
        service.open_steps(visit["visit_id"], orders, his)
        service.open_steps(visit["visit_id"], orders, his)
        with pytest.raises(RuleError) as refused:
            service.open_steps(visit["visit_id"], [Order(kind="drug", items=[{"code": "NOPE"}])], his)
        assert refused.value.code == "unknown_item"
    with run_service(hospital, db, clock=clock, records=False) as url:
        steps = url.service.journey_status(visit["visit_id"])["steps"]
        assert [(s["kind"], s["stage"]) for s in steps] == [("clinic", ""), ("lab", "open"), ("imaging", "unpaid")]
        assert steps[1]["title"] == "采血：血常规、空腹血糖" and "空腹" in steps[1]["prepare"]
        assert "检验科" in steps[1]["place"]


def _walk_in():
    from caller.api.models import RegisterBody

    return RegisterBody(department="NK", name="赵六", source="onsite")


def test_lab_check_in_by_code_labels_decoded_by_the_printer_and_turnaround(live, seen_patient, clock, tmp_path):
    import zxingcpp

    from hardware.label import SpecimenLabel, TcpLabelTransport, encode
    from hardware.label.render import render_png
    from hardware.label.simulator import LabelPrinterServer, SimulatedLabelPrinter

    visit, doctor = seen_patient
    step_id = doctor.orders(visit["visit_id"], [{"kind": "lab", "paid": True, "items": [
        {"code": "CBC"}, {"code": "GLU"}, {"code": "LFT"}]}], flags=["elderly"])["visit"]["visit_id"]
    doctor.finish(visit["visit_id"])
    code = doctor.visit_status(visit["visit_id"])["ticket_token"]  # the QR on the ticket and the guide slip
    lab = staff(live, T["console_jy"], "caixue-wu")
    checked = lab.check_in_code("JY", code)
    assert checked["visit"]["visit_id"] == step_id and checked["visit"]["priority_kind"] == "elderly"
    with pytest.raises(CallerError) as refused:
        lab.check_in_code("JY", code)
    assert refused.value.code == "already_checked_in"
    assert lab.call_next("JY1")["visit"]["visit_id"] == step_id
    lab.start(step_id)
    labels = lab.labels(step_id)
    assert [(lbl["tube"], lbl["tests"]) for lbl in labels] == [("紫帽管", ["血常规"]), ("灰帽管", ["空腹血糖"]),
                                                                ("黄帽管", ["肝功能"])]
    printer = SimulatedLabelPrinter(tmp_path / "labels")
    with LabelPrinterServer(printer) as server:
        transport = TcpLabelTransport("127.0.0.1", server.port)
        assert transport.status().ready
        transport.write(encode([SpecimenLabel(label["barcode"], label["name"], label["ticket"], tuple(label["tests"]), label["tube"],
                                              label["drawn_at"]) for label in labels]))
        assert printer.wait_labels(3, 10)
        transport.close()
    printed = printer.labels
    assert [p.barcodes[0][3] for p in printed] == [label["barcode"] for label in labels]
    assert len({p.barcodes[0][3] for p in printed}) == 3  # one number per tube
    assert "王小明" in printed[0].text and visit["ticket"] in printed[0].text and "紫帽管" in printed[0].text
    scanned = zxingcpp.read_barcodes(render_png(printed[1]))  # what the LIS scanner reads off the tube
    assert [s.text for s in scanned] == [labels[1]["barcode"]]
    clock.advance(minutes=3)
    assert lab.finish(step_id)["visit"]["state"] == "done"
    clock.advance(minutes=50)
    lab.report_ready(step_id)
    trail = {row["action"]: row for row in lab.audit(step_id)}
    assert trail["print_labels"]["detail"]["barcodes"] == [label["barcode"] for label in labels]
    assert trail["report_ready"]["detail"]["turnaround_minutes"] == 50.0
    step = next(s for s in doctor.journey(visit["visit_id"])["steps"] if s["kind"] == "lab")
    assert step["stage"] == "reported" and "报告已出" in step["text"]
    lab.close()


def test_imaging_preparation_holds_the_call_until_met(live, seen_patient, clock):
    visit, doctor = seen_patient
    step_id = doctor.orders(visit["visit_id"], [{"kind": "imaging", "paid": True, "slot_start": "09:15",
                                                 "items": [{"code": "US-PELV"}]}])["visit"]["visit_id"]
    doctor.finish(visit["visit_id"])
    desk = staff(live, T["console_yx"], "jishi-sun")
    desk.check_in_code("YX", visit["ticket"])
    assert desk.call_next("US1")["visit"] is None  # 憋尿 not recorded yet: held, not skipped
    step = next(s for s in doctor.journey(visit["visit_id"])["steps"] if s["kind"] == "imaging")
    assert "憋尿" in step["text"] and "500-800" in step["prepare"]
    desk.prep(step_id, water_at="09:00")
    clock.advance(minutes=20)
    step = next(s for s in doctor.journey(visit["visit_id"])["steps"] if s["kind"] == "imaging")
    assert step["gate_seconds"] == 25 * 60 and "25 分钟" in step["text"]
    assert desk.call_next("US1")["visit"] is None
    with pytest.raises(CallerError) as refused:
        desk.call_visit(step_id, "US1", "家属要求")
    assert refused.value.code == "preparation_pending"
    clock.advance(minutes=25)
    called = desk.call_next("US1")["visit"]
    assert called["visit_id"] == step_id and called["name"] == "王*明"
    desk.close()


def test_an_exam_booked_into_a_later_day_waits_for_that_day(hospital, tmp_path, clock):
    """An exam booked two days ahead (10:00): the journey shows the booked day and time and its own code; check-in
    today is refused with that day; after a restart on the day (the clinic visit no longer held) the desk scans the
    code, not before 09:30, and the patient is called to the ultrasound room."""
    db = tmp_path / "caller.db"
    monday = clock()  # 2026-11-23 09:00
    with run_service(hospital, db, clock=clock, records=False) as url:
        kiosk = CallerClient(url, T["kiosk"])
        visit = kiosk.register("NK", name="王小明", patient_id="P-7")["visit"]
        kiosk.close()
        doctor = staff(url, T["console_nk"], "zhangys")
        step_id = doctor.orders(visit["visit_id"], [{"kind": "imaging", "items": [{"code": "US-ABD"}], "paid": True,
                                                     "slot_start": "10:00", "slot_day": "2026-11-25"}])["visit"]["visit_id"]
        with pytest.raises(CallerError) as refused:
            doctor.orders(visit["visit_id"], [{"kind": "imaging", "items": [{"code": "ECG"}], "slot_day": "2026-11-22"}])
        assert refused.value.code == "bad_slot_day"
        step = doctor.journey(visit["visit_id"])["steps"][1]
        assert step["booked_at"] == "2026-11-25T10:00" and step["stage"] == "booked"
        assert step["text"] == "已预约11月25日（周三） 10:00 检查，请提前 30 分钟到检查登记台签到"
        code = step["booked_code"]
        assert code and code != doctor.visit_status(visit["visit_id"])["ticket_token"]
        desk = staff(url, T["console_yx"], "jishi-sun")
        assert [s["visit_id"] for s in desk.area_steps("YX")] == []  # not today's: the desk's lists are of today
        with pytest.raises(CallerError) as refused:
            desk.check_in_code("YX", visit["ticket"])
        assert refused.value.code == "wrong_day" and "11月25日 10:00" in refused.value.message_zh
        for client in (doctor, desk):
            client.close()

    clock.set(monday.replace(day=25, hour=9, minute=10))
    with run_service(hospital, db, clock=clock, records=False) as url:
        assert visit["visit_id"] not in {v.id for v in url.service.engine.visits()}  # Monday's visit is not held
        desk = staff(url, T["console_yx"], "jishi-sun")
        listed = desk.area_steps("YX")
        assert [(s["visit_id"], s["booked_at"]) for s in listed] == [(step_id, "2026-11-25T10:00")]
        with pytest.raises(CallerError) as refused:
            desk.check_in_code("YX", f"https://hospital.example/t/{code}")
        assert refused.value.code == "too_early" and "09:30" in refused.value.message_zh
        clock.set(monday.replace(day=25, hour=9, minute=35))
        assert desk.check_in_code("YX", f"https://hospital.example/t/{code}")["visit"]["visit_id"] == step_id
        desk.prep(step_id, fasting_since="2026-11-24T20:00")
        assert desk.call_next("US1")["visit"]["visit_id"] == step_id
        assert desk.journey(step_id)["steps"][0]["text"] == "正在叫您，请到 超声1室"
        desk.close()


def test_a_full_exam_slot_is_refused_and_an_exam_without_a_time_gets_the_next_free_slot(live, seen_patient, clock):
    """The demo's CT books one exam per 10-minute slot: a second exam asked into the 09:30 slot is refused over HTTP
    (409 slot_taken, in Chinese, nothing opened); exams ordered without a time fill the running slot, then the next."""
    visit, doctor = seen_patient
    ct = {"kind": "imaging", "paid": True, "items": [{"code": "CT-CHEST"}]}
    doctor.orders(visit["visit_id"], [{**ct, "slot_start": "09:30"}])
    with pytest.raises(CallerError) as refused:
        doctor.orders(visit["visit_id"], [{**ct, "items": [{"code": "CT-ABD-C"}], "slot_start": "09:35"}])
    assert refused.value.code == "slot_taken" and refused.value.status == 409
    assert "09:35 的检查时段已约满" in refused.value.message_zh and "请选择其他时段" in refused.value.message_zh
    assert [s["booked_at"] for s in doctor.journey(visit["visit_id"])["steps"] if s["kind"] == "imaging"] == [
        "2026-11-23T09:30"]
    now = clock()
    doctor.orders(visit["visit_id"], [{**ct, "items": [{"code": "CT-ABD-C"}]}, {**ct, "items": [{"code": "ECG"}]}])
    booked = sorted(s["booked_at"] for s in doctor.journey(visit["visit_id"])["steps"] if s["kind"] == "imaging")
    running = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)
    assert booked == sorted(["2026-11-23T09:30", f"{running:%Y-%m-%dT%H:%M}", f"{running:%Y-%m-%dT%H:%M}"])
