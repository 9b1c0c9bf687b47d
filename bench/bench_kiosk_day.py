"""Kiosk, day one: taps a patient needs and whether every screen fits.

    bench/run kiosk_taps kiosk_layout
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def kiosk_layout() -> dict:
    """Every screen in zh/en x normal/elderly x portrait/landscape; clipped/outside/overlapping/scrolling found."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk.layout_check import check_every_screen

    start = time.perf_counter()
    screens, problems = check_every_screen()
    return {"screens": screens, "clipped": len(problems), "seconds": round(time.perf_counter() - start, 1),
            "problems": [str(p) for p in problems[:10]]}


PINYIN = {"王": "wang", "小": "xiao", "明": "ming"}


def kiosk_taps() -> dict:
    """Taps from card placed (on the idle home screen) to ticket printed, pressed on the real widgets:
    a returning patient's walk-in registration (first choice on each page, paying with a payment code), an
    appointment check-in with one appointment due, a new patient's first registration (phone number typed), and a
    parent's card to their newborn's record (name 王小明 typed in pinyin on the on-screen keyboard). Taps on keys
    that type characters (keypad digits, the on-screen keyboard's letters and candidates) are not counted."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk.keyboard import enable_input_method

    enable_input_method()
    from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QAbstractButton, QApplication

    from caller.testing import DEMO_TOKENS, ManualClock, run_service
    from client.http import CallerClient
    from common.clock import hospital_now
    from common.device_settings import KioskSettings
    from hardware.idcard.demo_cards import demo_card
    from hardware.idcard.simulator import CardReaderSimulator
    from hardware.payment import Outcome, SimulatedProvider
    from hardware.payment.simulator import SimulatorServer
    from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator
    from kiosk.app import build_kiosk

    class Taps(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt name
            if event.type() == QEvent.MouseButtonPress and isinstance(obj, QAbstractButton) \
                    and not obj.property("typing"):
                self.count += 1
            return False

    def pump(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    app = QApplication.instance() or QApplication([])
    pay_sim = SimulatorServer(SimulatedProvider(Outcome.approve(0.0))).start()
    reader = CardReaderSimulator("pty").start()
    printer = TcpPrinterSimulator(SimulatedPrinter()).start()
    old_env = os.environ.get("HOSPITAL_PAYMENT_URL")
    os.environ["HOSPITAL_PAYMENT_URL"] = pay_sim.url
    clock = ManualClock(hospital_now().replace(hour=8, minute=0, second=0, microsecond=0))
    taps = Taps()
    try:
        with tempfile.TemporaryDirectory() as tmp, run_service(db_path=Path(tmp) / "h.db", clock=clock) as url:
            walk_in, booked, newcomer, parent = (demo_card(seed=9700), demo_card(seed=9701), demo_card(seed=9702),
                                                 demo_card(seed=9703))
            client = CallerClient(url, DEMO_TOKENS["admin"])  # records made at the desk beforehand
            ids = {}
            for card in (walk_in, booked, parent):
                ids[card.id_number] = client.request("POST", "/records/patients", json_body={
                    "source": "id_card", "phone": "13800000000",
                    "id_card": {"name": card.name, "id_number": card.id_number, "gender": card.gender}})["patient"]["patient_id"]
            dep = client.request("GET", "/records/departments")["departments"][0]["department_id"]
            sessions = client.request("GET", "/records/slots", params={"department": dep})["sessions"]
            slot = next(x for s in sessions if s["session"] == "pm" for x in s["slots"] if x["remaining"] > 0)
            reg = client.request("POST", "/records/registrations", json_body={
                "patient_id": ids[booked.id_number], "slot_id": slot["slot_id"]})
            order = client.request("POST", "/records/payments", json_body={
                "patient_id": ids[booked.id_number], "bill_ids": [reg["bill_id"]], "amount_fen": reg["fee_fen"]})
            pay_sim.provider.patient_pays(order["payment"]["provider_order_id"])
            client.request("POST", f"/records/payments/{order['order_id']}/confirm")
            client.close()
            window = build_kiosk(url, DEMO_TOKENS["kiosk"], reader=reader.url,
                                 printer=f"tcp://{printer.host}:{printer.port}", app=app, settings=KioskSettings())
            press = {"departments": lambda s: s.choices.buttons[0], "doctors": lambda s: s.choices.buttons[0],
                     "slots": lambda s: s.choices.buttons[0], "confirm": lambda s: s.confirm_button,
                     "day": lambda s: s.check_in_button}

            def wait_until(condition, ms: int = 10000) -> bool:
                deadline = time.monotonic() + ms / 1000
                while not condition():
                    if time.monotonic() > deadline:
                        return False
                    pump(10)
                return True

            def type_phone(screen):
                for digit in "13800000000":
                    QTest.mouseClick(screen.keypad.buttons[digit], Qt.LeftButton)
                return screen.keypad.ok

            def type_birth(screen):
                for digit in "20240315":
                    QTest.mouseClick(screen.keypad.buttons[digit], Qt.LeftButton)
                return screen.sex_buttons[0]

            def type_name(screen):
                """王小明 in pinyin on the on-screen keyboard: letters, then the character in the candidate bar."""
                keyboard = window.keyboard
                for ch in "王小明":
                    for letter in PINYIN[ch]:
                        wait_until(lambda: keyboard.target() is not None and keyboard.key_point(letter) is not None)
                        QTest.mouseClick(keyboard.view, Qt.LeftButton, Qt.NoModifier, keyboard.key_point(letter))
                    typed = screen.edit.text()
                    seen: list = []
                    wait_until(lambda: seen.append(keyboard.candidate_point(ch)) or (
                        len(seen) > 1 and seen[-1] is not None and seen[-1] == seen[-2]))
                    QTest.mouseClick(keyboard.view, Qt.LeftButton, Qt.NoModifier, keyboard.candidate_point(ch))
                    wait_until(lambda: screen.edit.text() == typed + ch, 5000)
                typed_name["name"] = screen.edit.text()
                return screen.confirm_button

            typed_name = {"name": ""}
            seen_screens: list[str] = []
            first_visit = {**press, "new_patient": type_phone}
            for_child = {"departments": lambda s: s.family_button, "family": lambda s: s.add_button,
                         "child_id": lambda s: s.none_button, "child_birth": type_birth, "child_name": type_name}

            def card_to(card, steps, done) -> int:
                window.go_home("home")
                jobs, pressed = len(printer.core.jobs), set()
                seen_screens.clear()
                app.installEventFilter(taps)
                taps.count = 0
                reader.place_card(card)
                deadline = time.monotonic() + 60
                while not done(jobs) and time.monotonic() < deadline:
                    pump(20)
                    screen = window.current
                    if screen is None or window.runner.busy or (id(screen), screen.name) in pressed:
                        continue
                    if not seen_screens or seen_screens[-1] != screen.name:
                        seen_screens.append(screen.name)
                    if screen.name == "payment":
                        pressed.add((id(screen), screen.name))
                        window.devices.code_scanned.emit("134567890123456789")  # a payment code: no tap
                    elif screen.name in steps:
                        target = steps[screen.name](screen)  # may type first (phone, birth date, name)
                        if target is not None:
                            pressed.add((id(screen), screen.name))
                            QTest.mouseClick(target, Qt.LeftButton)
                app.removeEventFilter(taps)
                if not done(jobs):
                    patient = window.session.patient
                    raise RuntimeError(f"flow did not end (screen {window.current.name}, screens {seen_screens}, "
                                       f"patient {patient.name if patient else None}, typed {typed_name})")
                reader.remove_card()
                pump(400)
                return taps.count

            def printed(jobs: int) -> bool:
                return len(printer.core.jobs) > jobs

            def child_recorded(_jobs: int) -> bool:  # the child's own department list: the record exists
                patient = window.session.patient
                return patient is not None and patient.name == "王小明" and window.current.name == "departments"

            register_taps = card_to(walk_in, press, printed)
            new_patient_taps = card_to(newcomer, first_visit, printed)
            child_taps = card_to(parent, for_child, child_recorded)
            child_name_typed = typed_name["name"] == "王小明" and window.session.patient.name == "王小明"
            clock.set(clock().replace(hour=int(slot["start"][:2]), minute=int(slot["start"][3:5])))
            checkin_taps = card_to(booked, press, printed)

            # 智能导诊: from the home screen, where it hurts and what is felt, to the suggested department taken
            window.go_home("home")
            pump(200)
            app.installEventFilter(taps)
            taps.count = 0
            QTest.mouseClick(window.current.tiles["triage"], Qt.LeftButton)
            wait_until(lambda: window.current.name == "triage" and not window.runner.busy)
            QTest.mouseClick(window.current.region_buttons["head"], Qt.LeftButton)
            QTest.mouseClick(window.current.symptom_buttons["headache"], Qt.LeftButton)
            wait_until(lambda: window.current.name == "triage_advice")
            QTest.mouseClick(next(iter(window.current.department_buttons.values())), Qt.LeftButton)
            triage_done = wait_until(lambda: window.current.name == "identify")
            app.removeEventFilter(taps)
            triage_taps = taps.count if triage_done else None
            window.admin_exit()
            window.backend.close()
    finally:
        if old_env is None:
            os.environ.pop("HOSPITAL_PAYMENT_URL", None)
        else:
            os.environ["HOSPITAL_PAYMENT_URL"] = old_env
        printer.stop()
        reader.stop()
        pay_sim.close()
    return {"register_taps": register_taps, "checkin_taps": checkin_taps, "new_patient_taps": new_patient_taps,
            "child_taps": child_taps, "child_name_typed": child_name_typed, "triage_taps": triage_taps,
            "register_target": 3, "checkin_target": 1, "new_patient_target": 4, "child_target": 6, "triage_target": 4}


def report_a4(runs: int = 5) -> dict:
    """Card placed on the idle kiosk -> lab report PDF accepted by CUPS (a private cupsd with cups-pdf): the
    patient taps 报告打印 on their day page and the report's print button."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import statistics
    from datetime import timedelta

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from caller.testing import DEMO_TOKENS, ManualClock, run_service
    from client.http import CallerClient
    from common.clock import hospital_now
    from common.device_settings import KioskSettings
    from hardware.a4 import CupsServer
    from hardware.idcard.demo_cards import demo_card
    from hardware.idcard.simulator import CardReaderSimulator
    from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator
    from kiosk.app import build_kiosk

    def pump(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    app = QApplication.instance() or QApplication([])
    reader = CardReaderSimulator("pty").start()
    printer = TcpPrinterSimulator(SimulatedPrinter()).start()
    clock = ManualClock(hospital_now().replace(hour=10, minute=0, second=0, microsecond=0))
    times: list[float] = []
    try:
        with CupsServer() as cups, tempfile.TemporaryDirectory() as tmp, \
                run_service(db_path=Path(tmp) / "h.db", clock=clock) as url:
            queue = f"LabA4_{cups.port}"
            cups.add_pdf_queue(queue, Path(tmp) / "pdf")
            cards = [demo_card(seed=9800 + n) for n in range(runs)]
            client = CallerClient(url, DEMO_TOKENS["admin"])  # records made at the desk beforehand
            records = url.app.state.records  # the laboratory system's side: reports in, verified twice
            for card in cards:
                pid = client.request("POST", "/records/patients", json_body={
                    "source": "id_card", "phone": "13800000000",
                    "id_card": {"name": card.name, "id_number": card.id_number, "gender": card.gender}})["patient"]["patient_id"]
                now = clock()
                rid = records.add_report(pid, "血常规", now - timedelta(hours=3), now - timedelta(hours=1),
                                         [{"name": "白细胞计数", "result": "11.2", "unit": "10^9/L", "ref_low": 3.5, "ref_high": 9.5}])
                records.verify_report(rid, "lab-li")
                records.verify_report(rid, "lab-zhou")
            client.close()
            window = build_kiosk(url, DEMO_TOKENS["kiosk"], reader=reader.url,
                                 printer=f"tcp://{printer.host}:{printer.port}", app=app,
                                 settings=KioskSettings(a4_printer=f"{queue}@{cups.address}"))
            for card in cards:
                window.go_home("home")
                jobs = len(window.devices.a4_jobs)
                pressed: set[int] = set()
                start = time.perf_counter()
                reader.place_card(card)
                deadline = time.monotonic() + 30
                while len(window.devices.a4_jobs) <= jobs and time.monotonic() < deadline:
                    pump(2)
                    screen = window.current
                    if screen is None or window.runner.busy or (id(screen), screen.name) in pressed:
                        continue
                    target = {"day": lambda s: s.reports_button, "reports": lambda s: s.print_buttons[0]}.get(screen.name)
                    if target is not None:
                        pressed.add((id(screen), screen.name))
                        QTest.mouseClick(target(screen), Qt.LeftButton)
                if len(window.devices.a4_jobs) <= jobs:
                    raise RuntimeError(f"no PDF accepted by CUPS (screen {window.current.name})")
                times.append((time.perf_counter() - start) * 1000)
                reader.remove_card()
                pump(400)
            window.admin_exit()
            window.backend.close()
    finally:
        printer.stop()
        reader.stop()
    return {"median_ms": round(statistics.median(times), 1), "runs": runs, "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1), "target_ms": 3000}


BENCHES = {"kiosk_taps": kiosk_taps, "kiosk_layout": kiosk_layout, "report_a4": report_a4}
