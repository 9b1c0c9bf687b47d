"""A live kiosk for tests: the caller service (with records), the payment simulator over HTTP, the ID card
reader simulator on a pty and the printer simulator over TCP. The kiosk is built by build_kiosk like in production."""
from __future__ import annotations

import pytest

from kiosk.keyboard import enable_input_method

enable_input_method()  # the kiosk's on-screen keyboard, as in production: before pytest-qt makes the QApplication

from caller.testing import DEMO_TOKENS, ManualClock, run_service
from common.clock import hospital_now
from common.device_settings import KioskSettings
from hardware.idcard.simulator import CardReaderSimulator
from hardware.payment import Outcome, SimulatedProvider
from hardware.payment.simulator import SimulatorServer
from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator
from kiosk.i18n import set_language

KIOSK_TOKEN = DEMO_TOKENS["kiosk"]


@pytest.fixture
def clock():
    """Today at 09:00, so that morning slots are open whatever the hour the tests run."""
    now = hospital_now()
    return ManualClock(now.replace(hour=9, minute=0, second=0, microsecond=0))


@pytest.fixture
def payment_sim():
    """The payment gateway simulator on HTTP; orders wait for the test to pay (no automatic outcome)."""
    server = SimulatorServer(SimulatedProvider(Outcome.no_answer())).start()
    yield server
    server.close()


@pytest.fixture
def service(tmp_path, clock, payment_sim, monkeypatch):
    monkeypatch.setenv("HOSPITAL_PAYMENT_URL", payment_sim.url)
    with run_service(db_path=tmp_path / "hospital.db", clock=clock) as base_url:
        yield base_url


@pytest.fixture
def reader_sim():
    sim = CardReaderSimulator("pty").start()
    yield sim
    sim.stop()


@pytest.fixture
def scanner_sim():
    from hardware.scanner import ScannerSimulator

    sim = ScannerSimulator("pty").start()
    yield sim
    sim.stop()


@pytest.fixture
def printer_sim():
    core = SimulatedPrinter()
    sim = TcpPrinterSimulator(core).start()
    sim.url = f"tcp://{sim.host}:{sim.port}"
    yield sim
    sim.stop()


@pytest.fixture
def settings():
    return KioskSettings(payment_timeout_s=20, admin_pin="2580")  # the demo kiosks' PIN (the hospital file)


@pytest.fixture
def kiosk(qtbot, service, reader_sim, printer_sim, scanner_sim, payment_sim, settings):
    """The kiosk window on its real devices and service."""
    from kiosk.app import build_kiosk

    window = build_kiosk(service, KIOSK_TOKEN, reader=reader_sim.url, printer=printer_sim.url,
                         scanner=scanner_sim.url, payment=payment_sim.url, settings=settings)
    qtbot.addWidget(window)
    yield window
    window.admin_exit()
    window.backend.close()
    set_language("zh")
