"""Fair priority: special patients go first, within limits an area sets (pure).

Rule 9 puts every special patient (老年人, 军人...) ahead of every visit without a kind. Two area rules
bound that, both off by default (today's behaviour):

* ``priority_ratio = N``: a room calls at most one priority visit per N calls while normal visits wait.
* ``max_priority_delay_minutes = X``: once priority calls have been passing a waiting normal visit for
  X minutes, the room's next call is the first normal visit.

Nothing is reordered: the waiting order stays as the rules make it; only which visit a room calls next
is chosen here. When only priority visits wait, they are called (a room never idles for fairness).
Emergency areas are left alone: triage decides there.
"""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from caller.engine.model import RoomState, Visit
from common.queue_rules import QueueRules


def is_priority(visit: Visit) -> bool:
    return visit.priority_kind is not None


def active(rules: QueueRules, emergency: bool) -> bool:
    return not emergency and (rules.priority_ratio > 1 or rules.max_priority_delay_minutes > 0)


def choose(candidates: Sequence[Visit], room: RoomState, rules: QueueRules, now: datetime) -> Visit | None:
    """Which of ``candidates`` (in waiting order) the room calls now."""
    if not candidates:
        return None
    head = candidates[0]
    if not is_priority(head):
        return head
    normal = next((v for v in candidates if not is_priority(v)), None)
    if normal is None:
        return head
    if rules.priority_ratio > 1 and room.calls_since_priority is not None \
            and room.calls_since_priority < rules.priority_ratio - 1:
        return normal
    if rules.max_priority_delay_minutes > 0 and room.priority_passing_since is not None:
        waited = (now - datetime.fromisoformat(room.priority_passing_since)).total_seconds() / 60
        if waited >= rules.max_priority_delay_minutes:
            return normal
    return head


def after_call(room: RoomState, called: Visit, normal_waiting: bool, now: datetime) -> None:
    """Remember what the room just called (``normal_waiting``: a normal visit was passed over)."""
    if is_priority(called):
        room.calls_since_priority = 0
        if normal_waiting and room.priority_passing_since is None:
            room.priority_passing_since = now.isoformat(timespec="seconds")
    else:
        if room.calls_since_priority is not None:
            room.calls_since_priority += 1
        room.priority_passing_since = None
