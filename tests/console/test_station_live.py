"""The console's window/station mode against a live service: a pharmacist, a blood-draw window and an imaging desk
work their lists with the real widgets and keys; the label printer is the TSPL simulator on TCP."""
from __future__ import annotations

from datetime import datetime

import pytest
from console_helpers import NK_CONSOLE, PASSWORD, register
from PySide6.QtCore import Qt

from caller.testing import DEMO_TOKENS as T
from caller.testing import ManualClock, run_service
from caller_console.app import open_console
from caller_console.window import ConsoleWindow
from client.http import CallerClient


def tickets(pane) -> list[str]:
    return [pane.cell(i, 0) for i in range(pane.model.rowCount())]


def row_text(pane, ticket: str) -> str:
    i = tickets(pane).index(ticket)
    return " | ".join(pane.cell(i, c) for c in range(len(pane.model.columns)))


def seen(front_desk: CallerClient, name: str, orders: list[dict], **kwargs) -> tuple[dict, str]:
    """A patient registered, called into an internal-medicine room and seen; the orders sent (开单): (visit, step id)."""
    visit = register(front_desk, name, **kwargs)
    called = None
    for room in ("NK1", "NK2", "NK3", "NK4"):
        called = front_desk.call_next(room)["visit"]
        if called:
            break
    assert called and called["visit_id"] == visit["visit_id"]
    front_desk.start(visit["visit_id"])
    step = front_desk.orders(visit["visit_id"], orders)["visit"]["visit_id"]
    front_desk.finish(visit["visit_id"])
    return visit, step


def station(qtbot, url: str, token: str, user: str, area: str, room: str, **kwargs) -> ConsoleWindow:
    window = open_console(url, token, user, PASSWORD, area=area, room=room, **kwargs)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.online, timeout=5000)
    return window


def tagged(tag: str):
    """A waitSignal check: the answer of this action (not a late one of the action before)."""
    return lambda got, _result: got == tag


def act(qtbot, window: ConsoleWindow, key, pane=None, ticket: str | None = None) -> None:
    """Select ``ticket`` in ``pane`` (as a click would) and press ``key``."""
    if ticket is not None:
        assert pane.select_visit(next(r.visit_id for r in pane.rows if r.ticket == ticket))
    qtbot.keyClick(window, key)


def test_pharmacist_dispenses_marks_ready_calls_and_a_scan_confirms_collection(qtbot, service, front_desk):
    visit, step = seen(front_desk, "王小明", [{"kind": "drug", "items": [{"code": "AMOX"}, {"code": "IBU", "quantity": 2}]}])
    other, _ = seen(front_desk, "李四", [{"kind": "drug", "paid": True, "items": [{"code": "OME"}]}])
    window = station(qtbot, service, T["console_yf"], "yaoshi-chen", "YF", "YF3")
    try:
        assert window.mode == "pharmacy" and window.windowTitle() == "药房窗口叫号台"
        assert window.scan.isVisible() and "F7 已配好" in window.key_map.text()
        pending, dispensing = window.station_panes["pending"], window.station_panes["dispensing"]
        ready, called = window.station_panes["ready"], window.station_panes["called"]
        qtbot.waitUntil(lambda: other["ticket"] in tickets(pending), timeout=5000)
        assert visit["ticket"] not in tickets(pending)  # not paid yet: not the pharmacy's work
        cashier = CallerClient(service, T["console_sf"])
        cashier.login("shoufei-he", PASSWORD)
        cashier.pay_step(step)
        qtbot.waitUntil(lambda: visit["ticket"] in tickets(pending), timeout=5000)
        assert "阿莫西林胶囊、布洛芬缓释胶囊×2" in row_text(pending, visit["ticket"])
        assert "待配药" in row_text(pending, visit["ticket"])

        act(qtbot, window, Qt.Key_F5, pending, visit["ticket"])  # 开始配药
        qtbot.waitUntil(lambda: visit["ticket"] in tickets(dispensing), timeout=5000)
        assert visit["ticket"] not in tickets(pending)
        act(qtbot, window, Qt.Key_F7, dispensing, visit["ticket"])  # 已配好 at this window
        qtbot.waitUntil(lambda: visit["ticket"] in tickets(ready), timeout=5000)
        line = row_text(ready, visit["ticket"])
        assert "3号窗口" in line and "已配好" in line and "王小明" in line

        with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("call_next")):
            act(qtbot, window, Qt.Key_F1)  # 叫下一位: the medicine waits at this window
        qtbot.waitUntil(lambda: visit["ticket"] in tickets(called), timeout=5000)
        assert "已呼叫 · 第1次呼叫" in row_text(called, visit["ticket"])
        assert "已呼叫" in window.statusBar().currentMessage() and "3号窗口" in window.statusBar().currentMessage()

        # another patient's code is refused and nothing changes; the right one confirms 已取药
        qtbot.keyClicks(window.scan, other["ticket"])
        with qtbot.waitSignal(window.commandFailed, timeout=5000, check_params_cb=tagged("collect")) as refused:
            qtbot.keyClick(window.scan, Qt.Key_Return)
        assert refused.args[1].code == "wrong_patient"
        assert "扫码结果与取药患者不符" in window.statusBar().currentMessage()
        assert visit["ticket"] in tickets(called)
        code = front_desk.visit_status(visit["visit_id"])["ticket_token"]  # the ticket's QR, as the scanner reads it
        qtbot.keyClicks(window.scan, code)
        with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("collect")):
            qtbot.keyClick(window.scan, Qt.Key_Return)
        qtbot.waitUntil(lambda: visit["ticket"] not in tickets(called), timeout=5000)
        assert "已取药" in window.statusBar().currentMessage()
        pharmacist = CallerClient(service, T["console_yf"])
        pharmacist.login("yaoshi-chen", PASSWORD)
        actions = [(row["action"], row["user"]) for row in pharmacist.audit(step)]
        for action in ("start_dispensing", "ready", "call", "collect"):
            assert (action, "yaoshi-chen") in actions, actions
        journey = front_desk.journey(visit["visit_id"])
        assert next(s for s in journey["steps"] if s["kind"] == "pharmacy")["stage"] == "collected"
        cashier.close()
        pharmacist.close()
    finally:
        window.shutdown()


