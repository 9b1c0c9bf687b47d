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

    from caller.client import CallerClient
    from caller.clock import hospital_now
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
            client = CallerClient(url, DEMO_TOKENS["kiosk"])
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


BENCHES = {"kiosk_taps": kiosk_taps, "kiosk_layout": kiosk_layout}
