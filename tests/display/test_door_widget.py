"""The door screen widget, driven with event messages; checked by what it shows."""
from display_events import NOON, call, room, snapshot, visit

from common.board import DoctorCard
from common.screen_layout import ScreenLayout
from display.door import DoorDisplay

DOCTORS = {"nk-zhang": DoctorCard("张建国", "主任医师", "", "心血管")}


def make_door(qtbot):
    door = DoorDisplay("NK", "NK1", ScreenLayout.from_settings({"kind": "door", "width": 1280, "height": 800}),
                       room_name="内科1诊室", subtitle="内科 · 2 层东侧 201", doctors=DOCTORS, now=lambda: NOON)
    qtbot.addWidget(door)
    door.show()
    door.set_online(True)
    return door


def test_door_shows_room_doctor_current_and_next(qtbot):
    door = make_door(qtbot)
    door.apply_event(snapshot(5, [
        room("NK1", "内科1诊室", doctor={"id": "nk-zhang", "name": "张建国"},
             waiting=[visit("A002", "欧阳娜娜"), visit("A003", "李四"), visit("A004", "赵五")]),
        room("NK2", "内科2诊室", current=visit("B001", "孙七")),
    ], NOON))
    assert door.title_label.text() == "内科1诊室"
    assert (door.doctor_name.text(), door.doctor_title.text()) == ("张建国", "主任医师")
    assert door.department.text() == "内科 · 2 层东侧 201"
    assert door.specialty.text() == "擅长：心血管"
    assert door.current.text() == "请稍候"
    door.apply_event(call(6, "A001", "王*明", "NK1", "内科1诊室", NOON))
    assert door.current.text() == "A001 王*明"
    assert [label.text() for label in door.next_labels if label.text()] == ["A002 欧**娜", "A003 李*", "A004 赵*"]
    door.apply_event(call(7, "B002", "周*", "NK2", "内科2诊室", NOON))  # another room: no change here
    assert door.current.text() == "A001 王*明"


def test_door_of_a_paused_room_says_so_politely(qtbot):
    door = make_door(qtbot)
    door.apply_event(snapshot(5, [room("NK1", "内科1诊室", paused=True, waiting=[visit("A002", "欧阳娜娜")])], NOON))
    assert door.current.text() == "暂停接诊"
    assert "请留意叫号或咨询护士" in door.next_caption.text()
    assert [label.text() for label in door.next_labels if label.text()] == []  # nobody is told to get ready
    door.apply_event(snapshot(6, [{**room("NK1", "内科1诊室", paused=True), "return_at": "10:30"}], NOON))
    assert door.next_caption.text() == "医生预计 10:30 回来，请您稍候，谢谢"


def test_door_shows_the_doctors_photo_when_configured(qtbot, tmp_path):
    from PySide6.QtGui import QColor, QImage

    photo = tmp_path / "zhang.png"
    image = QImage(300, 400, QImage.Format_RGB32)
    image.fill(QColor("#3a7d44"))
    assert image.save(str(photo))
    doctors = {"nk-zhang": DoctorCard("张建国", "主任医师", str(photo))}
    door = DoorDisplay("NK", "NK1", ScreenLayout.from_settings({"kind": "door"}), room_name="内科1诊室",
                       doctors=doctors, now=lambda: NOON)
    qtbot.addWidget(door)
    door.show()
    door.apply_event(snapshot(5, [room("NK1", "内科1诊室", doctor={"id": "nk-zhang", "name": "张建国"})], NOON))
    pixmap = door.photo.pixmap()
    assert not pixmap.isNull()
    assert QColor(pixmap.toImage().pixel(pixmap.width() // 2, pixmap.height() // 2)) == QColor("#3a7d44")
