"""`make demo`: the whole system on the demo hospital with simulated hardware.

With a screen (DISPLAY or WAYLAND_DISPLAY) the windows open with a control window for the simulated devices;
without one (or with --headless) a scripted morning runs offscreen and writes out/demo/.

    python -m demo [--headless] [--patients 60] [--speed 30] [--out out/demo]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def has_screen() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def quiet_qt() -> None:
    """Drop the offscreen platform's "does not support propagateSizeHints()" noise; keep other messages."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode, _context, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description="Run the whole hospital system on demo data")
    parser.add_argument("--headless", action="store_true", help="run the scripted morning even with a screen")
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--speed", type=float, default=40.0, help="simulated seconds per real second")
    parser.add_argument("--minutes", type=float, default=60.0, help="simulated minutes over which patients arrive")
    parser.add_argument("--start", default="08:00", help="simulated time of the first arrival")
    parser.add_argument("--out", type=Path, default=Path("out/demo"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_qt()
    if args.headless or not has_screen():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from demo.checks import human_summary
        from demo.morning import MorningPlan, run_morning

        plan = MorningPlan(patients=args.patients, start=args.start, minutes=args.minutes, speed=args.speed,
                           seed=args.seed)
        summary, code = run_morning(args.out, plan)
        print(human_summary(summary, args.out))
        return code
    from demo.interactive import run_interactive

    return run_interactive(args.out, seed=args.seed)


if __name__ == "__main__":
    sys.exit(main())