def test_lab_window_checks_in_by_scan_calls_and_prints_labels_the_printer_decodes(qtbot, service, front_desk, tmp_path):
    import zxingcpp

    from hardware.label.render import render_png
    from hardware.label.simulator import LabelPrinterServer, SimulatedLabelPrinter

    visit, step = seen(front_desk, "欧阳娜娜", [{"kind": "lab", "paid": True, "items": [{"code": "CBC"}, {"code": "GLU"}]}])
    printer = SimulatedLabelPrinter(tmp_path / "labels")
    with LabelPrinterServer(printer) as server:
        window = station(qtbot, service, T["console_jy"], "caixue-wu", "JY", "JY1",
                         label_printer=f"tcp://127.0.0.1:{server.port}")
        try:
            assert window.mode == "lab" and window.room_combo.currentText() == "1号采血窗口"
            arriving, queue = window.station_panes["arriving"], window.station_panes["queue"]
            called = window.station_panes["called"]
            qtbot.waitUntil(lambda: visit["ticket"] in tickets(arriving), timeout=5000)
            assert "血常规、空腹血糖" in row_text(arriving, visit["ticket"])

            qtbot.keyClick(window, Qt.Key_F9)  # 签到 with nothing scanned: the scan field is focused and asks
            assert "请扫描患者的就诊码" in window.statusBar().currentMessage()
            qtbot.keyClicks(window.scan, visit["ticket"].lower())  # typed, as a nurse would
            with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("check_in")):
                qtbot.keyClick(window.scan, Qt.Key_Return)
            assert "已签到" in window.statusBar().currentMessage()
            qtbot.waitUntil(lambda: visit["ticket"] in tickets(queue) or visit["ticket"] in tickets(called), timeout=5000)
            assert "空腹采血" in " ".join(r.badges[0] for r in queue.rows + called.rows if r.badges)

            with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("call_next")):
                act(qtbot, window, Qt.Key_F1)
            qtbot.waitUntil(lambda: visit["ticket"] in tickets(called), timeout=5000)
            with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("labels")) as printed:
                act(qtbot, window, Qt.Key_F8)  # 打印标签
            labels = printed.args[1]
            assert printer.wait_labels(2, 10)
            assert [p.barcodes[0][3] for p in printer.labels] == [lbl["barcode"] for lbl in labels]
            assert "欧阳娜娜" in printer.labels[0].text and "紫帽管" in printer.labels[0].text
            assert "灰帽管" in printer.labels[1].text and "空腹血糖" in printer.labels[1].text
            assert [s.text for s in zxingcpp.read_barcodes(render_png(printer.labels[0]))] == [labels[0]["barcode"]]
            assert "已打印 2 张试管标签" in window.statusBar().currentMessage()

            act(qtbot, window, Qt.Key_F4)  # 采血完成
            qtbot.waitUntil(lambda: visit["ticket"] not in tickets(called), timeout=5000)
            lab = CallerClient(service, T["console_jy"])
            lab.login("caixue-wu", PASSWORD)
            trail = {row["action"]: row for row in lab.audit(step)}
            assert trail["print_labels"]["user"] == "caixue-wu"
            assert trail["print_labels"]["detail"]["barcodes"] == [lbl["barcode"] for lbl in labels]
            assert trail["finish"]["user"] == "caixue-wu"
            lab.close()
        finally:
            window.shutdown()


