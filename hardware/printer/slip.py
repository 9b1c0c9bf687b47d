"""SlipWriter: builds the ESC/POS bytes of one slip, owning the text path (encoding, Chinese mode, sizes)."""
from __future__ import annotations

from common.printer_profiles import PrinterProfile

from . import commands
from .layout import Align, char_columns, columns_row, label_value, printable, text_columns, wrap
from .qr import qr_command

_ALIGN = {"left": commands.ALIGN_LEFT, "center": commands.ALIGN_CENTER, "right": commands.ALIGN_RIGHT}


class SlipWriter:
    """Accumulates one slip. Emits a mode command only when the mode changes."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self._out = bytearray(commands.INIT)
        if profile.chinese_mode:
            self._out += commands.CHINESE_ON
        self._align, self._size, self._bold = "left", (1, 1), False

    @property
    def columns(self) -> int:
        return self.profile.columns

    def _mode(self, align: Align, width: int, height: int, bold: bool) -> None:
        if align != self._align:
            self._out += commands.align(_ALIGN[align])
            self._align = align
        if (width, height) != self._size:
            self._out += commands.size(width, height)
            self._size = (width, height)
        if bold != self._bold:
            self._out += commands.bold(bold)
            self._bold = bold

    def text(self, text: str, align: Align = "left", width: int = 1, height: int = 1, bold: bool = False) -> None:
        """Print text, wrapped to the columns available at this width multiplier, one LF per line."""
        self._mode(align, width, height, bold)
        for line in wrap(text, self.columns // width, self.profile.encoding):
            self._line(line)

    def _line(self, line: str) -> None:
        """One printed line: text in the profile's encoding (GBK forms substituted), or, when a character has
        no form in it (m², 10⁹/L), the whole line as a raster image drawn with the bundled font: never a '?'."""
        line = printable(line, self.profile.encoding)
        try:
            self._out += line.encode(self.profile.encoding) + commands.LF
        except UnicodeEncodeError:
            self._out += raster_line(line, self.profile.encoding, self._bold, *self._size)

    def lines(self, lines: list[str], bold: bool = False) -> None:
        """Print pre-laid-out lines (already fitted to the columns), left aligned at normal size."""
        self._mode("left", 1, 1, bold)
        for line in lines:
            self._line(line)

    def row(self, cells: list[tuple[str, int, Align]], bold: bool = False) -> None:
        """A table row (see layout.columns_row)."""
        self.lines(columns_row(cells, self.profile.encoding), bold)

    def pair(self, label: str, value: str, bold: bool = False, width: int = 1, height: int = 1) -> None:
        """Label on the left, value on the right (value on its own line when both do not fit)."""
        self._mode("left", width, height, bold)
        for line in label_value(label, value, self.columns // width, self.profile.encoding):
            self._line(line)

    def labelled(self, label: str, value: str, bold: bool = False) -> None:
        """'label：value' with continuation lines indented under the value."""
        enc = self.profile.encoding
        indent = text_columns(label, enc)
        if self.columns - indent < 8:
            self.text(label + value, bold=bold)
            return
        wrapped = wrap(value, self.columns - indent, enc)
        self.lines([label + wrapped[0]] + [" " * indent + line for line in wrapped[1:]], bold)

    def rule(self, char: str = "-") -> None:
        """A full-width separator line."""
        self.lines([char * self.columns])

    def blank(self, count: int = 1) -> None:
        self._mode(self._align, 1, 1, False)
        self._out += commands.LF * count

    def qr(self, payload: str) -> None:
        """A centred QR code, native or raster per profile."""
        self._mode("center", 1, 1, False)
        self._out += qr_command(
            payload.encode("utf-8"),
            native=self.profile.qr == "native",
            module_dots=self.profile.qr_module_dots,
            max_width_dots=self.profile.dots,
        )
        self._out += commands.LF

    def finish(self) -> bytes:
        """Reset the modes, feed past the cutter, cut, and return the slip's bytes."""
        self._mode("left", 1, 1, False)
        if self.profile.chinese_mode:
            self._out += commands.CHINESE_OFF
        self._out += commands.feed(self.profile.cut_feed_lines) + commands.cut(partial=True)
        return bytes(self._out)


def raster_line(line: str, encoding: str, bold: bool = False, width: int = 1, height: int = 1) -> bytes:
    """GS v 0 image of one text line, each character in the cell the printer's own font would give it."""
    from PIL import Image  # noqa: PLC0415 - a heavy library, loaded only when this runs

    from .render import LINE_GAP, _glyph  # noqa: PLC0415 - a heavy library, loaded only when this runs

    glyphs = [_glyph(ch, char_columns(ch, encoding), bold, width, height) for ch in line]
    dots_w = sum(g.width for g in glyphs) or 8
    dots_h = max([g.height for g in glyphs] or [24]) + LINE_GAP * height
    picture = Image.new("L", ((dots_w + 7) // 8 * 8, dots_h), 255)
    x = 0
    for glyph in glyphs:
        picture.paste(glyph, (x, 0))
        x += glyph.width
    bits = picture.point(lambda v: 0 if v >= 128 else 255).convert("1").tobytes()  # 1 = black for the printer
    return commands.raster(bits, picture.width // 8, picture.height)
