"""What the window/station actions do (pharmacy, lab, imaging, cashier): which step each is about and which service
call it sends. A mixin of :class:`caller_console.window.ConsoleWindow`, beside
:class:`caller_console.commands.ConsoleCommands` (call next, call again, missed, recall are the same commands: a
step is a visit). Every call goes through ``_run`` onto the worker thread.
"""
from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from caller_console.model import Row

HH_MM = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")


class StationCommands:
    def _station_target(self, *states: str, stages: tuple[str, ...] = ()) -> Row | None:
        """The selected step if it is in one of ``states`` (and, for registered steps, ``stages``)."""
        row = self.target(*states)
        if row is not None and stages and row.state == "registered" and self._step_stage(row.visit_id) not in stages:
            return None
        return row

    def _step_stage(self, visit_id: str) -> str:
        return str((self.steps_by_id.get(visit_id) or {}).get("stage") or "")

    def _serving(self) -> Row | None:
        """The selected called / in-service step, else the one this window is serving."""
        return self.target("called", "in_service") or self.view.current_of_room()

    # ------------------------------------------------------------------ pharmacy
    def do_dispense(self) -> None:
        """配药中: the selected 待配药 prescription."""
        row = self._need(self._station_target("registered", stages=("pending",)), "待配药的处方")
        if row:
            self._run("dispense", self.client.dispense, row.visit_id)

    def do_ready(self) -> None:
        """已配好: the selected prescription waits at this window (the patient joins its list and the wall)."""
        row = self._need(self._station_target("registered", stages=("pending", "dispensing")), "待配药或配药中的处方")
        if row:
            self._run("ready", self.client.ready, row.visit_id, self.room_id)

    def do_collect(self) -> None:
        """已取药: scan the patient's code (or type it) for the patient at this window."""
        code = self.scan.text().strip()
        if not code:
            self.scan.setFocus()
            self._tell("请扫描患者的就诊码或导诊单（也可输入票号后回车）", ok=False, anchor="collect")
            return
        row = self._need(self._serving(), "正在取药的患者（先叫号）")
        if row is None:
            return
        self.scan.clear()
        self._run("collect", self.client.collect, row.visit_id, code)

    # ------------------------------------------------------------------ lab
    def do_labels(self) -> None:
        """打印标签 for the patient at the draw window, on this window's label printer."""
        row = self._need(self._serving(), "已呼叫或正在采血的患者")
        if row is None:
            return
        if self.label_printer is None:
            self._tell("本台未配置标签打印机（启动参数 --label-printer），请联系信息科", ok=False, anchor="labels")
            return
        client = self.client
        self._run("labels", self.label_printer.print_step, lambda: client.labels(row.visit_id))

    # ------------------------------------------------------------------ imaging
    def ask_prep(self, row: Row, needs: dict[str, Any]) -> dict[str, Any] | None:
        """登记检查准备: the times the patient gives (HH:MM) and the consent; None when cancelled."""
        dialog = QDialog(self)
        dialog.setWindowTitle("登记检查准备")
        form = QFormLayout()
        fasting = QLineEdit()
        fasting.setPlaceholderText("例如 22:00 或 07:30")
        water = QLineEdit()
        water.setPlaceholderText("例如 09:00")
        consent = QCheckBox("已签署增强检查知情同意书")
        if needs.get("fasting_hours"):
            form.addRow(f"最后进食时间（需空腹 {needs['fasting_hours']:g} 小时）", fasting)
        if needs.get("water_minutes"):
            form.addRow(f"饮水时间（需憋尿 {needs['water_minutes']} 分钟）", water)
        if needs.get("contrast"):
            form.addRow("", consent)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        box = QVBoxLayout(dialog)
        box.addWidget(QLabel(f"{row.ticket} {row.name}：{row.why}"))
        box.addLayout(form)
        box.addWidget(buttons)
        if dialog.exec() != QDialog.Accepted:
            return None
        return {"fasting_since": fasting.text().strip() or None, "water_at": water.text().strip() or None,
                "consent": consent.isChecked()}

    def do_prep(self) -> None:
        row = self._need(self._station_target("registered", "waiting", "room_waiting"), "候检患者")
        if row is None:
            return
        needs = self._prep_needs(row.visit_id)
        if not needs:
            self._tell(f"{row.ticket} 的检查无需准备，可直接叫号", ok=True, anchor="prep")
            return
        answer = self.ask_prep(row, needs)
        if answer is None:
            return
        for key in ("fasting_since", "water_at"):
            value = (answer.get(key) or "").replace("：", ":")
            if value and not HH_MM.match(value):
                self._tell("时间请写成 07:30 这样的格式", ok=False, anchor="prep")
                return
            answer[key] = value or None
        if not any(answer.values()):
            self._tell("请至少填写一项检查准备", ok=False, anchor="prep")
            return
        self._run("prep", self.client.prep, row.visit_id, **answer)

    def _prep_needs(self, visit_id: str) -> dict[str, Any]:
        try:
            needs = json.loads((self.steps_by_id.get(visit_id) or {}).get("prep") or "{}")
        except ValueError:
            return {}
        return needs if isinstance(needs, dict) else {}

    # ------------------------------------------------------------------ lab, imaging, cashier
    def do_check_in_code(self) -> None:
        """签到 by the scanned card, QR or guide slip (or a typed ticket number)."""
        code = self.scan.text().strip()
        if not code:
            self.scan.setFocus()
            self._tell("请扫描患者的就诊码、导诊单或就诊卡（也可输入票号后回车）", ok=False, anchor="check_in")
            return
        self.scan.clear()
        self._run("check_in", self.client.check_in_code, self.area_id, code)

    def do_done(self) -> None:
        """采血完成 / 检查完成 / 收费完成 at this window (a called patient is started first)."""
        row = self._need(self._serving(), "正在办理的患者")
        if row is None:
            return
        client, service = self.client, self.mode

        def done(visit_id: str, state: str) -> dict:
            if service == "cashier":
                return client.settle(visit_id)
            if state == "called":
                client.start(visit_id)
            return client.finish(visit_id)

        self._run("done", done, row.visit_id, row.state)

    def scan_entered(self) -> None:
        """The scanner (or the keyboard) ended a code with Enter: 已取药 at a pharmacy window, else 签到."""
        if self.mode == "pharmacy":
            self.do_collect()
        else:
            self.do_check_in_code()
