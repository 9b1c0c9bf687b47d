"""The device end of a simulated serial link: a pty (with a stable symlink) or a TCP server.

The host side opens `port.url` with `serial.serial_for_url`. Bytes from the host are handed to
`on_data` in the port's own thread; `write()` sends bytes to the host from any thread.

Unplug / replug on a pty: unplug removes the symlink and closes both ends, so the host's next
read or write fails (EIO) and re-opening the symlink fails (no such file) until replug creates a
fresh pty and points the same symlink at it.
"""
from __future__ import annotations

import os
import select
import socket
import tempfile
import threading
import time
import tty
from typing import Callable

OnData = Callable[[bytes], None]
WRITE_TIMEOUT = 1.0


class _PortThread:
    """Common plumbing: a reader thread woken by a pipe, started on plug, joined on unplug."""

    def __init__(self, on_data: OnData) -> None:
        self._on_data = on_data
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake_r = self._wake_w = -1

    @property
    def plugged(self) -> bool:
        return self._thread is not None

    def _start_thread(self) -> None:
        self._stop.clear()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def _stop_thread(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        os.write(self._wake_w, b"x")
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        os.close(self._wake_r)
        os.close(self._wake_w)

    def pause(self, seconds: float) -> bool:
        """Sleep in the port thread; True if the port is being unplugged meanwhile."""
        return self._stop.wait(seconds)

    def _run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _deliver(self, data: bytes) -> None:
        if data:
            self._on_data(data)


def _write_all(fd: int, data: bytes, stop: threading.Event) -> bool:
    """Write everything to a non-blocking fd; False if the peer stopped reading for too long."""
    view = memoryview(data)
    deadline = time.monotonic() + WRITE_TIMEOUT
    while view and not stop.is_set():
        try:
            written = os.write(fd, view)
            view = view[written:]
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            select.select([], [fd], [], 0.05)
    return not view


class PtyPort(_PortThread):
    """A pseudo-terminal; the host opens `port_path`, a symlink that survives unplug/replug."""

    def __init__(self, on_data: OnData, link_path: str | None = None) -> None:
        super().__init__(on_data)
        self._own_dir = None if link_path else tempfile.mkdtemp(prefix="simport-")
        self.port_path = link_path or os.path.join(self._own_dir or "", "ttySIM0")
        self._master = self._slave = -1

    @property
    def url(self) -> str:
        return self.port_path

    def start(self) -> None:
        self.replug()

    def replug(self) -> None:
        if self.plugged:
            return
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)          # no echo, no CR/LF translation before the host configures it
        os.set_blocking(self._master, False)
        tmp = f"{self.port_path}.{os.getpid()}.tmp"
        os.symlink(os.ttyname(self._slave), tmp)
        os.replace(tmp, self.port_path)  # atomic re-point of the stable path
        self._start_thread()

    def unplug(self) -> None:
        if not self.plugged:
            return
        if os.path.islink(self.port_path):
            os.unlink(self.port_path)   # first: nobody may re-open the dying pty
        self._stop_thread()
        with self._write_lock:
            os.close(self._master)
            os.close(self._slave)       # the host's open slave now reads EIO
            self._master = self._slave = -1

    def stop(self) -> None:
        self.unplug()
        if self._own_dir:
            try:
                os.rmdir(self._own_dir)
            except OSError:
                pass

    def write(self, data: bytes) -> bool:
        """Send bytes to the host; False when unplugged or the host stopped reading."""
        with self._write_lock:
            if self._master < 0:
                return False
            return _write_all(self._master, data, self._stop)

    def _run(self) -> None:
        master, wake = self._master, self._wake_r
        while not self._stop.is_set():
            ready, _, _ = select.select([master, wake], [], [])
            if wake in ready:
                return
            try:
                data = os.read(master, 65536)
            except BlockingIOError:
                continue
            except OSError:  # no slave open at the moment
                self._stop.wait(0.05)
                continue
            self._deliver(data)


class TcpPort(_PortThread):
    """A TCP server for `socket://host:port` URLs (one host at a time; a new one replaces the old)."""

    def __init__(self, on_data: OnData, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(on_data)
        self.host, self.port = host, port
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self._connected = threading.Event()

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    def start(self) -> None:
        self.replug()

    def replug(self) -> None:
        if self.plugged:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(1)
        self.port = listener.getsockname()[1]  # keep the same port across replugs
        self._listener = listener
        self._start_thread()

    def unplug(self) -> None:
        if not self.plugged:
            return
        self._stop_thread()
        with self._write_lock:
            for sock in (self._client, self._listener):
                if sock is not None:
                    sock.close()
            self._client = self._listener = None
            self._connected.clear()

    stop = unplug

    def write(self, data: bytes) -> bool:
        """Send to the connected host (waiting briefly for one that is still connecting)."""
        if self.plugged:
            self._connected.wait(WRITE_TIMEOUT)
        with self._write_lock:
            if self._client is None:
                return False
            try:
                self._client.sendall(data)
                return True
            except OSError:
                return False

    def _run(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            watched = [self._listener, self._wake_r] + ([self._client] if self._client else [])
            ready, _, _ = select.select(watched, [], [])
            if self._wake_r in ready:
                return
            if self._listener in ready:
                conn, _ = self._listener.accept()
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with self._write_lock:
                    if self._client is not None:
                        self._client.close()
                    self._client = conn
                    self._connected.set()
                continue
            client = self._client
            if client is not None and client in ready:
                try:
                    data = client.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    with self._write_lock:
                        client.close()
                        self._client = None
                        self._connected.clear()
                    continue
                self._deliver(data)


class SimulatedDevice:
    """A simulated serial device served on a pty (default; `.port_path`) or on TCP (`socket://`); `.url` is what a
    driver opens. Subclasses set up their state, then call `super().__init__(...)` with their data handler."""

    def __init__(self, on_data: Callable[[bytes], None], transport: str = "pty", *, link_path: str | None = None,
                 tcp_port: int = 0) -> None:
        if transport == "pty":
            self._port: PtyPort | TcpPort = PtyPort(on_data, link_path)
        elif transport == "tcp":
            self._port = TcpPort(on_data, port=tcp_port)
        else:
            raise ValueError(f"unknown transport {transport!r}: use 'pty' or 'tcp'")

    def start(self):
        self._port.start()
        return self

    def stop(self) -> None:
        self._port.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._port.url

    @property
    def port_path(self) -> str:
        """Stable path of the pty (a symlink) or the socket:// URL."""
        return getattr(self._port, "port_path", self._port.url)

    @property
    def plugged(self) -> bool:
        return self._port.plugged

    def unplug(self) -> None:
        self._port.unplug()

    def replug(self) -> None:
        self._port.replug()
