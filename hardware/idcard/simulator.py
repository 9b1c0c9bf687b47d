"""A scripted GA 467 card reader that speaks the real protocol on a pty or a TCP port.

    sim = CardReaderSimulator()            # or CardReaderSimulator(transport="tcp")
    sim.start(); reader = CardReader(sim.url)
    sim.place_card(demo_card()); sim.remove_card()
    sim.set_status(0x60)                   # SAM self-test failure for every command
    sim.corrupt_next(); sim.set_fragments(7); sim.set_noise(b"\\x00\\x13"); sim.set_delay(0.2)
    sim.set_silent()                       # a hung SAM: requests get no answer
    sim.unplug(); sim.replug()

Run standalone: python -m hardware.idcard.simulator [--tcp PORT] [--kind resident|J|I|Y]
"""
from __future__ import annotations

import argparse
import threading
from collections import Counter
from dataclasses import dataclass

from hardware.idcard.card import CardKind, IdCard
from hardware.idcard.codec import (
    ADDRESS_SIZE,
    Command,
    Frame,
    FrameParser,
    Rejected,
    RejectReason,
    build_response,
    card_response,
    encode_address,
)
from hardware.idcard.demo_cards import demo_card
from hardware.idcard.sim_ports import SimulatedDevice
from hardware.idcard.tables import (
    SW_CARD_FOUND,
    SW_CHECKSUM_ERROR,
    SW_COMMAND_ERROR,
    SW_LENGTH_ERROR,
    SW_NO_CARD,
    SW_READ_FAILED,
    SW_SELECT_FAILED,
    SW_SUCCESS,
)

_BAUDS = {Command.SET_BAUD_115200: 115200, Command.SET_BAUD_57600: 57600, Command.SET_BAUD_38400: 38400,
          Command.SET_BAUD_19200: 19200, Command.SET_BAUD_9600: 9600}
_READS = (Command.READ_TEXT_PHOTO, Command.READ_TEXT_PHOTO_FINGERPRINT, Command.READ_NEWEST_ADDRESS)


