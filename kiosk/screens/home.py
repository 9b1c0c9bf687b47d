"""Home: the services as large tiles, plus elderly mode, English and help."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from kiosk.his import NEEDS_HIS
from kiosk.i18n import language, tr
from kiosk.widgets import Screen, button, label


def tile(title: str, hint: str, action) -> QPushButton:
    """A home tile: the service in large letters, a plain hint beneath."""
    btn = QPushButton()
    btn.setObjectName("Tile")
    btn.setFocusPolicy(Qt.NoFocus)
    btn.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
    box = QVBoxLayout(btn)
    box.setAlignment(Qt.AlignVCenter)  # labels as wide as the tile: a long hint wraps at the tile's width
    for text, name in ((title, "TileTitle"), (hint, "TileHint")):
        lab = label(text, name, align=Qt.AlignCenter)
        lab.setAttribute(Qt.WA_TransparentForMouseEvents, True)
        box.addWidget(lab)
    btn.setAccessibleName(title)
    btn.clicked.connect(lambda _checked=False: action())
    return btn


class HomeScreen(Screen):
    name = "home"
    timeout_s = 0

    def __init__(self, kiosk) -> None:
        super().__init__(tr("您好，欢迎使用自助服务"), tr("请点击您要办理的业务"), kiosk.elderly)
        flows = kiosk.flows
        tiles = [
            ("register", tr("挂号"), tr("今日挂号"), flows.register),
            ("checkin", tr("预约签到"), tr("已预约请签到"), flows.check_in),
            ("pay", tr("缴费"), tr("门诊缴费"), flows.pay_bills),
            ("reports", tr("报告打印"), tr("检查检验报告"), flows.reports),
            ("queue", tr("查询"), tr("排队与费用"), flows.my_queue),
            ("new_patient", tr("建档"), tr("首次就诊建档"), flows.new_patient),
        ]

        grid = QGridLayout()
        grid.setSpacing(28)
        self.tiles = {}
        columns = 2 if kiosk.settings.portrait else 3
        self.tiles["identify"] = tile(tr("识别身份"), tr("放身份证或扫就诊卡，查看您今天要办的事"), flows.my_day)
        grid.addWidget(self.tiles["identify"], 0, 0, 1, columns)
        for i, (key, title, hint, action) in enumerate(tiles):
            btn = tile(title, hint, action)
            self.tiles[key] = btn
            grid.addWidget(btn, 1 + i // columns, i % columns)
        self.his_notice = None
        his = getattr(kiosk, "his", None)
        if his is not None and his.away:  # the HIS is away: say what still works; the tiles that need it wait
            text = his.message_en if language() == "en" else his.message_zh
            self.his_notice = label(text, "Warning", align=Qt.AlignCenter)
            self.his_notice.setWordWrap(True)
            self.add(self.his_notice)
            for key in NEEDS_HIS:
                self.tiles[key].setEnabled(False)
        holder = QWidget()
        holder.setLayout(grid)
        self.add(holder, 1)
        row = QHBoxLayout()
        row.setSpacing(24)
        elderly_text = tr("退出长辈模式") if kiosk.elderly else tr("长辈模式")
        self.elderly_button = button(elderly_text, "Accent", lambda: kiosk.set_elderly(not kiosk.elderly))
        lang_text = "中文" if language() == "en" else "English"
        self.language_button = button(lang_text, "", lambda: kiosk.set_language("zh" if language() == "en" else "en"))
        row.addWidget(self.elderly_button)
        if kiosk.settings.triage:  # the hospital file has 智能导诊 rules: "which department?" in one tap
            self.tiles["triage"] = button(tr("智能导诊"), "Accent", flows.triage)
            row.addWidget(self.tiles["triage"])
        row.addWidget(self.language_button)
        self.root.addLayout(row)
        self.help_button = button(tr("呼叫工作人员"), "Help", flows.call_staff)
        self.add(self.help_button)
        if kiosk.settings.portrait:  # a landscape screen has no height to spare: the help button says it all
            self.add(label(tr("如需帮助，请点击“呼叫工作人员”，我们会尽快来到您身边。"), "Subtitle", align=Qt.AlignCenter))
