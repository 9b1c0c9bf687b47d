"""Every queue command, named once: its route, the engine call that does it, the body it takes, the name it is
audited and published under, and (through STATE_CHANGES) the states a visit may be in before and after.

The service runs a command by looking it up here (``COMMANDS[name].run``), the API builds the routes of the
commands that take nothing but the visit from ``Command.path``, and docs/api.md lists the same routes. A new
command is one line here plus its engine method; nothing is found by its name at run time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from caller.engine.engine import QueueEngine
from caller.engine.model import STATE_CHANGES, Change, StateChange

STAFF = frozenset({"console"})
FRONT = frozenset({"console", "kiosk"})
PATIENT_PAGE = frozenset({"phone"})  # the patient's phone ticket page: the link's token is the key (docs/phone.md)


@dataclass(frozen=True)
class Command:
    """One queue command. ``engine``: the QueueEngine method that does it, called with the command's arguments and
    ``now`` and ``actor``. ``path``: its route under /api/v1 when the route is built from this table (a command
    that takes nothing but the visit); None when its handler in caller/api/queue.py checks more (a body, a second
    area). ``states``: the key of its row in STATE_CHANGES (None: it moves no visit between states itself)."""

    name: str  # the service's command name, its audit action and idempotency scope
    engine: Callable[..., Change] | None  # None: the service builds it (register, broadcast)
    path: str | None = None
    summary: str = ""
    roles: frozenset[str] = STAFF
    states: str | None = None

    @property
    def state_change(self) -> StateChange | None:
        return STATE_CHANGES[self.states] if self.states else None

    def run(self, engine: QueueEngine, args: dict[str, Any], *, now: Any, actor: str) -> Change:
        assert self.engine is not None, f"{self.name} is run by the service"
        return self.engine(engine, **args, now=now, actor=actor)


_V = "/visits/{visit_id}"
_COMMANDS = (
    Command("register", None, summary="Register a visit and issue its ticket (idempotent)", roles=FRONT),
    Command("check_in", QueueEngine.check_in, f"{_V}/check-in", "Check a visit in (签到)", FRONT, "check_in"),
    Command("call_next", QueueEngine.call_next, summary="Call the next visit to a room"),
    Command("call_visit", QueueEngine.call_visit, summary="Call this waiting visit into a room now, out of turn",
            states="call_visit"),
    Command("call_again", QueueEngine.call_again, f"{_V}/call-again", "Call again (重呼)", states="call_again"),
    Command("start", QueueEngine.start, f"{_V}/start", "The patient came in: start the consultation",
            states="start"),
    Command("finish", QueueEngine.finish, f"{_V}/finish", "Finish the consultation", states="finish"),
    Command("missed", QueueEngine.mark_missed, f"{_V}/missed", "Mark missed (过号)", states="missed"),
    Command("recall", QueueEngine.recall, f"{_V}/recall", "Recall a missed or returned visit (召回)",
            states="recall"),
    Command("away", QueueEngine.send_away, f"{_V}/away", "Sent to exams/labs (检查中)", states="away"),
    Command("back", QueueEngine.back_from_away, f"{_V}/back", "Back from exams (re-enters the queue as a recall)",
            states="back"),
    Command("move_up", QueueEngine.move_up, summary="Move a waiting visit forward", states="move_up"),
    Command("priority", QueueEngine.set_priority, summary="Give (kind) or remove (null) priority",
            states="priority"),
    Command("triage", QueueEngine.set_triage, summary="Emergency: set or change the triage level (1-2 alert)",
            states="triage"),
    Command("assign_doctor", QueueEngine.assign_doctor, summary="Bind a general visit to one doctor",
            states="assign_doctor"),
    Command("transfer", QueueEngine.transfer, summary="Transfer to another department or room (转诊)",
            states="transfer"),
    Command("dispatch", QueueEngine.dispatch, summary="Manual dispatch into a room's queue (分诊)", states="dispatch"),
    Command("cancel", QueueEngine.cancel, f"{_V}/cancel", "Cancel the visit (弃号)", states="cancel"),
    Command("leave_queue", QueueEngine.leave_queue, summary="Phone page: 我不排了 (the seat and a held slot go back)",
            roles=PATIENT_PAGE, states="leave_queue"),
    Command("on_my_way", QueueEngine.on_my_way, summary="Phone page: 我马上到 (shown to the nurse beside the ticket)",
            roles=PATIENT_PAGE, states="on_my_way"),
    Command("pause_room", QueueEngine.pause_room, summary="Pause a room (停诊)"),
    Command("resume_room", QueueEngine.resume_room, summary="Resume a room (开诊)"),
    Command("room_doctor", QueueEngine.set_room_doctor, summary="Who sits in the room this session"),
    Command("broadcast", None, summary="Send a notice to an area's screens and speakers"),
    # journeys (caller/engine/journey.py, docs/journey.md): the steps after the consulting room
    Command("open_steps", QueueEngine.open_steps, summary="开单: open the steps of the doctor's orders (idempotent)"),
    Command("pay_step", QueueEngine.pay_step, summary="The step's order was paid at a window (the step opens)",
            states="pay_step"),
    Command("start_dispensing", QueueEngine.start_dispensing, f"{_V}/dispense", "Pharmacy: 配药中",
            states="start_dispensing"),
    Command("mark_ready", QueueEngine.mark_ready, summary="Pharmacy: 已配好 (the patient joins the window's list)",
            states="mark_ready"),
    Command("collect", QueueEngine.collect, summary="Pharmacy: 已取药, confirmed by scanning the patient's code",
            states="collect"),
    Command("settle", QueueEngine.settle, f"{_V}/settle", "Cashier: paid at the window (the orders' steps open)",
            states="collect"),
    Command("set_gate", QueueEngine.set_gate, summary="Imaging: record the preparation (fasting, water, consent)",
            states="set_gate"),
    Command("print_labels", QueueEngine.print_labels, summary="Lab: print the specimen labels (audited)",
            states="print_labels"),
    Command("report_ready", QueueEngine.report_ready, f"{_V}/report-ready",
            "Lab: the report is ready (turnaround recorded)", states="report_ready"),
)
COMMANDS: dict[str, Command] = {c.name: c for c in _COMMANDS}
assert len(COMMANDS) == len(_COMMANDS), "a command is named twice"
