"""systemd units for each role of a machine (pure: text in, text out; installing is in caller.__main__).

    python -m caller install-unit service|kiosk|console|wall|door|speaker [--print] [options]

Every unit: ``Restart=always``, output to the journal (``journalctl -u hospital-ROLE``), the device token handed
over as the systemd credential ``token`` (``LoadCredential=``, read by :mod:`client.tokens`), never on a command
line. The service has a watchdog (``Type=notify``, ``WatchdogSec=``: it pings while its loop and database answer)
and reloads its hospital file on ``systemctl reload``. Screens (kiosk, console, wall, door) run full screen inside
``cage``, a Wayland kiosk compositor, on their own virtual terminal as a locked-down user: no desktop, no
panel, and without ``cage -s`` no Ctrl+Alt+F1..F12 to switch away.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field

ROLES = ("service", "kiosk", "console", "wall", "door", "speaker")
SCREEN_ROLES = ("kiosk", "console", "wall", "door")
TIMER_NAME = "hospital-backup"


@dataclass(frozen=True)
class UnitOptions:
    app_dir: str = "/opt/hospital-queue"          # the repository, with its .venv
    config: str = "/etc/hospital/hospital.toml"
    db: str = "/var/lib/hospital/hospital.db"
    service_url: str = "http://SERVICE:8700"
    port: int = 8700
    user: str = ""                                # default: hospital (service, speaker) or kiosk (screens)
    token_file: str = ""                          # default: /etc/hospital/credentials/<role>.token
    tty: int = 7                                  # the virtual terminal a screen role takes
    extra_args: tuple[str, ...] = field(default_factory=tuple)  # e.g. kiosk devices: --reader /dev/idcard ...
    backup_dir: str = "/var/backups/hospital"
    watchdog_s: int = 30

    def user_for(self, role: str) -> str:
        return self.user or ("kiosk" if role in SCREEN_ROLES else "hospital")

    def token_for(self, role: str) -> str:
        return self.token_file or f"/etc/hospital/credentials/{role}.token"


def unit_name(role: str) -> str:
    return f"hospital-{role}.service"


def _python(o: UnitOptions) -> str:
    return f"{o.app_dir}/.venv/bin/python"


def _command(role: str, o: UnitOptions) -> list[str]:
    py = _python(o)
    if role == "service":
        return [py, "-m", "caller", "serve", "--config", o.config, "--db", o.db, "--host", "0.0.0.0",
                "--port", str(o.port), *o.extra_args]  # e.g. --advertise http://10.0.0.5:8700 (active/standby)
    if role == "kiosk":
        return [py, "-m", "kiosk", "--service", o.service_url, "--fullscreen", *o.extra_args]
    if role == "console":
        return [py, "-m", "caller_console", "--service", o.service_url, *o.extra_args]
    if role in ("wall", "door", "speaker"):
        return [py, "-m", "display", role, "--service", o.service_url, *o.extra_args]
    raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")


def _exec(args: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in args)


SERVICE_FILES = 65536  # LimitNOFILE of the service: a connection is a file; phones and screens hold many
DEVICE_FILES = 4096    # LimitNOFILE of a kiosk, screen, speaker or the backup

HARDENING = """NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
"""


def render_unit(role: str, o: UnitOptions = UnitOptions()) -> str:
    """The unit file text of one role."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    user = o.user_for(role)
    head = f"""# Installed by: python -m caller install-unit {role}   (docs/operations.md)
[Unit]
Description=Hospital queue system: {role} ({_ZH[role]})
"""
    if role == "service":
        return head + f"""After=network-online.target
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=main
User={user}
Group={user}
WorkingDirectory={o.app_dir}
ExecStart={_exec(_command(role, o))}
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
RestartSec=2
WatchdogSec={o.watchdog_s}
TimeoutStopSec=15
LimitNOFILE={SERVICE_FILES}
StateDirectory=hospital
StateDirectoryMode=0750
ReadWritePaths={_parent(o.db)} {o.backup_dir}
StandardOutput=journal
StandardError=journal
SyslogIdentifier=hospital-service
{HARDENING}
[Install]
WantedBy=multi-user.target
"""
    credential = f"LoadCredential=token:{o.token_for(role)}"
    if role == "speaker":
        return head + f"""After=network-online.target sound.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={user}
SupplementaryGroups=audio
WorkingDirectory={o.app_dir}
{credential}
ExecStart={_exec(_command(role, o))}
Restart=always
RestartSec=2
LimitNOFILE={DEVICE_FILES}
StateDirectory=hospital-speaker
Environment=HOME=/var/lib/hospital-speaker
StandardOutput=journal
StandardError=journal
SyslogIdentifier=hospital-speaker
{HARDENING}
[Install]
WantedBy=multi-user.target
"""
    # a screen: cage on its own VT, as a locked-down user, full screen; no VT switching (no `cage -s`)
    cage = ["/usr/bin/cage", "-d", "--", *_command(role, o)]
    return head + f"""After=systemd-user-sessions.service plymouth-quit-wait.service network-online.target
Wants=network-online.target dbus.socket systemd-logind.service
After=dbus.socket systemd-logind.service
ConditionPathExists=/dev/tty0
Conflicts=getty@tty{o.tty}.service
After=getty@tty{o.tty}.service

[Service]
Type=simple
User={user}
PAMName=login
TTYPath=/dev/tty{o.tty}
TTYReset=yes
TTYVHangup=yes
TTYVTDisallocate=yes
StandardInput=tty-fail
UtmpIdentifier=tty{o.tty}
UtmpMode=user
WorkingDirectory={o.app_dir}
{credential}
Environment=QT_QPA_PLATFORM=wayland XDG_SESSION_TYPE=wayland WLR_LIBINPUT_NO_DEVICES=1
ExecStart={_exec(cage)}
ExecStartPost=+/bin/sh -c "chvt {o.tty} 2>/dev/null || true"
Restart=always
RestartSec=2
LimitNOFILE={DEVICE_FILES}
StandardOutput=journal
StandardError=journal
SyslogIdentifier=hospital-{role}

[Install]
WantedBy=graphical.target
"""