def test_a_label_printer_out_of_labels_prints_nothing_and_says_so(qtbot, service, front_desk, tmp_path):
    from hardware.label.simulator import LabelPrinterServer, SimulatedLabelPrinter

    visit, step = seen(front_desk, "张三", [{"kind": "lab", "paid": True, "items": [{"code": "CBC"}]}])
    printer = SimulatedLabelPrinter(tmp_path / "labels")
    printer.status_byte = 0b100  # paper (labels) out
    with LabelPrinterServer(printer) as server:
        window = station(qtbot, service, T["console_jy"], "caixue-wu", "JY", "JY2",
                         label_printer=f"tcp://127.0.0.1:{server.port}")
        try:
            lab = CallerClient(service, T["console_jy"])
            lab.login("caixue-wu", PASSWORD)
            lab.check_in_code("JY", visit["ticket"])
            with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("call_next")):
                act(qtbot, window, Qt.Key_F1)
            called = window.station_panes["called"]
            qtbot.waitUntil(lambda: visit["ticket"] in tickets(called), timeout=5000)
            with qtbot.waitSignal(window.commandFailed, timeout=5000, check_params_cb=tagged("labels")):
                act(qtbot, window, Qt.Key_F8)
            assert "标签纸用完" in window.statusBar().currentMessage()
            assert printer.labels == [] and "print_labels" not in [r["action"] for r in lab.audit(step)]
            lab.close()
        finally:
            window.shutdown()


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 11, 23, 9, 0, 0))


@pytest.fixture
def timed_service(tmp_path, clock):
    with run_service(db_path=tmp_path / "timed.db", clock=clock) as url:
        yield url


def test_imaging_desk_sees_the_preparation_countdown_and_the_step_is_held_until_met(qtbot, timed_service, clock):
    desk_nurse = CallerClient(timed_service, NK_CONSOLE)
    desk_nurse.login("wanghs", PASSWORD)
    visit, step = seen(desk_nurse, "王小明", [{"kind": "imaging", "paid": True, "slot_start": "09:15",
                                             "items": [{"code": "US-PELV"}]}])
    client = CallerClient(timed_service, T["console_yx"])
    login = client.login("jishi-sun", PASSWORD)
    window = ConsoleWindow(client, login, client.hospital(), "YX", "US1", now=clock)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.online, timeout=5000)
        assert window.mode == "imaging" and window.room_caption.text() == "检查室"
        arriving, queue = window.station_panes["arriving"], window.station_panes["queue"]
        qtbot.waitUntil(lambda: visit["ticket"] in tickets(arriving), timeout=5000)
        qtbot.keyClicks(window.scan, visit["ticket"])
        with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("check_in")):
            qtbot.keyClick(window.scan, Qt.Key_Return)
        qtbot.waitUntil(lambda: visit["ticket"] in tickets(queue), timeout=5000)
        assert "请先完成检查准备：憋尿" in row_text(queue, visit["ticket"])

        with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("call_next")):
            act(qtbot, window, Qt.Key_F1)
        assert window.statusBar().currentMessage() == "暂无候诊患者，请稍候再叫"  # held, not skipped

        asked = []
        window.ask_prep = lambda row, needs: asked.append(needs) or {"water_at": "9：00"}
        with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("prep")):
            act(qtbot, window, Qt.Key_F5, queue, visit["ticket"])  # 登记准备: drank the water at 09:00
        assert asked == [{"water_minutes": 45}]
        qtbot.waitUntil(lambda: "还需 45 分钟" in row_text(queue, visit["ticket"]), timeout=5000)
        assert "09:45 可叫" in row_text(queue, visit["ticket"])
        clock.advance(minutes=20)
        window._periodic()
        qtbot.waitUntil(lambda: "还需 25 分钟" in row_text(queue, visit["ticket"]), timeout=5000)
        with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("call_next")):
            act(qtbot, window, Qt.Key_F1)
        assert window.statusBar().currentMessage() == "暂无候诊患者，请稍候再叫"

        clock.advance(minutes=25)
        with qtbot.waitSignal(window.commandDone, timeout=5000, check_params_cb=tagged("call_next")) as answer:
            act(qtbot, window, Qt.Key_F1)
        assert answer.args[1]["visit"]["visit_id"] == step
        called = window.station_panes["called"]
        qtbot.waitUntil(lambda: visit["ticket"] in tickets(called), timeout=5000)
        assert "超声1室" in row_text(called, visit["ticket"])
    finally:
        window.shutdown()
        client.close()
        desk_nurse.close()
