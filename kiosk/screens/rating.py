"""服务评价: 1-5 stars and quick tags after a transaction; skippable."""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from kiosk.i18n import tr
from kiosk.widgets import Screen, StarRating, button

TAGS = ["操作简单", "速度快", "字大清楚", "指引明白", "等候太久", "操作复杂"]


class RatingScreen(Screen):
    name = "rating"
    allow_back = False

    def __init__(self, kiosk, on_submit: Callable[[int, list[str]], None], on_skip: Callable[[], None]) -> None:
        super().__init__(tr("请为本次服务评价"), tr("您的意见能帮助我们做得更好，也可以直接跳过"), kiosk.elderly)
        self.stars = StarRating()
        self.add(self.stars)
        grid = QGridLayout()
        grid.setSpacing(16)
        self.tags: dict[str, QPushButton] = {}
        for i, tag in enumerate(TAGS):
            btn = button(tr(tag), "Tag")
            btn.setCheckable(True)
            self.tags[tag] = btn
            columns = 2 if kiosk.settings.portrait else 3
            grid.addWidget(btn, i // columns, i % columns)
        holder = QWidget()
        holder.setLayout(grid)
        self.add(holder)
        self.add_stretch()
        self.submit_button = button(tr("提交评价"), "Primary", lambda: on_submit(self.stars.value, self.chosen_tags()))
        self.submit_button.setEnabled(False)
        self.stars.changed.connect(lambda v: self.submit_button.setEnabled(v > 0))
        self.skip_button = button(tr("跳过"), "", on_skip)
        self.add_action(self.submit_button)
        self.add_action(self.skip_button)

    def chosen_tags(self) -> list[str]:
        return [tag for tag, btn in self.tags.items() if btn.isChecked()]
