"""A label printer on TCP (port 9100 by default): it answers ESC ! ? status queries, decodes every label it is
sent back to its barcode content and text (tspl.decode) and draws each as label-NNN.png with a transcript.

    python -m hardware.label.simulator --tcp 9100 --out DIR
"""
from __future__ import annotations

import argparse
import socketserver
import threading
from pathlib import Path

from .render import render_png
from .tspl import STATUS_QUERY, PrintedLabel, decode


class SimulatedLabelPrinter:
    """The printer's behaviour; thread-safe. ``labels`` holds every label printed, in order."""

    def __init__(self, out_dir: str | Path | None = None):
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.labels: list[PrintedLabel] = []
        self.status_byte = 0
        self._pending = bytearray()
        self._changed = threading.Condition()

    def receive(self, data: bytes) -> bytes:
        """Take bytes from the wire; return what the printer answers (a status byte per ESC ! ?)."""
        replies = bytearray()
        with self._changed:
            self._pending += data
            while STATUS_QUERY in self._pending:
                at = self._pending.index(STATUS_QUERY)
                del self._pending[at:at + len(STATUS_QUERY)]
                replies.append(self.status_byte)
            if self.status_byte & 0b1111:  # head open, jam, paper or ribbon out: nothing prints
                self._pending.clear()
                return bytes(replies)
            end = self._pending.rfind(b"\r\n")
            job = bytes(self._pending[:end + 2]) if end >= 0 and b"PRINT" in self._pending[:end + 2] else b""
            if job:
                last = job.rfind(b"PRINT")
                cut = job.index(b"\r\n", last) + 2
                printed = decode(job[:cut])
                del self._pending[:cut]
                # the SIZE/GAP header stays valid for the next job on this connection
                self._pending[:0] = b"".join(line + b"\r\n" for line in job.split(b"\r\n")
                                             if line.startswith((b"SIZE", b"GAP")))
                for label in printed:
                    self.labels.append(label)
                    self._save(label, len(self.labels))
                self._changed.notify_all()
        return bytes(replies)

    def _save(self, label: PrintedLabel, number: int) -> None:
        if self.out_dir is None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        render_png(label, self.out_dir / f"label-{number:03d}.png")
        lines = [f"barcode {c}" for *_, c in label.barcodes] + [label.text, f"copies {label.copies}"]
        (self.out_dir / f"label-{number:03d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def wait_labels(self, count: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.labels) >= count, timeout)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        printer: SimulatedLabelPrinter = self.server.printer  # type: ignore[attr-defined]
        while True:
            data = self.request.recv(4096)
            if not data:
                return
            reply = printer.receive(data)
            if reply:
                self.request.sendall(reply)


class LabelPrinterServer(socketserver.ThreadingTCPServer):
    """``with LabelPrinterServer(printer) as server: server.port``: the simulator on 127.0.0.1, a free port."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, printer: SimulatedLabelPrinter, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.printer = printer
        self._thread = threading.Thread(target=self.serve_forever, name="label-printer", daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self) -> "LabelPrinterServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description="A simulated TSPL label printer")
    parser.add_argument("--tcp", type=int, default=9100)
    parser.add_argument("--out", default="out/labels")
    args = parser.parse_args()
    printer = SimulatedLabelPrinter(args.out)
    with LabelPrinterServer(printer, args.tcp) as server:
        print(f"label printer on 127.0.0.1:{server.port}, labels in {args.out}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
