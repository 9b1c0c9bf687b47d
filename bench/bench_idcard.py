"""ID card read through the pty simulator: find/select/read of a resident card at 115200 baud.

median_ms: our stack end to end (codec, pyserial, pty) with the simulator answering at once;
wire_ms:   the time the same bytes take on a real 115200 8N1 line (10 bits a byte);
ratio:     median_ms / wire_ms (below 1: a real reader is bound by the line, not by us).
paced_median_ms: the same read with the simulator holding each reply for its line time.
"""
from __future__ import annotations

import statistics
import time

from hardware.idcard.card import CardKind
from hardware.idcard.codec import Command, build_request, build_response, card_response
from hardware.idcard.demo_cards import demo_card
from hardware.idcard.reader import CardReader
from hardware.idcard.simulator import CardReaderSimulator

BAUD = 115200
READS = 20


def _timed_reads(reader: CardReader, expected: object, count: int) -> list[float]:
    reader.read_once()  # opens the port
    times = []
    for _ in range(count):
        start = time.perf_counter()
        card = reader.read_once()
        times.append((time.perf_counter() - start) * 1000)
        if card != expected:
            raise RuntimeError("the simulator's card did not come back intact")
    return times


def wire_bytes(card: object) -> int:
    requests = sum(len(build_request(c)) for c in (Command.FIND_CARD, Command.SELECT_CARD, Command.READ_TEXT_PHOTO))
    replies = len(build_response(0x9F, bytes(4))) + len(build_response(0x90, bytes(8))) + len(card_response(card))
    return requests + replies


def idcard_read() -> dict:
    card = demo_card(CardKind.RESIDENT)
    with CardReaderSimulator() as sim:
        sim.place_card(card)
        reader = CardReader(sim.port_path, baudrate=BAUD)
        try:
            fast = _timed_reads(reader, card, READS)
            sim.set_pacing(BAUD)
            paced = _timed_reads(reader, card, READS // 2)
        finally:
            reader.close()
    total = wire_bytes(card)
    wire_ms = total * 10 / BAUD * 1000
    median = statistics.median(fast)
    return {
        "median_ms": round(median, 3),
        "wire_ms": round(wire_ms, 3),
        "ratio": round(median / wire_ms, 4),
        "p95_ms": round(sorted(fast)[int(0.95 * (len(fast) - 1))], 3),
        "paced_median_ms": round(statistics.median(paced), 3),
        "wire_bytes": total,
        "reads": READS,
        "baud": BAUD,
    }


BENCHES = {"idcard_read": idcard_read}
