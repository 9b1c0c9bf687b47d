"""The area board: what the public screens show after each event (pure)."""
from datetime import timedelta

from display_events import NOON, broadcast, call, room, snapshot, visit

from common.board import AreaBoard
from common.privacy import mask_name


def test_masks_names_even_when_sent_in_full():
    assert mask_name("张三") == "张*"
    assert mask_name("王小明") == "王*明"
    assert mask_name("欧阳娜娜") == "欧**娜"
    board = AreaBoard("NK")
    board.apply(snapshot(5, [room("NK1", "内科1诊室", current=visit("A001", "王小明"),
                                  waiting=[visit("A002", "欧阳娜娜")])], NOON), NOON)
    r = board.rooms["NK1"]
    assert (r.current.ticket, r.current.name) == ("A001", "王*明")
    assert r.waiting[0].name == "欧**娜"


def test_call_puts_patient_in_room_and_on_top_of_recent_calls():
    board = AreaBoard("NK")
    board.apply(snapshot(5, [room("NK1", "内科1诊室", waiting=[visit("A001", "张*"), visit("A002", "李*")])], NOON), NOON)
    changed = board.apply(call(6, "A001", "张*", "NK1", "内科1诊室", NOON), NOON)
    assert {"calls", "rooms"} <= changed
    assert board.newest_call().ticket == "A001"
    assert board.rooms["NK1"].current.ticket == "A001"
    assert [p.ticket for p in board.rooms["NK1"].waiting] == ["A002"]


def test_call_again_moves_to_top_without_duplicate():
    board = AreaBoard("NK")
    board.apply(call(6, "A001", "张*", "NK1", "内科1诊室", NOON), NOON)
    board.apply(call(7, "A002", "李*", "NK2", "内科2诊室", NOON), NOON)
    board.apply(call(8, "A001", "张*", "NK1", "内科1诊室", NOON), NOON)
    assert [c.ticket for c in board.calls] == ["A001", "A002"]


def test_replayed_events_change_nothing():
    board = AreaBoard("NK")
    board.apply(call(6, "A001", "张*", "NK1", "内科1诊室", NOON), NOON)
    board.apply(call(7, "A002", "李*", "NK1", "内科1诊室", NOON), NOON)
    assert board.apply(call(6, "A001", "张*", "NK1", "内科1诊室", NOON), NOON) == set()
    assert board.newest_call().ticket == "A002"


def test_recent_calls_are_bounded():
    board = AreaBoard("NK", recent_limit=3)
    for i in range(10):
        board.apply(call(10 + i, f"A{i:03d}", "张*", "NK1", "内科1诊室", NOON), NOON)
    assert [c.ticket for c in board.calls] == ["A009", "A008", "A007"]


def test_new_day_drops_yesterdays_calls_so_restarted_numbers_are_not_confused():
    board = AreaBoard("NK")
    late = NOON.replace(hour=23, minute=58)
    board.apply(call(6, "A001", "张*", "NK1", "内科1诊室", late), late)
    tomorrow = late + timedelta(minutes=5)
    assert "calls" in board.tick(tomorrow)
    assert board.calls == []
    board.apply(call(7, "A001", "王*", "NK1", "内科1诊室", tomorrow), tomorrow)
    assert [(c.ticket, c.name) for c in board.calls] == [("A001", "王*")]


def test_broadcast_banner_expires():
    board = AreaBoard("NK")
    board.apply(broadcast(9, "李医生临时会诊，请稍候", NOON), NOON)
    assert board.banner == "李医生临时会诊，请稍候"
    assert board.tick(NOON + timedelta(seconds=30)) == set()
    assert "banner" in board.tick(NOON + timedelta(minutes=5))
    assert board.banner == ""


def test_snapshot_after_reconnect_replaces_rooms():
    board = AreaBoard("NK")
    board.apply(snapshot(5, [room("NK1", "内科1诊室", current=visit("A001", "张*"))], NOON), NOON)
    board.apply(snapshot(50, [room("NK1", "内科1诊室", current=visit("A007", "赵*"))], NOON), NOON)
    assert board.rooms["NK1"].current.ticket == "A007"
    assert board.last_seq == 50


def test_room_event_pauses_room():
    board = AreaBoard("NK")
    board.apply(snapshot(5, [room("NK1", "内科1诊室")], NOON), NOON)
    board.apply({"seq": 6, "type": "room", "area": "NK", "ts": NOON.isoformat(),
                 "data": {"room_id": "NK1", "room_name": "内科1诊室", "paused": True, "doctor_id": None,
                          "action": "pause_room"}}, NOON)
    assert board.rooms["NK1"].paused


def test_each_waiting_ticket_is_on_a_wall_once():
    """The service lists an area visit under every room that could take it (A006 under NK1 and NK2): a wall of
    several rooms shows it once, and a visit waiting for a room only under that room."""
    own = {**visit("A005", "李*"), "room_id": "NK2"}
    board = AreaBoard("NK")
    board.apply(snapshot(5, [room("NK1", "内科1诊室", waiting=[visit("A006", "张*"), own]),
                             room("NK2", "内科2诊室", waiting=[own, visit("A006", "张*"), visit("A007", "王*")])],
                         NOON), NOON)
    rooms = board.room_list(["NK1", "NK2"])
    listed = [p.ticket for r in rooms for p in r.waiting]
    assert sorted(listed) == ["A005", "A006", "A007"]  # nobody twice
    assert [p.ticket for p in rooms[0].waiting] == ["A006"] and [p.ticket for p in rooms[1].waiting] == ["A005", "A007"]
    assert [p.ticket for p in board.room_list(["NK2"])[0].waiting] == ["A005", "A006", "A007"]  # a door: its whole line
