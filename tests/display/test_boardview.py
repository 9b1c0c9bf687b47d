"""The web screens' view of the board (common/boardview.py): the same board and layout rules as the Qt screens."""
from __future__ import annotations

from datetime import timedelta

from display_events import NOON, broadcast, call, room, snapshot, visit

from common.board import AreaBoard, DoctorCard
from common.boardview import door_view, layout_view, wall_view
from common.screen_layout import ScreenLayout


def board_with_calls() -> AreaBoard:
    board = AreaBoard("NK", recent_limit=6, doctors={"d1": DoctorCard("张建国", "主任医师", "", "高血压")})
    rooms = [room("NK2", "内科2诊室", waiting=[visit("A005", "李四")]),
             room("NK1", "内科1诊室", waiting=[visit("A002", "欧阳娜娜"), visit("A003", "司马相如")],
                  doctor={"id": "d1", "name": "张建国"}),
             room("NK3", "内科3诊室", paused=True, return_at="10:30")]
    board.apply(snapshot(1, rooms, NOON), NOON)
    board.apply(call(2, "A001", "王*明", "NK1", "内科1诊室", NOON), NOON)
    board.apply(call(3, "A004", "张三丰", "NK2", "内科2诊室", NOON + timedelta(seconds=5)), NOON)  # a full name by mistake
    board.apply(broadcast(4, "请保持安静", NOON), NOON)
    return board


def test_wall_view_follows_the_configured_rooms_masks_names_and_gives_choices_longest_first():
    layout = ScreenLayout.from_settings({"kind": "wall", "rooms": ["NK1", "NK2", "NK3"], "recent_calls": 5})
    view = wall_view(board_with_calls(), layout, title="内科诊区")
    assert [r["id"] for r in view["rooms"]] == ["NK1", "NK2", "NK3"]
    assert view["newest"]["ticket"] == "A004" and view["newest"]["name"] == "张*丰"
    assert [c["ticket"] for c in view["recent"]] == ["A001"]
    nk1, _, nk3 = view["rooms"]
    assert nk1["current"] == ["A001 王*明", "A001"] and nk1["doctor"] == ["张建国 主任医师", "张建国"]
    assert nk1["next"][0] == "A002 欧**娜   A003 司**如" and nk1["next"][-1] == "A002 …"
    assert nk3["paused"] and nk3["current"][0] == "暂停接诊 · 10:30 回来" and nk3["next"] == []
    assert view["banner"] == "通知：请保持安静"
    assert "张三丰" not in str(view) and "欧阳娜娜" not in str(view)


def test_names_off_and_the_layout_sizes_are_the_qt_screens():
    layout = ScreenLayout.from_settings({"kind": "wall", "show_names": False})
    view = wall_view(board_with_calls(), layout)
    assert view["newest"]["name"] == "" and all("*" not in " ".join(r["next"]) for r in view["rooms"])
    sizes = layout_view(layout)
    assert sizes["fonts"] == {name: layout.font(name) for name in ("title", "call", "row", "doctor", "next", "small")}
    assert sizes["row_block"] == int(layout.font("row") * 1.25 + layout.font("next") * 1.25 + 12)


def test_door_view_shows_its_room_only():
    layout = ScreenLayout.from_settings({"kind": "door"})
    view = door_view(board_with_calls(), layout, "NK1", room_name="内科1诊室", subtitle="内科 · 2 层")
    assert view["current"] == "A001 王*明" and view["next"] == ["A002 欧**娜", "A003 司**如"]
    assert view["doctor"]["name"] == "张建国" and view["doctor"]["specialty"] == "擅长：高血压"
    paused = door_view(board_with_calls(), layout, "NK3")
    assert paused["current"] == "暂停接诊" and "10:30" in paused["next_caption"] and paused["next"] == []
