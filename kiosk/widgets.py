"""Reusable touch widgets: screen base, buttons, keypad, paged choice list, star rating."""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import tr


def label(text: str, name: str = "", wrap: bool = True, align=Qt.AlignLeft | Qt.AlignVCenter) -> QLabel:
    """A label with an object name for the stylesheet."""
    lab = QLabel(text)
    if name:
        lab.setObjectName(name)
    lab.setWordWrap(wrap)
    lab.setAlignment(align)
    return lab


def button(text: str, name: str = "", on_click: Callable[[], None] | None = None) -> QPushButton:
    """A big touch button."""
    btn = QPushButton(text)
    if name:
        btn.setObjectName(name)
    btn.setFocusPolicy(Qt.NoFocus)
    btn.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
    if on_click is not None:
        btn.clicked.connect(lambda _checked=False: on_click())
    return btn


class RichButton(QPushButton):
    """A big button with a bold first line, a plainer detail line and an optional right-hand note."""

    def __init__(self, title: str, detail: str = "", note: str = "", name: str = "Choice",
                 on_click: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setFocusPolicy(Qt.NoFocus)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(28, 16, 28, 16)
        texts = QVBoxLayout()
        texts.setSpacing(6)
        self.title_label = label(title, "ChoiceTitle")
        texts.addWidget(self.title_label)
        self.detail_label = label(detail, "ChoiceDetail")
        self.detail_label.setVisible(bool(detail))
        texts.addWidget(self.detail_label)
        row.addLayout(texts, 1)
        self.note_label = label(note, "ChoiceNote", wrap=False, align=Qt.AlignRight | Qt.AlignVCenter)
        self.note_label.setVisible(bool(note))
        row.addWidget(self.note_label)
        for lab in (self.title_label, self.detail_label, self.note_label):
            lab.setAttribute(Qt.WA_TransparentForMouseEvents, True)
        if on_click is not None:
            self.clicked.connect(lambda _checked=False: on_click())

    def text(self) -> str:  # noqa: D401 - like QPushButton.text()
        """All the visible text, for tests and speech."""
        return " ".join(x.text() for x in (self.title_label, self.detail_label, self.note_label) if x.text())

    def sizeHint(self):  # noqa: N802 - Qt name
        return self.layout().sizeHint()

    def minimumSizeHint(self):  # noqa: N802 - Qt name
        return self.layout().minimumSize()


Item = "str | tuple[str, str, str]"


class Screen(QWidget):
    """One step of a flow: one decision, with a title and an optional line that is spoken in elderly mode.

    name: stable id used by tests and screenshots. timeout_s: seconds of inactivity before going home
    (None = the kiosk default; 0 = never, for the idle home screen).
    """

    name = "screen"
    timeout_s: int | None = None
    allow_back = True  # False once a step cannot be undone (paying, paid)
    own_countdown = False  # True when the page shows its own countdown (paying): the header's is hidden then

    def __init__(self, title: str = "", subtitle: str = "", elderly: bool = False) -> None:
        super().__init__()
        self.setObjectName("Screen")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.elderly = elderly
        self.speech = subtitle or title
        self.actions: list[QWidget] = []  # the step's main buttons: the window shows them in its fixed action bar
        self.root = QVBoxLayout(self)
        self.root.setContentsMargins(48, 36, 48, 24)
        self.root.setSpacing(24)
        self.title_label = label(title, "Title", align=Qt.AlignCenter)
        self.subtitle_label = label(subtitle, "Subtitle", align=Qt.AlignCenter)
        if title:
            self.root.addWidget(self.title_label)
        if subtitle:
            self.root.addWidget(self.subtitle_label)

    def add(self, widget: QWidget, stretch: int = 0) -> QWidget:
        self.root.addWidget(widget, stretch)
        return widget

    def add_action(self, widget: QWidget) -> QWidget:
        """A main action of this step: always in view at the bottom of the window, never below a scrollbar."""
        self.actions.append(widget)
        return widget

    def add_stretch(self) -> None:
        self.root.addStretch(1)

    def add_columns(self, left: list[QWidget], right: list[QWidget], side_by_side: bool) -> None:
        """Two groups of widgets: side by side on a landscape screen, one above the other in portrait."""
        if not side_by_side:
            for w in left + right:
                self.root.addWidget(w, 1 if isinstance(w, Keypad) else 0)
            return
        row = QHBoxLayout()
        row.setSpacing(48)
        for group in (left, right):
            column = QVBoxLayout()
            column.setSpacing(20)
            for w in group:
                column.addWidget(w, 1 if isinstance(w, Keypad) else 0)
            if not any(isinstance(w, Keypad) for w in group):
                column.addStretch(1)
            row.addLayout(column, 1)
        self.root.addLayout(row, 1)


class Card(QWidget):
    """A white rounded panel holding rows of text."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("Card")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(32, 24, 32, 24)
        self.layout_.setSpacing(12)

    def row(self, key: str, value: str, big: bool = False) -> QLabel:
        line = QHBoxLayout()
        k = label(key, "CardKey", wrap=False)
        v = label(value, "Big" if big else "CardValue", align=Qt.AlignRight | Qt.AlignVCenter)
        line.addWidget(k)
        line.addWidget(v, 1)
        self.layout_.addLayout(line)
        return v

    def text(self, text: str, name: str = "") -> QLabel:
        lab = label(text, name)
        self.layout_.addWidget(lab)
        return lab


class Keypad(QWidget):
    """On-screen keypad writing into a QLineEdit. ``extra`` adds a key such as "X" for ID numbers."""

    submitted = Signal(str)

    def __init__(self, edit: QLineEdit, max_length: int, extra: str = "", ok_text: str = "") -> None:
        super().__init__()
        self.edit = edit
        self.max_length = max_length
        grid = QGridLayout(self)
        grid.setSpacing(14)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", extra or "", "0", "⌫"]
        self.buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(keys):
            if not key:
                continue
            btn = button(key, "Key", lambda k=key: self.press(k))
            btn.setProperty("typing", True)  # a key that types (not a step of the flow: the tap counts leave it out)
            self.buttons[key] = btn
            grid.addWidget(btn, i // 3, i % 3)
        clear = button(tr("清空"), "Key", lambda: self.edit.clear())
        self.ok = button(ok_text or tr("确定"), "Primary", lambda: self.submitted.emit(self.edit.text()))
        if extra:
            grid.addWidget(clear, 4, 0)
            grid.addWidget(self.ok, 4, 1, 1, 2)
        else:  # no extra key: 清空 takes its place, the keypad is a row shorter
            grid.addWidget(clear, 3, 0)
            grid.addWidget(self.ok, 4, 0, 1, 3)
        self.buttons["clear"] = clear

    def press(self, key: str) -> None:
        text = self.edit.text()
        if key == "⌫":
            self.edit.setText(text[:-1])
        elif len(text) < self.max_length:
            self.edit.setText(text + key)

    def type_text(self, text: str) -> None:
        """Press the keys for text, one by one (used by tests and the benchmark like a finger would)."""
        for ch in text:
            self.buttons[ch].click()


class ChoiceList(QWidget):
    """A paged list of big choice buttons (fewer per page in elderly mode).

    An item is a string or (title, detail, note).
    """

    chosen = Signal(int)

    def __init__(self, items: Sequence, per_page: int, columns: int = 1) -> None:
        super().__init__()
        self.items = list(items)
        self.per_page = max(1, per_page)
        self.columns = max(1, columns)  # a landscape screen has the width, not the height: items side by side
        self.page = 0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(16)
        self.box = QGridLayout()
        self.box.setSpacing(16)
        outer.addLayout(self.box)
        outer.addStretch(1)
        nav = QHBoxLayout()
        self.prev = button(tr("上一页"), "Nav", lambda: self.show_page(self.page - 1))
        self.page_label = label("", "Subtitle", wrap=False, align=Qt.AlignCenter)
        self.next = button(tr("下一页"), "Nav", lambda: self.show_page(self.page + 1))
        nav.addWidget(self.prev)
        nav.addWidget(self.page_label)
        nav.addWidget(self.next)
        outer.addLayout(nav)
        self.buttons: list[QPushButton] = []
        self.disabled: set[int] = set()
        self.show_page(0)

    def disable(self, index: int) -> None:
        """Show an item greyed out (e.g. sold out)."""
        self.disabled.add(index)
        self.show_page(self.page)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.items) // self.per_page))

    def show_page(self, page: int) -> None:
        self.page = max(0, min(page, self.pages - 1))
        for btn in self.buttons:
            btn.setParent(None)
            btn.deleteLater()
        self.buttons = []
        start = self.page * self.per_page
        for index in range(start, min(start + self.per_page, len(self.items))):
            item = self.items[index]
            title, detail, note = (item, "", "") if isinstance(item, str) else item
            btn = RichButton(title, detail, note, on_click=lambda i=index: self.chosen.emit(i))
            if index in self.disabled:
                btn.setEnabled(False)
                for lab in (btn.title_label, btn.note_label):
                    lab.setStyleSheet("color: #8A99A8;")
            slot = index - start
            self.box.addWidget(btn, slot // self.columns, slot % self.columns)
            self.buttons.append(btn)
        many = self.pages > 1
        for w in (self.prev, self.next, self.page_label):
            w.setVisible(many)
        self.prev.setEnabled(self.page > 0)
        self.next.setEnabled(self.page < self.pages - 1)
        self.page_label.setText(tr("第 {page} / {pages} 页").format(page=self.page + 1, pages=self.pages))

    def button_for(self, index: int) -> QPushButton:
        """The button of item index (switching to its page)."""
        self.show_page(index // self.per_page)
        return self.buttons[index % self.per_page]


class StarRating(QWidget):
    """1-5 stars."""

    changed = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.addStretch(1)
        self.value = 0
        self.stars: list[QPushButton] = []
        for n in range(1, 6):
            btn = QPushButton("★")
            btn.setObjectName("Star")
            btn.setCheckable(True)
            btn.setFocusPolicy(Qt.NoFocus)
            btn.clicked.connect(lambda _=False, v=n: self.set_value(v))
            row.addWidget(btn)
            self.stars.append(btn)
        row.addStretch(1)

    def set_value(self, value: int) -> None:
        self.value = value
        for n, btn in enumerate(self.stars, start=1):
            btn.setChecked(n <= value)
        self.changed.emit(value)
