"""Command line of the caller service.

    python -m caller serve --config FILE --db FILE [--host 0.0.0.0] [--port 8700]
    python -m caller check-config FILE
    python -m caller hash-password [--password TEXT]
    python -m caller reload [--service URL] [--token-file PATH]       re-read the hospital file, no restart
    python -m caller backup DIR [--db FILE] [--daily N] [--monthly M]  online backup, checked, with retention
    python -m caller restore FILE [--db FILE]                          service stopped: put a backup in place
    python -m caller new-device ROLE --area AREA [--room ROOM] [--config FILE]
    python -m caller rotate-token DEVICE [--config FILE]
    python -m caller install-unit ROLE [--print] [...]                 systemd units (docs/operations.md)
    python -m caller access-matrix [--write docs/security.md]
    python -m caller events-doc [--write docs/events.md]
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

from caller.plugins import installed_plugins
from common.config import ConfigError, load_hospital
from common.device_settings import KioskSettings
from common.passwords import hash_password
from common.wire import SERVICE_KEEP_ALIVE_S


def _load_or_exit(path: str):
    from cockpit.kpis import target_problems  # the KPI ids are the cockpit's; common/config.py cannot check them

    try:
        config = load_hospital(path)
        problems = target_problems(config.cockpit.targets)
        if problems:
            raise ConfigError(path, problems)
        return config
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
    from caller.ops.heap import SETTLED_HEAP
    from caller.ops.http_protocol import HeaderDeadlineProtocol

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "caller", "records"):
        logging.getLogger(name).addFilter(RedactTokens())
    from caller.store import StoreLocked

    if args.db.startswith(("postgresql://", "postgres://")):  # active/standby (docs/high-availability.md)
        from caller.ha import default_advertise, serving_app

        app = serving_app(config, args.db, args.advertise or default_advertise(args.host, args.port),
                          config_path=args.config, plugins=(*installed_plugins(), SETTLED_HEAP))
    else:
        try:
            app = create_app(config, args.db, config_path=args.config, plugins=(*installed_plugins(), SETTLED_HEAP))
        except StoreLocked as exc:
            print(exc, file=sys.stderr)
            return 3
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                log_config=None, timeout_keep_alive=SERVICE_KEEP_ALIVE_S, h11_max_incomplete_event_size=16 * 1024,
                loop="auto", http=HeaderDeadlineProtocol, ws=os.environ.get("CALLER_WS_IMPL", "websockets-sansio"), ws_ping_interval=5.0, ws_ping_timeout=5.0, ws_per_message_deflate=False,
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
    for device in config.devices:
        if isinstance(device.settings, KioskSettings) and device.settings.admin_pin and not device.settings.admin_pin_hash:
            print(f"注意 / warning: device {device.id!r}: settings.admin_pin is stored in plain text; "
                  f"replace it with admin_pin_hash = \"<python -m caller hash-password>\"", file=sys.stderr)
    from common.english import missing_english

    for line in missing_english(config):
        print(line, file=sys.stderr)
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


DEFAULT_CONFIG = "/etc/hospital/hospital.toml"
DEFAULT_DB = "/var/lib/hospital/hospital.db"


def _hospital_now(config_path: str | None):
    """Hospital time (the file's zone when it can be read, else the default zone)."""
    from common.clock import DEFAULT_TIMEZONE, HospitalClock

    timezone = DEFAULT_TIMEZONE
    if config_path and os.path.exists(config_path):
        try:
            timezone = load_hospital(config_path).hospital.timezone
        except ConfigError:
            pass
    return HospitalClock(timezone)()


def reload_cmd(args: argparse.Namespace) -> int:
    from client.http import CallerClient, CallerError
    from client.tokens import token_from_args

    try:
        with CallerClient(args.service, token_from_args(args), timeout=30) as client:
            answer = client.request("POST", "/admin/reload")
    except CallerError as exc:
        print(f"{exc.message_zh}\n{exc.message_en}", file=sys.stderr)
        return 2
    print(f"已重新加载 / reloaded {answer.get('source')}: {answer.get('changes') or 'no changes'}")
    return 0


def _refuse_postgres(db: str, what: str) -> bool:
    from caller.store import is_postgres_url

    if is_postgres_url(db):
        print(f"`caller {what}` 只用于 SQLite 数据库文件；PostgreSQL 请用 pg_dump / pg_basebackup（见 docs/high-availability.md）。\n"
              f"`caller {what}` is for a SQLite database file; back up PostgreSQL with pg_dump or pg_basebackup "
              "(docs/high-availability.md).", file=sys.stderr)
        return True
    return False


def backup_cmd(args: argparse.Namespace) -> int:
    from caller.ops.backup import BackupError, backup

    if _refuse_postgres(args.db, "backup"):
        return 2
    try:
        result = backup(args.db, args.dir, _hospital_now(args.config), daily=args.daily, monthly=args.monthly)
    except (BackupError, OSError) as exc:
        print(f"备份失败 / backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"备份完成 / backup ok: {result.path} ({result.bytes / 1e6:.1f} MB, {result.seconds:.1f} s, "
          f"integrity ok); removed by retention: {len(result.removed)}")
    return 0


def restore_cmd(args: argparse.Namespace) -> int:
    from caller.ops.backup import BackupError, restore

    if _refuse_postgres(args.db, "restore"):
        return 2
    try:
        aside = restore(args.file, args.db, _hospital_now(args.config))
    except (BackupError, OSError) as exc:
        print(f"恢复失败 / restore refused: {exc}", file=sys.stderr)
        return 1
    print(f"已恢复 / restored {args.file} -> {args.db}" + (f" (previous database kept as {aside})" if aside else ""))
    print("现在可以启动服务 / now start the service: systemctl start hospital-service")
    return 0


def new_device_cmd(args: argparse.Namespace) -> int:
    from pathlib import Path

    from caller.ops.devices import add_device, install_snippet, write_atomically

    path = Path(args.config)
    try:
        device = add_device(path.read_text(encoding="utf-8"), args.role, area=args.area, room=args.room,
                            device_id=args.id, name=args.name or "", source=str(path))
    except (ConfigError, ValueError, OSError) as exc:
        print(f"未添加 / not added: {exc}", file=sys.stderr)
        return 2
    write_atomically(path, device.text)
    print(f"已添加设备 / added device {device.id} ({device.role}) to {path}")
    print(install_snippet(device, args.role, args.service))
    if args.certificates:  # a client certificate for the reverse proxy's ssl_verify_client (docs/operations.md)
        from caller.ops.certificates import issue_device_certificate

        cert, key = issue_device_certificate(Path(args.certificates), device.id, args.role)
        print(f"设备证书 / device certificate: {cert} (key {key}: copy both to the device, then delete the key here)")
    return 0


def rotate_token_cmd(args: argparse.Namespace) -> int:
    from pathlib import Path

    from caller.ops.devices import rotate_token, write_atomically

    path = Path(args.config)
    try:
        text, token = rotate_token(path.read_text(encoding="utf-8"), args.device, source=str(path))
    except (ConfigError, ValueError, OSError) as exc:
        print(f"未更换 / not rotated: {exc}", file=sys.stderr)
        return 2
    write_atomically(path, text)
    print(f"已更换 {args.device} 的令牌 / new token for {args.device} written to {path}")
    print(f"printf '%s' '{token}' > /etc/hospital/credentials/<role>.token   # on the device, then restart its unit")
    print("python -m caller reload   # on the service machine: the old token stops working now")
    return 0


def install_unit_cmd(args: argparse.Namespace) -> int:
    import shlex
    import shutil
    import subprocess
    from pathlib import Path

    from caller.ops.units import ROLES, UnitOptions, render_backup_units, render_unit, unit_name

    options = UnitOptions(app_dir=args.app_dir, config=args.config, db=args.db, service_url=args.service,
                          port=args.port, user=args.user or "", token_file=args.token_file or "",
                          extra_args=tuple(shlex.split(args.extra)), backup_dir=args.backup_dir)
    units = render_backup_units(options) if args.role == "backup" else {unit_name(args.role): render_unit(args.role, options)}
    if args.print:
        for name, text in units.items():
            print(f"# ---- {name}\n{text}")
        return 0
    target = Path(args.unit_dir)
    target.mkdir(parents=True, exist_ok=True)
    for name, text in units.items():
        (target / name).write_text(text, encoding="utf-8")
        print(f"wrote {target / name}")
    if args.role in ROLES and args.role != "service":
        print(f"put this device's token in {options.token_for(args.role)} (chmod 600, root) before starting")
    if shutil.which("systemctl") and target == Path("/etc/systemd/system"):
        subprocess.run(["systemctl", "daemon-reload"], check=False)
        first = next(iter(units)) if args.role != "backup" else "hospital-backup.timer"
        print(f"then: systemctl enable --now {first}")
    return 0


def access_matrix(args: argparse.Namespace) -> int:
    """Print (or write into docs/security.md) the route x principal table generated from the access rules."""
    from pathlib import Path

    from caller.api.access import matrix_markdown, replace_matrix
    from caller.api.app import create_app
    from common.config import DEMO_CONFIG

    table = matrix_markdown(create_app(load_hospital(DEMO_CONFIG), ":memory:", plugins=installed_plugins()))
    if args.write:
        path = Path(args.write)
        path.write_text(replace_matrix(path.read_text(encoding="utf-8"), table), encoding="utf-8")
    else:
        print(table)
    return 0


def events_doc(args: argparse.Namespace) -> int:
    """Print (or write into docs/events.md) the event examples and field tables made from common/wire.py."""
    from pathlib import Path

    from caller.events_doc import EXAMPLES, block, render

    if args.write:
        path = Path(args.write)
        path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        for name in EXAMPLES:
            print(f"<!-- wire:{name} -->\n{block(name)}<!-- /wire:{name} -->\n")
    return 0


def rollups_cmd(args: argparse.Namespace) -> int:
    """Recompute the cockpit's daily rollups from the stored history (the service may keep running)."""
    from caller.store import plain_connection
    from cockpit import rollups

    conn = plain_connection(args.db)
    rollups.create(conn)
    count = rollups.rebuild(conn)
    conn.close()
    print(f"OK: rollups rebuilt from {count} visits / 已按 {count} 条就诊记录重建统计")
    return 0


def simulate_cmd(args: argparse.Namespace) -> int:
    """Replay a stored (or synthetic) day through the real engine with changed rules or rooms."""
    import sqlite3
    from datetime import date

    from caller import simulate
    from caller.store import is_postgres_url, plain_connection

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
        conn = plain_connection(args.db) if is_postgres_url(args.db) else sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
        arrivals, happened = simulate.stored_day(conn, args.day, config)
        conn.close()
        if not arrivals:
            print(f"{args.day} 没有就诊记录 / no visits stored for {args.day}", file=sys.stderr)
            return 1
    rooms = happened.rooms if happened is not None and happened.rooms else None
    rows = simulate.compare(happened, simulate.replay(config, day, arrivals, rooms=rooms),
                            simulate.replay(changed, day, arrivals, rooms=rooms and rooms + (args.open_room or [])))
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
    p.add_argument("--db", required=True, help="SQLite database file (created when missing), or a PostgreSQL URL "
                   "postgresql://user@host/database (docs/high-availability.md)")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8700)
    p.add_argument("--advertise", metavar="URL",
                   help="with a postgresql:// --db: this process's address as the clients reach it, named by the "
                        "standbys (default http://<this machine's name>:<port>)")
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
    p = sub.add_parser("reload", help="re-read the hospital file in the running service (admin token)")
    p.add_argument("--service", default="http://127.0.0.1:8700")
    from client.tokens import add_token_arguments

    add_token_arguments(p)
    p.set_defaults(fn=reload_cmd)
    p = sub.add_parser("backup", help="online backup of the database into DIR (checked, with retention)")
    p.add_argument("dir")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--config", default=DEFAULT_CONFIG, help="hospital file (its time zone names the backup)")
    p.add_argument("--daily", type=int, default=14, help="keep the newest backup of each of the last N days")
    p.add_argument("--monthly", type=int, default=12, help="and of each of the last M months")
    p.set_defaults(fn=backup_cmd)
    p = sub.add_parser("restore", help="put a backup in place of the database (the service must be stopped)")
    p.add_argument("file")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.set_defaults(fn=restore_cmd)
    p = sub.add_parser("new-device", help="add a device with a fresh token to the hospital file")
    p.add_argument("role", choices=("kiosk", "console", "wall", "door", "speaker", "admin", "monitor"))
    p.add_argument("--area")
    p.add_argument("--room")
    p.add_argument("--id")
    p.add_argument("--name")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--service", default="http://SERVICE:8700", help="the service URL for the install snippet")
    p.add_argument("--certificates", metavar="DIR", help="also issue a client certificate, signed by the CA kept "
                   "in DIR (made on first use), e.g. /var/lib/hospital/ca")
    p.set_defaults(fn=new_device_cmd)
    p = sub.add_parser("rotate-token", help="give a device a fresh token in the hospital file")
    p.add_argument("device")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.set_defaults(fn=rotate_token_cmd)
    p = sub.add_parser("install-unit", help="write the systemd unit of a role (or the backup timer)")
    p.add_argument("role", choices=("service", "kiosk", "console", "wall", "door", "speaker", "backup"))
    p.add_argument("--print", action="store_true", help="print instead of writing")
    p.add_argument("--unit-dir", default="/etc/systemd/system")
    p.add_argument("--app-dir", default=str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--service", default="http://SERVICE:8700")
    p.add_argument("--port", type=int, default=8700)
    p.add_argument("--user")
    p.add_argument("--token-file", help="default /etc/hospital/credentials/ROLE.token")
    p.add_argument("--backup-dir", default="/var/backups/hospital")
    p.add_argument("--args", dest="extra", default="",
                   help="more arguments for the program, one string (kiosk: '--reader /dev/idcard --printer ...')")
    p.set_defaults(fn=install_unit_cmd)
    p = sub.add_parser("access-matrix", help="print the access matrix (route x principal) from the access rules")
    p.add_argument("--write", metavar="FILE", help="replace the table in FILE (docs/security.md) instead")
    p.set_defaults(fn=access_matrix)
    p = sub.add_parser("events-doc", help="print the message examples and fields of common/wire.py (docs/events.md)")
    p.add_argument("--write", metavar="FILE",
                   help="replace the generated blocks in FILE (docs/events.md, docs/phone.md) instead")
    p.set_defaults(fn=events_doc)
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
