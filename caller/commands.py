"""Every queue command, named once: the engine call that does it, the name it is audited and published under, and
(through STATE_CHANGES) the states a visit may be in before and after.

The service runs a command by looking it up here (``COMMANDS[name].run``); its HTTP route (path, body, the
body's fields as the engine's arguments, who may send it and where) is its row of ``ROUTES`` in
caller/api/command_routes.py, which refers to these objects, and every command route of the API is built from
that table (docs/api.md lists the same routes). The plain moves (start, finish, missed, recall, away, back) are
one engine call, ``QueueEngine.move``, along their row of STATE_CHANGES. A new command is one line here plus its
engine method (and a line of ROUTES for its route); nothing is found by its name at run time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from caller.engine.engine import QueueEngine
from caller.engine.model import STATE_CHANGES, Change, StateChange


@dataclass(frozen=True)
class Command:
    """One queue command. ``engine``: the engine call that does it, ``engine(queue_engine, **args, now=, actor=)``
    (None: the service builds the change itself, register and broadcast). ``states``: the key of its row in
    STATE_CHANGES (None: it moves no visit between states itself)."""

    name: str  # the service's command name, its audit action and idempotency scope
    engine: Callable[..., Change] | None
    summary: str = ""
    states: str | None = None

    @property
    def state_change(self) -> StateChange | None:
        return STATE_CHANGES[self.states] if self.states else None

    def run(self, engine: QueueEngine, args: dict[str, Any], *, now: Any, actor: str) -> Change:
        assert self.engine is not None, f"{self.name} is run by the service"
        return self.engine(engine, **args, now=now, actor=actor)


def _move(name: str, summary: str) -> Command:
    """A plain move: ``QueueEngine.move`` along the row ``name`` of STATE_CHANGES (its start and end states)."""
    assert STATE_CHANGES[name].action, f"{name} is not a plain move"

    def move(engine: QueueEngine, visit_id: str, *, actor: str, now: datetime) -> Change:
        return engine.move(name, visit_id, actor=actor, now=now)

    move.__name__ = move.__qualname__ = f"move_{name}"
    return Command(name, move, summary, name)


_COMMANDS = (
    Command("register", None, "Register a visit and issue its ticket (idempotent)"),
    Command("check_in", QueueEngine.check_in, "Check a visit in (签到)", "check_in"),
    Command("call_next", QueueEngine.call_next, "Call the next visit to a room"),
    Command("call_visit", QueueEngine.call_visit, "Call this waiting visit into a room now, out of turn (呼叫此号)",
            "call_visit"),
    Command("call_again", QueueEngine.call_again, "Call again (重呼)", "call_again"),
    _move("start", "The patient came in: start the consultation"),
    _move("finish", "Finish the consultation"),
    _move("missed", "Mark missed (过号)"),
    _move("recall", "Recall a missed or returned visit (召回)"),
    _move("away", "Sent to exams/labs (检查中)"),
    _move("back", "Back from exams (re-enters the queue as a recall)"),
    Command("move_up", QueueEngine.move_up, "Move a waiting visit forward", "move_up"),
    Command("priority", QueueEngine.set_priority, "Give (kind) or remove (null) priority", "priority"),
    Command("triage", QueueEngine.set_triage, "Emergency: set or change the triage level (1-2 alert)", "triage"),
    Command("assign_doctor", QueueEngine.assign_doctor, "Bind a general visit to one doctor", "assign_doctor"),
    Command("transfer", QueueEngine.transfer, "Transfer to another department or room (转诊)", "transfer"),
    Command("dispatch", QueueEngine.dispatch, "Manual dispatch into a room's queue (分诊)", "dispatch"),
    Command("cancel", QueueEngine.cancel, "Cancel the visit (弃号)", "cancel"),
    Command("leave_queue", QueueEngine.leave_queue, "Phone page: 我不排了 (the seat and a held slot go back)",
            "leave_queue"),
    Command("on_my_way", QueueEngine.on_my_way, "Phone page: 我马上到 (shown to the nurse beside the ticket)",
            "on_my_way"),
    Command("pause_room", QueueEngine.pause_room, "Pause a room (停诊)"),
    Command("resume_room", QueueEngine.resume_room, "Resume a room (开诊)"),
    Command("room_doctor", QueueEngine.set_room_doctor, "Who sits in the room this session"),
    Command("broadcast", None, "Send a notice to an area's screens and speakers"),
    # journeys (caller/engine/journey.py, docs/journey.md): the steps after the consulting room
    Command("open_steps", QueueEngine.open_steps, "开单: open the steps of the doctor's orders (idempotent)"),
    Command("pay_step", QueueEngine.pay_step, "The step's order was paid at a window (the step opens)", "pay_step"),
    Command("start_dispensing", QueueEngine.start_dispensing, "Pharmacy: 配药中", "start_dispensing"),
    Command("mark_ready", QueueEngine.mark_ready, "Pharmacy: 已配好 (the patient joins the window's list)",
            "mark_ready"),
    Command("collect", QueueEngine.collect, "Pharmacy: 已取药, confirmed by scanning the patient's code", "collect"),
    Command("settle", QueueEngine.settle, "Cashier: paid at the window (the orders' steps open)", "collect"),
    Command("set_gate", QueueEngine.set_gate, "Imaging: record the preparation (fasting since, water, consent)",
            "set_gate"),
    Command("print_labels", QueueEngine.print_labels, "Lab: print the specimen labels (audited); returns them",
            "print_labels"),
    Command("report_ready", QueueEngine.report_ready, "Lab: the report is ready (turnaround recorded)",
            "report_ready"),
)
COMMANDS: dict[str, Command] = {c.name: c for c in _COMMANDS}
assert len(COMMANDS) == len(_COMMANDS), "a command is named twice"
