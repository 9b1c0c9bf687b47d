"""The kiosk's on-screen keyboard: Qt Virtual Keyboard (Chinese pinyin and English) for every text field.

Qt Virtual Keyboard is the application's input method (``QT_IM_MODULE=qtvirtualkeyboard``, set by
``enable_input_method`` before the QApplication exists). Its ready-made desktop panel is a separate top-level
window, which a locked full-screen kiosk would hide; so the desktop panel is switched off
(``QT_VIRTUALKEYBOARD_DESKTOP_DISABLE=1``) and the kiosk hosts the keyboard's QML ``InputPanel`` itself, in a
``QQuickWidget`` at the bottom of its window (``KeyboardPanel``). Any editable text field that gets the focus
(the child's name, …) opens it; the fields with their own keypads (ID number, birth date, PIN) are read-only and
never do.

The keyboard follows the screen's language (简体中文 pinyin on Chinese screens, English on English ones, the globe
key switches) and is wider, so its keys are bigger, in elderly mode. Without a GPU (offscreen tests, a kiosk PC
without OpenGL) Qt Quick draws with its software renderer.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt, QUrl, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLineEdit, QWidget

log = logging.getLogger(__name__)

LOCALES = {"zh": "zh_CN", "en": "en_US"}
NORMAL_WIDTH = 0.8  # share of the window's width the keyboard takes; elderly mode takes all of it
LANDSCAPE_WIDTH = 1000  # px on a 1920x1080 screen: the keyboard's height follows its width, and the height is short
QML = Path(__file__).with_name("keyboard.qml")


def enable_input_method() -> None:
    """Make Qt Virtual Keyboard the input method of the QApplication about to be created (no-op once set)."""
    os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")
    os.environ.setdefault("QT_VIRTUALKEYBOARD_DESKTOP_DISABLE", "1")
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":  # no GPU: Qt Quick's software renderer draws the keys
        os.environ.setdefault("QT_QUICK_BACKEND", "software")


def input_method_ready() -> bool:
    """The running application's input method is Qt Virtual Keyboard (it was enabled before the app was made)."""
    return os.environ.get("QT_IM_MODULE") == "qtvirtualkeyboard" and QApplication.instance() is not None


