"""Transports: how bytes reach a printer and how its real-time status comes back.

Every transport offers write(bytes), status(timeout) -> PrinterStatus and close(). Silence within the
timeout is PrinterStatus.unknown(), never "ready" (python-escpos reports OK on silence; we do not).
"""
from __future__ import annotations

import logging
import socket
import time
from typing import Callable, Protocol

import serial

from .commands import STATUS_OFFLINE_CAUSE, STATUS_PAPER, STATUS_PRINTER, status_query
from .status import PrinterStatus, parse_status

log = logging.getLogger(__name__)

STATUS_QUERIES = (STATUS_PRINTER, STATUS_OFFLINE_CAUSE, STATUS_PAPER)


class Transport(Protocol):
    def write(self, data: bytes) -> None:
        """Send bytes; raises OSError (serial.SerialException is one) when the link fails."""

    def status(self, timeout: float | None = None) -> PrinterStatus:
        """Ask DLE EOT 1, 2, 4; unknown when the printer does not answer in time."""

    def close(self) -> None: ...


def query_status(send: Callable[[bytes], None], read_byte: Callable[[float], int | None], timeout: float) -> PrinterStatus:
    """Ask the three real-time statuses one after the other within timeout seconds in all."""
    deadline = time.monotonic() + timeout
    replies: list[int | None] = []
    for n in STATUS_QUERIES:
        send(status_query(n))
        remaining = deadline - time.monotonic()
        reply = read_byte(remaining) if remaining > 0 else None
        if reply is None:
            return PrinterStatus.unknown()
        replies.append(reply)
    return parse_status(*replies)


class SerialTransport:
    """A serial printer through pyserial's serial_for_url, so ptys, socket:// and loop:// work too."""

    def __init__(self, url: str | None = None, *, baudrate: int = 9600, timeout: float = 1.0,
                 write_timeout: float | None = 60.0, port: serial.SerialBase | None = None, **serial_options) -> None:
        if port is None:
            if url is None:
                raise ValueError("give a port URL or an open port")
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout, write_timeout=write_timeout,
                                         **serial_options)
        self.port = port
        self.timeout = timeout

    @classmethod
    def from_port(cls, port: serial.SerialBase, timeout: float = 1.0) -> "SerialTransport":
        """Wrap a port someone else opened."""
        return cls(port=port, timeout=timeout)

    def write(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()

    def _read_byte(self, timeout: float) -> int | None:
        self.port.timeout = timeout
        reply = self.port.read(1)
        return reply[0] if reply else None

    def status(self, timeout: float | None = None) -> PrinterStatus:
        try:
            self.port.reset_input_buffer()  # a late answer to an earlier query must not be taken for this one
            return query_status(self.write, self._read_byte, self.timeout if timeout is None else timeout)
        except (OSError, serial.SerialException):
            return PrinterStatus.unknown()

    def close(self) -> None:
        self.port.close()


class TcpTransport:
    """A network printer on raw TCP port 9100. Connects on first use and again after a failure."""

    def __init__(self, host: str, port: int = 9100, *, timeout: float = 1.0, connect_timeout: float = 3.0,
                 write_timeout: float = 30.0) -> None:
        self.host, self.port = host, port
        self.timeout, self.connect_timeout, self.write_timeout = timeout, connect_timeout, write_timeout
        self._sock: socket.socket | None = None

    def _connected(self) -> socket.socket:
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._sock

    def _drop(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def write(self, data: bytes) -> None:
        sock = self._connected()
        try:
            sock.settimeout(self.write_timeout)
            sock.sendall(data)
        except OSError:
            self._drop()
            raise

    def _drain(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        try:
            while sock.recv(256):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            sock.setblocking(True)

    def status(self, timeout: float | None = None) -> PrinterStatus:
        try:
            sock = self._connected()
            self._drain(sock)
            sock.settimeout(self.timeout if timeout is None else timeout)  # bounds the sends too

            def read_byte(remaining: float) -> int | None:
                sock.settimeout(remaining)
                try:
                    reply = sock.recv(1)
                except socket.timeout:
                    return None
                return reply[0] if reply else None

            return query_status(sock.sendall, read_byte, self.timeout if timeout is None else timeout)
        except OSError:
            self._drop()
            return PrinterStatus.unknown()

    def close(self) -> None:
        self._drop()


class EscposTransport:
    """Bytes through a python-escpos printer object (Usb, File, Dummy, ...): only its raw byte path is used.

    Status needs a device that can read (Usb); others report unknown.
    """

    def __init__(self, device) -> None:
        self.device = device

    def write(self, data: bytes) -> None:
        try:
            self.device._raw(data)
        except OSError:
            raise
        except Exception as exc:  # python-escpos and pyusb raise their own exception types
            raise OSError(f"printer write failed: {exc}") from exc

    def status(self, timeout: float | None = None) -> PrinterStatus:
        replies = []
        try:
            for n in STATUS_QUERIES:
                self.device._raw(status_query(n))
                reply = bytes(self.device._read())
                if not reply:
                    return PrinterStatus.unknown()
                replies.append(reply[-1])
        except Exception as exc:  # noqa: BLE001 - NotImplementedError (no read path), USB timeouts, unplugged device
            log.debug("printer status not read: %s", exc)
            return PrinterStatus.unknown()
        return parse_status(*replies)

    def close(self) -> None:
        self.device.close()


def usb_transport(id_vendor: int, id_product: int, **usb_options) -> EscposTransport:
    """A USB printer through python-escpos (needs pyusb and access to the device)."""
    from escpos.printer import Usb  # noqa: PLC0415 - a heavy library, loaded only when this runs

    return EscposTransport(Usb(id_vendor, id_product, **usb_options))


def file_transport(path: str) -> EscposTransport:
    """A printer device file (/dev/usb/lp0) or any file, through python-escpos."""
    from escpos.printer import File  # noqa: PLC0415 - a heavy library, loaded only when this runs

    return EscposTransport(File(path))
