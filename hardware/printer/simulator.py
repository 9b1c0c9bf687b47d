"""Printer simulators: a network printer (TCP) and a serial printer (pty) around one core.

The core accumulates bytes, answers DLE EOT status queries, splits jobs at each cut and stores every
job as job-NNN.png (drawn to scale) and job-NNN.txt (transcript). It can run out of paper, be near
the end of the roll, have its cover opened (also after N more bytes, i.e. mid-job) or go silent.

    python -m hardware.printer.simulator --tcp 9100 --out DIR [--pty] [--profile generic-80-gbk]
"""
from __future__ import annotations

import argparse
import os
import select
import socket
import socketserver
import threading
import tty
from dataclasses import dataclass, field
from pathlib import Path

from common.printer_profiles import GENERIC_80_GBK, PROFILES, PrinterProfile, profile_named

from .decode import Element, decode_for, describe, is_cut, is_status_query, scan
from .render import render_png
from .status import status_reply


@dataclass
class SimJob:
    """One printed slip (or the part printed before the printer stopped)."""

    number: int
    data: bytes = field(repr=False)
    elements: list[Element] = field(repr=False)
    interrupted: bool = False
    png: Path | None = None
    txt: Path | None = None


class SimulatedPrinter:
    """The printer's behaviour, shared by the TCP and pty front ends. Thread-safe."""

    def __init__(self, out_dir: str | Path | None = None, profile: PrinterProfile = GENERIC_80_GBK) -> None:
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.profile = profile
        self.jobs: list[SimJob] = []
        self.dropped_bytes = 0
        self.status_queries = 0
        self.paper_out = self.near_end = self.cover_open = self.silent = False
        self._pending = bytearray()
        self._job = bytearray()
        self._cover_countdown: int | None = None
        self._changed = threading.Condition()

    # -- faults -------------------------------------------------------------------------------
    def set_state(self, *, paper_out: bool | None = None, near_end: bool | None = None,
                  cover_open: bool | None = None, silent: bool | None = None) -> None:
        with self._changed:
            if paper_out is not None:
                self.paper_out = paper_out
            if near_end is not None:
                self.near_end = near_end
            if cover_open is not None:
                self.cover_open = cover_open
            if silent is not None:
                self.silent = silent

    def open_cover_after(self, print_bytes: int) -> None:
        """Open the cover once this many more bytes of print data have been accepted (mid-job)."""
        with self._changed:
            self._cover_countdown = print_bytes

    # -- data ---------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return not (self.paper_out or self.cover_open or self.silent)

    def receive(self, data: bytes) -> bytes:
        """Take bytes from the wire; return the bytes the printer answers."""
        replies = bytearray()
        with self._changed:
            self._pending += data
            pieces, end = scan(self._pending)
            del self._pending[:end]
            for piece in pieces:
                if is_status_query(piece):
                    self.status_queries += 1
                    if not self.silent:
                        replies.append(status_reply(piece[2], paper_out=self.paper_out, near_end=self.near_end,
                                                    cover_open=self.cover_open))
                elif not self.ready:
                    self.dropped_bytes += len(piece)
                else:
                    self._accept(piece)
            self._changed.notify_all()
        return bytes(replies)

    def _accept(self, piece: bytes) -> None:
        self._job += piece
        if is_cut(piece):
            self._finish_job(interrupted=False)
            return
        if self._cover_countdown is not None:
            self._cover_countdown -= len(piece)
            if self._cover_countdown <= 0:
                self._cover_countdown = None
                self.cover_open = True
                self._finish_job(interrupted=True)

    def _finish_job(self, interrupted: bool) -> None:
        data, self._job = bytes(self._job), bytearray()
        if not data.strip(b"\x1b@\n"):
            return
        job = SimJob(len(self.jobs) + 1, data, decode_for(self.profile, data), interrupted)
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            stem = self.out_dir / f"job-{job.number:03d}"
            job.png = render_png(job.elements, self.profile.dots, stem.with_suffix(".png"))
            note = "（打印中断：打印机盖被打开）\n" if interrupted else ""
            job.txt = stem.with_suffix(".txt")
            job.txt.write_text(note + describe(job.elements), encoding="utf-8")
        self.jobs.append(job)

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least count jobs are stored (True) or timeout (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.jobs) >= count, timeout)

    def wait_until(self, predicate, timeout: float = 5.0) -> bool:
        """Block until predicate(self) holds, re-checked whenever bytes arrive."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        with server.lock:
            server.connections.add(self.request)
        try:
            while True:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                reply = server.core.receive(chunk)
                if reply:
                    self.request.sendall(reply)
        except OSError:
            return
        finally:
            with server.lock:
                server.connections.discard(self.request)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, core: SimulatedPrinter) -> None:
        self.core = core
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        super().__init__(address, _Handler)


class TcpPrinterSimulator:
    """A network printer on host:port (port 0 picks a free port; see .port)."""

    def __init__(self, core: SimulatedPrinter, host: str = "127.0.0.1", port: int = 0) -> None:
        self.core = core
        self._server = _Server((host, port), core)
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="printer-sim-tcp", daemon=True)

    def start(self) -> "TcpPrinterSimulator":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        with self._server.lock:
            for conn in list(self._server.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._server.server_close()
        self._thread.join(timeout=2)

    def __enter__(self) -> "TcpPrinterSimulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class PtyPrinterSimulator:
    """A serial printer on a pseudo-terminal; open .device_path with pyserial."""

    def __init__(self, core: SimulatedPrinter) -> None:
        self.core = core
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.device_path = os.ttyname(self._slave)
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="printer-sim-pty", daemon=True)

    def _run(self) -> None:
        while True:
            readable, _, _ = select.select([self._master, self._wake_r], [], [])
            if self._wake_r in readable:
                return
            try:
                chunk = os.read(self._master, 4096)
            except OSError:
                return
            reply = self.core.receive(chunk)
            if reply:
                os.write(self._master, reply)

    def start(self) -> "PtyPrinterSimulator":
        self._thread.start()
        return self

    def stop(self) -> None:
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=2)
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            os.close(fd)

    def __enter__(self) -> "PtyPrinterSimulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.printer.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--tcp", type=int, metavar="PORT", help="listen on 127.0.0.1:PORT (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--pty", action="store_true", help="also offer a serial printer on a pseudo-terminal")
    parser.add_argument("--out", required=True, help="folder for job-NNN.png / job-NNN.txt")
    parser.add_argument("--profile", default=GENERIC_80_GBK.name, choices=sorted(PROFILES))
    parser.add_argument("--paper-out", action="store_true")
    parser.add_argument("--near-end", action="store_true")
    parser.add_argument("--cover-open", action="store_true")
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args(argv)
    if args.tcp is None and not args.pty:
        parser.error("give --tcp PORT and/or --pty")
    core = SimulatedPrinter(args.out, profile_named(args.profile))
    core.set_state(paper_out=args.paper_out, near_end=args.near_end, cover_open=args.cover_open, silent=args.silent)
    running = []
    if args.tcp is not None:
        tcp = TcpPrinterSimulator(core, args.host, args.tcp).start()
        running.append(tcp)
        print(f"打印机模拟器 TCP {tcp.host}:{tcp.port} -> {args.out}", flush=True)
    if args.pty:
        pty_sim = PtyPrinterSimulator(core).start()
        running.append(pty_sim)
        print(f"打印机模拟器 串口 {pty_sim.device_path} -> {args.out}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for sim in running:
            sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
