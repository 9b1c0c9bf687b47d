"""The CJK font every screen uses, shipped in assets/fonts so that no screen shows empty boxes."""
from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
CJK_FONT_FILE = ASSETS / "fonts" / "wqy-microhei.ttc"
CJK_FAMILY = "WenQuanYi Micro Hei"

_loaded_family: str | None = None


def cjk_font_path() -> Path:
    """Path of the shipped CJK font (also used by the receipt renderer, through Pillow)."""
    return CJK_FONT_FILE


def load_cjk_font(app=None) -> str:
    """Register the shipped CJK font with Qt and make it the application's default.

    Call after the QApplication exists. Returns the family name in use.
    """
    global _loaded_family
    from PySide6.QtGui import QFont, QFontDatabase  # noqa: PLC0415 - a heavy library, loaded only when this runs
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415 - a heavy library, loaded only when this runs

    if _loaded_family is None:
        font_id = QFontDatabase.addApplicationFont(str(CJK_FONT_FILE))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        _loaded_family = families[0] if families else CJK_FAMILY
    app = app or QApplication.instance()
    if app is not None:
        font = QFont(_loaded_family)
        font.setPointSize(max(app.font().pointSize(), 12))
        app.setFont(font)
    return _loaded_family
