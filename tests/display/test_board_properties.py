"""Properties of the area board over random event streams (pure)."""
from datetime import timedelta

from display_events import NOON, call, room, snapshot, visit
from hypothesis import given, settings
from hypothesis import strategies as st

from common.board import AreaBoard
from common.privacy import mask_name

names = st.text(alphabet="张王李赵欧阳司马娜明小建国红", min_size=2, max_size=4)
tickets = st.builds(lambda n: f"A{n:03d}", st.integers(1, 999))
rooms = st.sampled_from([("NK1", "内科1诊室"), ("NK2", "内科2诊室"), ("NK3", "内科3诊室")])
calls = st.lists(st.tuples(tickets, names, rooms), min_size=1, max_size=30)


def shown_names(board: AreaBoard) -> list[str]:
    out = [c.name for c in board.calls]
    for r in board.rooms.values():
        out += [p.name for p in ((r.current,) if r.current else ()) + r.waiting]
    return out


@settings(max_examples=300, deadline=None)
@given(calls, st.lists(names, max_size=5))
def test_no_full_name_ever_reaches_the_board(stream, waiting):
    board = AreaBoard("NK", recent_limit=5)
    board.apply(snapshot(1, [room("NK1", "内科1诊室", waiting=[visit(f"B{i:03d}", n) for i, n in enumerate(waiting)])],
                         NOON), NOON)
    full = set(waiting)
    for seq, (ticket, name, (room_id, room_name)) in enumerate(stream, start=2):
        board.apply(call(seq, ticket, name, room_id, room_name, NOON), NOON)
        full.add(name)
    shown = shown_names(board)
    assert not set(shown) & full  # every name given was at least two characters: none is shown whole
    for name in shown:
        assert "*" in name and name == mask_name(name)
    assert len(board.calls) <= 5


@settings(max_examples=300, deadline=None)
@given(calls, st.integers(0, 29))
def test_a_replayed_stream_changes_nothing(stream, cut):
    events = [call(seq, t, n, r, rn, NOON + timedelta(seconds=seq)) for seq, (t, n, (r, rn)) in enumerate(stream, 1)]
    once = AreaBoard("NK")
    for event in events:
        once.apply(event, NOON)
    replayed = AreaBoard("NK")
    for event in events[: cut + 1] + events:  # a reconnect replays what was already seen
        replayed.apply(event, NOON)
    assert replayed.calls == once.calls
    assert replayed.rooms == once.rooms
    assert replayed.last_seq == once.last_seq == len(events)
