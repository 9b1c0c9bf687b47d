"""Printer profiles: what a given thermal printer understands (paper, encoding, Chinese mode, QR)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PAPER_COLUMNS = {58: 32, 80: 48}
"""ASCII columns (12-dot Font A) per paper width; a Chinese character takes two."""
PAPER_DOTS = {58: 384, 80: 576}
"""Printable dots per line at 203 dpi."""


@dataclass(frozen=True)
class PrinterProfile:
    """What one printer model needs from us.

    chinese_mode: send ``FS &`` (Chinese character mode on) after init and ``FS .`` at the end of a
    document. Printers whose firmware is permanently in Chinese mode use False (nothing sent).
    qr: "native" sends ``GS ( k`` (about a hundred bytes); "raster" sends the QR as a ``GS v 0`` image.
    qr_module_dots: size of one QR module in dots (native size parameter, or raster scale).
    """

    name: str
    paper_mm: Literal[58, 80] = 80
    encoding: Literal["gbk", "gb18030"] = "gbk"
    chinese_mode: bool = True
    qr: Literal["native", "raster"] = "native"
    qr_module_dots: int = 6
    cut_feed_lines: int = 4

    def __post_init__(self) -> None:
        if self.paper_mm not in PAPER_COLUMNS:
            raise ValueError(f"paper_mm must be 58 or 80, not {self.paper_mm}")
        if self.encoding not in ("gbk", "gb18030"):
            raise ValueError(f"encoding must be gbk or gb18030, not {self.encoding}")
        if self.qr not in ("native", "raster"):
            raise ValueError(f"qr must be native or raster, not {self.qr}")
        if not 1 <= self.qr_module_dots <= 16:
            raise ValueError("qr_module_dots must be 1..16")

    @property
    def columns(self) -> int:
        """ASCII columns per line (32 on 58 mm, 48 on 80 mm)."""
        return PAPER_COLUMNS[self.paper_mm]

    @property
    def dots(self) -> int:
        """Printable width in dots (384 on 58 mm, 576 on 80 mm)."""
        return PAPER_DOTS[self.paper_mm]


GENERIC_58_GBK = PrinterProfile("generic-58-gbk", paper_mm=58, encoding="gbk", qr_module_dots=5)
GENERIC_80_GBK = PrinterProfile("generic-80-gbk", paper_mm=80, encoding="gbk")
GB18030_80_NATIVE_QR = PrinterProfile("gb18030-80-native-qr", paper_mm=80, encoding="gb18030")
RASTER_QR_58_GBK = PrinterProfile("raster-qr-58-gbk", paper_mm=58, encoding="gbk", qr="raster", qr_module_dots=5)
RASTER_QR_80_GBK = PrinterProfile("raster-qr-80-gbk", paper_mm=80, encoding="gbk", qr="raster")
CHINESE_FIRMWARE_80_GBK = PrinterProfile("chinese-firmware-80-gbk", paper_mm=80, chinese_mode=False)

PROFILES: dict[str, PrinterProfile] = {
    p.name: p
    for p in (
        GENERIC_58_GBK,
        GENERIC_80_GBK,
        GB18030_80_NATIVE_QR,
        RASTER_QR_58_GBK,
        RASTER_QR_80_GBK,
        CHINESE_FIRMWARE_80_GBK,
    )
}


def profile_named(name: str) -> PrinterProfile:
    """The named profile, or ValueError listing the known names."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown printer profile {name!r}; known: {', '.join(PROFILES)}") from None
