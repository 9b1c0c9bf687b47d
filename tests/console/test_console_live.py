"""The console against a live caller service: keys, panes, a second console, alerts, devices, link loss."""
from __future__ import annotations

import pytest
from console_helpers import JZ_CONSOLE, NK_CONSOLE, PASSWORD, register
from PySide6.QtCore import Qt

from caller_console.app import LoginDialog, open_console
from client.http import CallerClient


@pytest.fixture
def console(qtbot, service):
    window = open_console(service, NK_CONSOLE, "wanghs", PASSWORD, area="NK", room="NK3")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.online, timeout=5000)
    yield window
    window.shutdown()


def tickets(pane) -> list[str]:
    return [pane.cell(i, 0) for i in range(pane.model.rowCount())]


def cell(pane, ticket: str, column: int) -> str:
    return pane.cell(tickets(pane).index(ticket), column)


def press(qtbot, window, key) -> None:
    qtbot.keyClick(window, key)


def test_login_checks_password_and_offers_only_the_users_areas(qtbot, service):
    dialog = LoginDialog(service, "demo-console-wy-0f8d6a2c4e91")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.username, "lihs")
    qtbot.keyClicks(dialog.password, "wrong-password")
    qtbot.mouseClick(dialog.login_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.login_button.isEnabled(), timeout=5000)
    assert "对不起" in dialog.message.text()
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.mouseClick(dialog.login_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.enter_button.isVisible(), timeout=5000)
    areas = [dialog.area.itemText(i) for i in range(dialog.area.count())]
    assert areas == ["外科·眼科诊区", "妇儿诊区"]  # 李护士 works in WY and FE, not NK
    assert dialog.room.count() > 0
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(dialog.enter_button, Qt.LeftButton)
    window = dialog.window()
    qtbot.addWidget(window)
    assert window.area_id == "WY"
    window.shutdown()


def test_keys_call_again_missed_recall_finish(qtbot, console, front_desk):
    first = register(front_desk, "张三")
    register(front_desk, "王小明", source="appointment")
    qtbot.waitUntil(lambda: len(tickets(console.waiting_pane)) == 2, timeout=6000)
    assert cell(console.waiting_pane, "A002", 2) == "预约"

    press(qtbot, console, Qt.Key_F1)  # call next: the appointment goes first
    qtbot.waitUntil(lambda: tickets(console.called_pane) == ["A002"], timeout=6000)
    assert "已呼叫 A002 王小明" in console.statusBar().currentMessage()
    assert tickets(console.room_pane) == ["A001"]

    press(qtbot, console, Qt.Key_F2)  # call again
    qtbot.waitUntil(lambda: "第2次呼叫" in cell(console.called_pane, "A002", 5), timeout=6000)
    status = console.called_pane.table  # the status column is wide enough for its whole text
    assert status.columnWidth(5) >= status.fontMetrics().horizontalAdvance(cell(console.called_pane, "A002", 5))
    press(qtbot, console, Qt.Key_F3)  # missed
    qtbot.waitUntil(lambda: tickets(console.missed_pane) == ["A002"], timeout=6000)
    assert tickets(console.called_pane) == []

    assert console.select(console.view.missed[0].visit_id)
    press(qtbot, console, Qt.Key_F6)  # recall
    qtbot.waitUntil(lambda: tickets(console.missed_pane) == [], timeout=6000)
    qtbot.waitUntil(lambda: "A002" in tickets(console.room_pane) + tickets(console.waiting_pane), timeout=6000)
    recalled = console.view.find(console.view.room_queue[-1].visit_id if "A002" in tickets(console.room_pane)
                                 else console.view.waiting[0].visit_id)
    assert "召回" in recalled.badges

    press(qtbot, console, Qt.Key_F1)
    qtbot.waitUntil(lambda: tickets(console.called_pane) == ["A001"], timeout=6000)
    press(qtbot, console, Qt.Key_F4)  # finish (starts the called visit first)
    qtbot.waitUntil(lambda: tickets(console.called_pane) == [], timeout=6000)
    assert first["ticket"] not in tickets(console.room_pane) + tickets(console.waiting_pane)


