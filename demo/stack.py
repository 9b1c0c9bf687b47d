"""Start the whole demo system: the caller service (own process), the payment gateway simulator, the 医保, e-health
card and e-invoice platform simulators, two kiosks
with their simulated card reader, scanner and printer, the nurse console, the area and door displays and the
speaker agent. Everything talks over loopback HTTP/WebSocket as it would over the LAN.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caller.testing import DEMO_PASSWORD, DEMO_TOKENS, REPO, free_port, wait_healthy
from demo.clock import SimClock

log = logging.getLogger(__name__)

CONFIG = REPO / "assets" / "demo-hospital.toml"
KIOSK_TOKENS = (DEMO_TOKENS["kiosk"], DEMO_TOKENS["kiosk2"])
NOTIFY_SECRET = "demo-sms-gateway-secret"  # shared by the demo service and its simulated SMS gateway
KIOSK_PROFILES = ("generic-80-gbk", "generic-58-gbk")  # as in the hospital file's kiosk settings


class Silent:
    """Kiosk speech that says nothing (headless: no sound card)."""

    def announce_broadcast(self, text: str, item_id: str | None = None) -> str:
        return ""

    def stop(self, timeout: float = 1.0) -> None:
        pass


@dataclass
class KioskRig:
    """One kiosk and its simulated devices."""

    index: int
    reader: Any
    scanner: Any
    printer_core: Any
    printer_sim: Any
    window: Any = None

    @property
    def printer_url(self) -> str:
        return f"tcp://{self.printer_sim.host}:{self.printer_sim.port}"


@dataclass
class Stack:
    out: Path
    clock: SimClock
    base_url: str = ""
    service: subprocess.Popen | None = None
    payment: Any = None
    gateway: Any = None
    kiosks: list[KioskRig] = field(default_factory=list)
    console: Any = None
    wall: Any = None
    door: Any = None
    walls: dict[str, Any] = field(default_factory=dict)     # the pharmacy's, the lab's and the cashier's walls (YF, JY, SF)
    stations: dict[str, Any] = field(default_factory=dict)  # window consoles of the pharmacy and the lab
    speaker: Any = None
    speech: Any = None
    medins: Any = None  # the platform simulators (platforms/): 医保, e-health cards, e-invoices
    ehealth: Any = None
    einvoice: Any = None

    # ---------------------------------------------------------------- service and devices
    def start_service(self, db: Path, port: int | None = None) -> None:
        from hardware.payment import Outcome, SimulatedProvider
        from hardware.payment.simulator import SimulatorServer

        # orders wait for the patient (QR scanned on the phone, or a payment code at the scanner)
        self.payment = SimulatorServer(SimulatedProvider(Outcome.no_answer())).start()
        from caller.notify.simulator import GatewaySimulator

        self.gateway = GatewaySimulator(NOTIFY_SECRET).start()  # SMS to patients who opt in land here
        from platforms.ehealth.simulator import EHealthSimulator
        from platforms.einvoice.simulator import EInvoiceSimulator
        from platforms.medins.simulator import MedInsSimulator

        # the national 医保 platform, the e-health card platform and the fiscal e-invoice platform, simulated
        self.medins, self.ehealth, self.einvoice = (MedInsSimulator().start(), EHealthSimulator().start(),
                                                    EInvoiceSimulator().start())
        port = port or free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONPATH": str(REPO), "HOSPITAL_PAYMENT_URL": self.payment.url,
               "HOSPITAL_NOTIFY_URL": self.gateway.url, "HOSPITAL_NOTIFY_SECRET": NOTIFY_SECRET,
               "HOSPITAL_MEDINS_URL": self.medins.url, "HOSPITAL_EHEALTH_URL": self.ehealth.url,
               "HOSPITAL_EINVOICE_URL": self.einvoice.url}
        log_file = open(self.out / "service.log", "wb")
        self.service = subprocess.Popen(
            [sys.executable, "-m", "demo.service", "--config", str(CONFIG), "--db", str(db), "--port", str(port),
             *self.clock.to_args()], cwd=str(REPO), env=env, stdout=log_file, stderr=subprocess.STDOUT)
        wait_healthy(self.base_url, timeout=30, process=self.service)

    def start_devices(self) -> None:
        from hardware.idcard.simulator import CardReaderSimulator
        from hardware.printer import profile_named
        from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator
        from hardware.scanner.simulator import ScannerSimulator

        for n, profile in enumerate(KIOSK_PROFILES):
            core = SimulatedPrinter(self.out / "printed" / f"kiosk{n + 1}", profile=profile_named(profile))
            self.kiosks.append(KioskRig(n, CardReaderSimulator("pty").start(), ScannerSimulator("pty").start(),
                                        core, TcpPrinterSimulator(core).start()))

    # ---------------------------------------------------------------- apps (in this process, Qt)
    def start_apps(self, app: Any, *, headless: bool) -> None:
        from caller_console.app import open_console
        from common.device_settings import KioskSettings
        from display.app import describe_device, make_door, make_speech, make_wall
        from display.speaker import SpeakerAgent
        from kiosk.app import build_kiosk

        for rig, token in zip(self.kiosks, KIOSK_TOKENS):
            rig.window = build_kiosk(self.base_url, token, reader=rig.reader.url, printer=rig.printer_url,
                                     scanner=rig.scanner.url, payment=self.payment.url, app=app,
                                     settings=KioskSettings(), config=str(CONFIG),
                                     speech=Silent() if headless else None)
            rig.window.setWindowTitle(f"自助服务 {rig.index + 1} 号机")
        self.console = open_console(self.base_url, DEMO_TOKENS["console_nk"], "wanghs", DEMO_PASSWORD,
                                    area="NK", room="NK1")
        self.console.now = self.clock
        self.console.setWindowTitle("内科分诊台 叫号")
        self.console.resize(1400, 900)
        self.console.show()
        self.wall = make_wall(self.base_url, DEMO_TOKENS["wall_nk"], config=str(CONFIG))
        self.door = make_door(self.base_url, DEMO_TOKENS["door_nk1"], config=str(CONFIG))
        for screen in (self.wall, self.door):
            screen.now = self.clock.aware
            screen.show()
        for area, room, user in (("YF", "YF1", "yaoshi-chen"), ("JY", "JY1", "caixue-wu")):
            wall = make_wall(self.base_url, DEMO_TOKENS[f"wall_{area.lower()}"], config=str(CONFIG))
            wall.now = self.clock.aware
            wall.show()
            self.walls[area] = wall
            station = open_console(self.base_url, DEMO_TOKENS[f"console_{area.lower()}"], user, DEMO_PASSWORD,
                                   area=area, room=room)
            station.now = self.clock
            station.resize(1600, 960)
            station.show()
            self.stations[area] = station
        cashier = make_wall(self.base_url, DEMO_TOKENS["wall_sf"], config=str(CONFIG))  # 请 S… 到 1号收费窗口缴费
        cashier.now = self.clock.aware
        cashier.show()
        self.walls["SF"] = cashier
        info = describe_device(self.base_url, DEMO_TOKENS["speaker_nk"], CONFIG)
        self.speech = make_speech(self.out / "speech" if headless else None, info.settings)
        self.speaker = SpeakerAgent(self.base_url, DEMO_TOKENS["speaker_nk"], info.area, self.speech,
                                    state_file=self.out / "speaker-state.json", now=self.clock.aware).start()

    # ---------------------------------------------------------------- shutdown
    def close(self) -> None:
        for rig in self.kiosks:
            if rig.window is not None:
                _quietly(rig.window.admin_exit)
                _quietly(rig.window.backend.close)
        for screen in (self.wall, self.door, *self.walls.values()):
            if screen is not None:
                _quietly(screen.shutdown)
        for console in (self.console, *self.stations.values()):
            if console is not None:
                _quietly(console.shutdown)
        if self.speaker is not None:
            _quietly(self.speaker.stop)
        if self.speech is not None:
            _quietly(self.speech.stop)
        for rig in self.kiosks:
            for part in (rig.reader, rig.scanner, rig.printer_sim):
                _quietly(part.stop)
        if self.payment is not None:
            _quietly(self.payment.close)
        if self.gateway is not None:
            _quietly(self.gateway.stop)
        for sim in (self.medins, self.ehealth, self.einvoice):
            if sim is not None:
                _quietly(sim.close)
        if self.service is not None and self.service.poll() is None:
            self.service.terminate()
            try:
                self.service.wait(10)
            except subprocess.TimeoutExpired:
                self.service.kill()
                self.service.wait(5)


def _quietly(fn) -> None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - shutting down: keep closing the rest
        log.debug("while closing: %s", exc)
