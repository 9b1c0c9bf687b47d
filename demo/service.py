"""The caller service on simulated time, as its own process (what `make demo` starts).

    python -m demo.service --config F --db F --port P --sim-start ISO --wall-anchor T --speed X

Exactly ``python -m caller serve`` except that the service's clock is the demo's :class:`SimClock`,
so a morning can pass in a couple of minutes.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime

from demo.clock import SimClock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.service")
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sim-start", type=datetime.fromisoformat, required=True)
    parser.add_argument("--wall-anchor", type=float, required=True)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    import uvicorn

    from caller.api.app import create_app
    from common.config import load_hospital
    from records.plugins import PLUGINS

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    clock = SimClock(args.sim_start, args.wall_anchor, args.speed)
    hospital = load_hospital(args.config)
    gateway = os.environ.get("HOSPITAL_NOTIFY_URL")  # the demo's simulated SMS gateway (caller/notify/simulator.py)
    if gateway:
        from common.notify_settings import NotifySettings, SmsSettings

        sms = SmsSettings(url=gateway, secret=os.environ.get("HOSPITAL_NOTIFY_SECRET", ""),
                          callback_url=f"http://{args.host}:{args.port}/api/v1/notify/sms/status")
        hospital = hospital.model_copy(update={"notify": NotifySettings(sms=sms)})
    app = create_app(hospital, args.db, clock=clock, plugins=PLUGINS)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                ws="websockets-sansio", ws_ping_interval=5.0, ws_ping_timeout=5.0, timeout_graceful_shutdown=3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