def test_another_console_acting_on_the_area_shows_here(qtbot, console, front_desk):
    register(front_desk, "欧阳娜娜")
    register(front_desk, "李四")
    qtbot.waitUntil(lambda: len(tickets(console.waiting_pane)) == 2, timeout=6000)
    front_desk.call_next("NK4")  # the other console calls into room 4
    qtbot.waitUntil(lambda: tickets(console.called_pane) == ["A001"], timeout=6000)
    assert cell(console.called_pane, "A001", 4).startswith("内科4诊室")
    front_desk.pause_room("NK3")
    qtbot.waitUntil(lambda: "停诊中" in console.who_label.text(), timeout=6000)
    press(qtbot, console, Qt.Key_F1)
    assert "已停诊" in console.statusBar().currentMessage()
    assert console.buttons["pause"].text().startswith("开诊")


def test_priority_search_and_broadcast(qtbot, console, front_desk):
    for name in ("张三", "王小明", "李四"):
        register(front_desk, name)
    qtbot.waitUntil(lambda: len(tickets(console.waiting_pane)) == 3, timeout=6000)
    console.ask_item = lambda title, label, items: next(i for i in items if i.startswith("老年人"))
    assert console.select(console.view.waiting[2].visit_id)
    with qtbot.waitSignal(console.commandDone, timeout=6000):
        press(qtbot, console, Qt.Key_F8)
    qtbot.waitUntil(lambda: tickets(console.waiting_pane)[:1] == ["A003"], timeout=6000)
    assert cell(console.waiting_pane, "A003", 2) == "老年人"
    assert cell(console.waiting_pane, "A003", 6) == "老年人优先；排在最前"  # why here
    assert cell(console.waiting_pane, "A002", 6) == "前面 2 位：1 位老年人优先，1 位先到"

    console.search.setText("小明")  # typed through the input method
    assert tickets(console.waiting_pane) == ["A002"]
    console.search.clear()
    assert len(tickets(console.waiting_pane)) == 3

    console.ask_text = lambda title, label: "王医生临时会诊，请您稍候，谢谢。"
    with qtbot.waitSignal(console.commandDone, timeout=6000) as done:
        press(qtbot, console, Qt.Key_F12)
    assert done.args[0] == "broadcast"
    qtbot.waitUntil(lambda: "王医生临时会诊" in console.notice_label.text(), timeout=6000)


def test_emergency_arrival_raises_banner_and_sound(qtbot, service):
    window = open_console(service, JZ_CONSOLE, "zhouhs", PASSWORD, area="JZ")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.online, timeout=5000)
    triage = CallerClient(service, JZ_CONSOLE)
    triage.login("zhouhs", PASSWORD)
    register(triage, "钱一", department="JZ", kind="emergency", triage_level=1)
    qtbot.waitUntil(lambda: window.alert_bar.isVisible(), timeout=6000)
    assert "1 级患者" in window.alert_label.text()
    assert window.alerts_sounded == 1
    qtbot.waitUntil(lambda: tickets(window.waiting_pane) != [], timeout=6000)
    assert window.waiting_pane.cell(0, 2).startswith("1级 濒危")
    qtbot.mouseClick(window.alert_ack, Qt.LeftButton)
    assert not window.alert_bar.isVisible()
    window.shutdown()
    triage.close()


def test_devices_pane_lists_the_areas_screens_and_speakers(qtbot, console, service):
    speaker = CallerClient(service, "demo-speaker-nk-5b0e9c3f7a12")
    speaker.report_health("degraded", "语音引擎出错，已改用备用引擎", "fallback engine")
    console._periodic()
    qtbot.waitUntil(lambda: any(d["status"] == "warning" for d in console.devices), timeout=6000)
    names = [console.devices_table.item(i, 0).text() for i in range(console.devices_table.rowCount())]
    assert "内科候诊区大屏" in names and "内科候诊区广播" in names
    assert "外科眼科候诊区大屏" not in names
    row = names.index("内科候诊区广播")
    assert console.devices_table.item(row, 2).text() == "注意"  # degraded: a warning, not a red alarm
    assert console.devices_table.item(row, 3).text().endswith("秒前")  # last heartbeat
    assert "语音引擎出错" in console.devices_table.item(row, 4).text()
    speaker.close()


