"""Command line of the caller service.

    python -m caller serve --config FILE --db FILE [--host 0.0.0.0] [--port 8700]
    python -m caller check-config FILE
    python -m caller hash-password [--password TEXT]
    python -m caller access-matrix [--write docs/security.md]
    python -m caller rollups --db FILE rebuild
    python -m caller simulate --config FILE --db FILE --day 2026-11-23 [--set PATH=VALUE] [--open-room ROOM]
"""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import sys

from caller.config import ConfigError, load_hospital
from caller.passwords import hash_password


def _load_or_exit(path: str):
    try:
        return load_hospital(path)
    except ConfigError as exc:
        print(f"配置文件有误 / configuration error:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _refuse_demo_secrets(config, path: str, demo: bool) -> int:
    from caller.demo_secrets import demo_secrets, refusal

    found = demo_secrets(config)
    if found and not demo:
        print(refusal(path, found), file=sys.stderr)
        return 2
    return 0


class RedactTokens(logging.Filter):
    """Access and WebSocket log lines never show a token (``token=...`` in a query string)."""

    PATTERN = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(self.PATTERN.sub(r"\1***", a) if isinstance(a, str) else a
                                for a in (record.args if isinstance(record.args, tuple) else (record.args,)))
        if isinstance(record.msg, str):
            record.msg = self.PATTERN.sub(r"\1***", record.msg)
        return True


def serve(args: argparse.Namespace) -> int:
    config = _load_or_exit(args.config)  # validated before anything starts
    if _refuse_demo_secrets(config, args.config, args.demo):
        return 2
    import uvicorn

    from caller.api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "caller", "records"):
        logging.getLogger(name).addFilter(RedactTokens())
    from caller.store import StoreLocked

    try:
        app = create_app(config, args.db)
    except StoreLocked as exc:
        print(exc, file=sys.stderr)
        return 3
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                log_config=None, timeout_keep_alive=5, h11_max_incomplete_event_size=16 * 1024,
                loop="auto", http="auto", ws=os.environ.get("CALLER_WS_IMPL", "websockets-sansio"), ws_ping_interval=5.0, ws_ping_timeout=5.0, ws_per_message_deflate=False,
                timeout_graceful_shutdown=3)
    return 0


def check_config(args: argparse.Namespace) -> int:
    config = _load_or_exit(args.file)
    if _refuse_demo_secrets(config, args.file, args.demo):
        return 2
    rooms = sum(len(a.rooms) for a in config.areas)
    print(f"OK: {args.file}: {config.hospital.name}: {len(config.areas)} areas, {rooms} rooms, "
          f"{len(config.departments)} departments, {len(config.doctors)} doctors, "
          f"{len(config.devices)} devices, {len(config.users)} users")
    return 0


def hash_password_cmd(args: argparse.Namespace) -> int:
    password = args.password
    if password is None:
        password = getpass.getpass("密码 / password: ")
        if password != getpass.getpass("再输入一次 / again: "):
            print("两次输入不一致 / the passwords differ", file=sys.stderr)
            return 1
    if not password:
        print("密码不能为空 / empty password", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def access_matrix(args: argparse.Namespace) -> int:
    """Print (or write into docs/security.md) the route x principal table generated from the access rules."""
    from pathlib import Path

    from caller.api.access import matrix_markdown, replace_matrix
    from caller.api.app import create_app
    from caller.config import DEMO_CONFIG

    table = matrix_markdown(create_app(load_hospital(DEMO_CONFIG), ":memory:"))
    if args.write:
        path = Path(args.write)
        path.write_text(replace_matrix(path.read_text(encoding="utf-8"), table), encoding="utf-8")
    else:
        print(table)
def rollups_cmd(args: argparse.Namespace) -> int:
    """Recompute the cockpit's daily rollups from the stored history (the service may keep running)."""
    import sqlite3

    from cockpit import rollups

    conn = sqlite3.connect(args.db, isolation_level=None, timeout=30)
    rollups.create(conn)
    count = rollups.rebuild(conn)
    conn.close()
    print(f"OK: rollups rebuilt from {count} visits / 已按 {count} 条就诊记录重建统计")
    return 0


def simulate_cmd(args: argparse.Namespace) -> int:
    """Replay a stored (or synthetic) day through the real engine with changed rules or rooms."""
    import sqlite3
    from datetime import date

    from cockpit import simulate

    config = _load_or_exit(args.config)
    day = date.fromisoformat(args.day)
    try:
        changed = simulate.changed_config(config, args.set or [], args.open_room or [])
    except (ValueError, ConfigError) as exc:
        print(f"模拟参数有误 / what-if error: {exc}", file=sys.stderr)
        return 2
    if args.synthetic:
        arrivals, happened = simulate.synthetic_day(config, day, args.synthetic, seed=args.seed), None
    else:
        if not args.db:
            print("请给出 --db（或用 --synthetic N）/ give --db, or --synthetic N", file=sys.stderr)
            return 2
        conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
        arrivals, happened = simulate.stored_day(conn, args.day)
        conn.close()
        if not arrivals:
            print(f"{args.day} 没有就诊记录 / no visits stored for {args.day}", file=sys.stderr)
            return 1
    rows = simulate.compare(happened, simulate.replay(config, day, arrivals), simulate.replay(changed, day, arrivals))
    names = ("measure", "happened", "replayed as it was", "what-if")
    print("  ".join(f"{n:>20}" for n in names))
    for row in rows:
        print("  ".join(f"{'' if row[n] is None else row[n]!s:>20}" for n in names))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caller", description="Hospital queue-calling service")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the service")
    p.add_argument("--config", required=True, help="hospital TOML file")
    p.add_argument("--db", required=True, help="SQLite database file (created when missing)")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8700)
    p.add_argument("--log-level", default="info")
    p.add_argument("--demo", action="store_true", help="accept the demo file's public tokens, passwords and PINs")
    p.set_defaults(fn=serve)
    p = sub.add_parser("check-config", help="validate a hospital TOML file")
    p.add_argument("file")
    p.add_argument("--demo", action="store_true", help="accept the demo file's public tokens, passwords and PINs")
    p.set_defaults(fn=check_config)
    p = sub.add_parser("hash-password", help="print a password hash for [[users]] password_hash")
    p.add_argument("--password", help="(default: asked without echo)")
    p.set_defaults(fn=hash_password_cmd)
    p = sub.add_parser("access-matrix", help="print the access matrix (route x principal) from the access rules")
    p.add_argument("--write", metavar="FILE", help="replace the table in FILE (docs/security.md) instead")
    p.set_defaults(fn=access_matrix)
    p = sub.add_parser("rollups", help="the cockpit's daily rollups: rebuild them from the stored history")
    p.add_argument("--db", required=True, help="SQLite database file")
    p.add_argument("action", choices=["rebuild"])
    p.set_defaults(fn=rollups_cmd)
    p = sub.add_parser("simulate", help="what-if: replay a day through the real engine with changed rules or rooms")
    p.add_argument("--config", required=True, help="hospital TOML file")
    p.add_argument("--db", help="SQLite database holding the day (not needed with --synthetic)")
    p.add_argument("--day", required=True, help="YYYY-MM-DD")
    p.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="e.g. areas.NK.rules.room_cap=3 or rules.recall_mode=end_of_session (repeatable)")
    p.add_argument("--open-room", action="append", metavar="ROOM", help="open an extra room, e.g. NK5 (repeatable)")
    p.add_argument("--synthetic", type=int, metavar="N", help="a synthetic morning of N internal-medicine patients")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(fn=simulate_cmd)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
