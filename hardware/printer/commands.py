"""ESC/POS command bytes we emit (pure functions, no I/O)."""
from __future__ import annotations

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
DLE = b"\x10"
EOT = b"\x04"
LF = b"\n"

INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."

ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT = 0, 1, 2

QR_EC_LEVELS = {"L": 48, "M": 49, "Q": 50, "H": 51}

STATUS_PRINTER, STATUS_OFFLINE_CAUSE, STATUS_ERROR_CAUSE, STATUS_PAPER = 1, 2, 3, 4


def align(where: int) -> bytes:
    """ESC a n: 0 left, 1 centre, 2 right."""
    if where not in (0, 1, 2):
        raise ValueError("align must be 0, 1 or 2")
    return ESC + b"a" + bytes([where])


def size(width: int = 1, height: int = 1) -> bytes:
    """GS ! n: character size, 1..8 times in each direction (applies to Chinese too)."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("size multipliers must be 1..8")
    return GS + b"!" + bytes([(width - 1) << 4 | (height - 1)])


def bold(on: bool) -> bytes:
    """ESC E n: emphasised on/off."""
    return ESC + b"E" + bytes([1 if on else 0])


def feed(lines: int) -> bytes:
    """ESC d n: print and feed n lines."""
    return ESC + b"d" + bytes([max(0, min(255, lines))])


def cut(partial: bool = True) -> bytes:
    """GS V m: cut the paper (partial cut leaves one point uncut)."""
    return GS + b"V" + bytes([1 if partial else 0])


def status_query(n: int) -> bytes:
    """DLE EOT n: real-time status (1 printer, 2 offline cause, 3 error cause, 4 paper sensor)."""
    if n not in (1, 2, 3, 4):
        raise ValueError("status n must be 1..4")
    return DLE + EOT + bytes([n])


def _gs_k(fn: int, params: bytes) -> bytes:
    body = bytes([49, fn]) + params  # cn = 49: QR code
    return GS + b"(k" + len(body).to_bytes(2, "little") + body


def qr_native(payload: bytes, module_dots: int = 6, ec: str = "M") -> bytes:
    """GS ( k: select model 2, module size, error correction, store data, print."""
    if not 1 <= module_dots <= 16:
        raise ValueError("module_dots must be 1..16")
    if len(payload) > 7089:
        raise ValueError("QR payload too long")
    return b"".join(
        [
            _gs_k(65, bytes([50, 0])),  # fn 65: model 2
            _gs_k(67, bytes([module_dots])),  # fn 67: module size
            _gs_k(69, bytes([QR_EC_LEVELS[ec]])),  # fn 69: error correction level
            _gs_k(80, b"0" + payload),  # fn 80: store data (m = 48)
            _gs_k(81, b"0"),  # fn 81: print stored symbol
        ]
    )


def raster(bits: bytes, width_bytes: int, height: int) -> bytes:
    """GS v 0: a raster bit image, MSB first, 1 = black, width_bytes * 8 dots wide."""
    if len(bits) != width_bytes * height:
        raise ValueError("raster data length does not match width_bytes * height")
    header = GS + b"v0" + bytes([0]) + width_bytes.to_bytes(2, "little") + height.to_bytes(2, "little")
    return header + bits
