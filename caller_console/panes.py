"""The console's lists of visits: a table model (the view asks only for the cells it paints) in a titled box."""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QGroupBox, QHeaderView, QTableView, QVBoxLayout, QWidget

from caller_console.model import Row

COLUMNS = ("票号", "姓名", "标记", "等候", "诊室 / 医生", "状态", "为何排在这里")
_DISPLAY_ROLE = Qt.ItemDataRole.DisplayRole.value
_FOREGROUND_ROLE = Qt.ItemDataRole.ForegroundRole.value
_TOOLTIP_ROLE = Qt.ItemDataRole.ToolTipRole.value
_ALERT_COLOR = QColor("#c1121f")


def row_cells(row: Row) -> tuple[str, ...]:
    """The texts of one table line, in COLUMNS order."""
    where = " ".join(x for x in (row.room_name, row.doctor_name) if x)
    state = row.state_zh + (f" · 第{row.call_count}次呼叫" if row.state == "called" else "")
    return (row.ticket, row.name, " ".join(row.badges), "" if row.minutes is None else f"{row.minutes} 分钟",
            where, state, row.why)


class RowsModel(QAbstractTableModel):
    """Rows of visits for a table view; the view asks only for the cells it paints."""

    def __init__(self, parent: QObject | None = None, columns: tuple[str, ...] = COLUMNS,
                 cells: Callable[[Row], tuple[str, ...]] = row_cells):
        super().__init__(parent)
        self.columns, self.cells_of = columns, cells
        self.rows: list[Row] = []
        self._cells: list[tuple[str, ...]] = []

    def set_rows(self, rows: list[Row]) -> None:
        cells = [self.cells_of(r) for r in rows]
        if cells == self._cells and [r.visit_id for r in rows] == [r.visit_id for r in self.rows]:
            self.rows = rows
            return
        self.beginResetModel()
        self.rows, self._cells = rows, cells
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex, role: int = 0) -> Any:
        # plain ints: comparing with Qt's enum members costs microseconds per cell and role
        if role == _DISPLAY_ROLE:
            return self._cells[index.row()][index.column()]
        if role == _TOOLTIP_ROLE and index.column() == len(self.columns) - 1:
            return self._cells[index.row()][index.column()] or None
        if role == _FOREGROUND_ROLE and index.column() == 2 and self.rows[index.row()].triage_level in (1, 2):
            return _ALERT_COLOR
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if role == _DISPLAY_ROLE and orientation == Qt.Horizontal:
            return self.columns[section]
        return None


class Pane(QGroupBox):
    """One list of visits (a titled table). ``rows`` are the rows shown, in order."""

    picked = Signal(str)  # visit id

    def __init__(self, title: str, parent: QWidget | None = None, *, columns: tuple[str, ...] = COLUMNS,
                 cells: Callable[[Row], tuple[str, ...]] = row_cells):
        super().__init__(title, parent)
        self.base_title = title
        self.model = RowsModel(self, columns, cells)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Stretch)  # the pane's width, never a scroll bar
        for col, width in ((0, 72), (3, 84)):  # ticket and minutes are short
            header.setSectionResizeMode(col, QHeaderView.Fixed)
            header.resizeSection(col, width)
        header.setSectionResizeMode(5, QHeaderView.ResizeToContents)  # the state is never cut ("已呼叫 · 第1次呼叫")
        self.table.selectionModel().selectionChanged.connect(self._on_pick)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addWidget(self.table)

    @property
    def rows(self) -> list[Row]:
        return self.model.rows

    def cell(self, row: int, column: int) -> str:
        """The text shown in one cell (what the nurse reads); "" outside the table."""
        if not (0 <= row < self.model.rowCount() and 0 <= column < len(self.model.columns)):
            return ""
        return str(self.model.data(self.model.index(row, column)) or "")

    def show_rows(self, rows: list[Row], keep: str | None) -> None:
        self.setTitle(f"{self.base_title}（{len(rows)}）")
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        self.model.set_rows(rows)
        selection.clearSelection()
        if keep:
            self.select_visit(keep)
        selection.blockSignals(False)

    def selected(self) -> Row | None:
        picked = self.table.selectionModel().selectedRows()
        if not picked:
            return None
        index = picked[0].row()
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def clear_selection(self) -> None:
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        selection.clearSelection()
        selection.blockSignals(False)

    def select_visit(self, visit_id: str) -> bool:
        for i, row in enumerate(self.rows):
            if row.visit_id == visit_id:
                self.table.selectRow(i)
                return True
        return False

    def _on_pick(self) -> None:
        row = self.selected()
        if row is not None:
            self.picked.emit(row.visit_id)
