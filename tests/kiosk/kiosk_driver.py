"""Helpers that drive the kiosk like a patient: wait for a screen, press its buttons."""
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
