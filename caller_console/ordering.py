"""开单: the doctor's ordering screen. Drugs, lab panels and imaging exams from the hospital's ``[catalog]`` (with
prices, tubes and preparation), sent as the typed orders (:class:`common.wire.Order`) to
``POST /api/v1/visits/{id}/orders``. Paying an order opens its step (docs/journey.md).

:func:`build_orders` is the pure part (what was chosen -> orders, or a refusal in Chinese saying what to fix);
:class:`OrderDialog` is the screen. The dialog sends nothing itself: it gives the orders to its ``send`` callable
(the console runs it on its worker thread) and shows the answer or the refusal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any, Callable

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from common.refusal import Refusal
from common.wire import Order

SLOT = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")
TUBE_ZH = {"purple": "紫帽管", "yellow": "黄帽管", "grey": "灰帽管", "blue": "蓝帽管", "red": "红帽管", "green": "绿帽管"}
FLAGS = (("elderly", "老年人"), ("child", "儿童"), ("pregnant", "孕妇"), ("disabled", "残疾人"))


def yuan(fen: int) -> str:
    return f"￥{fen / 100:.2f}"


def _refuse(code: str, zh: str, en: str) -> Refusal:
    return Refusal(code, zh, en, status=422)


@dataclass
class Choice:
    """What the doctor ticked: drug code -> boxes, lab panel codes, exam code -> slot ("" or "09:30")."""

    drugs: dict[str, int] = field(default_factory=dict)
    labs: list[str] = field(default_factory=list)
    exams: dict[str, str] = field(default_factory=dict)


def build_orders(choice: Choice, catalog: dict[str, Any]) -> list[Order]:
    """The typed orders of a choice: one prescription, one lab order, one order per exam (each its own slot).
    Refuses (:class:`Refusal`, Chinese first) an empty choice, a code not in the catalog, a bad quantity or time."""
    known = {"drug": {d["code"] for d in catalog.get("drugs") or []},
             "lab": {p["code"] for p in catalog.get("lab_panels") or []},
             "imaging": {e["code"] for e in catalog.get("imaging_exams") or []}}
    if not (choice.drugs or choice.labs or choice.exams):
        raise _refuse("no_orders", "请至少选择一项药品、检验或检查，谢谢", "Choose at least one drug, lab panel or exam")
    for kind, codes in (("drug", choice.drugs), ("lab", choice.labs), ("imaging", choice.exams)):
        for code in codes:
            if code not in known[kind]:
                raise _refuse("unknown_item", f"目录中没有 {code}，请重新选择", f"{code} is not in the catalog")
    for code, quantity in choice.drugs.items():
        if not 1 <= int(quantity) <= 99:
            raise _refuse("bad_quantity", f"{code} 的数量请填写 1 到 99", f"Quantity of {code} must be 1-99")
    orders: list[Order] = []
    try:
        if choice.drugs:
            orders.append(Order(kind="drug", items=[{"code": c, "quantity": int(q)} for c, q in choice.drugs.items()]))
        if choice.labs:
            orders.append(Order(kind="lab", items=[{"code": c} for c in choice.labs]))
        for code, slot in choice.exams.items():
            slot = slot.strip()
            match = SLOT.match(slot)
            if slot and match is None:
                raise _refuse("bad_time", f"检查时间“{slot}”请写成 09:30 这样的格式（不预约可留空）",
                              f"Exam time {slot!r}: write it as 09:30, or leave it empty")
            start = time(int(match.group(1)), int(match.group(2))) if match else None
            orders.append(Order(kind="imaging", items=[{"code": code}], slot_start=start))
    except ValidationError as exc:  # the wire model's own limits (50 lines, code shape)
        raise _refuse("bad_order", "医嘱内容不正确，请检查后再发送", f"Bad order: {exc.errors()[0]['msg']}") from None
    return orders


def total_of(choice: Choice, catalog: dict[str, Any]) -> int:
    """The price of a choice in fen (the service prices it again from its own catalog)."""
    price = {("drug", d["code"]): d["price"] for d in catalog.get("drugs") or []}
    price.update({("lab", p["code"]): p["price"] for p in catalog.get("lab_panels") or []})
    price.update({("imaging", e["code"]): e["price"] for e in catalog.get("imaging_exams") or []})
    return (sum(price.get(("drug", c), 0) * q for c, q in choice.drugs.items())
            + sum(price.get(("lab", c), 0) for c in choice.labs)
            + sum(price.get(("imaging", c), 0) for c in choice.exams))


class OrderDialog(QDialog):
    """``OrderDialog(visit, catalog, send)``: ``visit`` the staff item (ticket, patient name), ``send(orders, flags,
    pay_at_window)`` submits the orders (on the console's worker thread); the console calls :meth:`sent` or
    :meth:`refused` with the answer."""

    submitted = Signal()

    def __init__(self, visit: dict[str, Any], catalog: dict[str, Any],
                 send: Callable[[list[Order], list[str], bool], None], parent: QWidget | None = None):
        super().__init__(parent)
        self.visit, self.catalog, self.send = visit, catalog, send
        self.setWindowTitle("开单")
        self.resize(1100, 760)
        self.setStyleSheet("QTableWidget { font-size: 15px; } QLabel { font-size: 15px; }")
        name = visit.get("patient_name") or visit.get("name") or ""
        self.heading = title = QLabel(f"开单：{visit.get('ticket', '')} {name}")
        title.setStyleSheet("font-size: 22px; font-weight: bold;")

        self.drugs = self._table(("选择", "药品", "规格", "单价", "数量"), catalog.get("drugs") or [],
                                 lambda d: (d["name"], d.get("spec", ""), f"{yuan(d['price'])}/{d.get('unit', '盒')}"))
        self.quantities: dict[str, QSpinBox] = {}
        for row, drug in enumerate(catalog.get("drugs") or []):
            spin = QSpinBox()
            spin.setRange(1, 99)
            spin.valueChanged.connect(self._update_total)
            self.drugs.setCellWidget(row, 4, spin)
            self.quantities[drug["code"]] = spin
        self.labs = self._table(("选择", "检验项目", "试管", "单价", "说明"), catalog.get("lab_panels") or [],
                                lambda p: (p["name"], TUBE_ZH.get(p.get("tube", ""), ""), yuan(p["price"]),
                                           ("需空腹；" if p.get("fasting") else "")
                                           + f"约 {p.get('report_minutes', 60)} 分钟出报告"))
        self.exams = self._table(("选择", "检查项目", "单价", "检查前准备", "预约时间"), catalog.get("imaging_exams") or [],
                                 lambda e: (e["name"], yuan(e["price"]), e.get("prepare", "")))
        self.slots: dict[str, QLineEdit] = {}
        for row, exam in enumerate(catalog.get("imaging_exams") or []):
            slot = QLineEdit()
            slot.setPlaceholderText("如 10:30，可空")
            self.exams.setCellWidget(row, 4, slot)
            self.slots[exam["code"]] = slot
        self.tabs = QTabWidget()
        self.tabs.addTab(self.drugs, "药品（处方）")
        self.tabs.addTab(self.labs, "检验（采血）")
        self.tabs.addTab(self.exams, "检查（影像 / 超声 / 心电）")

        self.flags = {kind: QCheckBox(name) for kind, name in FLAGS}
        self.pay_at_window = QCheckBox("到收费窗口缴费（开收费窗口排队）")
        flags_row = QHBoxLayout()
        flags_row.addWidget(QLabel("患者情况（采血、取药按医院规则优先）："))
        for box in self.flags.values():
            flags_row.addWidget(box)
        flags_row.addStretch(1)
        flags_row.addWidget(self.pay_at_window)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 17px; background: #eef2f5; padding: 6px;")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.send_button = QPushButton("发送医嘱")
        self.send_button.setMinimumHeight(44)
        self.send_button.setStyleSheet("font-size: 18px; font-weight: bold; background: #2a9d8f; color: white;")
        self.send_button.clicked.connect(self.submit)
        cancel = QPushButton("取消")
        cancel.setMinimumHeight(44)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.send_button)

        box = QVBoxLayout(self)
        box.addWidget(title)
        box.addWidget(self.tabs, 1)
        box.addLayout(flags_row)
        box.addWidget(self.summary)
        box.addLayout(buttons)
        self._update_total()

    def _table(self, columns: tuple[str, ...], items: list[dict[str, Any]],
               cells: Callable[[dict[str, Any]], tuple[str, ...]]) -> QTableWidget:
        table = QTableWidget(len(items), len(columns))
        table.setHorizontalHeaderLabels(list(columns))
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        table.setSelectionMode(QTableWidget.NoSelection)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        for row, item in enumerate(items):
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemIsUserCheckable | Qt.ItemIsEnabled)
            check.setCheckState(Qt.Unchecked)
            check.setData(Qt.UserRole, item["code"])
            table.setItem(row, 0, check)
            for col, text in enumerate(cells(item), start=1):
                table.setItem(row, col, QTableWidgetItem(text))
            table.setRowHeight(row, 40)
        table.itemChanged.connect(self._update_total)
        return table

    # ------------------------------------------------------------------ what is chosen
    def tick(self, kind: str, code: str, checked: bool = True) -> None:
        """Tick (or untick) a catalog item, as a click on its box does."""
        table = {"drug": self.drugs, "lab": self.labs, "imaging": self.exams}[kind]
        for row in range(table.rowCount()):
            if table.item(row, 0).data(Qt.UserRole) == code:
                table.item(row, 0).setCheckState(Qt.Checked if checked else Qt.Unchecked)
                return
        raise KeyError(code)

    def _ticked(self, table: QTableWidget) -> list[str]:
        return [table.item(r, 0).data(Qt.UserRole) for r in range(table.rowCount())
                if table.item(r, 0).checkState() == Qt.Checked]

    def choice(self) -> Choice:
        return Choice(drugs={c: self.quantities[c].value() for c in self._ticked(self.drugs)},
                      labs=self._ticked(self.labs),
                      exams={c: self.slots[c].text() for c in self._ticked(self.exams)})

    def _update_total(self, *_args: Any) -> None:
        if not hasattr(self, "summary"):  # still building the tables
            return
        choice = self.choice()
        names = {d["code"]: d["name"] for key in ("drugs", "lab_panels", "imaging_exams")
                 for d in self.catalog.get(key) or []}
        parts = ([f"{names[c]}×{q}" for c, q in choice.drugs.items()] + [names[c] for c in choice.labs]
                 + [names[c] for c in choice.exams])
        for index, (label, count) in enumerate((("药品（处方）", len(choice.drugs)), ("检验（采血）", len(choice.labs)),
                                                 ("检查（影像 / 超声 / 心电）", len(choice.exams)))):
            self.tabs.setTabText(index, f"{label} · 已选 {count}" if count else label)
        if not parts:
            self.summary.setText("尚未选择。请在上面勾选药品、检验或检查项目。")
            return
        self.summary.setText(f"已选 {len(parts)} 项：{'、'.join(parts)}　合计 {yuan(total_of(choice, self.catalog))}")

    # ------------------------------------------------------------------ sending
    def submit(self) -> None:
        try:
            orders = build_orders(self.choice(), self.catalog)
        except Refusal as refusal:
            self.refused(refusal)
            return
        self.send_button.setEnabled(False)
        self.message.setStyleSheet("color: #334;")
        self.message.setText("正在发送，请稍候……")
        flags = [kind for kind, box in self.flags.items() if box.isChecked()]
        self.send(orders, flags, self.pay_at_window.isChecked())
        self.submitted.emit()

    def refused(self, refusal: Refusal) -> None:
        """A refusal (the dialog's own check or the service's): said in red; nothing was sent or opened."""
        self.send_button.setEnabled(True)
        self.message.setStyleSheet("color: #c1121f; font-weight: bold;")
        self.message.setText(refusal.message_zh)

    def sent(self) -> None:
        self.accept()
