"""Look of the kiosk: calm colours, high contrast, big touch targets. One stylesheet, scaled for elderly mode."""
from __future__ import annotations

from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QProxyStyle

SYNTHETIC_BOLD_UNTIL_PX = 64  # Qt draws larger glyphs as outlines, without the bold a one-weight font is given

PRIMARY = "#1565C0"
PRIMARY_DARK = "#0D47A1"
ACCENT = "#00897B"
WARN = "#C62828"
BG = "#EEF3F8"
CARD = "#FFFFFF"
TEXT = "#1B2631"
MUTED = "#4A5A6A"


def px(base: int, scale: float) -> int:
    """A size in pixels after the elderly-mode scale."""
    return int(round(base * scale))


def stylesheet(scale: float = 1.0, landscape: bool = False) -> str:
    """The application stylesheet; scale 1.5 (or more) for elderly mode; landscape has less height to give."""
    f = lambda n: px(n, scale)  # noqa: E731 - local shorthand
    tall = 0.6 if landscape else 1.0  # minimum heights of buttons and keys on a 1080-high screen
    return f"""
    QWidget {{ color: {TEXT}; font-size: {f(26)}px; }}
    #KioskWindow, #Screen {{ background: {BG}; }}
    #Header {{ background: {PRIMARY}; }}
    #Header QLabel {{ color: white; }}
    #HospitalName {{ font-size: 38px; font-weight: bold; }}
    #Clock {{ font-size: 26px; }}
    #Countdown {{ color: white; font-size: {f(26)}px; font-weight: bold; background: rgba(255,255,255,0.18);
                  border-radius: 10px; padding: 6px 16px; }}
    #Message {{ font-size: {f(34)}px; color: {TEXT}; }}
    #Footer {{ background: #DCE6F0; }}
    #ActionBar {{ background: {BG}; border-top: 2px solid #C9D6E3; }}
    #Title {{ font-size: {f(44)}px; font-weight: bold; color: {PRIMARY_DARK}; }}
    #Subtitle {{ font-size: {f(28)}px; color: {MUTED}; }}
    #Big {{ font-size: {f(64)}px; font-weight: bold; color: {PRIMARY_DARK}; }}
    #Huge {{ font-size: {f(120)}px; font-weight: bold; color: {PRIMARY_DARK}; }}
    #Error {{ font-size: {f(30)}px; color: {WARN}; font-weight: bold; }}
    #Warning {{ font-size: {f(28)}px; color: white; background: #E65100; padding: {f(12)}px; }}
    #Offer {{ background: #FFF8E1; border-bottom: 2px solid #FFB74D; }}
    #OfferText {{ font-size: {f(30)}px; font-weight: bold; color: {TEXT}; }}
    #Card {{ background: {CARD}; border-radius: {f(18)}px; border: 2px solid #C9D6E3; }}
    #Card QLabel {{ background: transparent; }}
    QPushButton {{ background: {CARD}; border: 2px solid #B0C4D8; border-radius: {f(18)}px;
                   padding: {f(16 * tall)}px; font-size: {f(30)}px; min-height: {f(80 * tall)}px; }}
    QPushButton:pressed {{ background: #D6E4F2; }}
    QPushButton:disabled {{ color: #8A99A8; background: #E4E9EE; }}
    QPushButton#Primary {{ background: {PRIMARY}; color: white; border: none; font-weight: bold; }}
    QPushButton#Primary:pressed {{ background: {PRIMARY_DARK}; }}
    QPushButton#Primary:disabled {{ background: #90A4B8; color: #EEF3F8; }}
    QPushButton#Accent {{ background: {ACCENT}; color: white; border: none; font-weight: bold; }}
    QPushButton#Tile {{ font-size: {f(40)}px; font-weight: bold; color: {PRIMARY_DARK};
                        min-height: {px(150 * tall, 1.0)}px; text-align: center; }}
    QPushButton#Choice {{ text-align: left; padding: {f(20)}px {f(28)}px; font-size: {f(30)}px; }}
    QPushButton#Choice:checked {{ border: 4px solid {PRIMARY}; background: #E3EEFA; }}
    #ChoiceTitle {{ font-size: {f(34)}px; font-weight: bold; color: {PRIMARY_DARK}; }}
    #ChoiceDetail {{ font-size: {f(26)}px; color: {MUTED}; }}
    #ChoiceNote {{ font-size: {f(28)}px; color: {ACCENT}; font-weight: bold; }}
    #TileTitle {{ font-size: {f(48)}px; font-weight: bold; color: {PRIMARY_DARK}; }}
    #TileHint {{ font-size: {f(26)}px; color: {MUTED}; }}
    #CardKey {{ font-size: {f(30)}px; color: {MUTED}; }}
    #CardValue {{ font-size: {f(32)}px; font-weight: bold; }}
    QPushButton#Key {{ font-size: {f(44)}px; font-weight: bold; min-height: {px(96 * tall, 1.0)}px; min-width: {f(96)}px;
                     padding: {f(6)}px; }}
    QPushButton#Help {{ background: #FFF3E0; border: 2px solid #FFB74D; color: #8A4B00; font-weight: bold; }}
    QPushButton#RedFlag {{ background: #FFEBEE; border: 3px solid #E57373; color: #B71C1C; font-weight: bold; }}
    QPushButton#Nav {{ min-height: {f(72 * tall)}px; font-size: {f(28)}px; }}
    QPushButton#Star {{ font-size: {f(60)}px; color: #B0BEC5; border: none; background: transparent; }}
    QPushButton#Star:checked {{ color: #F9A825; }}
    QPushButton#Tag {{ font-size: {f(26)}px; min-height: {f(64)}px; border-radius: {f(32)}px; }}
    QPushButton#Tag:checked {{ background: #E3EEFA; border: 3px solid {PRIMARY}; }}
    QLineEdit {{ font-size: {f(44)}px; padding: {f(12)}px; border: 3px solid #90A4B8; border-radius: {f(12)}px;
                 background: white; }}
    QCheckBox {{ font-size: {f(30)}px; spacing: {f(16)}px; }}
    QCheckBox::indicator {{ width: {f(44)}px; height: {f(44)}px; }}
    #Busy {{ background: rgba(20, 40, 60, 0.55); }}
    #BusyBox {{ background: white; border-radius: {f(24)}px; }}
    QScrollArea {{ border: none; background: {BG}; }}
    QScrollBar:vertical {{ width: {f(18)}px; background: #DCE6F0; }}
    QScrollBar::handle:vertical {{ background: #90A4B8; border-radius: {f(9)}px; min-height: 60px; }}
    """


