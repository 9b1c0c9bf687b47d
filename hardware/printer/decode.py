"""Decode the ESC/POS bytes we emit into elements (pure), for tests, the simulator and the demo.

`scan` splits a byte stream into commands (it also tells the simulator where a command ends);
`decode` turns a complete stream into elements: text runs with their style, line feeds, cuts,
native QR codes, raster images, status queries. `render_png` lives in `hardware.printer.render`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

QR_EC_NAMES = {48: "L", 49: "M", 50: "Q", 51: "H"}
ALIGN_NAMES = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


@dataclass(frozen=True)
class Text:
    """A run of printed text and the style it is printed in."""

    text: str
    encoding: str
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"
    chinese: bool = True


@dataclass(frozen=True)
class LineFeed:
    """LF (count 1) or ESC d n (count n): print the line buffer and feed."""

    count: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = True


@dataclass(frozen=True)
class QRCode:
    """A native GS ( k QR code: the settings in force when it was printed, and the stored payload."""

    payload: bytes
    model: int = 2
    module_dots: int = 3
    ec: str = "L"
    align: str = "left"


@dataclass(frozen=True)
class RasterImage:
    """A GS v 0 raster image: packed bits, MSB first, 1 = black."""

    width_dots: int
    height: int
    bits: bytes = field(repr=False)
    align: str = "left"
    scale_x: int = 1
    scale_y: int = 1

    def to_image(self):
        """The image as a Pillow '1'-mode picture (black on white), scaled as the printer would."""
        from PIL import Image, ImageOps  # noqa: PLC0415 - a heavy library, loaded only when this runs

        width_bytes = (self.width_dots + 7) // 8
        picture = Image.frombytes("1", (width_bytes * 8, self.height), self.bits)
        picture = ImageOps.invert(picture.convert("L")).convert("1")
        if self.scale_x != 1 or self.scale_y != 1:
            picture = picture.resize((picture.width * self.scale_x, picture.height * self.scale_y))
        return picture


@dataclass(frozen=True)
class StatusQuery:
    """DLE EOT n."""

    n: int


@dataclass(frozen=True)
class Init:
    """ESC @."""


@dataclass(frozen=True)
class ChineseMode:
    """FS & (on) / FS . (off)."""

    on: bool


@dataclass(frozen=True)
class Unknown:
    """A command this decoder does not interpret (kept so nothing is silently lost)."""

    data: bytes


Element = Text | LineFeed | Cut | QRCode | RasterImage | StatusQuery | Init | ChineseMode | Unknown

# Fixed total lengths of ESC / GS / FS commands by their second byte.
_ESC_LEN = {b"@": 2, b"2": 2, b"a": 3, b"E": 3, b"G": 3, b"d": 3, b"J": 3, b"!": 3, b"-": 3, b"3": 3, b"t": 3,
            b"M": 3, b"R": 3, b"V": 3, b"{": 3, b"p": 5, b"=": 3, b"r": 3, b"c": 4}
_GS_LEN = {b"!": 3, b"B": 3, b"L": 4, b"W": 4, b"h": 3, b"w": 3, b"H": 3, b"f": 3, b"a": 3, b"r": 3, b"I": 3,
           b"P": 4, b"b": 3}
_FS_LEN = {b"&": 2, b".": 2, b"!": 3, b"-": 3, b"C": 3, b"p": 4, b"W": 3, b"S": 4}


def command_length(buf: bytes | bytearray, i: int) -> int | None:
    """Length of the command or text run starting at buf[i]; None if more bytes are needed."""
    n = len(buf)
    b = buf[i]
    if b >= 0x20:  # text run: no byte of GBK/GB18030 text is a control byte
        j = i
        while j < n and buf[j] >= 0x20:
            j += 1
        return j - i
    if b not in (0x1B, 0x1D, 0x1C, 0x10):
        return 1
    if i + 1 >= n:
        return None
    second = bytes([buf[i + 1]])
    if b == 0x1B:
        if second == b"*":  # ESC * m nL nH: column bit image, 1 or 3 bytes per column
            if i + 5 > n:
                return None
            return 5 + (buf[i + 3] | buf[i + 4] << 8) * (1 if buf[i + 2] in (0, 1) else 3)
        return _ESC_LEN.get(second, 2) if i + _ESC_LEN.get(second, 2) <= n else None
    if b == 0x1C:
        return _FS_LEN.get(second, 2) if i + _FS_LEN.get(second, 2) <= n else None
    if b == 0x10:
        if second in (b"\x04", b"\x05"):  # DLE EOT n, DLE ENQ n
            return 3 if i + 3 <= n else None
        if second == b"\x14":
            return 5 if i + 5 <= n else None
        return 2
    # GS
    if second == b"V":
        if i + 3 > n:
            return None
        return 4 if buf[i + 2] in (65, 66, 97, 98, 103, 104) else 3
    if second == b"v":
        if i + 8 > n:
            return None
        width_bytes = buf[i + 4] | buf[i + 5] << 8
        height = buf[i + 6] | buf[i + 7] << 8
        return 8 + width_bytes * height
    if second == b"(":
        if i + 5 > n:
            return None
        return 5 + (buf[i + 3] | buf[i + 4] << 8)
    if second == b"8":
        if i + 7 > n:
            return None
        return 7 + int.from_bytes(buf[i + 3 : i + 7], "little")
    length = _GS_LEN.get(second, 2)
    return length if i + length <= n else None


def scan(buf: bytes | bytearray, start: int = 0) -> tuple[list[bytes], int]:
    """Split buf into complete commands/text runs; returns them and the offset of the incomplete rest."""
    pieces, i = [], start
    while i < len(buf):
        length = command_length(buf, i)
        if length is None or i + length > len(buf):
            break
        pieces.append(bytes(buf[i : i + length]))
        i += length
    return pieces, i


def is_status_query(piece: bytes) -> bool:
    return len(piece) == 3 and piece[:2] == b"\x10\x04"


def is_cut(piece: bytes) -> bool:
    return piece[:2] == b"\x1dV"


class _Decoder:
    def __init__(self, encoding: str, chinese_default: bool) -> None:
        self.encoding, self.chinese_default = encoding, chinese_default
        self.elements: list[Element] = []
        self._reset()

    def _reset(self) -> None:
        self.align, self.width, self.height, self.bold = "left", 1, 1, False
        self.chinese = self.chinese_default
        self.qr_model, self.qr_module, self.qr_ec, self.qr_data = 2, 3, "L", b""

    def feed(self, piece: bytes) -> None:
        b = piece[0]
        if b >= 0x20:
            text = piece.decode(self.encoding, errors="replace") if self.chinese else piece.decode("cp437")
            self.elements.append(Text(text, self.encoding if self.chinese else "cp437", self.width, self.height,
                                      self.bold, self.align, self.chinese))
        elif b == 0x0A:
            self.elements.append(LineFeed(1))
        elif b == 0x0D:
            pass
        elif b == 0x1B:
            self._esc(piece)
        elif b == 0x1D:
            self._gs(piece)
        elif b == 0x1C and piece[1:2] in (b"&", b"."):
            self.chinese = piece[1:2] == b"&"
            self.elements.append(ChineseMode(self.chinese))
        elif is_status_query(piece):
            self.elements.append(StatusQuery(piece[2]))
        else:
            self.elements.append(Unknown(piece))

    def _esc(self, piece: bytes) -> None:
        op, arg = piece[1:2], piece[2] if len(piece) > 2 else 0
        if op == b"@":
            self._reset()
            self.elements.append(Init())
        elif op == b"a":
            self.align = ALIGN_NAMES.get(arg, "left")
        elif op in (b"E", b"G"):
            self.bold = bool(arg & 1)
        elif op == b"d":
            self.elements.append(LineFeed(arg))
        elif op == b"!":
            self.bold = bool(arg & 0x08)
            self.width, self.height = (2 if arg & 0x20 else 1), (2 if arg & 0x10 else 1)
        else:
            self.elements.append(Unknown(piece))

    def _gs(self, piece: bytes) -> None:
        op = piece[1:2]
        if op == b"!":
            self.width, self.height = (piece[2] >> 4) + 1, (piece[2] & 0x0F) + 1
        elif op == b"V":
            self.elements.append(Cut(partial=piece[2] in (1, 49, 66, 98, 104)))
        elif op == b"v":
            mode = piece[3] & 0x03
            width_bytes, height = piece[4] | piece[5] << 8, piece[6] | piece[7] << 8
            self.elements.append(RasterImage(width_bytes * 8, height, piece[8:], self.align,
                                             2 if mode in (1, 3) else 1, 2 if mode in (2, 3) else 1))
        elif op == b"(" and piece[2:3] == b"k" and len(piece) >= 7 and piece[5] == 49:
            self._qr(piece[6], piece[7:])
        else:
            self.elements.append(Unknown(piece))

    def _qr(self, fn: int, params: bytes) -> None:
        if fn == 65 and params:
            self.qr_model = params[0] - 48
        elif fn == 67 and params:
            self.qr_module = params[0]
        elif fn == 69 and params:
            self.qr_ec = QR_EC_NAMES.get(params[0], "L")
        elif fn == 80:
            self.qr_data = params[1:]
        elif fn == 81:
            self.elements.append(QRCode(self.qr_data, self.qr_model, self.qr_module, self.qr_ec, self.align))
        else:
            self.elements.append(Unknown(bytes([0x1D, 0x28, 0x6B]) + bytes([fn]) + params))


def decode(data: bytes, encoding: str = "gbk", chinese_default: bool = False) -> list[Element]:
    """Decode a complete byte stream. chinese_default: whether the printer is in Chinese mode at power-up/ESC @
    (printers with Chinese firmware; profiles with chinese_mode=False rely on it)."""
    decoder = _Decoder(encoding, chinese_default)
    pieces, rest = scan(data)
    for piece in pieces:
        decoder.feed(piece)
    if rest < len(data):
        decoder.elements.append(Unknown(bytes(data[rest:])))
    return decoder.elements


def decode_for(profile, data: bytes) -> list[Element]:
    """Decode bytes the way a printer matching profile reads them."""
    return decode(data, profile.encoding, chinese_default=not profile.chinese_mode)


def text_lines(elements: list[Element]) -> list[str]:
    """The printed text, one string per line feed (wrapping by the printer is not applied)."""
    lines, current = [], []
    for element in elements:
        if isinstance(element, Text):
            current.append(element.text)
        elif isinstance(element, LineFeed):
            lines.append("".join(current))
            current = []
            lines.extend([""] * max(0, element.count - 1))
    if current:
        lines.append("".join(current))
    return lines


def describe(elements: list[Element]) -> str:
    """A plain-text transcript of a slip (job-NNN.txt): text lines, QR payloads, images, cuts."""
    out, current = [], []

    def flush() -> None:
        out.append("".join(current))
        current.clear()

    for element in elements:
        if isinstance(element, Text):
            current.append(element.text)
        elif isinstance(element, LineFeed):
            flush()
            out.extend([""] * max(0, element.count - 1))
        elif isinstance(element, QRCode):
            out.append(f"[二维码 QR native module={element.module_dots} ec={element.ec}: "
                       f"{element.payload.decode('utf-8', 'replace')}]")
        elif isinstance(element, RasterImage):
            out.append(f"[图像 raster {element.width_dots}x{element.height}]")
        elif isinstance(element, Cut):
            if current:
                flush()
            out.append("-------- 切纸 cut --------")
    if current:
        flush()
    return "\n".join(out) + "\n"
