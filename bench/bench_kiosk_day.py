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


def kiosk_taps() -> dict:
    """Taps from card placed (on the idle home screen) to ticket printed, pressed on the real widgets:
    a returning patient's walk-in registration (first choice on each page, paying with a payment code) and an
    appointment check-in with one appointment due."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QAbstractButton, QApplication

    from client.http import CallerClient
    from common.clock import hospital_now
    from caller.testing import DEMO_TOKENS, ManualClock, run_service
    from hardware.idcard.demo_cards import demo_card
    from hardware.idcard.simulator import CardReaderSimulator
    from hardware.payment import Outcome, SimulatedProvider
    from hardware.payment.simulator import SimulatorServer
    from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator
    from kiosk.app import build_kiosk
    from kiosk.settings import KioskSettings

    class Taps(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt name
            if event.type() == QEvent.MouseButtonPress and isinstance(obj, QAbstractButton):
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
            walk_in, booked = demo_card(seed=9700), demo_card(seed=9701)
            client = CallerClient(url, DEMO_TOKENS["admin"])  # records made at the desk beforehand
            ids = {}
            for card in (walk_in, booked):
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

            def card_to_ticket(card) -> int:
                window.go_home("home")
                jobs, pressed = len(printer.core.jobs), set()
                app.installEventFilter(taps)
                taps.count = 0
                reader.place_card(card)
                deadline = time.monotonic() + 30
                while len(printer.core.jobs) <= jobs and time.monotonic() < deadline:
                    pump(20)
                    screen = window.current
                    if screen is None or window.runner.busy or id(screen) in pressed:
                        continue
                    if screen.name == "payment":
                        pressed.add(id(screen))
                        window.devices.code_scanned.emit("134567890123456789")  # a payment code: no tap
                    elif screen.name in press and press[screen.name](screen) is not None:
                        pressed.add(id(screen))
                        QTest.mouseClick(press[screen.name](screen), Qt.LeftButton)
                app.removeEventFilter(taps)
                if len(printer.core.jobs) <= jobs:
                    raise RuntimeError(f"no ticket printed (screen {window.current.name})")
                reader.remove_card()
                pump(400)
                return taps.count

            register_taps = card_to_ticket(walk_in)
            clock.set(clock().replace(hour=int(slot["start"][:2]), minute=int(slot["start"][3:5])))
            checkin_taps = card_to_ticket(booked)
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
    return {"register_taps": register_taps, "checkin_taps": checkin_taps, "register_target": 3, "checkin_target": 1}


def report_a4(runs: int = 5) -> dict:
    """Card placed on the idle kiosk -> lab report PDF accepted by CUPS (a private cupsd with cups-pdf): the
    patient taps 报告打印 on their day page and the report's print button."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import statistics
    from datetime import timedelta

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from client.http import CallerClient
    from common.clock import hospital_now
    from caller.testing import DEMO_TOKENS, ManualClock, run_service
    from hardware.a4 import CupsServer
    from hardware.idcard.demo_cards import demo_card
    from hardware.idcard.simulator import CardReaderSimulator
    from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator
    from kiosk.app import build_kiosk
    from kiosk.settings import KioskSettings

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
                    if screen is None or window.runner.busy or id(screen) in pressed:
                        continue
                    target = {"day": lambda s: s.reports_button, "reports": lambda s: s.print_buttons[0]}.get(screen.name)
                    if target is not None:
                        pressed.add(id(screen))
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
