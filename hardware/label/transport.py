"""How label bytes reach the printer: TCP port 9100 (network label printers) or a device file (USB printer class,
/dev/usb/lp0). ``status()`` asks ESC ! ? and waits for one byte; silence is unknown, never ready."""
from __future__ import annotations

import socket
from pathlib import Path

from .tspl import STATUS_QUERY, LabelStatus, parse_status


class TcpLabelTransport:
    def __init__(self, host: str, port: int = 9100, timeout: float = 3.0):
        self.address = (host, port)
        self.timeout = timeout
        self._sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        if self._sock is None:
            self._sock = socket.create_connection(self.address, timeout=self.timeout)
        return self._sock

    def write(self, data: bytes) -> None:
        try:
            self._connect().sendall(data)
        except OSError:
            self.close()
            raise

    def status(self, timeout: float | None = None) -> LabelStatus:
        try:
            sock = self._connect()
            sock.sendall(STATUS_QUERY)
            sock.settimeout(timeout if timeout is not None else self.timeout)
            reply = sock.recv(1)
        except OSError:
            self.close()
            return LabelStatus.unknown()
        return parse_status(reply[0]) if reply else LabelStatus.unknown()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class FileLabelTransport:
    """A device file (or any file): write only, so the status is always unknown."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def write(self, data: bytes) -> None:
        with open(self.path, "ab") as handle:
            handle.write(data)

    def status(self, timeout: float | None = None) -> LabelStatus:
        return LabelStatus.unknown()

    def close(self) -> None:
        pass
