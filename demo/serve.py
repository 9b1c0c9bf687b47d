"""make serve: the caller service alone on the demo hospital, with demo data, saying where to look.

    python -m demo.serve [--db out/serve/hospital.db] [--port 8700] [--days 7]

On a new database it first makes the demo records (patients, schedules, bills, reports: records/demo_data.py) and
the past ``--days`` clinic mornings of the internal-medicine and surgery areas, played through the real queue engine
on a moved clock (register, call, start, finish, some missed), so that the cockpit has history to show. It then
prints the service's, the cockpit's and the ticket pages' addresses and the demo logins, and serves.
"""
from __future__ import annotations

import argparse
import random
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "assets" / "demo-hospital.toml"
HISTORY_DEPTS = ("NK", "WK")  # the departments whose past mornings are played


def fill_history(config, db: str, days: int, today: date, seed: int = 7) -> int:
    """Play ``days`` past mornings through the engine; returns how many visits were seen."""
    from caller.api.models import RegisterBody
    from caller.auth import Principal
    from caller.engine.model import RuleError
    from caller.service import CallerService
    from common.clock import ManualClock

    clock = ManualClock(datetime.combine(today - timedelta(days=days), time(7, 30)))
    service = CallerService(config, db, clock=clock)
    rng = random.Random(seed)
    kiosk = Principal(role="kiosk", device=next((d.id for d in config.devices if d.role == "kiosk"), "kiosk"))
    seen = keys = 0
    try:
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            if day.weekday() == 6:  # Sunday: no clinic in the demo's history
                continue
            for dept in HISTORY_DEPTS:
                area = next((d.area for d in config.departments if d.id == dept), None)
                rooms = [r.id for a in config.areas if a.id == area for r in a.rooms if dept in r.departments]
                nurse = Principal(role="console", device="history", area=area, user="history", user_role="nurse",
                                  user_areas=(area,))
                patients = rng.randint(25, 45) + (10 if day.weekday() == 0 else 0)  # Mondays are busier
                arrivals = sorted(datetime.combine(day, time(8, 0)) + timedelta(minutes=rng.uniform(-20, 180))
                                  for _ in range(patients))
                free = {room: datetime.combine(day, time(8, 0)) for room in rooms[:rng.randint(2, max(2, len(rooms)))]}
                busy: dict[str, tuple[str, datetime]] = {}
                waiting = 0
                minute = datetime.combine(day, time(7, 40))
                end = datetime.combine(day, time(12, 30))
                while minute < end:
                    clock.set(minute)
                    while arrivals and arrivals[0] <= minute:
                        arrivals.pop(0)
                        keys += 1
                        body = RegisterBody(department=dept, name=rng.choice("王李张刘陈杨赵黄") + "某", source="onsite",
                                            idempotency_key=f"history-{day}-{keys}")
                        visit = service.execute("register", kiosk, idempotency_key=body.idempotency_key, body=body)["visit"]
                        if visit["state"] == "registered":  # 签到模式: checked in at the kiosk as they arrive
                            service.execute("check_in", kiosk, visit_id=visit["visit_id"])
                        waiting += 1
                    for room, (visit, done_at) in list(busy.items()):
                        if minute >= done_at:
                            service.execute("finish", nurse, visit_id=visit)
                            seen += 1
                            del busy[room]
                            free[room] = minute
                    for room, since in free.items():
                        if room in busy or minute < since or waiting == 0:
                            continue
                        try:
                            called = service.execute("call_next", nurse, room_id=room)["visit"]
                        except RuleError:
                            called = None
                        if not called:
                            continue
                        waiting -= 1
                        if rng.random() < 0.06:  # did not come: missed after the calls the rules ask for
                            _miss(service, nurse, called["visit_id"])
                            continue
                        service.execute("start", nurse, visit_id=called["visit_id"])
                        busy[room] = (called["visit_id"], minute + timedelta(minutes=rng.choice((4, 6, 8, 10, 12, 15))))
                    minute += timedelta(minutes=1)
    finally:
        service.close()
    return seen


def _miss(service, nurse, visit_id: str) -> None:
    from caller.engine.model import RuleError

    for _ in range(5):
        try:
            service.execute("missed", nurse, visit_id=visit_id)
            return
        except RuleError as exc:
            if exc.code != "not_called_enough":
                return
            service.execute("call_again", nurse, visit_id=visit_id)


def banner(host: str, port: int, db: str) -> str:
    from common.demo_accounts import DEMO_PASSWORD, DEMO_TOKENS

    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    return "\n".join([
        "叫号服务 / caller service (demo hospital, demo data)",
        f"  service      {base}        (health: {base}/healthz, API: {base}/docs)",
        f"  cockpit      {base}/cockpit/   驾驶舱: log in as  admin / {DEMO_PASSWORD}  (院长 yuanzhang / {DEMO_PASSWORD})",
        f"  consoles     nurse wanghs / {DEMO_PASSWORD} (内科), doctor zhangys / {DEMO_PASSWORD}",
        f"  kiosk        .venv/bin/python -m kiosk --service {base} (token: HOSPITAL_TOKEN={DEMO_TOKENS['kiosk']})",
        f"  wall         .venv/bin/python -m display wall --service {base} (HOSPITAL_TOKEN={DEMO_TOKENS['wall_nk']})",
        f"  database     {db}   (delete it to start again)",
        "These are the public demo accounts of assets/demo-hospital.toml: never use them in a hospital.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="out/serve/hospital.db")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--days", type=int, default=7, help="past mornings of history for the cockpit")
    args = parser.parse_args(argv)
    from common.clock import HospitalClock
    from common.config import load_hospital

    config = load_hospital(CONFIG)
    db = Path(args.db)
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        from records.demo_data import generate

        today = HospitalClock(config.hospital.timezone).today()
        print("准备演示数据 / making the demo data (once) ...", file=sys.stderr, flush=True)
        generate(config, db)
        seen = fill_history(config, str(db), args.days, today)
        print(f"  {seen} visits over the past {args.days} days for the cockpit", file=sys.stderr, flush=True)
    print(banner(args.host, args.port, str(db)), flush=True)
    from caller.__main__ import main as caller_main

    return caller_main(["serve", "--demo", "--config", str(CONFIG), "--db", str(db), "--host", args.host,
                        "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
