"""Write the sample slips (ticket, receipt, report at 58 and 80 mm) as PNGs for people to look at.

    python -m hardware.printer.samples [OUT_DIR]     (default out/printer-samples)
"""
from __future__ import annotations

import sys
from pathlib import Path

from common.printer_profiles import GENERIC_58_GBK, GENERIC_80_GBK, RASTER_QR_58_GBK

from .decode import decode_for
from .documents import render_receipt, render_registration_receipt, render_report, render_ticket, sample_documents
from .render import render_png

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "out" / "printer-samples"


def write_samples(out_dir: str | Path = DEFAULT_OUT) -> list[Path]:
    """Render every sample document for 58 and 80 mm (and a raster-QR ticket); returns the PNG paths."""
    docs = sample_documents()
    written = []
    for profile in (GENERIC_58_GBK, GENERIC_80_GBK):
        for name, data in (("ticket", render_ticket(docs.ticket, profile)),
                           ("receipt", render_receipt(docs.receipt, profile)),
                           ("report", render_report(docs.report, profile)),
                           ("registration", render_registration_receipt(docs.registration, profile))):
            path = Path(out_dir) / f"{name}-{profile.paper_mm}mm.png"
            written.append(render_png(decode_for(profile, data), profile.dots, path))
    raster = RASTER_QR_58_GBK
    path = Path(out_dir) / "ticket-58mm-raster-qr.png"
    written.append(render_png(decode_for(raster, render_ticket(docs.ticket, raster)), raster.dots, path))
    return written


if __name__ == "__main__":
    for written_path in write_samples(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT):
        print(written_path)
