"""The demo with a screen: every window opens and a person plays patient and nurse.

Two kiosks, the nurse console (logged in as 王护士长), the internal-medicine wall screen and, beside it, the same
area's TV as a web screen in Chromium (paired as ``wall-nk-tv``), the door screen of 内科1诊室, the speaker agent
(speaking aloud) and the control window for the simulated devices.
Closing the control window ends the demo.
"""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

from common.clock import HospitalClock


def run_interactive(out: Path, seed: int = 7) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from common.config import load_hospital
    from common.fonts import load_cjk_font
    from demo.clock import clinic_clock
    from demo.control import ControlWindow
    from demo.platforms import enroll
    from demo.prepare import prepare
    from demo.stack import CONFIG, Stack
    from uikit.collector import GuiThreadCollector

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    known, appointments = prepare(load_hospital(CONFIG), out / "hospital.db", seed=seed, today=HospitalClock().today())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    GuiThreadCollector(app)  # garbage with Qt objects is freed on this thread, never from a worker
    load_cjk_font(app)
    stack = Stack(out, clinic_clock())
    web_wall = None
    try:
        stack.start_service(out / "hospital.db")
        stack.start_devices()
        stack.start_apps(app, headless=False)
        for rig in stack.kiosks:
            rig.window.resize(540, 960)  # half size, so that both fit beside the other windows
        stack.wall.resize(1280, 720)
        stack.door.resize(800, 500)
        web_wall = subprocess.Popen([sys.executable, "-m", "demo.webwall", "open", stack.base_url])  # the TV
        # every demo patient is insured and holds an e-health card at the platform simulators: 医保 by hand
        cards = enroll(stack, [*known, *(a.patient for a in appointments)])
        control = ControlWindow(stack, known, appointments, cards)
        control.show()
        app.setQuitOnLastWindowClosed(False)
        control.destroyed.connect(app.quit)
        control.closeEvent = lambda event: (event.accept(), app.quit())
        signal.signal(signal.SIGINT, lambda *_: app.quit())
        wake = QTimer()
        wake.start(250)  # lets Python see Ctrl-C while Qt runs
        wake.timeout.connect(lambda: None)
        print(f"演示系统已启动 / demo running: service {stack.base_url}; close the control window to stop.\n"
              f"platform simulators: 医保 {stack.medins.url}, 电子健康卡 {stack.ehealth.url}, 电子票据 {stack.einvoice.url}",
              flush=True)
        return app.exec()
    finally:
        if web_wall is not None and web_wall.poll() is None:
            web_wall.terminate()
            web_wall.wait(10)
        stack.close()
