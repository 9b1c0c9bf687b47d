"""The write path of the service: every command that changes the queue goes through :class:`CommandRunner`.

Under the service's lock it applies an engine command, writes the whole Change (visits, rooms, counters, events,
audit, idempotency record, the cockpit's rollups, the messages to patients) in one transaction through the
group-commit writer (caller/writer.py), and only after the commit answers and publishes the events with their
durable seq. If writing fails the engine is rebuilt from the store (``reload``), so memory never runs ahead of the
disk.

Given what it needs by the service (caller/service.py): the store (its lock is the service's), the clock, the
engine and the hospital file (getters: a rebuilt engine or a reloaded file is read at the next command), the event
hub, the collaborators a command tells (notifications, cockpit feed, wait alerts, visit status), the plug-ins'
hooks, the metrics, ``visit`` (a visit of the engine, or 404), and ``reload`` / ``stale`` (rebuild the engine from
the store; whether a failed write left it to rebuild).
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Callable, Iterator

from caller import views
from caller.auth import AuthError, Principal
from caller.cockpit_feed import CockpitFeed
from caller.commands import COMMANDS
from caller.engine.engine import QueueEngine
from caller.engine.model import AuditEntry, BadCommand, Change, EngineEvent, RuleError, Visit
from caller.events import EventHub
from caller.idempotency import idempotency_scope, replay, request_hash
from caller.notify.notifications import Notifications
from caller.ops.metrics import ServiceMetrics
from caller.plugins import ServiceHooks
from caller.store import AuditRow, ChangeRows, EventRow, StorageError, Store
from caller.visit_status import VisitStatus
from caller.wait_alerts import WaitAlerts
from caller.writer import CommandWriter, Queued
from cockpit import rollups
from common.config import HospitalConfig
from common.speech_text import speakable
from common.wire import BroadcastData

log = logging.getLogger("caller.service")

ExtraWrites = Callable[[sqlite3.Connection, dict], None]


class _Refused(Exception):
    """A command refused before it changed anything (the rules said no, a conflicting retry): ``error``."""

    def __init__(self, error: BaseException):
        self.error = error


class _Staged:
    """A command applied and written, waiting for its transaction's commit."""

    __slots__ = ("response", "events", "messages", "answered")

    def __init__(self, response: dict, events: list[EventRow] | None = None, messages: bool = False,
                 answered: list[str] | None = None):
        self.response, self.events, self.messages, self.answered = response, events or [], messages, answered or []


