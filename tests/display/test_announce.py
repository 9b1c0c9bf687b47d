"""What the speaker says for each event (pure planner): exactly the service's words, once per event."""
from datetime import timedelta

from display_events import NOON, broadcast, call, snapshot

from display.announce import AnnouncementPlanner


def test_the_service_speech_is_said_as_given_repeat_times():
    planner = AnnouncementPlanner()
    item = planner.plan(call(6, "A015", "张*", "NK3", "3诊室", NOON, repeat=3,
                             speech="请 A 零 一 五 号 到 3号诊室 就诊"), NOON)
    assert item.kind == "call"
    assert item.text == "请 A 零 一 五 号 到 3号诊室 就诊"  # the speaker adds nothing and changes nothing
    assert item.repeat == 3


def test_a_call_not_meant_for_speakers_is_silent():
    planner = AnnouncementPlanner()
    event = call(6, "A015", "张*", "NK3", "3诊室", NOON)
    event["data"]["targets"] = ["room_screen"]  # an extra number, called on its door screen only
    assert planner.plan(event, NOON) is None


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


def test_a_message_it_cannot_read_is_skipped_not_fatal():
    planner = AnnouncementPlanner()
    assert planner.plan({"seq": 5, "type": "call", "ts": NOON.isoformat(), "data": {"ticket": "A001"}}, NOON) is None
    assert planner.plan(call(6, "A002", "李*", "NK1", "1诊室", NOON), NOON) is not None
