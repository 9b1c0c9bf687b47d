"""Line codec of a serial QR/barcode scanner: each code ends with CR, LF or CR LF. Pure, no I/O.

What cannot be a code is dropped and remembered in ``dropped`` (the reader reports it as a device warning),
never passed on: a partial line followed by an idle gap (the scanner lost the rest of a code; without the gap
rule it would be glued onto the next scan: ``MC2600`` + ``MC26000128`` -> ``MC2600MC26000128``), and bytes
that are neither UTF-8 nor GB18030.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Literal

MAX_LINE = 4096
IDLE_GAP_S = 0.3
TERMINATORS = {"CR": "\r", "LF": "\n", "CRLF": "\r\n"}


class UndecodableCode(ValueError):
    """The bytes of a code are neither UTF-8 nor GB18030."""


@dataclass(frozen=True)
class DroppedScan:
    """Something the scanner sent that was not a code: a partial line, undecodable bytes, an overlong line."""

    reason: Literal["partial", "undecodable", "overlong"]
    size: int  # bytes dropped

    @property
    def message(self) -> tuple[str, str]:
        """(Chinese, English) for the device warning."""
        return {
            "partial": ("扫码不完整，已丢弃，请重新扫码。", "An incomplete scan was dropped; please scan again."),
            "undecodable": ("扫码内容无法识别，已丢弃，请重新扫码。", "A scan could not be read and was dropped; please scan again."),
            "overlong": ("扫码内容过长，已丢弃，请重新扫码。", "An overlong scan was dropped; please scan again."),
        }[self.reason]


def decode_code(raw: bytes) -> str:
    """Bytes of one code as text: UTF-8, else GB18030 (common for Chinese QR content); trimmed.

    Raises UndecodableCode when neither fits: a code is never guessed from damaged bytes.
    """
    for encoding in ("utf-8", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UndecodableCode(f"{len(raw)} bytes are neither UTF-8 nor GB18030")
    return "".join(ch for ch in text if ch.isprintable()).strip()


def encode_line(text: str, terminator: str = "\r", encoding: str = "utf-8") -> bytes:
    """What a scanner sends for one code."""
    return text.encode(encoding) + terminator.encode("ascii")


class LineDecoder:
    """Feed it whatever the port delivered; get back the complete codes. CR LF counts as one end.

    A partial line that sees no byte for ``idle_gap_s`` (300 ms by default) is dropped: a scanner sends a code
    in one burst, so the rest will not come.
    """

    def __init__(self, max_line: int = MAX_LINE, idle_gap_s: float = IDLE_GAP_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._buf = bytearray()
        self._after_cr = False
        self._overflow = False
        self._max_line = max_line
        self.idle_gap_s = idle_gap_s
        self._clock = clock
        self._last_byte_at = 0.0
        self.dropped: list[DroppedScan] = []

    @property
    def pending(self) -> bytes:
        return bytes(self._buf)

    def reset(self) -> None:
        self._buf.clear()
        self._after_cr = self._overflow = False

    def take_dropped(self) -> list[DroppedScan]:
        """What was dropped since the last call."""
        dropped, self.dropped = self.dropped, []
        return dropped

    def expire(self, now: float | None = None) -> None:
        """Drop a partial line that has waited longer than the idle gap."""
        now = self._clock() if now is None else now
        if self._buf and now - self._last_byte_at > self.idle_gap_s:
            self.dropped.append(DroppedScan("partial", len(self._buf)))
            self._buf.clear()

    def feed(self, data: bytes, now: float | None = None) -> list[str]:
        now = self._clock() if now is None else now
        self.expire(now)
        if data:
            self._last_byte_at = now
        codes: list[str] = []
        for byte in data:
            if byte == 0x0A and self._after_cr:  # the LF of a CR LF pair
                self._after_cr = False
                continue
            self._after_cr = byte == 0x0D
            if byte in (0x0D, 0x0A):
                if not self._overflow:
                    self._finish(codes)
                self._buf.clear()
                self._overflow = False
            elif not self._overflow:
                self._buf.append(byte)
                if len(self._buf) > self._max_line:  # garbage without an end: drop up to the next end
                    self.dropped.append(DroppedScan("overlong", len(self._buf)))
                    self._buf.clear()
                    self._overflow = True
        return codes

    def _finish(self, codes: list[str]) -> None:
        raw = bytes(self._buf)
        try:
            code = decode_code(raw)
        except UndecodableCode:
            self.dropped.append(DroppedScan("undecodable", len(raw)))
            return
        if code:
            codes.append(code)
