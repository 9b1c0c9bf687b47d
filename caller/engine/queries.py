"""Read-only views of the queues: lists, position and estimate, wait alerts, snapshots."""
from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any, Iterable

from caller.engine.index import QueueIndex
from caller.engine.model import EngineEvent, Visit, VisitState
from caller.engine.state import QUEUE_STATES, EngineState, _not_found
from common import why
from common.queue_rules import QueueRules
from common.wire import PUBLIC, STAFF, WaitAlert, visit_item

S = VisitState
NEXT_SHOWN = 3  # the patients a door screen and a wall row show as next


class EngineQueries(EngineState):
    """Queries: they read the state, never change it."""

    def called(self, area_id: str) -> list[Visit]:
        """Visits called and not yet in service, latest call first."""
        return self._listed(QueueIndex.state_list(self._day, S.called, area_id))[::-1]

    def in_service(self, area_id: str) -> list[Visit]:
        return self._listed(QueueIndex.state_list(self._day, S.in_service, area_id))

    def missed(self, area_id: str) -> list[Visit]:
        return self._listed(QueueIndex.state_list(self._day, S.missed, area_id))

    def away(self, area_id: str) -> list[Visit]:
        return self._listed(QueueIndex.state_list(self._day, S.away, area_id))

    def line_ahead(self, visit_id: str) -> list[Visit]:
        """The visits ahead of a waiting visit in its line (what :meth:`position` counts)."""
        visit = self._visit(visit_id)
        if visit.state == S.room_waiting:
            queue = self.room_queue(visit.room_id)
            return queue[:[v.id for v in queue].index(visit.id)]
        if visit.state not in (S.waiting, S.registered):
            return []
        line = [v for v in self.area_queue(visit.area_id) if v.dept_id == visit.dept_id and v.doctor_id == visit.doctor_id]
        ids = [v.id for v in line]
        ahead = [v for room_id in self._room_cfg if self._room_area[room_id] == visit.area_id
                 and self._fits(visit, room_id) for v in self.room_queue(room_id)]
        return ahead + (line[:ids.index(visit.id)] if visit.id in ids else line)

    def room_next(self, room_id: str, most: int = NEXT_SHOWN) -> list[Visit]:
        """Who the room will call next, in order: its own queue, then (automatic dispatch) the area's waiting
        visits that fit it. What a door screen shows as "请以下患者准备"."""
        area_id = self._room_area[room_id]
        return self._rooms_next([room_id], self._area_head(area_id), most)[room_id]

    def _rooms_next(self, room_ids: list[str], waiting: Iterable[Visit], most: int = NEXT_SHOWN) -> dict[str, list[Visit]]:
        """:meth:`room_next` of several rooms of one area, in one pass over its waiting list (``waiting``).

        A room no waiting visit fits reads the whole list: a snapshot follows every call, so the rooms share the
        pass, and whether a visit fits a room is tested once per kind of visit (department, doctor, triage level,
        number kind), not once per visit."""
        upcoming = {room_id: list(self.room_queue(room_id))[:most] for room_id in room_ids}
        tests = []
        for room_id in room_ids:
            rules = self._area_rules(self._room_area[room_id])
            if len(upcoming[room_id]) < most and rules.dispatch == "auto" and not self._rooms[room_id].paused:
                tests.append((upcoming[room_id], self._fit_test(room_id), rules.extra_numbers_called))
        kinds: dict[tuple, list[list[Visit]]] = {}
        for visit in waiting:
            if not tests:
                break
            kind = (visit.area_id, visit.dept_id, visit.doctor_id, visit.triage_level, visit.number_kind)
            lists = kinds.get(kind)
            if lists is None:
                lists = kinds[kind] = [shown for shown, fits, extra in tests
                                       if fits(visit) and (visit.number_kind != "extra" or extra)]
            for shown in lists:
                shown.append(visit)
                if len(shown) == most:
                    tests = [t for t in tests if t[0] is not shown]
                    kinds.clear()  # a full room is out of every kind's rooms
        return upcoming

    def why_here(self, visit_id: str) -> tuple[str, str]:
        """Why the visit waits where it does, short, in Chinese and English (common.why)."""
        visit = self._visit(visit_id)
        rules = self._rules(visit)
        names = {k.kind: k.name for k in rules.special_kinds}
        # a visit's own attributes carry the keys why.py reads (no row copied per visit ahead)
        return why.why_here(vars(visit), [vars(v) for v in self.line_ahead(visit_id)], names)

    def whys(self, area_id: str) -> dict[str, tuple[str, str]]:
        """:meth:`why_here` of every waiting visit of an area in one pass over its queues (as :meth:`positions`:
        a thousand phone pages opened or refreshed must not cost n^2). Same answers as :meth:`why_here`."""
        names = {k.kind: k.name for k in self._area_rules(area_id).special_kinds}
        rooms = [room_id for room_id in self._room_cfg if self._room_area[room_id] == area_id]
        out: dict[str, tuple[str, str]] = {}
        room_counts: dict[str, why.Line] = {}
        for room_id in rooms:
            line = why.Line(names)
            for visit in self.room_queue(room_id):
                if visit.state == S.room_waiting:
                    out[visit.id] = line.why(vars(visit))
                line.add(vars(visit))
            room_counts[room_id] = line
        fits = {room_id: self._fit_test(room_id) for room_id in rooms}
        lines: dict[tuple[str, str | None], why.Line] = {}
        for visit in self.area_queue(area_id):
            own = lines.setdefault((visit.dept_id, visit.doctor_id), why.Line(names))
            if visit.state in (S.waiting, S.registered):
                merged = why.Line(names)
                for room_id in rooms:
                    if fits[room_id](visit):
                        merged.merge(room_counts[room_id])
                merged.merge(own)
                out[visit.id] = merged.why(vars(visit))
            own.add(vars(visit))
        return out

    def position(self, visit_id: str) -> tuple[int, float]:
        """(visits ahead, estimated minutes): ahead x rolling median service time of its room or department."""
        visit = self._visit(visit_id)
        rules = self._rules(visit)
        if visit.state == S.room_waiting:
            ahead = [v.id for v in self.room_queue(visit.room_id)].index(visit.id)
        elif visit.state in (S.waiting, S.registered):
            line = [v for v in self.area_queue(visit.area_id) if v.dept_id == visit.dept_id and v.doctor_id == visit.doctor_id]
            ids = [v.id for v in line]
            ahead = ids.index(visit.id) if visit.id in ids else len(ids)
            for room_id in self._room_cfg:
                if self._room_area[room_id] == visit.area_id and self._fits(visit, room_id):
                    ahead += len(self.room_queue(room_id))
        else:
            return 0, 0.0
        return ahead, round(ahead * self.service_minutes(visit.room_id, visit.dept_id, rules), 1)

    def positions(self, area_id: str) -> dict[str, tuple[int, float]]:
        """:meth:`position` of every waiting visit of an area, in one pass over its queues (the phone pages of a
        thousand patients are refreshed after each call; one ``position`` each would cost n^2)."""
        out: dict[str, tuple[int, float]] = {}
        rooms = [room_id for room_id in self._room_cfg if self._room_area[room_id] == area_id]
        lengths = {}
        for room_id in rooms:
            queue = self.room_queue(room_id)
            lengths[room_id] = len(queue)
            for ahead, visit in enumerate(queue):
                minutes = self.service_minutes(visit.room_id, visit.dept_id, self._rules(visit))
                out[visit.id] = (ahead, round(ahead * minutes, 1))
        fits = {room_id: self._fit_test(room_id) for room_id in rooms}
        in_line: dict[tuple[str, str | None], int] = {}
        for visit in self.area_queue(area_id):
            line = (visit.dept_id, visit.doctor_id)
            ahead = in_line.get(line, 0)
            in_line[line] = ahead + 1
            ahead += sum(lengths[room_id] for room_id in rooms if fits[room_id](visit))
            minutes = self.service_minutes(visit.room_id, visit.dept_id, self._rules(visit))
            out[visit.id] = (ahead, round(ahead * minutes, 1))
        return out

    def serving_rooms(self, area_id: str) -> dict[str, int]:
        """For every waiting visit of an area: the rooms that may serve it now (open, fitting), each room's test
        built once (what :meth:`estimate_inputs` counts for one visit, for a thousand phone pages at once)."""
        rooms = [room_id for room_id in self._room_cfg if self._room_area[room_id] == area_id]
        fits = [self._fit_test(room_id) for room_id in rooms]
        out = {visit.id: 1 for room_id in rooms for visit in self.room_queue(room_id)}
        for visit in self.area_queue(area_id):
            out[visit.id] = sum(1 for fit in fits if fit(visit))
        return out

    def estimate_inputs(self, visit_id: str, ahead: int | None = None,
                        rooms: int | None = None) -> tuple[int, int, list[float], float]:
        """(visits ahead, rooms that may serve it now (open, fitting), recent service minutes of its department
        or room, the default service minutes): what a waiting-time estimate with a range needs.

        ``ahead``: the visit's place when the caller has it already (from :meth:`positions`); ``rooms``: the
        rooms that may serve it, when known (from :meth:`serving_rooms`)."""
        visit = self._visit(visit_id)
        if ahead is None:
            ahead, _ = self.position(visit_id)
        if rooms is not None:
            pass
        elif visit.state == S.room_waiting:
            rooms = 1
        else:
            rooms = sum(1 for room_id in self._room_cfg
                        if self._room_area[room_id] == visit.area_id and self._fits(visit, room_id))
        samples: list[float] = []
        for key in (f"dept:{visit.dept_id}", f"room:{visit.room_id}" if visit.room_id else None):
            if key and self._durations.get(key):
                samples = list(self._durations[key])
                break
        return ahead, rooms, samples, self._rules(visit).default_service_minutes

    def service_minutes(self, room_id: str | None, dept_id: str, rules: QueueRules | None = None) -> float:
        """Rolling median of start->finish minutes of the room, else the department, else the default."""
        for key in (f"room:{room_id}" if room_id else None, f"dept:{dept_id}"):
            if key and self._durations.get(key):
                return float(statistics.median(self._durations[key]))
        rules = rules or self._area_rules(self._depts[dept_id].area)
        return rules.default_service_minutes

    def wait_alerts(self, now: datetime) -> list[EngineEvent]:
        """An "alert" event per department whose longest current wait passes wait_alert_minutes."""
        alerts: list[EngineEvent] = []
        by_dept: dict[str, list[Visit]] = {}
        for v in self._today():  # one pass over today's open visits
            if v.state in QUEUE_STATES or (v.step_kind == "pharmacy" and v.stage in ("pending", "dispensing")):
                by_dept.setdefault(v.dept_id, []).append(v)
        for dept in self._depts.values():
            queued = by_dept.get(dept.id)
            if not queued:
                continue
            rules = self._area_rules(dept.area)
            # a prescription's patient waits from payment (待配药 and 配药中 included), every other visit from its queue
            since = min((v.paid_at if v.step_kind == "pharmacy" and v.paid_at else None)
                        or v.waiting_since or v.checkin_at or v.registered_at for v in queued)
            waited = (now - since).total_seconds() / 60
            if waited > rules.wait_alert_minutes:
                alerts.append(EngineEvent("alert", dept.area, WaitAlert(
                    dept_id=dept.id, dept=dept.name, wait_minutes=round(waited, 1),
                    threshold_minutes=rules.wait_alert_minutes, waiting=len(queued), active=True, area=dept.area,
                    message_zh=f"{dept.name}已有患者等候 {int(waited)} 分钟，超过 {rules.wait_alert_minutes} 分钟",
                    message_en=f"{dept.id}: a patient has waited {int(waited)} min (threshold {rules.wait_alert_minutes})",
                ).model_dump()))
        return alerts

    def snapshot(self, area_id: str, public: bool, most: int | None = None,
                 room_called_most: int | None = None) -> dict[str, Any]:
        """The area's queues as a :class:`common.wire.AreaSnapshot` (public: masked names, no patient ids).

        ``most``: cut every list to its head (a room's ``called`` to ``room_called_most``) *before* building
        items, and give each cut list's full count as ``*_total`` (what public screens get: they follow it on
        every change, so it must stay cheap however many visits the day has)."""
        area = self._areas.get(area_id)
        if area is None:
            raise _not_found("诊区", "area", area_id)
        rules = area.rules
        audience = PUBLIC if public else STAFF
        kept = self._items
        hide_extra = public and not rules.extra_numbers_called

        def item(visit: Visit) -> dict:
            cached = kept.get((visit.id, public))
            if cached is None:
                cached = kept[(visit.id, public)] = visit_item(visit, rules.screen_name, audience)
            return dict(cached)

        def items(visits: list[Visit], limit: int | None = None) -> tuple[list[dict], int]:
            shown = [v for v in visits if not (hide_extra and v.number_kind == "extra")] if hide_extra else visits
            return [item(v) for v in (shown if limit is None else shown[:limit])], len(shown)

        called = self.called(area_id)
        in_service = self.in_service(area_id)
        waiting = self.area_queue(area_id)
        nexts = self._rooms_next([room.id for room in area.rooms], waiting)
        rooms = []
        for room in area.rooms:
            state = self._rooms[room.id]
            doctor_id = self.room_doctor(room.id)
            doctor = self._doctors.get(doctor_id or "")
            room_called, called_total = items([v for v in called if v.room_id == room.id],
                                              room_called_most if most is not None else None)
            queue, queue_total = items(self.room_queue(room.id), most)
            entry = {
                "room_id": room.id, "name": room.name, "name_en": getattr(room, "name_en", ""),
                "paused": state.paused, "return_at": state.return_at, "doctor_id": doctor_id,
                "doctor_name": doctor.name if doctor else "",
                "called": room_called,
                "in_service": items([v for v in in_service if v.room_id == room.id], most)[0],
                "queue": queue,
                "next": items(nexts[room.id], most)[0],
            }
            if most is not None:
                entry["called_total"], entry["queue_total"] = called_total, queue_total
            rooms.append(entry)
        snap: dict[str, Any] = {"area_id": area_id, "name": area.name, "name_en": getattr(area, "name_en", ""),
                                "day": self._day.isoformat() if self._day else None}
        for key, visits in (("waiting", waiting), ("called", called),
                            ("missed", self.missed(area_id)), ("away", self.away(area_id))):
            snap[key], total = items(visits, most)
            if most is not None:
                snap[f"{key}_total"] = total
        snap["rooms"] = rooms
        return snap