class CommandRunner:
    """Runs the commands: ``execute`` (on the calling thread's wait), ``submit`` (awaited), ``execute_batch``."""

    def __init__(self, store: Store, clock: Callable[[], datetime], *, engine: Callable[[], QueueEngine],
                 config: Callable[[], HospitalConfig], hub: EventHub, notify: Notifications,
                 cockpit_feed: CockpitFeed, wait_alerts: WaitAlerts, statuses: VisitStatus, hooks: ServiceHooks,
                 metrics: ServiceMetrics, visit: Callable[[str], Visit], reload: Callable[[], None],
                 stale: Callable[[], bool]):
        self.store, self.lock, self.clock = store, store.lock, clock
        self.engine, self.config, self.hub = engine, config, hub
        self.notify, self.cockpit_feed, self.wait_alerts, self.statuses = notify, cockpit_feed, wait_alerts, statuses
        self.hooks, self.metrics, self.visit, self.reload, self.stale = hooks, metrics, visit, reload, stale
        # group commit for every command (caller/writer.py); the hub sends a batch's events after its answers
        self.writer = CommandWriter(self._run_batch, after=hub.drain, after_elsewhere=hub.drain_soon)

    def execute(self, command: str, who: Principal, *, idempotency_key: str | None = None,
                extra_writes: ExtraWrites | None = None, **args: Any) -> dict:
        """Apply one command durably and publish its events; return the JSON response.

        ``idempotency_key``: a retry with the same key returns the stored first response.
        ``extra_writes(conn, response)`` runs inside the same transaction (records use it to write
        their own rows atomically with the visit); if it raises, nothing is written and the engine
        is restored. Counted in /metrics by command and result.

        The command goes through the group-commit writer like the API's (:meth:`submit`), and the calling thread
        waits for its commit. Called from inside a batch (a change observer) or with the store's lock held (a
        plug-in's own transaction), it runs on the calling thread instead, inside that transaction.
        """
        with self._counted(command) as started:
            self._check_room_bound(who, args)
            item = self._queued(command, who, idempotency_key, extra_writes, args, started)
            if item.result is None and (self.writer.on_writer() or self.lock._is_owned()):
                self._run_batch([item], later=False)
            elif item.result is None:
                self.writer.run(item)
                self.hub.drain_soon()  # on the loop's own thread: its events go out now, as the answer returns
            if item.error is not None:
                raise item.error
        return item.result

    def execute_batch(self, who: Principal, calls: list[tuple[str, dict[str, Any]]]) -> list[dict | BaseException]:
        """Apply several commands in order in ONE transaction, as the group-commit writer does with commands that
        arrive together (a replay or an import of a day): one commit for all. Each answer is its response, or the
        refusal or error it got; a refused command changes nothing and the others go on."""
        started = time.perf_counter()
        items = [self._queued(command, who, None, None, args, started) for command, args in calls]
        self._run_batch([i for i in items if i.result is None], later=False)
        out: list[dict | BaseException] = []
        for (command, _args), item in zip(calls, items):
            self._count(command, started, item.error)
            out.append(item.error if item.error is not None else item.result)
        return out

    async def submit(self, command: str, who: Principal, *, idempotency_key: str | None = None,
                     extra_writes: ExtraWrites | None = None, **args: Any) -> dict:
        """:meth:`execute` through the group-commit writer (caller/writer.py), without holding the event loop.

        The command is applied in arrival order on the writer thread, with the others queued meanwhile, in one
        transaction; the answer comes once that transaction committed (a failed commit fails every command of
        it, with the store's error: 507 disk full, 503 database gone). Its events go out after the answers.
        """

        with self._counted(command) as started:
            self._check_room_bound(who, args)
            item = self._queued(command, who, idempotency_key, extra_writes, args, started)
            if item.result is None:
                item.future = asyncio.get_running_loop().create_future()
                self.writer.submit(item)
                await item.future
        return item.result

    def _check_room_bound(self, who: Principal, args: dict) -> None:
        """The doctor's caller (a console with a room) acts for its room only: the room a command names, or the
        room its visit is called to or waits for."""
        if who.role != "console" or not who.room:
            return
        room = args.get("room_id")
        if room is None and args.get("visit_id"):
            with self.lock:
                room = self.visit(args["visit_id"]).room_id or ""  # a visit of the area queue is no room's yet
        if not who.may_use_room(room):
            raise AuthError("other_room", f"对不起，本呼叫器只能为{self.config().room(who.room).name}叫号。",
                            f"This caller works for room {who.room} only.", status=403)

    @contextmanager
    def _counted(self, command: str) -> Iterator[float]:
        """Count the command in /metrics by its result and time (the block gets its start time)."""
        started = time.perf_counter()
        try:
            yield started
        except BaseException as exc:
            self._count(command, started, exc)
            raise
        self._count(command, started, None)

    def _count(self, command: str, started: float, error: BaseException | None) -> None:
        result = "ok" if error is None else "refused" if isinstance(error, RuleError) else "error"
        self.metrics.command(command, result, time.perf_counter() - started)

    def _queued(self, command: str, who: Principal, idempotency_key: str | None, extra_writes: ExtraWrites | None,
                args: dict, started: float) -> Queued:
        """The command to run; already answered (``result``) when it is the retry of a stored one."""
        key = idempotency_scope(command, who, idempotency_key)
        item = Queued(command, who, key, request_hash(args) if key else "", extra_writes, args, started=started)
        if key:
            stored = self.store.idempotent_response(key)
            if stored is not None:
                item.result = replay(stored, item.body_hash)
        return item

    def _run_batch(self, batch: list[Queued], later: bool = True) -> None:
        """Apply the commands in order and commit them in one transaction; set each one's result or error.

        A command refused by the rules changes nothing and the others go on. A command that fails after the
        engine changed (its extra writes raised) is taken out: the transaction is rolled back, the engine rebuilt
        from the store and the others run again, unacknowledged as they still are. A failed commit (or a store
        that refuses writes) fails every command of the batch with the store's error. Results are set, and
        events published, only after the commit.
        """
        with self.lock:
            if self.stale():  # a write failed with the database out of reach: memory may be ahead of it
                try:
                    self.reload()
                except BaseException as exc:  # noqa: BLE001 - every command gets the reason
                    for item in batch:
                        item.error = exc
                    return
            pending = batch
            while pending:
                staged: list[tuple[Queued, _Staged]] = []
                failing: Queued | None = None
                for item in pending:
                    item.error = None
                deltas = rollups.Deltas()  # the batch's rollup changes, written once before its commit
                try:
                    with self.store.transaction(pipelined=True) as conn:
                        for item in pending:
                            try:
                                staged.append((item, item.context.run(self._stage, conn, item, deltas)))
                            except _Refused as refused:
                                item.error = refused.error
                            except BaseException:
                                failing = item
                                raise
                        deltas.write(conn)
                except BaseException as exc:  # noqa: BLE001 - rolled back; handed to the commands below
                    if failing is not None or staged:
                        log.exception("writing %s failed; rebuilding the engine from the store",
                                      ", ".join(i.command for i in pending))
                        self._recover()
                    if failing is not None and not isinstance(exc, StorageError):
                        failing.error = exc
                        pending = [i for i in pending if i is not failing]
                        continue
                    for item in pending:  # the commit failed: none of them is acknowledged
                        if item.error is None or any(item is i for i, _ in staged):
                            item.error = exc
                    return
                for item, done in staged:
                    self._finish(item, done, later)
                self.cockpit_feed.trim()
                return

    def _recover(self) -> None:
        try:
            self.reload()
        except StorageError:
            log.error("the store cannot be read either; the engine is rebuilt before the next command")

    def _stage(self, conn: sqlite3.Connection, item: Queued, deltas: rollups.Deltas) -> "_Staged":
        """One command inside the open transaction: apply it to the engine and write its rows.

        Raises :class:`_Refused` when it is refused before anything changed; anything else means the engine
        changed and the transaction must be rolled back.
        """
        command, who, args = item.command, item.who, item.args
        try:
            if item.key:
                stored = self.store.idempotent_response(item.key)  # one queued twice: the first one's answer
                if stored is not None:
                    return _Staged(replay(stored, item.body_hash))
            now = self.clock()
            change = self._apply(command, who, now, args)  # RuleError: the engine undid itself
        except BaseException as exc:
            raise _Refused(exc) from None
        rows = self._rows(change, command, who, now)
        messages = self.notify.plan(change, now)  # to patients who opted in, written with the command
        # a kiosk sees in full only the visit it registered itself (it typed the name); a check-in of
        # any other visit answers what a wall screen shows
        audience = "staff" if command == "register" and not who.public else who.audience
        response = views.command_response(self.config(), command, change, audience)
        answered = self.cockpit_feed.record(conn, rows, command, who, change, now, deltas)
        events = self.store.write_change(conn, rows)
        if messages:
            self.notify.enqueue(conn, messages, now)
        for observe in self.hooks.changes:
            observe(conn, command, change, now)
        response["seq"] = events[-1].seq if events else self.hub.seq
        if item.extra_writes is not None:
            item.extra_writes(conn, response)
        if item.key:
            self.store.save_idempotent(conn, item.key, who.actor, 200, response, now, item.body_hash)
        return _Staged(response, events, bool(messages), answered)

    def _finish(self, item: Queued, done: "_Staged", later: bool) -> None:
        """After the commit: the command's answer, and its events to the screens."""
        self.statuses.changed(done.events)  # "why here" texts are stale; an area's notices are kept
        self.wait_alerts.forget(done.answered)
        if done.events:
            self.hub.publish(done.events, later=later)
        if done.messages:
            self.notify.sender.wake()
        item.result = done.response

    def _apply(self, command: str, who: Principal, now: datetime, args: dict) -> Change:
        actor = f"{who.user}@{who.device}" if who.user else who.device
        if command == "register":
            return self._register(args["body"], now, actor)
        if command == "broadcast":
            return self._broadcast(args["area_id"], args["text"], args.get("text_en", ""), actor)
        if command == "move_up" and args.get("steps"):
            args = {"visit_id": args["visit_id"], "before_visit_id": self._steps_ahead(args["visit_id"], args["steps"])}
        elif command == "move_up":
            args = {"visit_id": args["visit_id"], "before_visit_id": args.get("before")}
        spec = COMMANDS.get(command)
        if spec is None or spec.engine is None:
            raise BadCommand("unknown_command", "对不起，不支持这个操作。", f"Unknown command {command!r}.")
        return spec.run(self.engine(), args, now=now, actor=actor)

    def _register(self, body: Any, now: datetime, actor: str) -> Change:
        dept = self.config().department(body.department)
        area = self.config().area(dept.area)
        kind = body.kind
        if kind is None:
            doctor = self._doctor(body.doctor)
            kind = "emergency" if area.emergency else "expert" if doctor is not None and doctor.expert else "general"
        session = body.session or self._session_at(now)
        slot_start, slot_end = body.slot_times()
        return self.engine().register(
            dept_id=body.department, patient_id=body.patient_id or "", patient_name=body.name,
            number_kind=kind, source=body.source, session=session, now=now, reg_seq=body.reg_seq,
            doctor_id=body.doctor, slot_start=slot_start, slot_end=slot_end, triage_level=body.triage_level,
            actor=actor)

    def _doctor(self, doctor_id: str | None):
        if not doctor_id:
            return None
        try:
            return self.config().doctor(doctor_id)
        except KeyError:
            return None

    def _session_at(self, now: datetime) -> str:
        _, am_end = self.config().schedule.session_span("am")
        return "am" if now.time() < am_end else "pm"

    def _steps_ahead(self, visit_id: str, steps: int) -> str | None:
        engine = self.engine()
        visit = engine.visit(visit_id)
        queue = (engine.room_queue(visit.room_id) if visit.state.value == "room_waiting"
                 else engine.area_queue(visit.area_id))
        ids = [v.id for v in queue]
        if visit_id not in ids:
            return None
        return ids[max(0, ids.index(visit_id) - steps)]

    def _broadcast(self, area_id: str, text: str, text_en: str, actor: str) -> Change:
        data = BroadcastData(text=text, text_en=text_en, speech=speakable(text)).model_dump()
        return Change(events=[EngineEvent("broadcast", area_id, data)],
                      audit=[AuditEntry(None, "broadcast", actor, None, None, {"area_id": area_id, "text": text})])

    def _rows(self, change: Change, command: str, who: Principal, now: datetime) -> ChangeRows:
        ts = now.isoformat(timespec="milliseconds")
        rows = ChangeRows()
        rows.visits = [(v.id, v.day.isoformat(), v.area_id, v.state.value, views.visit_row(v)) for v in change.visits]
        rows.rooms = {r.room_id: r.to_row() for r in change.rooms}
        rows.counters = dict(change.counters)
        engine, config = self.engine(), self.config()
        rows.events = [(e.type, e.area_id, ts, views.event_data(engine, config, e, command)) for e in change.events]
        rows.audit = [
            AuditRow(ts=ts, user=who.user or "", device=who.device, action=a.action, visit_id=a.visit_id,
                     before=a.before_state, after=a.after_state, detail=a.detail)
            for a in change.audit
        ]
        return rows
