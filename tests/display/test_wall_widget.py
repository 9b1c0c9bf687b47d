"""The wall screen widget, driven with event messages; checked by what it shows."""
from datetime import timedelta

from display_events import NOON, broadcast, call, room, snapshot, visit
from PySide6.QtGui import QColor

from common.board import DoctorCard
from common.screen_layout import ScreenLayout
from display.wall import WallDisplay
from display.widgets import FitLabel


class Clock:
    def __init__(self, now):
        self.value = now

    def __call__(self):
        return self.value


def make_wall(qtbot, clock=None, **settings):
    layout = ScreenLayout.from_settings({"flash_seconds": 0.8, **settings})
    wall = WallDisplay("NK", layout, title="内科诊区", notices=["请您保持安静，留意屏幕和语音叫号。"],
                       doctors={"nk-zhang": DoctorCard("张建国", "主任医师")}, now=clock or Clock(NOON))
    qtbot.addWidget(wall)
    wall.show()
    wall.set_online(True)
    return wall


def rooms_snapshot(seq=5):
    return snapshot(seq, [
        room("NK1", "内科1诊室", doctor={"id": "nk-zhang", "name": "张建国"},
             current=visit("A003", "王小明"), waiting=[visit("A004", "欧阳娜娜"), visit("A005", "李四"),
                                                      visit("A006", "赵五"), visit("A008", "孙七")]),
        room("NK2", "内科2诊室", paused=True),
    ], NOON)


def visible_texts(widget):
    return [label.text() for label in widget.findChildren(FitLabel) if label.isVisible() and label.text()]


def red_pixels(widget) -> int:
    image = widget.grab().toImage()
    step = 8
    count = 0
    for x in range(0, image.width(), step):
        for y in range(0, image.height(), step):
            c = QColor(image.pixel(x, y))
            count += c.red() > 170 and c.green() < 60 and c.blue() < 60
    return count


def test_newest_call_is_large_and_flashes_then_settles(qtbot):
    wall = make_wall(qtbot)
    wall.apply_event(rooms_snapshot())
    wall.apply_event(call(6, "A007", "周杰", "NK1", "内科1诊室", NOON))
    panel = wall.call_panel
    assert (panel.ticket.text(), panel.name.text(), panel.room.text()) == ("A007", "周*", "请到 内科1诊室 就诊")
    assert panel.ticket.fitted_px() > wall.room_rows[0].current.fitted_px()
    assert panel.flashing()
    qtbot.waitUntil(lambda: red_pixels(panel) > 50, timeout=2000)
    qtbot.waitUntil(lambda: not panel.flashing(), timeout=3000)
    assert red_pixels(panel) == 0


def test_rooms_show_current_and_next_masked_and_paused(qtbot):
    wall = make_wall(qtbot, next_count=3)
    wall.apply_event(rooms_snapshot())
    row1, row2 = wall.room_rows[0], wall.room_rows[1]
    assert row1.room.text() == "内科1诊室"
    assert row1.doctor.text() == "张建国 主任医师"
    assert row1.current.text() == "A003 王*明"
    # at the legible size the names do not fit beside the doctor: the tickets stay, whole
    assert row1.waiting.text().split() == ["请准备：A004", "A005", "A006"]
    assert row2.current.text() == "暂停接诊"
    texts = " ".join(visible_texts(wall))
    for full in ("王小明", "欧阳娜娜", "李四"):
        assert full not in texts


def test_last_calls_listed_under_the_newest(qtbot):
    wall = make_wall(qtbot, last_calls=3)
    for i, (ticket, name, rid, rname) in enumerate([("A001", "陈*", "NK1", "内科1诊室"), ("A002", "林*", "NK2", "内科2诊室"),
                                                    ("A003", "黄*", "NK1", "内科1诊室")]):
        wall.apply_event(call(10 + i, ticket, name, rid, rname, NOON))
    assert wall.call_panel.ticket.text() == "A003"
    assert [lbl.text().split()[0] for lbl in wall.recent_labels if lbl.text()] == ["A002", "A001"]


def test_lost_connection_banner_shows_at_once_and_goes_on_reconnect(qtbot):
    wall = make_wall(qtbot)
    wall.apply_event(rooms_snapshot())
    wall.set_online(False, "")
    assert wall.connection_banner.isVisible()
    assert "网络连接中断" in wall.connection_banner.text()
    assert wall.room_rows[0].current.text() == "A003 王*明"  # the last known state stays up
    wall.set_online(True, "")
    assert not wall.connection_banner.isVisible()


def test_broadcast_banner(qtbot):
    wall = make_wall(qtbot)
    wall.apply_event(broadcast(7, "内科2诊室李医生临时会诊，请稍候，谢谢您的耐心。", NOON))
    assert wall.broadcast_banner.isVisible()
    assert "李医生临时会诊" in wall.broadcast_banner.text()


def test_long_names_and_many_rooms_fit_without_clipping(qtbot):
    wall = make_wall(qtbot, rows=4, next_count=3)
    rooms = [room(f"R{i}", f"心血管内科专家第{i}诊室", doctor={"id": "x", "name": "欧阳建国"},
                  current=visit(f"A{i:03d}", "司马相如如"),
                  waiting=[visit(f"A1{i:02d}", "欧阳娜娜娜"), visit(f"A2{i:02d}", "诸葛孔明明"),
                           visit(f"A3{i:02d}", "上官婉儿儿")]) for i in range(6)]
    wall.apply_event(snapshot(5, rooms, NOON))
    wall.apply_event(call(6, "A1000", "欧阳娜娜娜", "R0", "心血管内科专家第0诊室", NOON))
    qtbot.waitUntil(lambda: wall.room_rows[0].width() > 0)
    for label in wall.findChildren(FitLabel):
        if label.isVisible() and label.text():
            assert label.text_fits(), label.text()
    assert wall.page_label.text() == "第 1/2 页"
    wall._next_page()
    assert wall.room_rows[0].room.text().startswith("心血管内科")  # a long room name ends in "…"
    assert wall.room_rows[0].current.text() == "A004 司***如"  # a ticket is never cut


def test_midnight_clears_yesterdays_calls(qtbot):
    clock = Clock(NOON.replace(hour=23, minute=59, second=50))
    wall = make_wall(qtbot, clock=clock)
    wall.apply_event(call(6, "A088", "张*", "NK1", "内科1诊室", clock.value))
    assert wall.call_panel.ticket.text() == "A088"
    clock.value += timedelta(seconds=20)
    wall.tick()
    assert wall.call_panel.ticket.text() == ""
    assert "11月24日" in wall.clock_label.text()
    wall.apply_event(call(7, "A001", "李*", "NK1", "内科1诊室", clock.value))
    assert wall.call_panel.ticket.text() == "A001"
