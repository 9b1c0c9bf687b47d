"""The scan-to-pay QR code as PNG bytes (Qt-free; load with ``QImage.fromData(png, "PNG")``)."""
from __future__ import annotations

import io

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

from hardware.payment.model import InvalidRequest, Order

QUIET_ZONE = 4  # modules of white border required by the QR standard


def qr_image(payload: str, size: int = 360) -> Image.Image:
    """A square black-on-white image of exactly ``size`` pixels with whole-pixel modules."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(payload)
    code.make(fit=True)
    modules = code.modules_count + 2 * QUIET_ZONE
    if size < modules * 2:
        raise ValueError(f"{size} px is too small for this QR code; use at least {modules * 2} px")
    code.box_size = size // modules
    drawn = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    canvas = Image.new("L", (size, size), 255)
    offset = (size - drawn.size[0]) // 2
    canvas.paste(drawn, (offset, offset))
    return canvas


def png_bytes(payload: str, size: int = 360) -> bytes:
    buf = io.BytesIO()
    qr_image(payload, size).save(buf, format="PNG")
    return buf.getvalue()


def qr_png(order: Order, size: int = 360) -> bytes:
    """PNG of the order's code URL, for the patient to scan with a phone."""
    if not order.code_url:
        raise InvalidRequest(f"order {order.order_id} ({order.method}) has no code URL", "该订单没有付款二维码。")
    return png_bytes(order.code_url, size)
