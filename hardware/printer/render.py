"""Draw decoded slip elements to scale (1 px = 1 printer dot) with Pillow and the shipped CJK font."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from common.fonts import cjk_font_path

from .decode import Cut, Element, LineFeed, QRCode, RasterImage, Text
from .qr import qr_matrix

CELL_W, CELL_H = 12, 24  # Font A: 12x24 dots for ASCII, 24x24 for a Chinese character
LINE_GAP = 6  # default line spacing (ESC 2) is about 30 dots
EMPTY_LINE = CELL_H + LINE_GAP


def _font_path() -> Path:
    return cjk_font_path()


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_path()), size)


@lru_cache(maxsize=4096)
def _glyph(ch: str, columns: int, bold: bool, width: int = 1, height: int = 1) -> Image.Image:
    """One character in its printer cell (12 or 24 dots per column, 24 high) times the GS ! multipliers.

    A glyph wider than its cell (W, %, @ in a proportional font) is squeezed into it, as the printer's
    fixed-pitch font would draw it, never clipped.
    """
    scale = height
    cell_w, cell_h = CELL_W * columns * scale, CELL_H * scale
    font = _font(22 * scale)
    strikes = scale + 1 if bold else 1  # emphasised: struck again shifted right, as the printer does
    ink_w = int(font.getlength(ch)) + strikes + 1
    canvas = Image.new("L", (max(cell_w, ink_w), cell_h), 255)
    if ch.strip():
        draw = ImageDraw.Draw(canvas)
        for dx in range(strikes):
            draw.text(((canvas.width - strikes + 1) / 2 + dx, 20 * scale), ch, font=font, fill=0, anchor="ms")
    target = (CELL_W * columns * width, cell_h)
    return canvas if canvas.size == target else canvas.resize(target)


def _char_columns(ch: str, element: Text) -> int:
    if not element.chinese:
        return 1
    return 1 if len(ch.encode(element.encoding, errors="replace")) == 1 else 2


class _Canvas:
    """Lays out lines top to bottom; wraps text at the paper edge the way a printer does."""

    def __init__(self, width_dots: int) -> None:
        self.width = width_dots
        self.strips: list[Image.Image] = []
        self.cells: list[tuple[Image.Image, str]] = []  # (scaled glyph, align) of the current line
        self.x = 0

    def add_char(self, ch: str, element: Text) -> None:
        scaled = _glyph(ch, _char_columns(ch, element), element.bold, element.width, element.height)
        if self.x + scaled.width > self.width:
            self.end_line()
        self.cells.append((scaled, element.align))
        self.x += scaled.width

    def end_line(self, feeds: int = 1) -> None:
        if self.cells:
            height = max(glyph.height for glyph, _ in self.cells) + LINE_GAP
            strip = Image.new("L", (self.width, height), 255)
            align = self.cells[0][1]
            x = {"left": 0, "center": (self.width - self.x) // 2, "right": self.width - self.x}[align]
            for glyph, _ in self.cells:
                strip.paste(glyph, (x, height - LINE_GAP - glyph.height))
                x += glyph.width
            self.strips.append(strip)
            feeds -= 1
        if feeds > 0:
            self.strips.append(Image.new("L", (self.width, EMPTY_LINE * feeds), 255))
        self.cells, self.x = [], 0

    def add_image(self, picture: Image.Image, align: str) -> None:
        if self.cells:
            self.end_line()
        picture = picture.convert("L")
        if picture.width > self.width:
            picture = picture.crop((0, 0, self.width, picture.height))
        strip = Image.new("L", (self.width, picture.height), 255)
        x = {"left": 0, "center": (self.width - picture.width) // 2, "right": self.width - picture.width}[align]
        strip.paste(picture, (x, 0))
        self.strips.append(strip)

    def add_cut(self) -> None:
        if self.cells:
            self.end_line()
        strip = Image.new("L", (self.width, 16), 255)
        draw = ImageDraw.Draw(strip)
        for x in range(0, self.width, 12):
            draw.line((x, 8, x + 6, 8), fill=96)
        self.strips.append(strip)

    def image(self) -> Image.Image:
        if self.cells:
            self.end_line()
        height = sum(s.height for s in self.strips) or 1
        out = Image.new("L", (self.width, height), 255)
        y = 0
        for strip in self.strips:
            out.paste(strip, (0, y))
            y += strip.height
        return out


def native_qr_image(element: QRCode) -> Image.Image:
    """How the printer draws a native QR code: modules of module_dots, with the quiet zone."""
    matrix = qr_matrix(element.payload, element.ec)
    size = len(matrix) * element.module_dots
    picture = Image.new("L", (len(matrix), len(matrix)), 255)
    picture.putdata([0 if dark else 255 for row in matrix for dark in row])
    return picture.resize((size, size), Image.NEAREST)


def render_image(elements: list[Element], width_dots: int) -> Image.Image:
    """The slip as a greyscale image, width_dots wide (384 for 58 mm, 576 for 80 mm)."""
    canvas = _Canvas(width_dots)
    for element in elements:
        if isinstance(element, Text):
            for ch in element.text:
                canvas.add_char(ch, element)
        elif isinstance(element, LineFeed):
            canvas.end_line(max(element.count, 0))
        elif isinstance(element, QRCode):
            canvas.add_image(native_qr_image(element), element.align)
        elif isinstance(element, RasterImage):
            canvas.add_image(element.to_image(), element.align)
        elif isinstance(element, Cut):
            canvas.add_cut()
    return canvas.image()


def render_png(elements: list[Element], width_dots: int, path: str | Path) -> Path:
    """Draw the slip and save it as a PNG; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    render_image(elements, width_dots).save(path)
    return path


def missing_glyphs(text: str) -> set[str]:
    """Characters the CJK font cannot draw (they would show as empty boxes on the rendered slip)."""
    font = _font(22)
    notdef = (font.getmask("\U0010fffd").size, bytes(font.getmask("\U0010fffd")))
    return {ch for ch in set(text) if ch.strip() and (font.getmask(ch).size, bytes(font.getmask(ch))) == notdef}