class KeyboardPanel(QWidget):
    """The keyboard strip at the bottom of the kiosk window; shown while a text field wants input."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtQuickWidgets import QQuickWidget  # noqa: PLC0415 - Qt Quick, only when the keyboard is on

        self.setObjectName("Keyboard")
        self.setAttribute(Qt.WA_StyledBackground, True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.view = QQuickWidget(self)
        self.view.setFocusPolicy(Qt.NoFocus)  # a tap on a key leaves the focus in the text field
        self.view.setAttribute(Qt.WA_AcceptTouchEvents, True)
        self.view.setResizeMode(QQuickWidget.SizeViewToRootObject)  # the keys' height follows their width
        self.view.setClearColor(Qt.transparent)
        # Loading the keyboard's QML logs from Qt's loader thread while this thread waits for it without letting
        # Python run: a Qt message handler written in Python (pytest-qt's, the demo's) would then wait for this
        # thread forever. Qt's own handler (stderr) does the load; the Python one is put back after.
        previous = qInstallMessageHandler(None)
        try:
            self.view.setSource(QUrl.fromLocalFile(str(QML)))
        finally:
            if previous is not None:
                qInstallMessageHandler(previous)
        self.panel = self.view.rootObject()
        self.ready = self.panel is not None and input_method_ready()
        if self.panel is not None:
            self.panel.heightChanged.connect(self._fit)  # the candidate bar comes and goes above the keys
        if self.panel is None:
            log.warning("on-screen keyboard not available: %s", [e.toString() for e in self.view.errors()])
        row.addStretch(1)
        row.addWidget(self.view)
        row.addStretch(1)
        self.elderly = False
        self.portrait = True
        self.hide()
        QGuiApplication.inputMethod().visibleChanged.connect(self._follow_input_method)

    # ----- what the kiosk window sets ---------------------------------------------------------
    def set_language(self, lang: str) -> None:
        if self.ready:
            self.panel.setProperty("kioskLocale", LOCALES.get(lang, "zh_CN"))

    def set_mode(self, *, elderly: bool, portrait: bool) -> None:
        self.elderly, self.portrait = elderly, portrait
        self._fit()

    def open_for(self, screen: QWidget) -> None:
        """A screen just shown: the first editable text field gets the focus and the keyboard; none, it closes."""
        field = next((e for e in screen.findChildren(QLineEdit)
                      if not e.isReadOnly() and e.focusPolicy() != Qt.NoFocus and e.isEnabled()), None)
        if field is None or not self.ready:
            QGuiApplication.inputMethod().hide()
            self.hide()
            return
        if not self.window().isActiveWindow():
            self.window().activateWindow()  # the kiosk's only window: keys go to the field that has the focus
        field.setFocus(Qt.OtherFocusReason)
        QGuiApplication.inputMethod().show()
        self.setVisible(True)

    def target(self) -> QLineEdit | None:
        """The text field the keys type into now (None while the window has not taken the focus yet)."""
        focus = QApplication.focusWidget()
        settled = self.ready and self.isVisible() and bool(self.panel.property("kioskSettled"))
        return focus if isinstance(focus, QLineEdit) and not focus.isReadOnly() and settled else None

    # ----- inside -----------------------------------------------------------------------------
    def _follow_input_method(self) -> None:
        self.setVisible(self.ready and QGuiApplication.inputMethod().isVisible())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.parentWidget().width() if self.parentWidget() else self.width()
        if self.portrait:
            keys = width if self.elderly else int(width * NORMAL_WIDTH)
        else:
            keys = min(width, int(LANDSCAPE_WIDTH * (1.15 if self.elderly else 1.0)))
        if not self.ready:
            return
        self.panel.setWidth(keys)
        self.view.setFixedSize(keys, int(self.panel.height()) or keys // 3)

    # ----- where things are (for the tests, the benchmark and the screenshots) ---------------
    def _items(self):
        from PySide6.QtQuick import QQuickItem  # noqa: PLC0415 - Qt Quick, only when the keyboard is on

        return self.panel.findChildren(QQuickItem) if self.ready else []

    def key_point(self, text: str = "", key: int | None = None) -> QPoint | None:
        """Centre of the visible key that types ``text`` (or has the Qt key code ``key``, e.g. Qt.Key_Backspace),
        in the view's coordinates; None when there is none."""
        for item in self._items():
            code = item.property("key")
            if code is None or not item.isVisible() or item.width() <= 0:
                continue
            if (key is not None and code == int(key)) or (key is None and item.property("text") == text):
                return self._centre(item)
        return None

    def candidates(self) -> list[str]:
        """The words the pinyin engine offers for what was typed, as shown in the candidate bar."""
        return [text for text, _item in self._candidate_items()]

    def candidate_point(self, text: str) -> QPoint | None:
        return next((self._centre(item) for t, item in self._candidate_items() if t == text), None)

    def _candidate_items(self):
        from PySide6.QtQuick import QQuickItem  # noqa: PLC0415 - Qt Quick, only when the keyboard is on

        found = []
        for item in self._items():
            if item.objectName() == "wordCandidateView" and item.isVisible():
                for delegate in item.property("contentItem").childItems():
                    texts = [t for t in delegate.findChildren(QQuickItem) if t.metaObject().className().startswith("QQuickText")]
                    if texts and delegate.isVisible() and delegate.width() > 0:
                        found.append((str(texts[0].property("text")), delegate))
        return found

    def _centre(self, item) -> QPoint:
        point = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
        return QPoint(int(point.x()), int(point.y()))
