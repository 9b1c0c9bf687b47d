"""systemd's notification protocol (sd_notify), without a library: one datagram to $NOTIFY_SOCKET.

The service says READY=1 once it listens, then WATCHDOG=1 every half of $WATCHDOG_USEC while its event loop turns
and its store answers; systemd restarts it when the pings stop (``WatchdogSec=`` in the unit). Outside systemd
(no NOTIFY_SOCKET) every call does nothing.
"""
from __future__ import annotations

import os
import socket


def notify(message: str, environ: dict[str, str] | None = None) -> bool:
    """Send one notification ("READY=1", "WATCHDOG=1", "RELOADING=1", "STATUS=..."); False outside systemd."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall(message.encode())
        except OSError:
            return False
    return True


def watchdog_interval(environ: dict[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of what systemd allows), or None when no watchdog is set."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) <= 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000
