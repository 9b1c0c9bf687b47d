"""Places in the waiting order, as tuples of ints.

Every waiting visit carries an order key (persisted as JSON in `Visit.order_key`). The waiting order is
the sort of (priority part, order key, serial). A visit in base order gets its *natural* key from the
rules; a visit placed by a rule (late, recalled, moved up, transferred) gets a key *between* its new
neighbours, so it keeps its place relative to them whatever is called later.

Natural key shape (6 ints): (session, section, slot, group, base_seq, serial)
  section: -1 moved to the head, 0 normal, 1 end of session
  slot:    slot start in minutes (precise slots), triage level (emergency areas), else 0
  group:   0 appointment / 1 on-site (when they are split), 2 = "after the slot's normal visits"
"""
from __future__ import annotations

import json
from datetime import datetime, time
from functools import lru_cache
from typing import Callable, Sequence

from caller.engine.model import Visit
from common.queue_rules import QueueRules

Key = tuple[int, ...]
SESSION_INDEX = {"am": 0, "pm": 1}


def encode(key: Key) -> str:
    return json.dumps(list(key), separators=(",", ":"))


@lru_cache(maxsize=65536)
def decode(text: str) -> Key:
    return tuple(json.loads(text or "[]"))


def minutes(moment: time | datetime) -> int:
    return moment.hour * 60 + moment.minute


def base_seq(visit: Visit, rules: QueueRules) -> int:
    """Registration sequence, or check-in sequence when the base order is by check-in."""
    if rules.base_order == "check_in" and visit.checkin_seq is not None:
        return visit.checkin_seq
    return visit.reg_seq


def natural_key(visit: Visit, rules: QueueRules, emergency: bool) -> Key:
    """The place the rules give a visit that is neither late, recalled nor moved."""
    session = SESSION_INDEX.get(visit.session, 0)
    seq = base_seq(visit, rules)
    if emergency:
        return (session, 0, visit.triage_level or 4, 0, seq, visit.serial)
    appointment_group = 0 if visit.source == "appointment" else 1
    if rules.precise_slots:
        arrival = visit.slot_start or visit.checkin_at or visit.registered_at
        return (session, 0, minutes(arrival), appointment_group, seq, visit.serial)
    group = appointment_group if rules.appointments_first else 0
    return (session, 0, 0, group, seq, visit.serial)


def end_of_session_key(session: str, counter: int) -> Key:
    """After every normal visit of the session."""
    return (SESSION_INDEX.get(session, 0), 1, counter, 0, 0, 0)


def end_of_slot_key(session: str, slot_start: time | datetime, counter: int) -> Key:
    """After the normal visits of the slot starting at slot_start (precise slots)."""
    return (SESSION_INDEX.get(session, 0), 0, minutes(slot_start), 2, counter, 0)


def key_between(low: Key | None, high: Key | None) -> Key:
    """A key strictly after `low` and strictly before `high` (either may be None: no neighbour)."""
    if low is None and high is None:
        raise ValueError("key_between needs at least one neighbour")
    if low is None:
        assert high is not None
        return high[:-1] + (high[-1] - 1,)
    if high is None or high[: len(low)] != low:
        return low + (0,)
    rest = high[len(low):]
    if not rest:  # equal keys (only after a hand-edited store): keep it right behind both
        return low + (0,)
    return low + (rest[0] - 1,)


def priority_part(visit: Visit) -> tuple[int, int, int]:
    """Any kind of special patient ahead of none; lower level first; then the order priority was given."""
    if visit.priority_kind is None:
        return (1, 0, 0)
    return (0, visit.priority_level or 99, visit.priority_seq or 0)


def triage_part(visit: Visit, emergency: bool) -> int:
    """In emergency areas the triage level comes before everything (no level yet: 4); elsewhere 0."""
    if not emergency:
        return 0
    return visit.triage_level or 4


def group_of(visit: Visit, emergency: bool) -> tuple:
    """Visits of one group are ordered among themselves; a visit never moves past another group."""
    return (triage_part(visit, emergency), priority_part(visit)[:2])


def sort_key(visit: Visit, emergency: bool = False) -> tuple:
    """Triage level (emergency areas), then special priority, then the order key, then issue order."""
    return (triage_part(visit, emergency), priority_part(visit), decode(visit.order_key), visit.serial)


def interleave_after(
    line: Sequence[Visit], n: int, is_marker: Callable[[Visit], bool], is_normal: Callable[[Visit], bool]
) -> int:
    """Index in `line` after which to insert: N normal visits after the last marker (or the head).

    Returns -1 for "at the head"; len(line)-1 ("last") when fewer than N normal visits follow.
    """
    start = 0
    for index, visit in enumerate(line):
        if is_marker(visit):
            start = index + 1
    if n <= 0:
        return start - 1
    count = 0
    for index in range(start, len(line)):
        if is_normal(line[index]):
            count += 1
            if count == n:
                return index
    return len(line) - 1


def key_after(ordered: Sequence[Visit], anchor: Visit | None) -> Key | None:
    """A key right after `anchor` in `ordered` (None: at the head); None when `ordered` is empty."""
    if not ordered:
        return None
    if anchor is None:
        return key_between(None, decode(ordered[0].order_key))
    index = next(i for i, v in enumerate(ordered) if v.id == anchor.id)
    following = decode(ordered[index + 1].order_key) if index + 1 < len(ordered) else None
    return key_between(decode(anchor.order_key), following)


def key_before(ordered: Sequence[Visit], target: Visit) -> Key:
    """A key right before `target` in `ordered`."""
    index = next(i for i, v in enumerate(ordered) if v.id == target.id)
    previous = decode(ordered[index - 1].order_key) if index > 0 else None
    return key_between(previous, decode(target.order_key))
