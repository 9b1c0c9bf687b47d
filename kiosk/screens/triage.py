"""智能导诊: a body map and a short list of symptoms in plain words, then one or two departments with why.

The rules are the hospital file's (common/triage.py); these screens only show them. Each symptom's button carries
its picture (assets/triage/), the same in both languages and larger in elderly mode. A red flag goes to 急诊 and the
staff are called at once; any suggestion can be overruled (我自己选科室).
"""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from common.triage import Advice, TriageConfig, icon_file
from kiosk.i18n import pick, tr
from kiosk.style import px
from kiosk.widgets import Card, Screen, button, label

# where each region sits on the figure, as fractions of the picture (x, y, w, h)
REGION_BOXES = {"head": (0.38, 0.02, 0.24, 0.16), "eyes": (0.40, 0.06, 0.20, 0.05), "chest": (0.30, 0.20, 0.40, 0.18),
                "belly": (0.32, 0.38, 0.36, 0.17), "limbs": (0.10, 0.20, 0.80, 0.78), "whole": (0.0, 0.0, 1.0, 1.0)}
# a symptom's picture on its button, before the elderly-mode scale: larger when upright (one column, room to spare)
SYMPTOM_ICON_PX = {True: 72, False: 56}  # portrait: px


class BodyMap(QWidget):
    """A plain drawing of a person; tapping a part chooses that region (the buttons beside it do the same)."""

    chosen = Signal(str)

    def __init__(self, regions: Sequence[str]) -> None:
        super().__init__()
        self.regions = [r for r in ("eyes", "head", "chest", "belly", "limbs") if r in regions]
        self.setMinimumSize(150, 250)
        self.highlight = ""

    def region_at(self, x: float, y: float) -> str:
        for region in self.regions:  # the small parts first: eyes inside the head, limbs last
            bx, by, bw, bh = REGION_BOXES[region]
            if bx <= x <= bx + bw and by <= y <= by + bh:
                return region
        return ""

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt name
        w, h = self._figure()
        ox, oy = (self.width() - w) / 2, (self.height() - h) / 2
        region = self.region_at((event.position().x() - ox) / w, (event.position().y() - oy) / h)
        if region:
            self.highlight = region
            self.update()
            self.chosen.emit(region)

    def _figure(self) -> tuple[float, float]:
        h = min(self.height(), self.width() * 1.8)
        return h / 1.8, h

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt name
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        w, h = self._figure()
        ox, oy = (self.width() - w) / 2, (self.height() - h) / 2

        def box(x, y, bw, bh) -> QRectF:
            return QRectF(ox + x * w, oy + y * h, bw * w, bh * h)

        skin, line = QColor("#DCE8F5"), QPen(QColor("#1565C0"), 4)
        p.setPen(line)
        parts = {"head": [("ellipse", (0.38, 0.02, 0.24, 0.16))],
                 "chest": [("rect", (0.30, 0.20, 0.40, 0.18))],
                 "belly": [("rect", (0.32, 0.38, 0.36, 0.17))],
                 "limbs": [("rect", (0.12, 0.21, 0.15, 0.34)), ("rect", (0.73, 0.21, 0.15, 0.34)),
                           ("rect", (0.33, 0.56, 0.15, 0.42)), ("rect", (0.52, 0.56, 0.15, 0.42))]}
        for region, shapes in parts.items():
            p.setBrush(QColor("#FFB74D") if region == self.highlight else skin)
            for kind, (x, y, bw, bh) in shapes:
                (p.drawEllipse if kind == "ellipse" else p.drawRoundedRect)(*(
                    (box(x, y, bw, bh),) if kind == "ellipse" else (box(x, y, bw, bh), 12, 12)))
        p.setBrush(QColor("#FFB74D") if self.highlight == "eyes" else QColor("#1565C0"))
        for x in (0.44, 0.53):
            p.drawEllipse(box(x, 0.075, 0.035, 0.02))
        p.end()


