"""Ticket size and serial wire time: native QR (GS ( k) against a raster QR image (GS v 0)."""
from __future__ import annotations

import time

from common.printer_profiles import GENERIC_58_GBK, GENERIC_80_GBK, RASTER_QR_58_GBK, RASTER_QR_80_GBK
from hardware.printer.documents import render_ticket, sample_documents

BITS_PER_BYTE_8N1 = 10  # start bit + 8 data bits + stop bit


def wire_seconds(size: int, baud: int = 9600) -> float:
    """Time to send size bytes over an 8N1 serial line."""
    return size * BITS_PER_BYTE_8N1 / baud


def ticket_print() -> dict:
    """One queue ticket on 80 mm paper (and 58 mm alongside): bytes and 9600-baud wire time."""
    ticket = sample_documents().ticket
    started = time.perf_counter()
    native = render_ticket(ticket, GENERIC_80_GBK)
    render_ms = (time.perf_counter() - started) * 1000
    raster = render_ticket(ticket, RASTER_QR_80_GBK)
    native_58 = render_ticket(ticket, GENERIC_58_GBK)
    raster_58 = render_ticket(ticket, RASTER_QR_58_GBK)
    return {
        "paper_mm": 80,
        "native_bytes": len(native),
        "raster_bytes": len(raster),
        "native_s_9600": round(wire_seconds(len(native)), 3),
        "raster_s_9600": round(wire_seconds(len(raster)), 3),
        "native_bytes_58": len(native_58),
        "raster_bytes_58": len(raster_58),
        "native_s_9600_58": round(wire_seconds(len(native_58)), 3),
        "raster_s_9600_58": round(wire_seconds(len(raster_58)), 3),
        "render_ms": round(render_ms, 2),
        "target_native_s": 1.5,
    }


BENCHES = {"ticket_print": ticket_print}
