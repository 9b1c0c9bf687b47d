"""Today's lists kept in order, so queries never sort the whole day.

Each open visit sits in a few *buckets* (sorted lists of ``(key, visit id)``):
  ("state", day, state, area)   every listed state (waiting, room_waiting, called, in_service, missed, away)
  ("room", day, room)           room_waiting only: the room's own queue
  ("queued", day, area)         waiting and room_waiting: "the queue" as patients see it
A query reads a bucket in order; a command re-files only the visits it touched (:meth:`QueueIndex.update`).
Pure: no I/O, no clock; visits are referred to by id (a rolled-back command puts copies back).
"""
from __future__ import annotations

from bisect import bisect_left, insort
from datetime import date, datetime
from typing import Callable, Iterable

from caller.engine import ordering
from caller.engine.model import Visit, VisitState

S = VisitState
Entry = tuple[tuple, str]  # (sort key, visit id)
LISTED = (S.waiting, S.room_waiting, S.called, S.in_service, S.missed, S.away)


def _list_key(visit: Visit, emergency: bool) -> tuple:
    """The order of a visit within its state's list (called: by call time; queues: the waiting order)."""
    state = visit.state
    if state in (S.waiting, S.room_waiting):
        return ordering.sort_key(visit, emergency)
    if state == S.called:
        return (visit.called_at or datetime.min, visit.serial)
    return (visit.serial,)


class QueueIndex:
    """Buckets of visit ids in list order; see the module docstring."""

    def __init__(self, is_emergency: Callable[[str], bool]):
        self._is_emergency = is_emergency
        self._buckets: dict[tuple, list[Entry]] = {}
        self._placed: dict[str, tuple[tuple, ...]] = {}  # visit id -> the buckets it is in
        self._entry: dict[str, Entry] = {}

    def rebuild(self, visits: Iterable[Visit]) -> None:
        self._buckets, self._placed, self._entry = {}, {}, {}
        for visit in visits:
            self.update(visit.id, visit)

    def update(self, visit_id: str, visit: Visit | None) -> None:
        """File the visit where its current state puts it (None or a final state: nowhere)."""
        buckets: tuple[tuple, ...] = ()
        entry: Entry | None = None
        if visit is not None and visit.state in LISTED:
            buckets = self._buckets_of(visit)
            entry = (_list_key(visit, self._is_emergency(visit.area_id)), visit_id)
        old_buckets = self._placed.get(visit_id, ())
        old_entry = self._entry.get(visit_id)
        if old_buckets == buckets and old_entry == entry:
            return
        for name in old_buckets:
            self._remove(name, old_entry)
        if entry is None:
            self._placed.pop(visit_id, None)
            self._entry.pop(visit_id, None)
            return
        for name in buckets:
            insort(self._buckets.setdefault(name, []), entry)
        self._placed[visit_id] = buckets
        self._entry[visit_id] = entry

    def entries(self, name: tuple) -> list[tuple]:
        """The bucket itself, ``(order key, visit id)`` in order: read it, never change it."""
        return self._buckets.get(name, [])

    @staticmethod
    def state_list(day: date | None, state: VisitState, area_id: str) -> tuple:
        return ("state", day, state, area_id)

    @staticmethod
    def room_list(day: date | None, room_id: str | None) -> tuple:
        return ("room", day, room_id)

    @staticmethod
    def queued_list(day: date | None, area_id: str) -> tuple:
        return ("queued", day, area_id)

    def _buckets_of(self, visit: Visit) -> tuple[tuple, ...]:
        buckets = [self.state_list(visit.day, visit.state, visit.area_id)]
        if visit.state == S.room_waiting:
            buckets.append(self.room_list(visit.day, visit.room_id))
        if visit.state in (S.waiting, S.room_waiting):
            buckets.append(self.queued_list(visit.day, visit.area_id))
        return tuple(buckets)

    def _remove(self, name: tuple, entry: Entry) -> None:
        bucket = self._buckets[name]
        index = bisect_left(bucket, entry)
        del bucket[index]
        if not bucket:
            del self._buckets[name]
