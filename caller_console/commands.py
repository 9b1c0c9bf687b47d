"""What each console action does: which visit it is about, what it asks, which service call it sends.

A mixin of :class:`caller_console.window.ConsoleWindow` (it uses the window's ``view``, ``client``,
``runner`` and status bar). Every call goes through ``_run`` onto the worker thread.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from PySide6.QtWidgets import QInputDialog, QMessageBox

from caller_console.model import Row
from caller_console.ordering import OrderDialog, total_of

RETURN_TIME = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
CALL_THIS_REASONS = ("复诊看结果", "行动不便", "医生指定", "急需处理", "其他")


class ConsoleCommands:
    def target(self, *states: str) -> Row | None:
        """The selected visit if it is in one of ``states``, else None."""
        row = self.view.find(self.selected_visit) if self.selected_visit else None
        return row if row is not None and (not states or row.state in states) else None

    def current_target(self) -> Row | None:
        """Selected called / in-service visit, else the chosen room's current one."""
        return self.target("called", "in_service") or self.view.current_of_room()

    def _need(self, row: Row | None, what_zh: str) -> Row | None:
        if row is None:
            self.statusBar().showMessage(f"请先选择{what_zh}", 8000)
            self.toast.show_near(None, f"请先选择{what_zh}", ok=False)
        return row

    def _run(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.statusBar().showMessage("正在处理，请稍候……")
        self.runner.submit(tag, fn, *args, **kwargs)

    # dialogs, kept as methods so a test can answer them
    def ask_item(self, title: str, label: str, items: list[str]) -> str | None:
        item, ok = QInputDialog.getItem(self, title, label, items, 0, False)
        return item if ok else None

    def ask_text(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label)
        return text.strip() if ok and text.strip() else None

    def ask_return_time(self) -> str | None:
        """停诊: when the doctor is expected back ("10:30", "" when not known); None: do not pause."""
        text, ok = QInputDialog.getText(self, "停诊", "医生预计几点回来？（例如 10:30，门口屏会显示；不知道可直接确定）")
        return text.strip().replace("：", ":") if ok else None

    def confirm(self, title: str, question: str) -> bool:
        return QMessageBox.question(self, title, question) == QMessageBox.Yes

    # ------------------------------------------------------------------ actions
    def do_call_next(self) -> None:
        room = self.view.room()
        if room is not None and room.paused:
            self.statusBar().showMessage(f"{room.name}已停诊，请先开诊（F11）再叫号", 8000)
            return
        self._run("call_next", self.client.call_next, self.room_id)

    def do_call_again(self) -> None:
        row = self._need(self.target("called") or self.view.current_of_room(), "已呼叫的患者")
        if row:
            self._run("call_again", self.client.call_again, row.visit_id)

    def do_missed(self) -> None:
        row = self._need(self.target("called") or self.view.current_of_room(), "已呼叫的患者")
        if row:
            self._run("missed", self.client.missed, row.visit_id)

    def do_start(self) -> None:
        row = self._need(self.target("called", "room_waiting") or self.view.current_of_room(), "患者")
        if row:
            self._run("start", self.client.start, row.visit_id)

    def do_finish(self) -> None:
        row = self._need(self.current_target(), "就诊中的患者")
        if row is None:
            return
        client = self.client

        def finish(visit_id: str, state: str) -> dict:
            if state == "called":
                client.start(visit_id)
            return client.finish(visit_id)

        self._run("finish", finish, row.visit_id, row.state)

    def do_recall(self) -> None:
        row = self._need(self.target("missed", "away"), "过号或检查中的患者")
        if row:
            self._run("recall", self.client.recall if row.state == "missed" else self.client.back, row.visit_id)

    def do_move_up(self) -> None:
        row = self._need(self.target("waiting", "room_waiting"), "候诊患者")
        if row:
            self._run("move_up", self.client.move_up, row.visit_id, steps=1)

    def do_priority(self) -> None:
        row = self._need(self.target("waiting", "room_waiting", "registered"), "候诊患者")
        if row is None:
            return
        kinds = (self._area().get("rules") or {}).get("special_kinds") or []
        choices = [f"{k['name']}（{k['level']}级）" for k in kinds] + ["取消优先"]
        picked = self.ask_item("优先", f"{row.ticket} {row.name} 的优先类别：", choices)
        if picked is None:
            return
        kind = None if picked == "取消优先" else kinds[choices.index(picked)]["kind"]
        self._run("priority", self.client.priority, row.visit_id, kind)

    def do_assign_doctor(self) -> None:
        row = self._need(self.target("waiting", "room_waiting", "registered"), "候诊患者")
        if row is None:
            return
        doctors = [d for d in self.hospital.get("doctors") or [] if d.get("department") == row.dept_id]
        if not doctors:
            self.statusBar().showMessage("本科室没有可指定的医生", 8000)
            return
        choices = [f"{d['name']} {d.get('title', '')}".strip() for d in doctors]
        picked = self.ask_item("指定医生", f"{row.ticket} {row.name} 指定给：", choices)
        if picked is not None:
            self._run("assign_doctor", self.client.assign_doctor, row.visit_id, doctors[choices.index(picked)]["id"])

    def do_transfer(self) -> None:
        row = self._need(self.target("waiting", "room_waiting", "registered", "called", "missed"), "患者")
        if row is None:
            return
        rooms = [(f"诊室：{r['name']}", {"room": r["id"]}) for r in self._area().get("rooms") or []]
        depts = [(f"科室：{d['name']}", {"department": d["id"]}) for d in self.hospital.get("departments") or []]
        choices = rooms + depts
        picked = self.ask_item("转诊", f"{row.ticket} {row.name} 转到：", [c[0] for c in choices])
        if picked is None:
            return
        target = dict(choices)[picked]
        at_end = self.confirm("转诊", "排到新队列的末尾吗？\n（选“否”则按原挂号时间排队）")
        self._run("transfer", self.client.transfer, row.visit_id, at_end=at_end, **target)

    def do_pause(self) -> None:
        room = self.view.room()
        if room is not None and room.paused:
            self._run("resume", self.client.resume_room, self.room_id)
        else:
            back = self.ask_return_time()
            if back is None:
                return
            if back and not RETURN_TIME.match(back):
                self.statusBar().showMessage("时间请写成 10:30 这样的格式", 8000)
                self.toast.show_near(self.buttons.get("pause"), "时间请写成 10:30 这样的格式", ok=False)
                return
            if back:
                hour, minute = back.split(":")
                back = f"{int(hour):02d}:{minute}"
            self._run("pause", self.client.pause_room, self.room_id, back or None)

    def do_broadcast(self) -> None:
        text = self.ask_text("广播", "通知内容（将显示在大屏并语音播报）：")
        if text:
            self._run("broadcast", self.client.broadcast, self.area_id, text)

    def do_call_this(self) -> None:
        """呼叫此号: the selected waiting visit is called into this room now; the reason goes to the audit."""
        row = self._need(self.target("waiting", "room_waiting"), "候诊患者")
        if row is None:
            return
        reason = self.ask_item("呼叫此号", f"提前呼叫 {row.ticket} {row.name} 到{self.room_combo.currentText()}，原因：",
                               list(CALL_THIS_REASONS))
        if reason:
            self._run("call_this", self.client.call_visit, row.visit_id, self.room_id, reason)

    def do_dispatch(self) -> None:
        row = self._need(self.target("waiting"), "诊区候诊患者")
        if row:
            self._run("dispatch", self.client.dispatch, row.visit_id, self.room_id)

    def do_away(self) -> None:
        row = self._need(self.current_target(), "已呼叫或就诊中的患者")
        if row:
            self._run("away", self.client.away, row.visit_id)

    def do_cancel(self) -> None:
        row = self._need(self.target(), "患者")
        if row and self.confirm("弃号", f"确定取消 {row.ticket} {row.name} 的挂号吗？此操作不能撤销。"):
            self._run("cancel", self.client.cancel, row.visit_id)

    def do_orders(self) -> None:
        """开单: the ordering screen for the selected (or this room's current) patient; sent as typed orders."""
        row = self._need(self.current_target() or self.target("waiting", "room_waiting"), "就诊中的患者")
        if row is None:
            return
        catalog = self.hospital.get("catalog") or {}
        if not any(catalog.get(k) for k in ("drugs", "lab_panels", "imaging_exams")):
            self.statusBar().showMessage("本院尚未配置开单目录（[catalog]），请联系信息科", 10000)
            return
        client = self.client

        def send(orders: list, flags: list[str], pay_at_window: bool) -> None:
            self.order_total = total_of(dialog.choice(), catalog)
            self._run("orders", client.orders, row.visit_id, [o.model_dump(mode="json", exclude_none=True) for o in orders],
                      flags=flags, pay_at_window=pay_at_window)

        dialog = OrderDialog({"ticket": row.ticket, "patient_name": row.name, "visit_id": row.visit_id}, catalog, send,
                             self)
        self.order_dialog = dialog
        dialog.open()

    def _item_of(self, visit_id: str) -> dict[str, Any]:
        lists = [self.snapshot.get(k) or [] for k in ("waiting", "missed", "away")]
        for room in self.snapshot.get("rooms") or []:
            lists += [room.get(k) or [] for k in ("queue", "called", "in_service")]
        return next((i for items in lists for i in items if i.get("visit_id") == visit_id), {})
