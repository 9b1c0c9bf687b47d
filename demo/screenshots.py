"""`make screenshots`: every app's screenshot tour against a live service with the demo data.

    python -m demo.screenshots [--out out/screenshots]

Starts the caller service (own process, demo records with the fixed seed, simulated payment gateway), then
calls the kiosk's, the console's and the displays' ``write_screenshots`` into out/screenshots/{kiosk,console,display}/,
and drives the web cockpit in headless Chromium into out/screenshots/cockpit-*.png.
Outside clinic hours the service runs on a simulated clock at 09:00 today so that morning numbers are on sale.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import traceback
from pathlib import Path

from common.clock import HospitalClock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/screenshots"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from demo.__main__ import quiet_qt

    quiet_qt()
    from PySide6.QtWidgets import QApplication

    from caller.testing import DEMO_TOKENS
    from common.config import load_hospital
    from common.fonts import load_cjk_font
    from demo.clock import clinic_clock
    from demo.prepare import prepare
    from demo.stack import CONFIG, Stack

    out: Path = args.out
    for part in ("kiosk", "console", "display"):
        shutil.rmtree(out / part, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "hospital.db"
    for leftover in out.glob("hospital.db*"):
        leftover.unlink()
    prepare(load_hospital(CONFIG), db, seed=args.seed, today=HospitalClock().today())
    stack = Stack(out, clinic_clock())
    failed: list[str] = []
    counts: dict[str, int] = {}
    try:
        stack.start_service(db)
        app = QApplication.instance() or QApplication([])
        load_cjk_font(app)
        tours = (
            ("kiosk", lambda d: _kiosk(d, stack.base_url, DEMO_TOKENS["kiosk"], stack.payment.url, args.seed)),
            ("console", lambda d: _console(d, stack.base_url)),
            ("display", lambda d: _display(d, stack.base_url)),
            ("cockpit", lambda d: _cockpit(d, stack.base_url)),
            ("phone", lambda d: _phone(out, stack.base_url)),  # last: it calls patients; out/screenshots/phone-*.png
        )
        for name, tour in tours:
            try:
                counts[name] = len(tour(out / name))
            except Exception:  # noqa: BLE001 - one app's tour failing must not hide the others'
                failed.append(name)
                traceback.print_exc()
    finally:
        stack.close()
    for name, count in counts.items():
        print(f"{count:3d} screenshots in {out if name == 'cockpit' else out / name}/")
    for name in failed:
        print(f"FAILED: the {name} screenshot tour (see the traceback above)")
    empty = [name for name, count in counts.items() if count == 0]
    return 1 if failed or empty else 0


def _kiosk(out: Path, base_url: str, token: str, payment: str, seed: int) -> list[Path]:
    from kiosk.screenshots import write_screenshots

    return write_screenshots(out, base_url, token, payment=payment, seed=seed * 10)


def _console(out: Path, base_url: str) -> list[Path]:
    from caller_console.screenshots import write_screenshots

    return write_screenshots(out, base_url)


def _display(out: Path, base_url: str) -> list[Path]:
    from display.screenshots import write_screenshots

    return write_screenshots(out, base_url)


def _cockpit(out: Path, base_url: str) -> list[Path]:
    """The web cockpit in headless Chromium: out/screenshots/cockpit-*.png (next to the apps' folders)."""
    from cockpit.screens import tour

    for old in out.parent.glob("cockpit-*.png"):
        old.unlink()
    return tour(base_url, out.parent, prefix="cockpit")


def _phone(out: Path, base_url: str) -> list[Path]:
    from demo.phone import write_phone_screenshots

    for old in out.glob("phone-*.png"):
        old.unlink()
    return write_phone_screenshots(out, base_url)


if __name__ == "__main__":
    sys.exit(main())
