"""PNG of every kiosk screen, normal and elderly mode, Chinese and English, from a live service.

    write_screenshots(Path("out/screenshots/kiosk"), "http://127.0.0.1:8700", "<kiosk token>")

Cards and scanned payment codes are fed in as the devices would; without a printer URL a printer simulator is
started for the tour. Each variant uses its own demo patient, so the tour can run against any live service.
"""
from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from client.http import CallerClient, CallerError
from common.demo_accounts import DEMO_PASSWORD, DEMO_TOKENS
from common.device_settings import KioskSettings
from hardware.a4 import CupsPrinter, CupsServer, report_pdf
from hardware.a4.server import available
from hardware.idcard.demo_cards import demo_card
from hardware.idcard.simulator import CardReaderSimulator
from hardware.payment import HttpProvider
from hardware.printer.documents import sample_documents
from hardware.printer.samples import write_samples
from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator
from kiosk.app import build_kiosk
from kiosk.devices import card_from_idcard
from kiosk.i18n import set_language
from kiosk.layout_check import walk
from uikit.screens import wait_until

log = logging.getLogger(__name__)

DEMO_PAYMENT_CODE = "134567890123456789"  # a WeChat-style payment code (付款码), charged by the simulated gateway


class Tour:
    """Walks one kiosk window through its screens, saving a PNG of each."""

    def __init__(self, window, out_dir: Path, prefix: str) -> None:
        self.window, self.out_dir, self.prefix = window, out_dir, prefix
        self.app = QApplication.instance()
        self.written: list[Path] = []

    @staticmethod
    def pump(ms: int) -> None:
        """Run the event loop for ms (QApplication.processEvents leaks a reference to None in PySide6 6.12)."""
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def settle(self, ms: int = 80) -> None:
        self.pump(ms)

    def wait(self, name: str, timeout: float = 15.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            current = self.window.current
            if current is not None and current.name == name and not self.window.runner.busy:
                self.settle()
                return True
            self.pump(20)
        return False

    def shot(self, name: str) -> Path:
        self.settle()
        path = self.out_dir / f"{self.prefix}-{name}.png"
        self.window.grab().save(str(path))
        self.written.append(path)
        return path

    def wait_any(self, names, timeout: float = 15.0) -> str | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            current = self.window.current
            if current is not None and current.name in names and not self.window.runner.busy:
                self.settle()
                return current.name
            self.pump(20)
        return None

    def step(self, action: Callable[[], None], screen: str, shot_name: str | None = None) -> bool:
        action()
        if self.wait(screen):
            self.shot(shot_name or screen)
            return True
        return False


def _help_answered(window, t: "Tour") -> None:
    """The guide desk takes the call: the kiosk shows who is coming (then the desk closes the call)."""
    help_id = window.flows.help.help_id
    if not help_id:
        return
    with CallerClient(window.backend.client.base_url, DEMO_TOKENS["console_dt"]) as desk:
        try:
            desk.login("wangdy", DEMO_PASSWORD)
            desk.acknowledge_help(help_id)
            wait_until(QApplication.instance(), lambda: any(w in window.current.speech for w in ("正在赶来", "on the way")),
                       timeout=5)
            t.shot("help_coming")
            desk.close_help(help_id, "resolved")
        except CallerError:
            log.exception("screenshot tour: the help call could not be answered")


def _pay(window, payment_url: str | None) -> None:
    """The patient pays: on the phone through the gateway simulator when we know it, else with a payment code."""
    if payment_url:
        order = window.flows.payment.order
        with HttpProvider(payment_url) as provider:
            provider.patient_pays(order.qr_text.rsplit("/", 1)[-1])
    else:
        window.devices.code_scanned.emit(DEMO_PAYMENT_CODE)


def _tour(window, out_dir: Path, prefix: str, seed: int, payment_url: str | None = None,
          reader_sim=None, medical_card: str | None = None) -> list[Path]:
    t = Tour(window, out_dir, prefix)
    flows, devices = window.flows, window.devices
    id_card = demo_card(seed=500000 + seed)  # far from the seeds demo data uses: a person new to the hospital
    card = card_from_idcard(id_card)

    def place_card() -> None:
        """On the reader simulator when there is one (the reader reads it), else straight to the kiosk."""
        if reader_sim is None:
            devices.card_read.emit(card)
            return
        reader_sim.remove_card()
        t.settle(400)
        reader_sim.place_card(id_card)

    def on(name: str) -> bool:
        return window.current is not None and window.current.name == name

    def home() -> None:
        window.go_home("home")
        t.wait("home")

    def register() -> None:
        """挂号: identify (typed number refused), new record, choices, confirm, pay, ticket, rating."""
        t.step(flows.register, "identify")
        if t.step(flows.identify.type_id, "type_id"):
            window.current.keypad.type_text("110101199003078031")
            window.current.keypad.ok.click()
            t.shot("type_id-error")
        window.back()
        t.wait("identify")
        place_card()
        t.wait_any(("new_patient", "departments"))
        if on("new_patient"):
            window.current.keypad.type_text("13800138000")
            t.shot("new_patient")
            window.current.keypad.ok.click()
        if not t.wait("departments"):
            return
        t.shot("departments")
        for screen in ("doctors", "confirm"):
            if not t.step(lambda: window.current.choices.button_for(0).click(), screen):
                return
        if window.current.change_time_button is not None:  # 换个时间: the slots, then the first one again
            t.step(lambda: window.current.change_time_button.click(), "slots")
            t.step(lambda: window.current.choices.button_for(0).click(), "confirm")
        if not t.step(lambda: window.current.confirm_button.click(), "payment"):
            return
        if not t.step(lambda: _pay(window, payment_url), "ticket"):
            return
        if t.step(lambda: window.current.done_button.click(), "rating"):
            window.current.stars.set_value(5)
            window.current.tags["操作简单"].setChecked(True)
            t.shot("rating")
            t.step(lambda: window.current.submit_button.click(), "thanks")

    def service(start: Callable[[], None], screen: str) -> None:
        home()
        start()
        t.wait("identify")
        if medical_card:  # a returning patient (with bills and reports) scans their medical card QR
            t.step(lambda: devices.code_scanned.emit(medical_card), screen)
        else:
            t.step(place_card, screen)

    def staff() -> None:
        home()
        if t.step(flows.call_staff, "help"):
            _help_answered(window, t)
        if t.step(flows.admin, "admin_pin"):
            window.current.keypad.type_text(window.settings.admin_pin)
            t.step(lambda: window.current.keypad.ok.click(), "devices")
        t.step(flows.out_of_service, "out_of_service")

    def day() -> None:
        """Card first: the returning patient's medical card scanned on the home screen shows their day."""
        if medical_card:
            home()
            t.step(lambda: devices.code_scanned.emit(medical_card), "day")

    home()
    t.shot("home")
    sections = [register, day] + [lambda s=s, n=n: service(s, n) for s, n in (
        (flows.check_in, "appointments"), (flows.pay_bills, "bills"), (flows.reports, "reports"),
        (flows.my_queue, "my_queue"))] + [staff]
    for section in sections:
        try:
            section()
        except Exception:  # noqa: BLE001 - one screen failing must not lose the others
            log.exception("screenshot tour: a section failed on screen %s", getattr(window.current, "name", None))
    home()
    return t.written


def write_screenshots(out_dir: Path, base_url: str, token: str, *, printer: str | None = None,
                      reader: str | None = None, payment: str | None = None, seed: int | None = None,
                      medical_card: str | None = None, landscape: bool = True) -> list[Path]:
    """Write every screen as PNG into out_dir, as {zh,en}-{normal,elderly}-{screen}.png; return the paths.

    ``payment``: the payment gateway simulator's URL (the tour's patient then pays on the "phone"); without it
    the patient scans a payment code, which the service's gateway must approve. ``printer`` / ``reader``:
    device URLs; without them a printer / ID card reader simulator is started for the tour (a given reader
    is not fed cards: they go straight to the kiosk). ``medical_card``: the card number of a returning patient
    with bills and reports, shown on the check-in, bills, reports and queue screens (else the new patient).
    ``landscape`` adds the Chinese tours on a 1920x1080 screen ({zh}-{normal,elderly}-landscape-{screen}.png).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    printer_sim = reader_sim = None
    if reader is None:
        reader_sim = CardReaderSimulator("pty").start()
        reader = reader_sim.url
    if printer is None:
        printer_sim = TcpPrinterSimulator(SimulatedPrinter()).start()
        printer = f"tcp://{printer_sim.host}:{printer_sim.port}"
    base_seed = seed if seed is not None else int(time.time()) % 100000 * 10
    written: list[Path] = []
    try:
        variants = [("zh", False, False), ("zh", True, False), ("en", False, False), ("en", True, False)]
        if landscape:
            variants += [("zh", False, True), ("zh", True, True)]
        for n, (lang, elderly, wide) in enumerate(variants):
            window = build_kiosk(base_url, token, reader=reader, printer=printer, payment=payment, app=app,
                                 settings=KioskSettings(admin_pin="2580"),  # the demo kiosks' staff PIN
                                 start_devices=reader_sim is not None, speech=_Silent(),
                                 landscape=wide)
            try:
                window.set_language(lang)
                window.set_elderly(elderly)
                prefix = f"{lang}-{'elderly' if elderly else 'normal'}" + ("-landscape" if wide else "")
                Tour.pump(400)  # the reader's first poll
                written += _tour(window, out_dir, prefix, base_seed + n, payment, reader_sim, medical_card)
            finally:
                window.admin_exit()
                window.backend.close()
                window.deleteLater()
    finally:
        set_language("zh")
        if printer_sim is not None:
            printer_sim.stop()
        if reader_sim is not None:
            reader_sim.stop()
    written += write_all_modes(out_dir / "all-modes")
    written += write_slips(out_dir / "slips")
    return written


def write_all_modes(out_dir: Path) -> list[Path]:
    """Every screen (sample data) in zh/en x normal/elderly x portrait/landscape, as the layout check sees it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for window, name, mode in walk():
        path = out_dir / f"{mode}-{name}.png"
        window.grab().save(str(path))
        written.append(path)
    return written


def write_slips(out_dir: Path) -> list[Path]:
    """The slips (ticket, 挂号凭条, receipt, lab report at 58 and 80 mm) and the A4 lab report's pages, as PNG.

    The A4 report goes through a private CUPS with cups-pdf when this machine can run one (as the kiosk prints
    it); otherwise the PDF the kiosk would send is rendered directly.
    """
    written = write_samples(out_dir)
    pdf_path = out_dir / "report-a4.pdf"
    pdf = report_pdf(sample_documents().report)
    if not available():
        with CupsServer() as cups:
            queue = f"LabA4_{cups.port}"
            out = cups.add_pdf_queue(queue)  # in the scheduler's own temporary directory
            CupsPrinter(queue, cups.address).print_pdf(pdf, "检验报告")
            pdf_path.write_bytes(cups.wait_for_pdfs(out, 1)[0].read_bytes())
    else:
        pdf_path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf_path), str(out_dir / "report-a4-page")], check=True,
                   capture_output=True)
    return written + sorted(out_dir.glob("report-a4-page*.png"))


class _Silent:
    """Speech that says nothing (screenshots need no sound)."""

    def announce_broadcast(self, text: str) -> None:
        pass

    def stop(self, timeout: float = 1.0) -> None:
        pass


if __name__ == "__main__":
    import sys

    paths = write_screenshots(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
    print(f"{len(paths)} screenshots written")
