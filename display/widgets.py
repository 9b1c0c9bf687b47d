"""Small Qt widgets the wall and door screens share: text that fits, a scrolling band, banners."""
from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from common.legible import fit_patients, fit_text

BG = "#0b2545"
PANEL = "#13315c"
ACCENT = "#ffd166"
TEXT = "#ffffff"
MUTED = "#b8c7e0"
ALERT = "#c1121f"


class FitLabel(QLabel):
    """A label whose font shrinks (never grows past ``max_px``) until the whole text fits.

    Names and room numbers are never clipped or elided: a long text just gets smaller.
    """

    def __init__(self, text: str = "", max_px: int = 40, *, bold: bool = False, color: str = TEXT,
                 align: Qt.AlignmentFlag = Qt.AlignLeft | Qt.AlignVCenter, min_px: int = 10, parent=None):
        super().__init__(parent)
        self._max_px, self._min_px, self._bold = max_px, min_px, bold
        self.setAlignment(align)
        self.setStyleSheet(f"color: {color}; background: transparent;")
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.setMinimumHeight(int(max_px * 0.6))
        self.setText(text)

    def set_color(self, color: str) -> None:
        self.setStyleSheet(f"color: {color}; background: transparent;")

    def setText(self, text: str) -> None:  # noqa: N802 (Qt naming)
        if text != self.text():
            super().setText(text)
        self._fit()

    def fitted_px(self) -> int:
        return self.font().pixelSize()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        font = QFont(self.font())
        font.setBold(self._bold)
        area = self.contentsRect()
        width, height = max(1, area.width() - 4), max(1, area.height() * 1.05)
        text = self.text()

        def fits(px: int) -> bool:
            font.setPixelSize(px)
            metrics = QFontMetricsF(font)
            return metrics.horizontalAdvance(text) <= width and metrics.height() <= height

        low, high = self._min_px, self._max_px  # the largest size that fits, by bisection
        if fits(high):
            low = high
        while high - low > 1:
            middle = (low + high) // 2
            if fits(middle):
                low = middle
            else:
                high = middle
        font.setPixelSize(low)
        if font != self.font():
            self.setFont(font)

    def text_fits(self) -> bool:
        """True when the text is shown whole at the current size (tests check screens with it)."""
        metrics = QFontMetricsF(self.font())
        return metrics.horizontalAdvance(self.text()) <= self.contentsRect().width()


class LineLabel(FitLabel):
    """A label at one fixed, legible size: a text too long is shortened by whole items, never shrunk.

    ``show_text(choice, shorter, ...)`` shows the first choice that fits (the last one loses its end to "…");
    ``show_patients([(ticket, name)], prefix)`` drops names, then whole patients, never a ticket number
    (:mod:`common.legible`).
    """

    def __init__(self, px: int, *, bold: bool = False, color: str = TEXT,
                 align: Qt.AlignmentFlag = Qt.AlignLeft | Qt.AlignVCenter, parent=None):
        super().__init__("", px, bold=bold, color=color, align=align, min_px=px, parent=parent)
        self.setMinimumHeight(int(px * 1.15))
        self._choices: list[str] = []
        self._patients: list[tuple[str, str]] | None = None
        self._prefix = ""

    def show_text(self, *choices: str) -> None:
        self._patients, self._choices = None, [c for c in choices if c]
        self._refit()

    def show_patients(self, patients: list[tuple[str, str]], prefix: str = "") -> None:
        self._patients, self._prefix = list(patients), prefix
        self._refit()

    def _refit(self) -> None:
        font = QFont(self.font())
        font.setBold(self._bold)
        font.setPixelSize(self._max_px)
        metrics = QFontMetricsF(font)
        width = max(1, self.contentsRect().width() - 4)

        def fits(text: str) -> bool:
            return metrics.horizontalAdvance(text) <= width

        if self._patients is not None:
            shown = fit_patients(self._patients, lambda t: fits(self._prefix + t))
            text = self._prefix + shown if shown else ""
        else:
            text = fit_text(self._choices, fits) if self._choices else ""
        FitLabel.setText(self, text)

    def resizeEvent(self, event) -> None:  # noqa: N802
        QLabel.resizeEvent(self, event)
        self._refit()


class Ticker(QWidget):
    """A band scrolling its text from right to left, looping; notices and health education."""

    def __init__(self, px: int = 34, speed: int = 120, parent=None):
        super().__init__(parent)
        self._text = ""
        self._speed = speed
        self._offset: float | None = None
        self._font = QFont()
        self._font.setPixelSize(px)
        self.setFixedHeight(int(px * 1.6))
        self._clock = QElapsedTimer()
        self._clock.start()
        self._timer = QTimer(self)
        self._timer.setInterval(33)
        self._timer.timeout.connect(self._step)
        self._timer.start()

    def text(self) -> str:
        return self._text

    def set_items(self, items: list[str]) -> None:
        text = "        ◆  ".join(i.strip() for i in items if i.strip())
        if text != self._text:
            self._text = text
            self._offset = None

    def _step(self) -> None:
        elapsed = self._clock.restart() / 1000.0
        if self._offset is not None:
            self._offset += self._speed * min(elapsed, 0.2)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(PANEL))
        if not self._text:
            return
        if self._offset is None:  # a new text starts readable at the left edge, then scrolls
            self._offset = self.width() - 24.0
        painter.setFont(self._font)
        painter.setPen(QColor(ACCENT))
        metrics = QFontMetricsF(self._font)
        span = metrics.horizontalAdvance(self._text) + self.width() * 0.5
        x = self.width() - (self._offset % (span + self.width()))
        painter.drawText(QRectF(x, 0, span, self.height()), Qt.AlignVCenter | Qt.AlignLeft, self._text)


class Banner(FitLabel):
    """A full-width strip for a broadcast or a lost connection; hidden when it has no text."""

    def __init__(self, px: int, background: str, color: str = TEXT, parent=None):
        super().__init__("", px, bold=True, color=color, align=Qt.AlignCenter, parent=parent)
        self._background = background
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"color: {color}; background: {background}; padding: 0 16px;")
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.setFixedHeight(int(px * 1.6))
        self.hide()

    def show_text(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
