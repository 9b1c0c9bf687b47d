"""Driving the kiosk like a patient: wait for a screen, press its buttons."""
from __future__ import annotations

from PySide6.QtCore import Qt

from hardware.idcard.demo_cards import demo_card

WAIT_MS = 10000


def wait_screen(qtbot, kiosk, name: str, timeout: int = WAIT_MS):
    """Wait until the named screen is shown; return it."""
    qtbot.waitUntil(lambda: kiosk.current is not None and kiosk.current.name == name, timeout=timeout)
    return kiosk.current


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.LeftButton)


def type_keys(qtbot, keypad, text: str) -> None:
    """Touch the keypad's keys one by one."""
    for ch in text:
        click(qtbot, keypad.buttons[ch])


def choose(qtbot, screen, index: int) -> None:
    """Press item index of the screen's choice list (paging to it like a finger would)."""
    choices = screen.choices
    page = index // choices.per_page
    while choices.page < page:
        click(qtbot, choices.next)
    click(qtbot, choices.buttons[index % choices.per_page])


def place_card(reader_sim, seed: int = 7, **overrides):
    """Put a demo resident card on the reader simulator; return it."""
    card = demo_card(seed=seed, **overrides)
    reader_sim.place_card(card)
    return card


def orders(payment_sim, state: str | None = None):
    """Orders the payment gateway simulator has seen today (optionally in one state)."""
    from datetime import date

    found = payment_sim.provider.reconciliation(date.today())
    return [o for o in found if state is None or o.state.value == state]


def pay_current_order(payment_sim) -> None:
    """The patient scans the QR on screen with their phone and pays."""
    pending = orders(payment_sim, "pending")
    assert pending, "no payment order was opened"
    payment_sim.provider.patient_pays(pending[-1].order_id)


def register_until(qtbot, kiosk, reader_sim, last: str = "payment", seed: int = 7, phone: str = "13812345678",
                   doctor: int = 0):
    """Card -> new record -> first department -> doctor -> first slot -> confirm (-> payment). Returns the card."""
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    card = place_card(reader_sim, seed=seed)
    screen = wait_screen(qtbot, kiosk, "new_patient")
    type_keys(qtbot, screen.keypad, phone)
    click(qtbot, screen.keypad.ok)
    choose(qtbot, wait_screen(qtbot, kiosk, "departments"), 0)
    choose(qtbot, wait_screen(qtbot, kiosk, "doctors"), doctor)
    confirm = wait_screen(qtbot, kiosk, "confirm")  # the earliest time that suits, chosen for the patient
    if last == "slots":
        if confirm.change_time_button is not None:
            click(qtbot, confirm.change_time_button)
            wait_screen(qtbot, kiosk, "slots")
        return card
    if last == "confirm":
        return card
    click(qtbot, confirm.confirm_button)
    wait_screen(qtbot, kiosk, "payment")
    return card


def visible_texts(widget) -> list[str]:
    """Every text shown by labels and buttons under widget."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    out = []
    for child in widget.findChildren(QLabel) + widget.findChildren(QAbstractButton):
        if child.isVisibleTo(widget) and child.text():
            out.append(child.text())
    return out


PINYIN = {"王": "wang", "小": "xiao", "明": "ming", "李": "li", "雨": "yu", "张": "zhang", "乐": "le"}


def tap_key(qtbot, kiosk, text: str = "", key=None) -> None:
    """Touch one key of the on-screen keyboard (Qt Virtual Keyboard), like a finger: the key typing ``text``, or
    the one with Qt key code ``key`` (Qt.Key_Backspace...)."""
    keyboard = kiosk.keyboard
    qtbot.waitUntil(lambda: keyboard.target() is not None and keyboard.key_point(text, key) is not None, timeout=10000)
    qtbot.mouseClick(keyboard.view, Qt.LeftButton, pos=keyboard.key_point(text, key))


def keyboard_types(qtbot, kiosk, name: str) -> None:
    """Type a Chinese name on the kiosk's keyboard in pinyin: the letters of each character's reading, then the
    character in the candidate bar (PINYIN gives the readings the tests use); letters and digits type as such."""
    keyboard = kiosk.keyboard
    assert keyboard is not None and keyboard.isVisible(), "the on-screen keyboard is not shown"
    for ch in name:
        if ch not in PINYIN:
            tap_key(qtbot, kiosk, ch)
            continue
        for letter in PINYIN[ch]:
            tap_key(qtbot, kiosk, letter)
        typed = keyboard.target().text()
        try:
            qtbot.waitUntil(lambda: ch in keyboard.candidates(), timeout=10000)
        except qtbot.TimeoutError:
            raise AssertionError(f"{ch} not offered for {PINYIN[ch]}: {keyboard.candidates()[:10]}") from None
        seen: list = []

        def settled() -> bool:  # the candidate bar stops moving before a finger picks from it
            seen.append(keyboard.candidate_point(ch))
            return len(seen) > 1 and seen[-1] == seen[-2] and seen[-1] is not None

        qtbot.waitUntil(settled, timeout=10000)
        qtbot.mouseClick(keyboard.view, Qt.LeftButton, pos=keyboard.candidate_point(ch))
        try:
            qtbot.waitUntil(lambda: keyboard.target() is not None and keyboard.target().text() == typed + ch,
                            timeout=10000)
        except qtbot.TimeoutError:
            field = keyboard.target()
            raise AssertionError(f"picked {ch}: the field has {field.text() if field else None!r}, "
                                 f"offered {keyboard.candidates()[:8]}") from None


def input_method_types(edit, text: str) -> None:
    """What an input method does when the patient picks characters: it commits them to the focused field (for the
    screens' own tests; tests of typing itself use ``keyboard_types``)."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(edit, event)
