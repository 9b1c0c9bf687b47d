"""The doctor's desk: what the doctor's caller window and the desk keypad (叫号器) both do, through the service's
own commands (caller/commands.py: call_next, call_again, missed, pause_room / resume_room).

``DeskCaller(client, room)`` is bound to one room (the doctor's caller is a console device with a ``room`` in the
hospital file, and the service refuses it anything of another room). ``press(key)`` runs one key and answers
what to tell the doctor; ``state()`` is the room as the desk shows it: the current patient's masked name (the
window and the keypad's display can be seen by the patient at the desk), how many wait, paused or not.
Blocking calls: a Qt window runs them off its GUI thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from client.http import CallerClient, CallerError
from common.privacy import mask_name

KEYS = ("call_next", "call_again", "missed", "pause")  # 呼叫, 重呼, 过号, 暂停
LABELS = {"call_next": "呼叫", "call_again": "重呼", "missed": "过号", "pause": "暂停"}


@dataclass(frozen=True)
class DeskState:
    room: str
    room_name: str
    paused: bool = False
    visit_id: str = ""  # the patient called to the room (or inside), "" when none
    ticket: str = ""
    name: str = ""  # masked
    called: bool = False  # called and not yet in: 重呼 and 过号 apply
    waiting: int = 0

    def line(self) -> str:
        """One line for the keypad's display and the window's title: A015 王*明  候诊3 (暂停 while paused)."""
        who = f"{self.ticket} {self.name}".strip() if self.ticket else "无患者"
        return f"{'暂停 ' if self.paused else ''}{who}  候诊{self.waiting}"


@dataclass(frozen=True)
class DeskAnswer:
    ok: bool
    message_zh: str
    message_en: str = ""


class DeskCaller:
    def __init__(self, client: CallerClient, room: str):
        self.client, self.room = client, room
        self._state = DeskState(room, room)
        self._departments: set[str] = set()
        self._area = ""

    # ------------------------------------------------------------------ the room as the desk shows it
    def _place(self) -> None:
        if self._area:
            return
        hospital = self.client.hospital()
        for area in hospital.get("areas") or []:
            for room in area.get("rooms") or []:
                if room["id"] == self.room:
                    self._area = area["id"]
                    self._departments = set(room.get("departments") or [])
                    self._state = DeskState(self.room, room.get("name") or self.room)
        if not self._area:
            raise CallerError("not_found", f"对不起，找不到诊室 {self.room}，请联系信息科。", f"No room {self.room}.",
                              status=404)

    def state(self) -> DeskState:
        self._place()
        snap = self.client.area_queue(self._area)
        room = next((r for r in snap.get("rooms") or [] if r.get("room_id") == self.room), {})
        called = room.get("called") or []
        current = (called or room.get("in_service") or [None])[0]
        doctor = room.get("doctor_id")
        queued = {v["visit_id"] for v in room.get("queue") or []}
        # who this room will call: its own queue, then the area's visits it may take (its departments; a visit for
        # one doctor only when that doctor sits here)
        fitting = [v for v in snap.get("waiting") or [] if v["visit_id"] not in queued
                   and v.get("dept_id") in self._departments and v.get("room_id") in (None, self.room)
                   and (not v.get("doctor_id") or v.get("doctor_id") == doctor)]
        self._state = DeskState(
            room=self.room, room_name=self._state.room_name, paused=bool(room.get("paused")),
            visit_id=current["visit_id"] if current else "", ticket=current["ticket"] if current else "",
            name=mask_name(current.get("patient_name") or current.get("name")) if current else "",
            called=bool(called), waiting=len(queued) + len(fitting))
        return self._state

    # ------------------------------------------------------------------ the keys
    def press(self, key: str) -> DeskAnswer:
        """Run one key on the room; the answer says what happened, in words for the doctor."""
        if key not in KEYS:
            return DeskAnswer(False, "对不起，无法识别该按键", f"Unknown key {key!r}")
        state = self.state()
        try:
            run = {"call_next": self._call_next, "call_again": self._call_again, "missed": self._missed,
                   "pause": self._pause}[key]
            return run(state)
        except CallerError as exc:
            return DeskAnswer(False, exc.message_zh, exc.message_en)

    def _call_next(self, state: DeskState) -> DeskAnswer:
        if state.paused:
            return DeskAnswer(False, f"{state.room_name}已暂停，请先按“暂停”键恢复接诊", "The room is paused")
        visit = self.client.call_next(self.room).get("visit")
        if not visit:
            return DeskAnswer(False, "目前没有候诊患者，请稍候", "Nobody is waiting")
        return DeskAnswer(True, f"已呼叫 {visit['ticket']} 号 {mask_name(_name(visit))}", f"Called {visit['ticket']}")

    def _current(self, state: DeskState) -> DeskAnswer | None:
        if not state.called:
            return DeskAnswer(False, "当前没有已呼叫未到的患者", "Nobody is called and not yet in")
        return None

    def _call_again(self, state: DeskState) -> DeskAnswer:
        refused = self._current(state)
        if refused:
            return refused
        self.client.call_again(state.visit_id)
        return DeskAnswer(True, f"已重呼 {state.ticket} 号", f"Called {state.ticket} again")

    def _missed(self, state: DeskState) -> DeskAnswer:
        refused = self._current(state)
        if refused:
            return refused
        self.client.missed(state.visit_id)
        return DeskAnswer(True, f"{state.ticket} 号已过号", f"{state.ticket} marked missed")

    def _pause(self, state: DeskState) -> DeskAnswer:
        if state.paused:
            self.client.resume_room(self.room)
            return DeskAnswer(True, f"{state.room_name}已恢复接诊", "Room resumed")
        self.client.pause_room(self.room)
        return DeskAnswer(True, f"{state.room_name}已暂停接诊，再按一次“暂停”恢复", "Room paused")


def _name(visit: dict[str, Any]) -> str:
    return visit.get("patient_name") or visit.get("name") or ""
