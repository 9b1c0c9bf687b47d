"""What the speaker says for each event (pure planner)."""
from datetime import timedelta

from display.announce import AnnouncementPlanner
from display_events import NOON, broadcast, call, snapshot


def test_call_without_service_text_is_built_with_surname_and_digits():
    planner = AnnouncementPlanner()
    item = planner.plan(call(6, "A015", "张*", "NK3", "3诊室", NOON, repeat=3), NOON)
    assert item.kind == "call"
    assert item.text == "请 A 零 一 五 号 张某某 到 3号诊室 就诊"
    assert item.repeat == 3
    assert "*" not in item.text


def test_service_speech_text_is_used_as_given():
    planner = AnnouncementPlanner()
    item = planner.plan(call(6, "A015", "张*", "NK3", "3诊室", NOON,
                             speech_text="请 A015 号 到 3诊室 就诊"), NOON)
    assert item.text == "请 A 零 一 五 号 到 3号诊室 就诊"


def test_name_mode_none_says_no_name():
    planner = AnnouncementPlanner(name_mode="none")
    item = planner.plan(call(6, "B002", "欧**娜", "NK1", "1诊室", NOON), NOON)
    assert item.text == "请 B 零 零 二 号 到 1号诊室 就诊"


def test_already_spoken_and_stale_calls_are_skipped():
    planner = AnnouncementPlanner(last_seq=10)
    assert planner.plan(call(9, "A001", "张*", "NK1", "1诊室", NOON), NOON) is None
    old = NOON - timedelta(minutes=2)
    assert planner.plan(call(11, "A002", "李*", "NK1", "1诊室", old), NOON) is None
    item = planner.plan(call(12, "A003", "王*", "NK1", "1诊室", NOON - timedelta(seconds=20)), NOON)
    assert item is not None and item.seq == 12
    assert planner.plan(call(12, "A003", "王*", "NK1", "1诊室", NOON), NOON) is None


def test_broadcast_is_said_once_and_snapshots_are_silent():
    planner = AnnouncementPlanner()
    assert planner.plan(snapshot(3, [], NOON), NOON) is None
    item = planner.plan(broadcast(4, "李医生*临时会诊，请稍候", NOON), NOON)
    assert item.kind == "broadcast" and item.repeat == 1
    assert item.text == "李医生 临时会诊，请稍候"
