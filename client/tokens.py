"""Where a client (kiosk, console, wall, door, speaker, launchers) finds its device token.

Never on the command line alone: ``ps`` shows every process's arguments to every user of the machine. In order:

1. ``--token-file PATH``: a file holding the token (mode 0600 or 0400, owned by the device's user or root);
2. the environment variable ``HOSPITAL_TOKEN``;
3. ``$CREDENTIALS_DIRECTORY/token``: what systemd hands a unit with ``LoadCredential=token:/etc/hospital/...``;
4. ``--token TOKEN``: still accepted, with a warning, so old start scripts keep working until they are changed.
"""
from __future__ import annotations

import argparse
import logging
import os
import stat
from pathlib import Path
from typing import Mapping

log = logging.getLogger("client.tokens")
TOKEN_ENV = "HOSPITAL_TOKEN"
CREDENTIAL_NAME = "token"


class TokenError(SystemExit):
    """No usable token: the message says where one is looked for (Chinese first)."""

    def __init__(self, message: str):
        super().__init__(f"设备令牌有误 / device token: {message}")


def add_token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token-file", metavar="PATH",
                        help=f"file holding this device's token (default: ${TOKEN_ENV}, then "
                             f"$CREDENTIALS_DIRECTORY/{CREDENTIAL_NAME} under systemd)")
    parser.add_argument("--token", help=argparse.SUPPRESS)  # visible to `ps`: kept for old scripts, warns


def _read(path: Path, what: str) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise TokenError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not text:
        raise TokenError(f"{what} {path} is empty")
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s %s can be read by other users; chmod 600 it", what, path)
    return text


def read_token(token_file: str | None = None, token: str | None = None,
               environ: Mapping[str, str] | None = None) -> str:
    """The device token from the first place that has one (see the module docstring)."""
    env = os.environ if environ is None else environ
    if token_file:
        return _read(Path(token_file), "token file")
    if env.get(TOKEN_ENV, "").strip():
        return env[TOKEN_ENV].strip()
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / CREDENTIAL_NAME).exists():
        return _read(Path(credentials) / CREDENTIAL_NAME, "systemd credential")
    if token:
        log.warning("--token puts the token where `ps` shows it to every user: use --token-file PATH, "
                    "$%s or a systemd credential instead", TOKEN_ENV)
        return token
    raise TokenError(f"none given: use --token-file PATH, set ${TOKEN_ENV}, or run under systemd with "
                     f"LoadCredential={CREDENTIAL_NAME}:/etc/hospital/<device>.token")


def token_from_args(args: argparse.Namespace) -> str:
    return read_token(getattr(args, "token_file", None), getattr(args, "token", None))
