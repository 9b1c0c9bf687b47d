"""The doctor's caller (医生呼叫器) driven offscreen against a running service, and the desk keypad (叫号器) through
its real codec and serial transport against the simulator on a pty: 呼叫, 重呼, 过号, 暂停, what the wall gets,
and the doctor's login rules (a doctor account, bound to the device's room)."""
from __future__ import annotations

import queue
import time
from pathlib import Path

import pytest
from console_helpers import PASSWORD, register
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from caller.testing import DEMO_TOKENS
from caller_console.doctor import DoctorCaller, open_doctor_caller
from client.http import CallerClient, CallerError, EventSubscriber
from hardware.keypad import KeypadPort
from hardware.keypad.simulator import KeypadSimulator

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
CALLER = DEMO_TOKENS["caller_nk1"]


class Wall:
    """The NK wall's own event link: the calls it gets."""

    def __init__(self, url: str):
        self.events: queue.Queue[dict] = queue.Queue()
        self.sub = EventSubscriber(url, DEMO_TOKENS["wall_nk"], "NK", self.events.put)

    def __enter__(self) -> "Wall":
        self.sub.start()
        self.next_of("snapshot")
        return self

    def __exit__(self, *exc: object) -> None:
        self.sub.stop()

    def next_of(self, kind: str, timeout: float = 10.0) -> dict:
        """The next event of ``kind``; the GUI thread's events go on meanwhile (the keypad's keys reach the window
        through them). Raises queue.Empty after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.events.get(timeout=0.02)
            except queue.Empty:
                QApplication.processEvents()
                if time.monotonic() > deadline:
                    raise
                continue
            if event["type"] == kind:
                return event


@pytest.fixture
def window(service, qtbot):
    window = open_doctor_caller(service, CALLER, "zhangys", PASSWORD, refresh_ms=500)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.room.text().startswith("内科1诊室"), timeout=10000)
    yield window
    window.shutdown()


def test_the_doctors_window_calls_recalls_marks_missed_and_pauses(window, front_desk, service, qtbot):
    assert window.windowFlags() & Qt.WindowStaysOnTopHint
    first = register(front_desk, "王小明", doctor="nk-zhang", kind="expert")
    second = register(front_desk, "欧阳娜娜", doctor="nk-zhang", kind="expert")
    qtbot.waitUntil(lambda: window.waiting.text() == "候诊 2 人", timeout=5000)
    assert not window.buttons["call_again"].isEnabled()  # nobody called yet

    with Wall(service) as wall:
        qtbot.mouseClick(window.buttons["call_next"], Qt.LeftButton)
        call = wall.next_of("call")["data"]
        assert call["ticket"] == first["ticket"] and call["room_id"] == "NK1" and call["name"] == "王*明"
        qtbot.waitUntil(lambda: window.patient.text() == f"{first['ticket']}  王*明", timeout=5000)
        assert window.waiting.text() == "候诊 1 人" and "已呼叫" in window.message.text()
        assert "王小明" not in window.patient.text() + window.message.text()  # masked: the screen faces the patient

        qtbot.mouseClick(window.buttons["call_again"], Qt.LeftButton)
        again = wall.next_of("call")["data"]
        assert again["ticket"] == first["ticket"] and again["call_count"] == 2
        qtbot.waitUntil(lambda: "已重呼" in window.message.text(), timeout=5000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(SHOTS / "doctor-caller.png"))
        assert window.user.text() == "张建国"

        qtbot.mouseClick(window.buttons["missed"], Qt.LeftButton)
        qtbot.waitUntil(lambda: "已过号" in window.message.text(), timeout=5000)
        assert front_desk.visit_status(first["visit_id"])["state"] == "missed"
        qtbot.waitUntil(lambda: window.patient.text() == "—", timeout=5000)

        qtbot.keyClick(window, Qt.Key_F4)  # 暂停: the room is paused, 呼叫 says so and calls nobody
        qtbot.waitUntil(lambda: "暂停接诊" in window.room.text(), timeout=5000)
        assert window.buttons["pause"].text().startswith("恢复")
        assert wall.next_of("room")["data"]["paused"] is True
        window.press("call_next")
        qtbot.waitUntil(lambda: "请先按“暂停”键恢复" in window.message.text(), timeout=5000)
        qtbot.keyClick(window, Qt.Key_F4)
        qtbot.waitUntil(lambda: "暂停接诊" not in window.room.text(), timeout=5000)
        window.press("call_next")
        assert wall.next_of("call")["data"]["ticket"] == second["ticket"]


def test_the_caller_takes_doctors_only_and_works_for_its_room_only(service, front_desk):
    with pytest.raises(CallerError) as refused:
        open_doctor_caller(service, CALLER, "wanghs", PASSWORD)  # a nurse at the doctor's desk
    assert refused.value.status == 403 and "医生账号" in refused.value.message_zh
    doctor = CallerClient(service, CALLER)
    doctor.login("zhangys", PASSWORD)
    with pytest.raises(CallerError) as refused:
        doctor.call_next("NK2")  # another room of the same area
    assert refused.value.status == 403 and "内科1诊室" in refused.value.message_zh
    other = register(front_desk, "司马相如")
    with pytest.raises(CallerError) as refused:
        doctor.cancel(other["visit_id"])  # a patient of the area queue, no room's yet
    assert refused.value.status == 403
    assert front_desk.visit_status(other["visit_id"])["state"] == "waiting"
    doctor.close()


def test_the_desk_keypad_presses_call_and_the_wall_gets_it(service, front_desk, qtbot):
    sim = KeypadSimulator().start()  # a pty, opened by the real serial transport
    keypad = KeypadPort(sim.port_path)
    window: DoctorCaller = open_doctor_caller(service, CALLER, "zhangys", PASSWORD, refresh_ms=500)
    qtbot.addWidget(window)
    try:
        window.attach_keypad(keypad)
        keypad.start()
        patient = register(front_desk, "欧阳娜娜", doctor="nk-zhang", kind="expert")
        qtbot.waitUntil(lambda: sim.display.endswith("候诊1"), timeout=10000)
        sim.hello()  # a keypad switched on again gets the line at once
        with Wall(service) as wall:
            assert sim.press("call_next")  # acknowledged by the host
            call = wall.next_of("call")["data"]
            assert call["ticket"] == patient["ticket"] and call["room_id"] == "NK1"
            qtbot.waitUntil(lambda: sim.display == f"{patient['ticket']} 欧**娜  候诊0", timeout=10000)
            sim.send_raw(b"\x02K20\x03FF")  # a garbled 重呼 (wrong check): dropped, never acted on
            assert sim.press("call_again")
            again = wall.next_of("call")["data"]
            assert again["ticket"] == patient["ticket"] and again["call_count"] == 2
            # the same press sent again (the keypad's ack was lost): acknowledged again, acted on once
            sim.send_raw(sim.sent[-1])
            assert sim.wait(lambda: sim.acked.count(1) >= 2, 5)
            with pytest.raises(queue.Empty):
                wall.next_of("call", timeout=1.5)
        assert sim.display.endswith("候诊0") and keypad.health.status.value == "ok"
    finally:
        window.shutdown()
        keypad.stop()
        sim.stop()