class KioskStyle(QProxyStyle):
    """Bold text stays bold at every size. The shipped CJK font has one weight, so Qt makes bold by thickening the
    glyphs it caches; glyphs of 64 px and more it draws as outlines, unthickened, and elderly-mode titles, keys and
    tiles (and the ticket number) came out regular. Those are drawn a few pixels apart here, as much thicker as
    FreeType's own emboldening would make them (1/24 of the size)."""

    def drawItemText(self, painter, rect, flags, palette, enabled, text, role=None):  # noqa: N802 - Qt name
        args = (flags, palette, enabled, text) + ((role,) if role is not None else ())
        font = painter.font()
        size = QFontInfo(font).pixelSize()
        if not font.bold() or size < SYNTHETIC_BOLD_UNTIL_PX:
            super().drawItemText(painter, rect, *args)
            return
        extra = max(1, round(size / 24))
        for dx in range(extra + 1):
            super().drawItemText(painter, rect.translated(dx - extra // 2, 0), *args)


_installed: list[KioskStyle] = []  # a reference kept for the application's life


def install_style(app: QApplication) -> None:
    """Make KioskStyle the application's style (once); the stylesheet is drawn on top of it."""
    if not isinstance(app.style(), KioskStyle):
        _installed.append(KioskStyle())
        app.setStyle(_installed[-1])
