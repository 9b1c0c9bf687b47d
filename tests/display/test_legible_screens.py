"""Legible walls and doors: text heights measured in the rendered screens at 1080 and 2160 lines, and the
shortening rule that never cuts a ticket number."""
from __future__ import annotations

import pytest
from display_events import NOON, call, room, snapshot, visit
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor

from common.board import DoctorCard
from common.legible import ELLIPSIS, fit_patients
from common.screen_layout import ScreenLayout
from display.door import DoorDisplay
from display.wall import WallDisplay

tickets = st.from_regex(r"[A-Z]{1,2}[0-9]{3,4}", fullmatch=True)
names = st.text(alphabet="王李欧阳娜明*", max_size=4)


@given(patients=st.lists(st.tuples(tickets, names), min_size=1, max_size=6), width=st.integers(1, 60))
def test_shortening_drops_names_and_patients_never_part_of_a_ticket(patients, width):
    text = fit_patients(patients, lambda t: len(t) <= width)
    words = [w for w in text.split() if w != ELLIPSIS]
    ticket_set = {t for t, _ in patients}
    shown = [w for w in words if w in ticket_set]
    assert shown and shown == [t for t, _ in patients][:len(shown)]  # whole tickets, in order, the first one always
    assert all(w in ticket_set or any(w == n for _, n in patients) for w in words)


def ink_height(screen, label) -> int:
    """Height in pixels of what is drawn in ``label``'s box on the rendered ``screen`` (the text's ink)."""
    image = screen.grab().toImage()
    origin = label.mapTo(screen, QPoint(0, 0))
    background = QColor(image.pixel(origin.x() + 1, origin.y() + 1))
    rows = []
    for y in range(origin.y(), origin.y() + label.height()):
        for x in range(origin.x(), origin.x() + label.width(), 2):
            c = QColor(image.pixel(x, y))
            if abs(c.red() - background.red()) + abs(c.green() - background.green()) + abs(c.blue() - background.blue()) > 120:
                rows.append(y)
                break
    return rows[-1] - rows[0] + 1 if rows else 0


def _rooms():
    return snapshot(5, [
        room("NK1", "内科1诊室", doctor={"id": "nk-zhang", "name": "张建国"}, current=visit("A003", "王小明"),
             waiting=[visit("A004", "欧阳娜娜"), visit("A005", "李四"), visit("A006", "赵五")]),
        room("NK2", "内科2诊室", doctor={"id": "nk-li", "name": "李淑芬"}, current=visit("A007", "陈静")),
    ], NOON)


@pytest.mark.parametrize("lines, room_min, doctor_min", [(1080, 60, 44), (2160, 120, 88)])
def test_wall_rows_and_doctor_names_are_tall_enough(qtbot, lines, room_min, doctor_min):
    layout = ScreenLayout.from_settings({"kind": "wall", "width": lines * 16 // 9, "height": lines})
    wall = WallDisplay("NK", layout, title="内科诊区", now=lambda: NOON,
                       doctors={"nk-zhang": DoctorCard("张建国", "主任医师"), "nk-li": DoctorCard("李淑芬", "副主任医师")})
    qtbot.addWidget(wall)
    wall.show()
    wall.set_online(True)
    wall.apply_event(_rooms())
    row = wall.room_rows[0]
    qtbot.waitUntil(lambda: row.room.width() > 0 and row.room.text() == "内科1诊室")
    assert ink_height(wall, row.room) >= room_min
    assert ink_height(wall, row.current) >= room_min * 0.9  # "A003 王*明": digits are a little shorter
    assert ink_height(wall, row.doctor) >= doctor_min
    assert row.doctor.text() == "张建国 主任医师"
    assert row.waiting.text().startswith("请准备：A004")
    for seq, (ticket, name) in enumerate([("A001", "刘一"), ("A002", "陈二"), ("A003", "王小明")], start=6):
        wall.apply_event(call(seq, ticket, name, "NK1", "内科1诊室", NOON))
    recent = wall.recent_labels[0]  # the call before the newest, under 最近呼叫
    qtbot.waitUntil(lambda: recent.text().startswith("A002") and recent.width() > 0)
    assert ink_height(wall, recent) >= doctor_min


def test_door_shows_the_current_patient_and_the_next_three_masked(qtbot):
    layout = ScreenLayout.from_settings({"kind": "door", "width": 1920, "height": 1080})
    door = DoorDisplay("NK", "NK1", layout, room_name="内科1诊室", now=lambda: NOON)
    qtbot.addWidget(door)
    door.show()
    door.apply_event(snapshot(5, [room("NK1", "内科1诊室", current=visit("A003", "王小明"),
                                       waiting=[visit("A004", "欧阳娜娜"), visit("A005", "李四"),
                                                visit("A006", "赵五"), visit("A008", "孙七")])], NOON))
    assert door.current.text() == "A003 王*明"
    assert [label.text() for label in door.next_labels if label.text()] == ["A004 欧**娜", "A005 李*", "A006 赵*"]
    qtbot.waitUntil(lambda: door.next_labels[0].height() > 0)
    assert ink_height(door, door.next_labels[0]) >= 36
