"""Every kiosk screen, in zh/en x normal/elderly x portrait/landscape, fits: nothing clipped, outside the window,
overlapping, or below a scrollbar; the main action always in the fixed action bar."""
from __future__ import annotations

from kiosk.layout_check import MODES, check_every_screen, check_window, offline_window, walk
from kiosk.widgets import Screen, label


def test_every_screen_fits_in_every_mode(qapp):
    count, problems = check_every_screen()
    assert count >= 20 * len(MODES)
    assert [str(p) for p in problems] == []


def test_main_actions_sit_in_the_action_bar_not_in_the_scrolled_page(qapp):
    seen = set()
    for window, name, mode in walk(MODES[:1] + MODES[-1:]):
        screen = window.current
        for action in screen.actions:
            if action.isVisible():
                assert action.parentWidget() is window.action_bar, (name, mode)
                seen.add(name)
    assert {"confirm", "new_patient", "bills", "ticket", "day", "payment"} <= seen


def test_the_check_finds_a_cut_off_text_and_a_page_taller_than_the_screen(qapp):
    window = offline_window(portrait=False)
    window.resize(1920, 1080)
    window.show()
    try:
        class Crowded(Screen):
            name = "crowded"

            def __init__(self) -> None:
                super().__init__("标题")
                long = label("一行很长很长的说明文字，" * 20, "Title", wrap=False)
                long.setMaximumWidth(300)
                self.add(long)
                for n in range(30):
                    self.add(label(f"第 {n} 行", "Title"))

        window.show_screen(Crowded)
        qapp.processEvents()
        kinds = {p.kind for p in check_window(window)}
        assert {"clipped", "scroll"} <= kinds
    finally:
        window.admin_exit()
        window.backend.close()
