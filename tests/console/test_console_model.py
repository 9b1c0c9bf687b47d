"""Console panes built from a staff snapshot (pure)."""
from datetime import datetime

from caller_console.model import build_view, matches, minutes_waited
from common.privacy import mask_id_number

NOW = datetime(2026, 11, 23, 9, 30)


def item(ticket, name, state="waiting", **extra):
    return {"visit_id": f"v{ticket}", "ticket": ticket, "name": name[0] + "*", "patient_name": name,
            "state": state, "waiting_since": "2026-11-23T09:05:00", **extra}


SNAP = {
    "area_id": "NK",
    "waiting": [item("A001", "张三", source="appointment"), item("A002", "王小明", late=True),
                item("A003", "李四", priority=True, priority_kind="elderly")],
    "missed": [item("A009", "赵六", state="missed")],
    "away": [],
    "rooms": [
        {"room_id": "NK3", "name": "内科3诊室", "paused": False, "doctor_name": "王志强",
         "called": [item("A005", "孙七", state="called", room_id="NK3", call_count=2)], "in_service": [],
         "queue": [item("A006", "周八", state="room_waiting", room_id="NK3", recalled=True)]},
        {"room_id": "NK4", "name": "内科4诊室", "paused": True, "called": [], "in_service": [
            item("A004", "吴九", state="in_service", room_id="NK4")], "queue": []},
    ],
}


def test_panes_and_badges():
    view = build_view(SNAP, "NK3", NOW, {"elderly": "老年人"})
    assert [r.ticket for r in view.waiting] == ["A001", "A002", "A003"]
    assert view.waiting[0].badges == ("预约",)
    assert view.waiting[1].badges == ("迟到",)
    assert view.waiting[2].badges == ("老年人",)
    assert view.waiting[0].minutes == 25
    assert [r.ticket for r in view.room_queue] == ["A006"]
    assert view.room_queue[0].badges == ("召回",)
    assert [r.ticket for r in view.called] == ["A005", "A004"]  # the chosen room first
    assert view.current_of_room().ticket == "A005"
    assert [r.ticket for r in view.missed] == ["A009"]
    assert view.room().paused is False
    assert view.waiting[0].name == "张三"  # staff see full names


def test_emergency_level_badge_comes_first():
    view = build_view({"waiting": [item("E001", "钱一", triage_level=1, number_kind="emergency")], "rooms": []},
                      "JZ1", NOW)
    assert view.waiting[0].badges[0] == "1级 濒危"


def test_minutes_only_for_waiting_visits():
    assert minutes_waited(item("A1", "张三", state="called"), NOW) is None
    assert minutes_waited(item("A1", "张三"), NOW) == 25


def test_search_by_ticket_name_and_card():
    view = build_view(SNAP, "NK3", NOW)
    rows = list(view.all_rows())
    assert [r.ticket for r in rows if matches(r, "a002")] == ["A002"]
    assert [r.ticket for r in rows if matches(r, "小明")] == ["A002"]
    assert [r.ticket for r in rows if matches(r, "")] == [r.ticket for r in rows]
    card = "11010119900307803X"
    assert not any(matches(r, card) for r in rows)
    assert mask_id_number(card) == "110101********803X"


def test_wait_alert_shows_while_the_department_waits_too_long(qtbot):
    from caller_console.window import ConsoleWindow
    from client.http import CallerClient

    hospital = {"areas": [{"id": "NK", "name": "内科诊区", "rooms": [{"id": "NK3", "name": "内科3诊室"}]}]}
    login = {"user": {"name": "王护士长"}, "role": "nurse", "areas": ["NK"]}
    window = ConsoleWindow(CallerClient("http://127.0.0.1:9"), login, hospital, "NK", "NK3", start_link=False)
    qtbot.addWidget(window)
    window.show()
    alert = {"kind": "wait", "dept_id": "NK", "dept": "内科", "wait_minutes": 42.5, "threshold_minutes": 30,
             "active": True, "message_zh": "内科已有患者等候 42 分钟，超过 30 分钟"}
    window.apply_event({"seq": 9, "type": "alert", "area": "NK", "data": alert})
    assert window.alert_bar.isVisible()
    assert "内科已有患者等候 42 分钟" in window.alert_label.text()
    assert window.alerts_sounded == 0  # a wait alert is shown, not sounded
    window.acknowledge_alerts()
    assert window.alert_bar.isVisible()  # it stays while the wait lasts
    window.apply_event({"seq": 10, "type": "alert", "area": "NK", "data": {**alert, "active": False}})
    assert not window.alert_bar.isVisible()
    window.shutdown()


def test_waiting_minutes_follow_the_service_clock(qtbot):
    import time
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from caller_console.window import ConsoleWindow
    from client.http import CallerClient

    hospital = {"areas": [{"id": "NK", "name": "内科诊区", "rooms": [{"id": "NK3", "name": "内科3诊室"}]}]}
    login = {"user": {"name": "王护士长"}, "role": "nurse", "areas": ["NK"]}
    window = ConsoleWindow(CallerClient("http://127.0.0.1:9"), login, hospital, "NK", "NK3", start_link=False)
    qtbot.addWidget(window)
    here = time.time()
    service_now = datetime.fromtimestamp(here - 3 * 3600, ZoneInfo("Asia/Shanghai"))  # three hours behind this PC
    window.clock.observe(service_now.isoformat(), "Asia/Shanghai", here, here)
    window._clock_synced()
    assert "本机时钟比服务器快 10800 秒" in window.statusBar().currentMessage()  # the PC is told to fix its clock
    service_now = service_now.replace(tzinfo=None)
    since = (service_now - timedelta(minutes=12)).isoformat(timespec="seconds")
    window.apply_event({"seq": 1, "type": "snapshot", "area": "NK", "data": {
        "area_id": "NK", "rooms": [], "waiting": [{**item("A001", "张三"), "waiting_since": since}]}})
    qtbot.waitUntil(lambda: window.waiting_pane.cell(0, 3) != "", timeout=2000)
    assert window.waiting_pane.cell(0, 3) in ("12 分钟", "13 分钟")
    window.shutdown()
