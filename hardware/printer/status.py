"""Real-time status (DLE EOT n) replies: pure parsing and building, shared by the driver and the simulator."""
from __future__ import annotations

from dataclasses import dataclass

# Bits of the status bytes (ESC/POS DLE EOT). Every reply has bit 1 and bit 4 set and bits 0 and 7 clear.
FIXED_BITS = 0x12
PRINTER_OFFLINE = 0x08  # n=1
OFFLINE_COVER_OPEN = 0x04  # n=2
OFFLINE_FEED_BUTTON = 0x08  # n=2
OFFLINE_PAPER_END_STOP = 0x20  # n=2
OFFLINE_ERROR = 0x40  # n=2
PAPER_NEAR_END = 0x0C  # n=4
PAPER_END = 0x60  # n=4


def is_status_byte(value: int) -> bool:
    """A genuine status reply: bits 1 and 4 set, bits 0 and 7 clear."""
    return value & 0x93 == 0x12


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer told us. responded=False means 'unknown': never treat that as ready."""

    responded: bool
    online: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    cover_open: bool = False
    error: bool = False

    @classmethod
    def unknown(cls) -> "PrinterStatus":
        return cls(responded=False)

    @property
    def can_print(self) -> bool:
        """Known to be able to print now (near end still prints)."""
        return self.responded and self.online and not (self.paper_out or self.cover_open or self.error)


def parse_status(printer: int | None, offline_cause: int | None, paper: int | None) -> PrinterStatus:
    """Combine the replies to DLE EOT 1, 2 and 4. Any missing or malformed reply makes the status unknown."""
    replies = (printer, offline_cause, paper)
    if any(r is None or not is_status_byte(r) for r in replies):
        return PrinterStatus.unknown()
    paper_out = bool(paper & PAPER_END) or bool(offline_cause & OFFLINE_PAPER_END_STOP)
    return PrinterStatus(
        responded=True,
        online=not printer & PRINTER_OFFLINE,
        paper_out=paper_out,
        paper_near_end=bool(paper & PAPER_NEAR_END) and not paper_out,
        cover_open=bool(offline_cause & OFFLINE_COVER_OPEN),
        error=bool(offline_cause & OFFLINE_ERROR),
    )


def status_reply(n: int, *, paper_out: bool, near_end: bool, cover_open: bool) -> int:
    """The byte a printer in this state answers to DLE EOT n (used by the simulator)."""
    offline = paper_out or cover_open
    if n == 1:
        return FIXED_BITS | (PRINTER_OFFLINE if offline else 0)
    if n == 2:
        return FIXED_BITS | (OFFLINE_COVER_OPEN if cover_open else 0) | (OFFLINE_PAPER_END_STOP if paper_out else 0)
    if n == 3:
        return FIXED_BITS
    if n == 4:
        return FIXED_BITS | (PAPER_END if paper_out else 0) | (PAPER_NEAR_END if near_end or paper_out else 0)
    raise ValueError("status n must be 1..4")
