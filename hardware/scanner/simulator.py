"""A serial scanner on a pty (default) or TCP: `scan("text")` sends the code as the device would.

Run standalone: python -m hardware.scanner.simulator   (prints the port path; each line typed on
stdin is then "scanned").
"""
from __future__ import annotations

import argparse
import sys

from hardware.idcard.sim_ports import SimulatedDevice
from hardware.scanner.lines import TERMINATORS, encode_line


class ScannerSimulator(SimulatedDevice):
    def __init__(self, transport: str = "pty", *, terminator: str = "\r", link_path: str | None = None,
                 tcp_port: int = 0, encoding: str = "utf-8") -> None:
        self.terminator, self.encoding = terminator, encoding
        super().__init__(self._ignore, transport, link_path=link_path, tcp_port=tcp_port)

    @staticmethod
    def _ignore(_data: bytes) -> None:
        """Scanners take no commands here."""

    def scan(self, text: str, terminator: str | None = None, fragment: int = 0) -> bool:
        """Send one code (in pieces of `fragment` bytes if given). False when unplugged."""
        wire = encode_line(text, self.terminator if terminator is None else terminator, self.encoding)
        size = fragment or len(wire)
        return all(self._port.write(wire[i:i + size]) for i in range(0, len(wire), size))

    def send_raw(self, data: bytes) -> bool:
        return self._port.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Simulated serial QR/barcode scanner")
    parser.add_argument("--tcp", type=int, metavar="PORT", help="serve socket://127.0.0.1:PORT instead of a pty")
    parser.add_argument("--terminator", choices=list(TERMINATORS), default="CR")
    args = parser.parse_args(argv)
    sim = ScannerSimulator("tcp" if args.tcp is not None else "pty", tcp_port=args.tcp or 0,
                           terminator=TERMINATORS[args.terminator])
    sim.start()
    print(sim.port_path, flush=True)
    try:
        for line in sys.stdin:
            if line.strip():
                sim.scan(line.strip())
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