def render_backup_units(o: UnitOptions = UnitOptions(), *, daily: int = 14, monthly: int = 12) -> dict[str, str]:
    """hospital-backup.service + .timer: an online backup every night at 02:30 (and at boot if one was missed)."""
    command = [_python(o), "-m", "caller", "backup", o.backup_dir, "--db", o.db, "--daily", str(daily),
               "--monthly", str(monthly)]
    return {
        f"{TIMER_NAME}.service": f"""# Installed by: python -m caller install-unit backup   (docs/operations.md)
[Unit]
Description=Hospital queue system: online backup of the database (数据库备份)

[Service]
Type=oneshot
User={o.user_for('service')}
Group={o.user_for('service')}
WorkingDirectory={o.app_dir}
ExecStart={_exec(command)}
ReadWritePaths={o.backup_dir} {_parent(o.db)}
Nice=10
IOSchedulingClass=idle
LimitNOFILE={DEVICE_FILES}
StandardOutput=journal
StandardError=journal
SyslogIdentifier=hospital-backup
{HARDENING}""",
        f"{TIMER_NAME}.timer": """[Unit]
Description=Nightly backup of the hospital queue database

[Timer]
OnCalendar=*-*-* 02:30:00
Persistent=true
RandomizedDelaySec=5min

[Install]
WantedBy=timers.target
""",
    }


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


_ZH = {"service": "叫号服务", "kiosk": "自助机", "console": "护士叫号台", "wall": "诊区大屏", "door": "诊室门口屏",
       "speaker": "语音播报"}


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values]}} (keys may repeat), for checks and tests."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        if current is None or "=" not in line:
            raise ValueError(f"not a unit file line: {raw!r}")
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections
