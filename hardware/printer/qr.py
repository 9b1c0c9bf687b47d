"""QR codes for the printer: native ``GS ( k`` or a raster ``GS v 0`` image, chosen by the profile."""
from __future__ import annotations

import qrcode
import qrcode.constants

from . import commands

_EC = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def qr_matrix(payload: bytes, ec: str = "M", border: int = 4) -> list[list[bool]]:
    """The QR module matrix (True = dark), quiet zone included."""
    code = qrcode.QRCode(error_correction=_EC[ec], box_size=1, border=border)
    code.add_data(payload)
    code.make(fit=True)
    return code.get_matrix()


def matrix_to_raster(matrix: list[list[bool]], module_dots: int) -> tuple[bytes, int, int]:
    """Scale a module matrix into packed raster bits: (bits, width_bytes, height_dots)."""
    width_dots = len(matrix[0]) * module_dots
    width_bytes = (width_dots + 7) // 8
    rows = []
    for row in matrix:
        packed = bytearray(width_bytes)
        for x, dark in enumerate(row):
            if not dark:
                continue
            for dx in range(module_dots):
                dot = x * module_dots + dx
                packed[dot >> 3] |= 0x80 >> (dot & 7)
        rows.extend([bytes(packed)] * module_dots)
    return b"".join(rows), width_bytes, len(matrix) * module_dots


def qr_raster(payload: bytes, module_dots: int, max_width_dots: int, ec: str = "M") -> bytes:
    """A QR code as a ``GS v 0`` raster image no wider than max_width_dots."""
    matrix = qr_matrix(payload, ec)
    module = max(1, min(module_dots, max_width_dots // len(matrix[0])))
    bits, width_bytes, height = matrix_to_raster(matrix, module)
    return commands.raster(bits, width_bytes, height)


def qr_command(payload: bytes, *, native: bool, module_dots: int, max_width_dots: int, ec: str = "M") -> bytes:
    """Native ``GS ( k`` when native, otherwise a raster image."""
    if native:
        return commands.qr_native(payload, module_dots, ec)
    return qr_raster(payload, module_dots, max_width_dots, ec)
