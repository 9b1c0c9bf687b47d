"""``python -m display wall|door|speaker --service URL --token-file PATH [--config FILE] [--wav-dir DIR]``."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from client.http import add_service_argument, service_from_args
from client.tokens import add_token_arguments, token_from_args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m display", description="Wall screen, door screen, speaker agent")
    parser.add_argument("kind", choices=("wall", "door", "speaker"))
    add_service_argument(parser)  # one address, or the active/standby pair: it follows the active one
    add_token_arguments(parser)  # --token-file, $HOSPITAL_TOKEN or the systemd credential "token"
    parser.add_argument("--config", help="hospital TOML with this device's layout settings (default: $HOSPITAL_CONFIG)")
    parser.add_argument("--wav-dir", help="write announcements as WAV files here instead of playing them")
    parser.add_argument("--state-file", help="speaker: where the last spoken seq is kept")
    parser.add_argument("--windowed", action="store_true", help="screens: a window instead of full screen")
    return parser


def _until_reachable(make, done: threading.Event):
    """Build the device; while the service cannot be reached (and no hospital file says who we are), retry."""
    from client.http import CallerError

    while True:
        try:
            return make()
        except CallerError as exc:
            if exc.code not in ("unreachable", "standby"):  # standby: a takeover is under way
                raise
            logging.getLogger("display").warning("叫号服务暂时无法连接，2 秒后重试 (%s)", exc.message_en)
            if done.wait(2):
                return None


def _run_speaker(args: argparse.Namespace) -> int:
    from display.app import make_speaker

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    agent = _until_reachable(lambda: make_speaker(args.service, args.token_value, wav_dir=args.wav_dir,
                                                  state_file=args.state_file, config=args.config), done)
    if agent is None:
        return 0
    print(f"speaker agent for area {agent.area} running", flush=True)
    done.wait()
    agent.stop()
    return 0


def _run_screen(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from common.fonts import load_cjk_font
    from display.app import make_door, make_wall
    from uikit.collector import GuiThreadCollector

    app = QApplication(sys.argv[:1])
    GuiThreadCollector(app)  # garbage with Qt objects is freed on this thread, never from a worker
    load_cjk_font(app)
    make = make_wall if args.kind == "wall" else make_door
    kwargs = {"config": args.config}
    if args.kind == "wall":
        kwargs["wav_dir"] = args.wav_dir
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    screen = _until_reachable(lambda: make(args.service, args.token_value, **kwargs), stop)
    if screen is None:
        return 0
    if args.windowed:
        screen.show()
    else:
        screen.showFullScreen()
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer()
    wake.start(250)  # lets Python handle the signals while Qt runs
    wake.timeout.connect(lambda: None)
    code = app.exec()
    screen.shutdown()
    return code


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    args.service = service_from_args(args)
    args.token_value = token_from_args(args)
    return _run_speaker(args) if args.kind == "speaker" else _run_screen(args)


if __name__ == "__main__":
    sys.exit(main())