class TriageScreen(Screen):
    """Where does it hurt (body map and region buttons), then what do you feel (one tap on a symptom)."""

    name = "triage"

    def __init__(self, kiosk, rules: TriageConfig, on_symptom: Callable[[str], None],
                 on_choose_myself: Callable[[], None]) -> None:
        portrait = kiosk.settings.portrait
        super().__init__(tr("哪里不舒服？"), tr("请点一下身体不舒服的地方，再点您的感觉") if portrait and not kiosk.elderly else "",
                         kiosk.elderly)
        self.rules = rules
        self.on_symptom = on_symptom
        self.region_buttons: dict[str, QPushButton] = {}
        self.symptom_buttons: dict[str, QPushButton] = {}
        self.symptom_columns = 1 if portrait else 2  # a picture and the words in one line: one column when upright
        self.icon_px = px(SYMPTOM_ICON_PX[bool(portrait)], kiosk.settings.elderly_scale if kiosk.elderly else 1.0)
        self.map = BodyMap([r.id for r in rules.regions])
        self.map.chosen.connect(self.show_region)
        regions = QWidget()
        grid = QGridLayout(regions)
        grid.setSpacing(14)
        for i, region in enumerate(rules.regions):
            btn = button(pick(region.name, region.name_en), "Tag", lambda r=region.id: self.show_region(r))
            btn.setCheckable(True)
            btn.setAutoExclusive(True)
            self.region_buttons[region.id] = btn
            columns = 2 if portrait else 3
            grid.addWidget(btn, i // columns, i % columns)
        self.symptoms = QWidget()
        self.symptom_grid = QGridLayout(self.symptoms)
        self.symptom_grid.setSpacing(14)
        self.add_columns([self.map], [regions], side_by_side=True)
        self.add(self.symptoms)
        self.add_stretch()
        self.myself_button = button(tr("我自己选科室"), "", on_choose_myself)
        self.add_action(self.myself_button)

    def show_region(self, region: str) -> None:
        """The symptoms of that region, each a big button: one tap gives the advice."""
        self.map.highlight = region
        self.map.update()
        if region in self.region_buttons:
            self.region_buttons[region].setChecked(True)
        while self.symptom_grid.count():
            widget = self.symptom_grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.symptom_buttons = {}
        for i, symptom in enumerate(s for s in self.rules.symptoms if s.region == region):
            btn = button(pick(symptom.name, symptom.name_en), "RedFlag" if symptom.red_flag else "",
                         lambda s=symptom.id: self.on_symptom(s))
            picture = icon_file(symptom.icon)
            if picture is not None:
                btn.setIcon(QIcon(str(picture)))
                btn.setIconSize(QSize(self.icon_px, self.icon_px))
            self.symptom_buttons[symptom.id] = btn
            self.symptom_grid.addWidget(btn, i // self.symptom_columns, i % self.symptom_columns)


class TriageAdviceScreen(Screen):
    """One or two departments with why, each to register at; or, for a red flag, 急诊 now and staff called."""

    name = "triage_advice"

    def __init__(self, kiosk, advice: Advice, names: dict[str, tuple[str, str]],
                 on_department: Callable[[str], None], on_choose_myself: Callable[[], None]) -> None:
        if advice.emergency:
            super().__init__(tr("请马上到急诊"), tr("您说的情况可能是急症，工作人员马上过来帮您，请稍候"), kiosk.elderly)
            self.add(label(pick(advice.reason_zh, advice.reason_en), "Error", align=Qt.AlignCenter))
        else:
            super().__init__(tr("建议您挂这个科"), tr("这只是建议：如果不对，可以自己选科室"), kiosk.elderly)
        self.department_buttons: dict[str, QPushButton] = {}
        for suggestion in advice.departments:
            name_zh, name_en = names.get(suggestion.department, (suggestion.department, suggestion.department))
            card = Card()
            card.text(pick(name_zh, name_en), "Big")
            self.why = card.text(pick(suggestion.why_zh, suggestion.why_en), "Subtitle")
            self.add(card)
            btn = button(tr("挂{name}").format(name=pick(name_zh, name_en)), "Primary" if not self.department_buttons else "",
                         lambda d=suggestion.department: on_department(d))
            self.department_buttons[suggestion.department] = btn
            self.add_action(btn)
        self.add_stretch()
        self.myself_button = button(tr("我自己选科室"), "", on_choose_myself)
        self.add_action(self.myself_button)
