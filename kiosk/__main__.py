"""python -m kiosk --service URL --token-file PATH --reader URL --printer URL --scanner URL --payment URL [--fullscreen]"""
from __future__ import annotations

import argparse
import logging
import sys

from PySide6.QtWidgets import QApplication

from client.http import add_service_argument, service_from_args
from client.tokens import add_token_arguments, token_from_args
from kiosk.app import build_kiosk
from kiosk.keyboard import enable_input_method
from uikit.collector import GuiThreadCollector


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk", description="Hospital self-service kiosk")
    add_service_argument(parser)  # one address, or the active/standby pair: it follows the active one
    add_token_arguments(parser)  # --token-file, $HOSPITAL_TOKEN or the systemd credential "token"
    parser.add_argument("--reader", help="ID card reader serial URL or pty path")
    parser.add_argument("--printer", help="printer: tcp://host:9100 or a serial URL / pty path (?profile=NAME)")
    parser.add_argument("--scanner", help="scanner serial URL or pty path")
    parser.add_argument("--payment", help="payment provider base URL")
    parser.add_argument("--fullscreen", action="store_true", help="full screen and locked (production)")
    parser.add_argument("--config", help="hospital TOML: this kiosk's device settings (staff PIN, timeouts)")
    parser.add_argument("--landscape", action="store_true", help="1920x1080 screen")
    args = parser.parse_args(argv)
    args.service = service_from_args(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = token_from_args(args)
    enable_input_method()  # Qt Virtual Keyboard (pinyin, English) for the text fields, set before the app exists
    app = QApplication(sys.argv[:1])
    GuiThreadCollector(app)  # garbage with Qt objects is freed on this thread, never from a worker
    window = build_kiosk(args.service, token, args.reader, args.printer, args.scanner, args.payment,
                         fullscreen=args.fullscreen, landscape=args.landscape, app=app,
                         config=args.config)
    window.setWindowTitle("自助服务")
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
