"""Elderly mode: offered by itself when the card says 65 or older (the patient may say no), and bold stays bold in
its large type."""
from __future__ import annotations

from PySide6.QtGui import QColor

from tests.kiosk.kiosk_driver import click, place_card, wait_screen

OLD_SEED, YOUNG_SEED = 303, 300  # demo cards born in 1938 and in 1986


def ink(widget) -> int:
    image = widget.grab().toImage()
    return sum(1 for y in range(image.height()) for x in range(image.width())
               if QColor(image.pixel(x, y)).lightness() < 128)


def test_a_card_of_65_or_more_is_offered_large_print(qtbot, kiosk, reader_sim):
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    place_card(reader_sim, seed=OLD_SEED)
    wait_screen(qtbot, kiosk, "new_patient")
    assert kiosk.elderly_offer.isVisible() and not kiosk.elderly  # offered, not switched
    assert "1938" not in kiosk.elderly_offer_text.text()  # the age is not shown
    click(qtbot, kiosk.elderly_offer_yes)
    assert kiosk.elderly and not kiosk.elderly_offer.isVisible()
    assert kiosk.current.name == "new_patient"  # the patient is where they were, in large print


def test_the_offer_can_be_declined_and_a_younger_card_gets_none(qtbot, kiosk, reader_sim):
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    place_card(reader_sim, seed=OLD_SEED)
    wait_screen(qtbot, kiosk, "new_patient")
    click(qtbot, kiosk.elderly_offer_no)
    assert not kiosk.elderly and not kiosk.elderly_offer.isVisible()
    kiosk.go_home("done")
    click(qtbot, kiosk.current.tiles["register"])
    wait_screen(qtbot, kiosk, "identify")
    place_card(reader_sim, seed=YOUNG_SEED)
    wait_screen(qtbot, kiosk, "new_patient")
    assert not kiosk.elderly_offer.isVisible()


def test_bold_type_stays_bold_in_elderly_mode(qtbot, kiosk):
    kiosk.set_elderly(True)
    click(qtbot, kiosk.current.tiles["register"])
    title = wait_screen(qtbot, kiosk, "identify").title_label
    assert title.font().pixelSize() >= 64 or title.fontInfo().pixelSize() >= 64  # the large type of elderly mode
    bold = ink(title)
    title.setStyleSheet("font-weight: normal")
    regular = ink(title)
    assert bold > regular * 1.15, (bold, regular)
