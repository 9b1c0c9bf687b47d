"""Adding devices and rotating their tokens in the hospital file, keeping its comments and layout.

    python -m caller new-device ROLE --area NK [--room NK3] [--id ID] [--name NAME] [--config FILE]
    python -m caller rotate-token DEVICE_ID [--config FILE]

The file is edited as text (a ``[[devices]]`` block appended, one ``token = ...`` line replaced), the result is
validated as a whole before it replaces the file, and nothing else changes. A kiosk gets a fresh staff PIN, stored
only as a hash (``admin_pin_hash``); the PIN itself is printed once. Then ``python -m caller reload`` puts the
change into service without a restart.
"""
from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from common.config import HospitalConfig, hospital_from_dict
from common.passwords import hash_password

ROLE_OF = {"kiosk": "kiosk", "console": "console", "wall": "display", "door": "display", "speaker": "speaker",
           "admin": "admin", "monitor": "monitor"}


@dataclass(frozen=True)
class NewDevice:
    id: str
    role: str
    token: str
    pin: str | None  # kiosks: the staff PIN, shown once (only its hash is in the file)
    text: str        # the whole new hospital file


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _validated(text: str, source: str) -> HospitalConfig:
    return hospital_from_dict(tomllib.loads(text), source=source)


def add_device(text: str, kind: str, *, area: str | None, room: str | None = None, device_id: str | None = None,
               name: str = "", source: str = "hospital file") -> NewDevice:
    """``text`` with a new ``[[devices]]`` entry of ``kind`` (kiosk, console, wall, door, speaker, admin, monitor)."""
    if kind not in ROLE_OF:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(ROLE_OF)}")
    current = _validated(text, source)
    taken = {d.id for d in current.devices}
    if device_id is None:
        base = "-".join(x for x in (kind, (room or area or "").lower()) if x)
        n = 1
        while f"{base}-{n}" in taken:
            n += 1
        device_id = f"{base}-{n}"
    elif device_id in taken:
        raise ValueError(f"device {device_id!r} already exists: use rotate-token to give it a new token")
    token, pin = new_token(), None
    settings: list[str] = []
    if kind in ("wall", "door"):
        settings.append(f'kind = "{kind}"')
    if kind == "kiosk":
        pin = f"{secrets.randbelow(10**6):06d}"
        settings.append(f'admin_pin_hash = "{hash_password(pin)}"')
    lines = ["", "[[devices]]", f'id = "{device_id}"', f'role = "{ROLE_OF[kind]}"', f'token = "{token}"']
    if name:
        lines.append(f"name = {_toml_string(name)}")
    if area:
        lines.append(f'area = "{area}"')
    if room:
        lines.append(f'room = "{room}"')
    if settings:
        lines.append("settings = { " + ", ".join(settings) + " }")
    new_text = text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    _validated(new_text, source)  # the whole file, as the service will read it
    return NewDevice(device_id, ROLE_OF[kind], token, pin, new_text)


def rotate_token(text: str, device_id: str, *, source: str = "hospital file") -> tuple[str, str]:
    """``text`` with a fresh token for ``device_id``: (new text, new token). The old token stops at the reload."""
    _validated(text, source)
    blocks = list(re.finditer(r"^\[\[devices\]\][^\n]*\n(?:(?!\[)[^\n]*(?:\n|$))*", text, flags=re.M))
    for block in blocks:
        body = block.group(0)
        if re.search(rf'^id\s*=\s*"{re.escape(device_id)}"\s*$', body, flags=re.M):
            token = new_token()
            new_body, count = re.subn(r'^token\s*=\s*"[^"]*"', f'token = "{token}"', body, count=1, flags=re.M)
            if count != 1:
                raise ValueError(f"device {device_id!r} has no `token = \"...\"` line to replace")
            new_text = text[:block.start()] + new_body + text[block.end():]
            _validated(new_text, source)
            return new_text, token
    raise ValueError(f"no device {device_id!r} in the file")


def write_atomically(path: Path, text: str) -> None:
    """Replace the file in one step, keeping its owner and mode (the file holds every token: 0600/0640)."""
    tmp = path.with_name(f".{path.name}.new")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, mode)
    if path.exists():
        stat = path.stat()
        try:
            os.chown(tmp, stat.st_uid, stat.st_gid)
        except PermissionError:
            pass
    os.replace(tmp, path)


def install_snippet(device: NewDevice, kind: str, service_url: str) -> str:
    """What to do on the device's machine (printed by new-device)."""
    role = "service" if kind in ("admin", "monitor") else kind
    lines = [f"# {device.id} ({kind}): on its machine, as root:",
             "install -d -m 0700 /etc/hospital/credentials",
             f"printf '%s' '{device.token}' > /etc/hospital/credentials/{kind}.token",
             f"chmod 0600 /etc/hospital/credentials/{kind}.token"]
    if role != "service":
        lines.append(f"/opt/hospital-queue/.venv/bin/python -m caller install-unit {kind} --service {service_url}")
    if device.pin:
        lines.append(f"# staff PIN of this kiosk (shown only now; the file keeps its hash): {device.pin}")
    lines.append("# on the service machine: python -m caller reload   (the new entry works at once)")
    return "\n".join(lines)


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
