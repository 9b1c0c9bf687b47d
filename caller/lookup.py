"""Where is it: the area of a room, a department or a visit, and the visit itself, or a clear 404.

The API asks these before it lets a device act (a console of area NK acts only in NK), so they answer from maps of
the hospital file (rebuilt by ``reconfigure`` when it is reloaded) and from the engine (a getter: a rebuilt engine
is read at the next call); a visit of another day is looked up in the store.
"""
from __future__ import annotations

from typing import Callable

from caller.engine.engine import QueueEngine
from caller.engine.model import RuleError, Visit
from caller.store import Store
from common.config import HospitalConfig
from common.refusal import not_found


class Lookup:
    def __init__(self, config: HospitalConfig, engine: Callable[[], QueueEngine], store: Store):
        self.engine = engine
        self.store = store
        self.reconfigure(config)

    def reconfigure(self, config: HospitalConfig) -> None:
        self._area_ids = {a.id for a in config.areas}
        self._room_area = {r.id: a.id for a in config.areas for r in a.rooms}
        self._dept_area = {d.id: d.area for d in config.departments}

    def has_area(self, area_id: str) -> bool:
        return area_id in self._area_ids

    def check_area(self, area_id: str) -> str:
        if area_id not in self._area_ids:
            raise not_found("诊区", "area", area_id)
        return area_id

    def area_of_room(self, room_id: str) -> str:
        try:
            return self._room_area[room_id]
        except KeyError:
            raise not_found("诊室", "room", room_id) from None

    def area_of_department(self, dept_id: str) -> str:
        try:
            return self._dept_area[dept_id]
        except KeyError:
            raise not_found("科室", "department", dept_id) from None

    def visit(self, visit_id: str) -> Visit:
        try:
            return self.engine().visit(visit_id)
        except RuleError:
            raise not_found("就诊记录", "visit", visit_id) from None

    def area_of_visit(self, visit_id: str) -> str:
        return self.visit(visit_id).area_id

    def area_of_stored_visit(self, visit_id: str) -> str:
        """The area of a visit of any day (the engine holds only today and yesterday)."""
        area = self.store.visit_area(visit_id)
        if area is None:
            raise not_found("就诊记录", "visit", visit_id)
        return area
