"""Imaging slots: each modality (an imaging department: CT, 超声, 心电…) books its exams into a grid of slots.

The grid of a department is the opening hours of the hospital file's schedule (``schedule.am``, ``schedule.pm``)
cut into ``slot_minutes`` slots (the department's, default 15), each holding at most ``slot_capacity`` exams
(default 1). An exam is in the slot that contains its ``slot_start``; an exam booked outside the opening hours
(an HIS booking) is its own slot, still within capacity. A slot holds every exam booked into it that is not
cancelled (done ones too: a slot's count never goes down as the day goes on, so what was refused stays refused).

* :func:`SlotGrid.place` books one exam: a requested slot that is full is refused; without a requested time the
  exam gets the next free slot (today: the first one not yet over whose count is below capacity; none left
  today: the first free slot of the next day, then the next, up to ``days_ahead`` days).
* :class:`SlotBook` counts the exams per (department, day, slot) and is kept in step by the engine as commands
  touch visits (caller/engine/state.py ``_refile``), so booking never scans the day.

Pure: no I/O, no clock (every function takes the time it needs).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Callable

from caller.engine.model import RuleError, Visit, VisitState

DEFAULT_SLOT_MINUTES = 15
DEFAULT_SLOT_CAPACITY = 1
Key = tuple[str, date]  # (department id, day)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@dataclass(frozen=True)
class SlotGrid:
    """One modality's slots of a day: ``starts`` in order, each ``minutes`` long, ``capacity`` exams each."""

    minutes: int
    capacity: int
    starts: tuple[time, ...]

    @classmethod
    def of(cls, dept: Any, spans: list[tuple[time, time]]) -> "SlotGrid":
        """The grid of an imaging department over the opening spans (schedule am and pm)."""
        minutes = getattr(dept, "slot_minutes", None) or DEFAULT_SLOT_MINUTES
        capacity = getattr(dept, "slot_capacity", None) or DEFAULT_SLOT_CAPACITY
        starts = []
        for begin, end in spans:
            m = _minutes(begin)
            while m + minutes <= _minutes(end):
                starts.append(_time(m))
                m += minutes
        return cls(minutes, capacity, tuple(starts))

    def slot_of(self, moment: time) -> time:
        """The start of the grid slot holding ``moment`` (``moment`` itself outside the opening hours)."""
        m = _minutes(moment)
        for start in self.starts:
            if _minutes(start) <= m < _minutes(start) + self.minutes:
                return start
        return moment.replace(second=0, microsecond=0)

    def next_free(self, used: Counter, after: time | None) -> time | None:
        """The first slot not over by ``after`` (None: the day's first) with room left; None when the day is full."""
        after_m = -1 if after is None else _minutes(after)
        for start in self.starts:
            if _minutes(start) + self.minutes > after_m and used[start] < self.capacity:
                return start
        return None

    def place(self, used_on: Callable[[date], Counter], requested_day: date | None, requested: time | None,
              now: datetime, days_ahead: int) -> tuple[date, time]:
        """The (day, slot start) an exam is booked into; refuses (``slot_taken``) a full slot or a full fortnight.

        ``used_on(day)``: the exams per slot start already booked that day. A requested time keeps its own
        minutes (the exam starts then) but counts in the slot holding it."""
        today = now.date()
        if requested is not None:
            day = requested_day or today
            if used_on(day)[self.slot_of(requested)] >= self.capacity:
                raise RuleError("slot_taken", f"对不起，{day:%m月%d日} {requested:%H:%M} 的检查时段已约满，"
                                "请选择其他时段，或不指定时间由系统安排最近的空闲时段，谢谢",
                                f"Sorry, the exam slot at {requested:%H:%M} on {day.isoformat()} is full; "
                                "please choose another time, or leave it empty for the next free slot")
            return day, requested
        first = max(requested_day or today, today)
        for n in range(days_ahead + 1):
            day = first + timedelta(days=n)
            start = self.next_free(used_on(day), now.time() if day == today else None)
            if start is not None:
                return day, start
        raise RuleError("slot_taken", f"对不起，今后 {days_ahead} 天的检查时段都已约满，请到检查登记台预约，谢谢",
                        f"Sorry, every exam slot of the next {days_ahead} days is full; please book at the exam desk")


class SlotBook:
    """Exams per (department, day) and slot start: what :meth:`SlotGrid.place` counts."""

    def __init__(self, grid_of: Callable[[str], SlotGrid | None]):
        self._grid_of = grid_of
        self._where: dict[str, tuple[Key, time]] = {}  # visit id -> where it counts
        self._used: dict[Key, Counter] = {}

    def used(self, dept_id: str, day: date) -> Counter:
        return Counter(self._used.get((dept_id, day), ()))

    def update(self, visit_id: str, visit: Visit | None) -> None:
        old = self._where.pop(visit_id, None)
        if old is not None:
            self._used[old[0]][old[1]] -= 1
        if visit is None or visit.slot_start is None or visit.step_kind != "imaging" \
                or visit.state == VisitState.cancelled:
            return
        grid = self._grid_of(visit.dept_id)
        if grid is None:
            return
        where = ((visit.dept_id, visit.day), grid.slot_of(visit.slot_start))
        self._where[visit_id] = where
        self._used.setdefault(where[0], Counter())[where[1]] += 1

    def rebuild(self, visits: Any) -> None:
        self._where, self._used = {}, {}
        for visit in visits:
            self.update(visit.id, visit)
