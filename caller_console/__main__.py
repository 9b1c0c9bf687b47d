"""``python -m caller_console --service URL --token-file PATH``: log in and run the nurse console."""
from __future__ import annotations

import argparse
import signal
import sys

from client.http import add_service_argument, service_from_args
from client.tokens import add_token_arguments, token_from_args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m caller_console", description="Nurse call console")
    add_service_argument(parser)  # one address, or the active/standby pair: it follows the active one
    add_token_arguments(parser)  # --token-file, $HOSPITAL_TOKEN or the systemd credential "token"
    parser.add_argument("--label-printer", metavar="tcp://HOST[:PORT] | /dev/usb/lp0",
                        help="the draw window's specimen label printer (TSPL), for 打印标签 in window mode")
    args = parser.parse_args(argv)
    args.service = service_from_args(args)
    token = token_from_args(args)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    from caller_console.app import LoginDialog
    from common.fonts import load_cjk_font
    from uikit.collector import GuiThreadCollector

    app = QApplication(sys.argv[:1])
    GuiThreadCollector(app)  # garbage with Qt objects is freed on this thread, never from a worker
    load_cjk_font(app)
    dialog = LoginDialog(args.service, token, label_printer=args.label_printer)
    if dialog.exec() != QDialog.Accepted:
        return 1
    window = dialog.window()
    window.show()
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer()
    wake.start(250)
    wake.timeout.connect(lambda: None)
    code = app.exec()
    window.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