class SamModel:
    """What the SAM answers to each request (no I/O). Thread-safe: tests script it while it serves.

    halt_after_read mimics SAMs that answer "no card" to find once a card was read, until the
    card is taken away; reading it again directly still works.
    """

    def __init__(self, halt_after_read: bool = False) -> None:
        self._lock = threading.Lock()
        self.halt_after_read = halt_after_read
        self.card: IdCard | None = None
        self.fingerprint: bytes = b""
        self.newest_address = ""
        self.sam_id = bytes.fromhex("0500000000000000123456789A0B0C0D")[:16]
        self.baud = 115200
        self.forced_status: int | None = None
        self.forced_for: frozenset[Command] = frozenset()
        self.requests: Counter[Command] = Counter()
        self._halted = False

    def place_card(self, card: IdCard, fingerprint: bytes = b"") -> None:
        with self._lock:
            self.card, self.fingerprint, self._halted = card, fingerprint, False

    def remove_card(self) -> None:
        with self._lock:
            self.card, self._halted = None, False

    def set_status(self, sw3: int | None, *commands: Command) -> None:
        """Answer every command (or only the named ones) with this SW3; None to clear."""
        with self._lock:
            self.forced_status, self.forced_for = sw3, frozenset(commands)

    def respond_to(self, event: Frame | Rejected) -> bytes | None:
        """The reply frame for one parsed request (None: a real SAM stays silent)."""
        if isinstance(event, Rejected):
            if event.reason is RejectReason.BAD_CHECKSUM:
                return build_response(SW_CHECKSUM_ERROR)
            if event.reason is RejectReason.BAD_LENGTH:
                return build_response(SW_LENGTH_ERROR)
            return None
        with self._lock:
            command = event.command
            if command is None:
                return build_response(SW_COMMAND_ERROR)
            self.requests[command] += 1
            if self.forced_status is not None and (not self.forced_for or command in self.forced_for):
                return build_response(self.forced_status)
            return self._answer(command)

    def _answer(self, command: Command) -> bytes:
        card = self.card
        if command is Command.FIND_CARD:
            if card is None or self._halted:
                return build_response(SW_NO_CARD)
            return build_response(SW_CARD_FOUND, bytes(4))
        if command is Command.SELECT_CARD:
            return build_response(SW_SUCCESS, bytes(8)) if card else build_response(SW_SELECT_FAILED)
        if command in _READS and card is None:
            return build_response(SW_READ_FAILED)
        if command is Command.READ_TEXT_PHOTO:
            self._halted = self.halt_after_read
            return card_response(card)  # type: ignore[arg-type]
        if command is Command.READ_TEXT_PHOTO_FINGERPRINT:
            self._halted = self.halt_after_read
            return card_response(card, self.fingerprint)  # type: ignore[arg-type]
        if command is Command.READ_NEWEST_ADDRESS:
            return build_response(SW_SUCCESS, encode_address(self.newest_address[:ADDRESS_SIZE // 2]))
        if command is Command.READ_SAM_ID:
            return build_response(SW_SUCCESS, self.sam_id)
        if command in _BAUDS:
            self.baud = _BAUDS[command]
        return build_response(SW_SUCCESS)  # reset, SAM status, set baud


@dataclass
class Delivery:
    """How replies travel back: delay, noise before the preamble, pieces, corrupted checksums."""

    delay: float = 0.0
    silent: bool = False
    noise: bytes = b""
    fragment_size: int = 0
    fragment_gap: float = 0.002
    corrupt_count: int = 0
    pace_baud: int = 0  # > 0: replies take as long as on a real line (10 bits a byte)


class CardReaderSimulator(SimulatedDevice):
    """A SamModel served on a pty (default; `.port_path`) or TCP; `.url` is what the reader opens."""

    def __init__(self, transport: str = "pty", *, link_path: str | None = None, tcp_port: int = 0,
                 halt_after_read: bool = False) -> None:
        self.model = SamModel(halt_after_read)
        self.delivery = Delivery()
        self._parser = FrameParser()
        self._delivery_lock = threading.Lock()
        super().__init__(self._on_data, transport, link_path=link_path, tcp_port=tcp_port)

    def unplug(self) -> None:
        self._port.unplug()
        self._parser.reset()

    # -- script
    def place_card(self, card: IdCard | None = None, fingerprint: bytes = b"") -> IdCard:
        card = card or demo_card()
        self.model.place_card(card, fingerprint)
        return card

    def remove_card(self) -> None:
        self.model.remove_card()

    def set_status(self, sw3: int | None, *commands: Command) -> None:
        self.model.set_status(sw3, *commands)

    def set_delay(self, seconds: float) -> None:
        with self._delivery_lock:
            self.delivery.delay = seconds

    def set_silent(self, silent: bool = True) -> None:
        """Stop answering at all (a hung SAM); requests are still counted."""
        with self._delivery_lock:
            self.delivery.silent = silent

    def set_noise(self, noise: bytes) -> None:
        with self._delivery_lock:
            self.delivery.noise = noise

    def set_fragments(self, size: int, gap: float = 0.002) -> None:
        """Send replies in pieces of `size` bytes (0: whole) with a gap between pieces."""
        with self._delivery_lock:
            self.delivery.fragment_size, self.delivery.fragment_gap = size, gap

    def set_pacing(self, baud: int) -> None:
        """Deliver replies no faster than a real 8N1 line at `baud` (0: as fast as the pty goes)."""
        with self._delivery_lock:
            self.delivery.pace_baud = baud

    def corrupt_next(self, count: int = 1) -> None:
        """Flip the checksum of the next `count` replies."""
        with self._delivery_lock:
            self.delivery.corrupt_count += count

    def request_count(self, command: Command) -> int:
        return self.model.requests[command]

    # -- serving
    def _on_data(self, data: bytes) -> None:
        for event in self._parser.feed(data):
            reply = self.model.respond_to(event)
            if reply is not None:
                self._send(reply)

    def _send(self, reply: bytes) -> None:
        with self._delivery_lock:
            d = Delivery(**vars(self.delivery))
            if self.delivery.corrupt_count:
                self.delivery.corrupt_count -= 1
        if d.silent:
            return
        if d.corrupt_count:
            reply = reply[:-1] + bytes([reply[-1] ^ 0xFF])
        if d.delay and self._port.pause(d.delay):
            return
        wire = d.noise + reply
        size = d.fragment_size or len(wire)
        for start in range(0, len(wire), size):
            if start and self._port.pause(d.fragment_gap):
                return
            piece = wire[start:start + size]
            if d.pace_baud and self._port.pause(len(piece) * 10 / d.pace_baud):
                return
            self._port.write(piece)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Simulated ID card reader (GA 467 SAM)")
    parser.add_argument("--tcp", type=int, metavar="PORT", help="serve socket://127.0.0.1:PORT instead of a pty")
    parser.add_argument("--link", help="stable path of the pty symlink")
    parser.add_argument("--kind", default="resident", choices=[k.value for k in CardKind], help="card placed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--empty", action="store_true", help="start with no card on the reader")
    args = parser.parse_args(argv)
    sim = CardReaderSimulator("tcp" if args.tcp is not None else "pty", link_path=args.link, tcp_port=args.tcp or 0)
    sim.start()
    if not args.empty:
        card = sim.place_card(demo_card(CardKind(args.kind), args.seed))
        print(f"card on the reader: {card.kind.label_zh} {card.name} {card.masked_id_number}", flush=True)
    print(sim.port_path, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
