"""Line codec of a serial QR/barcode scanner: each code ends with CR, LF or CR LF. Pure, no I/O."""
from __future__ import annotations

MAX_LINE = 4096
TERMINATORS = {"CR": "\r", "LF": "\n", "CRLF": "\r\n"}


def decode_code(raw: bytes) -> str:
    """Bytes of one code as text: UTF-8, else GB18030 (common for Chinese QR content); trimmed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    return "".join(ch for ch in text if ch.isprintable()).strip()


def encode_line(text: str, terminator: str = "\r", encoding: str = "utf-8") -> bytes:
    """What a scanner sends for one code."""
    return text.encode(encoding) + terminator.encode("ascii")


class LineDecoder:
    """Feed it whatever the port delivered; get back the complete codes. CR LF counts as one end."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._buf = bytearray()
        self._after_cr = False
        self._overflow = False
        self._max_line = max_line

    @property
    def pending(self) -> bytes:
        return bytes(self._buf)

    def reset(self) -> None:
        self._buf.clear()
        self._after_cr = self._overflow = False

    def feed(self, data: bytes) -> list[str]:
        codes: list[str] = []
        for byte in data:
            if byte == 0x0A and self._after_cr:  # the LF of a CR LF pair
                self._after_cr = False
                continue
            self._after_cr = byte == 0x0D
            if byte in (0x0D, 0x0A):
                if not self._overflow:
                    code = decode_code(bytes(self._buf))
                    if code:
                        codes.append(code)
                self._buf.clear()
                self._overflow = False
            elif not self._overflow:
                self._buf.append(byte)
                if len(self._buf) > self._max_line:  # garbage without an end: drop up to the next end
                    self._buf.clear()
                    self._overflow = True
        return codes