def test_says_so_when_the_service_is_unreachable(qtbot, tmp_path):
    from caller.testing import run_service

    with run_service(db_path=tmp_path / "gone.db") as url:
        window = open_console(url, NK_CONSOLE, "wanghs", PASSWORD, area="NK", room="NK3")
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.online, timeout=5000)
        assert window.link_label.text() == "● 已连接"
    qtbot.waitUntil(lambda: not window.online, timeout=9000)
    assert "连接中断" in window.link_label.text()
    with qtbot.waitSignal(window.commandFailed, timeout=8000):
        qtbot.keyClick(window, Qt.Key_F1)
    assert "无法连接叫号服务" in window.statusBar().currentMessage()
    window.shutdown()


def test_id_card_swipe_finds_the_patients_visit(qtbot, console, front_desk):
    card = "11010119900307803X"
    created = front_desk.request("POST", "/records/patients", json_body={"source": "typed", "id_number": card,
                                                                   "name": "王小明", "phone": "13800138000"})
    patient_id = str(created["patient"]["patient_id"])
    register(front_desk, "张三")
    register(front_desk, "王小明", patient_id=patient_id)
    qtbot.waitUntil(lambda: len(tickets(console.waiting_pane)) == 2, timeout=6000)
    console.search.setText(card)  # a card reader in keyboard mode types the number and Enter
    assert tickets(console.waiting_pane) == []  # nothing matches the bare number itself
    qtbot.keyClick(console.search, Qt.Key_Return)
    qtbot.waitUntil(lambda: tickets(console.waiting_pane) == ["A002"], timeout=6000)
    assert console.statusBar().currentMessage() == "已找到该患者"


def test_move_up_assign_dispatch_transfer_away_back_cancel(qtbot, console, front_desk):
    for name in ("张三", "王小明", "李四", "赵五"):
        register(front_desk, name)
    qtbot.waitUntil(lambda: tickets(console.waiting_pane) == ["A001", "A002", "A003", "A004"], timeout=6000)

    def act(key, *, visit: str | None = None, modifier=Qt.NoModifier) -> None:
        if visit is not None:
            row = next(r for r in console.view.all_rows() if r.ticket == visit)
            assert console.select(row.visit_id)
        with qtbot.waitSignal(console.commandDone, timeout=6000):
            qtbot.keyClick(console, key, modifier)

    act(Qt.Key_F7, visit="A003")  # move up one place
    qtbot.waitUntil(lambda: tickets(console.waiting_pane) == ["A001", "A003", "A002", "A004"], timeout=6000)

    console.ask_item = lambda title, label, items: next(i for i in items if i.startswith("王志强"))
    act(Qt.Key_F9, visit="A004")  # assign doctor 王志强 (sits in room 3)
    qtbot.waitUntil(lambda: cell(console.waiting_pane, "A004", 4) == "王志强", timeout=6000)

    act(Qt.Key_D, visit="A002", modifier=Qt.ControlModifier)  # dispatch into this room (内科3诊室)
    qtbot.waitUntil(lambda: tickets(console.room_pane) == ["A002"], timeout=6000)

    console.ask_item = lambda title, label, items: "诊室：内科4诊室"
    console.confirm = lambda title, question: False  # keep the registration time
    act(Qt.Key_F10, visit="A001")  # transfer to room 4
    qtbot.waitUntil(lambda: "A001" not in tickets(console.waiting_pane), timeout=6000)
    console.room_combo.setCurrentIndex(console.room_combo.findData("NK4"))  # look at room 4's queue
    assert tickets(console.room_pane) == ["A001"]
    console.room_combo.setCurrentIndex(console.room_combo.findData("NK3"))
    assert tickets(console.room_pane) == ["A002"]

    act(Qt.Key_F1)  # call next in room 3 (tops the room up first, calls the head of the order)
    qtbot.waitUntil(lambda: len(tickets(console.called_pane)) == 1, timeout=6000)
    called = tickets(console.called_pane)[0]
    act(Qt.Key_E, modifier=Qt.ControlModifier)  # off to exams
    qtbot.waitUntil(lambda: tickets(console.away_pane) == [called], timeout=6000)
    act(Qt.Key_F6, visit=called)  # back from exams
    qtbot.waitUntil(lambda: tickets(console.away_pane) == [], timeout=6000)
    qtbot.waitUntil(lambda: called in tickets(console.room_pane) + tickets(console.waiting_pane), timeout=6000)

    console.confirm = lambda title, question: True
    act(Qt.Key_Delete, visit="A004", modifier=Qt.ControlModifier)  # cancel (弃号)
    qtbot.waitUntil(lambda: "A004" not in tickets(console.waiting_pane) + tickets(console.room_pane), timeout=6000)


