"""Draw a decoded label to scale (1 px = 1 dot at 203 dpi) with a real Code 128 barcode and the shipped CJK font,
for people to look at (the demo's out/demo/, the simulator's job PNGs) and for barcode readers to scan back."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from common.fonts import cjk_font_path

from .tspl import DOTS_PER_MM, PrintedLabel

NARROW = 2  # dots per Code 128 module (the BARCODE command's narrow width)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), size)


def code128_modules(content: str) -> str:
    """The bar pattern of ``content`` as '1' (bar) and '0' (space) modules, quiet zones excluded."""
    from barcode import Code128  # python-barcode, which python-escpos brings  # noqa: PLC0415 - a heavy library, loaded only when this runs

    return Code128(content).build()[0]


def render_png(label: PrintedLabel, path: str | Path | None = None) -> Image.Image:
    width, height = label.size.width_mm * DOTS_PER_MM, label.size.height_mm * DOTS_PER_MM
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = _font(24)
    for x, y, text in label.texts:
        draw.text((x, y), text, fill=0, font=font)
    for x, y, bar_height, content in label.barcodes:
        modules = code128_modules(content)
        for i, module in enumerate(modules):
            if module == "1":
                draw.rectangle([x + i * NARROW, y, x + (i + 1) * NARROW - 1, y + bar_height - 1], fill=0)
        draw.text((x, y + bar_height + 2), content, fill=0, font=_font(18))
    if path is not None:
        image.save(path)
    return image