def test_call_this_one_now_in_one_action_with_the_reason_in_the_audit(qtbot, console, front_desk, service):
    for name in ("张三", "王小明", "李四"):
        register(front_desk, name)
    qtbot.waitUntil(lambda: len(tickets(console.waiting_pane)) == 3, timeout=6000)
    assert "Ctrl+Enter 呼叫此号" in console.key_map.text() and "F1 叫下一位" in console.key_map.text()
    asked = []
    console.ask_item = lambda title, label, items: asked.append(label) or "行动不便"
    assert console.select(console.view.waiting[2].visit_id)
    with qtbot.waitSignal(console.commandDone, timeout=6000):
        qtbot.keyClick(console, Qt.Key_Return, Qt.ControlModifier)
    qtbot.waitUntil(lambda: tickets(console.called_pane) == ["A003"], timeout=6000)
    assert "A003" in asked[0]
    toast, button = console.toast, console.buttons["call_this"]
    assert toast.isVisible() and toast.ok and "已呼叫 A003 李四" in toast.text()
    assert abs(toast.geometry().center().y() - button.mapTo(toast.parentWidget(), button.rect().center()).y()) < 60
    with CallerClient(service, "demo-admin-0a9b8c7d6e5f") as admin:
        calls = [r for r in admin.audit() if r["action"] == "call"]
    assert calls[-1]["detail"]["reason"] == "行动不便" and calls[-1]["detail"]["out_of_turn"] is True
    assert calls[-1]["user"] == "wanghs"


def test_queue_changes_arrive_as_deltas_and_a_gap_brings_a_fresh_snapshot(qtbot, console, front_desk):
    for name in ("张三", "王小明", "李四", "赵六"):
        register(front_desk, name)
    qtbot.waitUntil(lambda: len(tickets(console.waiting_pane)) == 4, timeout=6000)
    assert console.deltas_applied >= 3  # after the first snapshot only the changes came
    front_desk.call_next("NK3")
    server = front_desk.area_queue("NK")
    qtbot.waitUntil(lambda: tickets(console.room_pane) == [v["ticket"] for v in server["rooms"][2]["queue"]],
                    timeout=6000)
    assert tickets(console.waiting_pane) == [v["ticket"] for v in server["waiting"]]
    console.snapshot_version = -1  # as if a message had been lost
    register(front_desk, "钱七")
    qtbot.waitUntil(lambda: console.deltas_refused >= 1, timeout=6000)
    qtbot.waitUntil(lambda: "A005" in tickets(console.waiting_pane) + tickets(console.room_pane), timeout=6000)
    refused, applied = console.deltas_refused, console.deltas_applied
    register(front_desk, "孙八")  # and deltas flow again on top of the fresh snapshot
    qtbot.waitUntil(lambda: "A006" in tickets(console.waiting_pane) + tickets(console.room_pane), timeout=6000)
    assert console.deltas_refused == refused and console.deltas_applied > applied


def test_pause_with_the_doctors_return_time_for_the_door_screen(qtbot, console, front_desk):
    console.ask_return_time = lambda: "9:30"
    with qtbot.waitSignal(console.commandDone, timeout=6000):
        qtbot.keyClick(console, Qt.Key_F11)
    room = next(r for r in front_desk.area_queue("NK")["rooms"] if r["room_id"] == "NK3")
    assert room["paused"] and room["return_at"] == "09:30"
    qtbot.waitUntil(lambda: console.buttons["pause"].text().startswith("开诊"), timeout=6000)
