"""The caller service: the queue engine in memory, the durable store and the live event hub, together.

:meth:`CallerService.execute` is the only way state changes: under one lock it applies an engine
command, writes the whole Change (visits, rooms, counters, events, audit, idempotency record) in one
SQLite transaction, and only then publishes the events with their durable seq. If writing fails the
engine is rebuilt from the store, so memory never runs ahead of the disk.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from caller import views
from caller.auth import Authenticator, AuthError, Principal
from caller.check_in_codes import CheckInCodes
from caller.cockpit_feed import CockpitFeed
from caller.commands import COMMANDS
from caller.device_watch import DeviceWatch
from caller.engine.engine import QueueEngine
from caller.engine.model import FINAL_STATES, AuditEntry, BadCommand, Change, EngineEvent, RoomState, RuleError, Visit
from caller.events import EventHub
from caller.help_desk import HelpDesk
from caller.idempotency import idempotency_scope, replay, request_hash
from caller.journey_view import journey_status, specimen_labels, station_step
from caller.notify.notifications import Notifications
from caller.ops.backup import hold_service_lock
from caller.ops.metrics import ServiceMetrics
from caller.ops.reload import config_changes, reload_problems
from caller.patient_guard import PatientGuard
from caller.pgstore import open_store
from caller.plugins import ServiceHooks
from caller.store import AuditRow, ChangeRows, EventRow, StorageError, Store
from caller.ticket_links import TicketLinks, load_or_create_secret
from caller.visit_status import VisitStatus
from caller.wait_alerts import WaitAlerts
from caller.writer import CommandWriter, Queued
from cockpit import pdca, rollups, sources
from cockpit.estimate import Estimate
from cockpit.kpis import target_problems
from common.clock import HospitalClock, clock_rate, with_zone, zone
from common.config import ConfigError, HospitalConfig, hospital_public, load_hospital
from common.refusal import not_found
from common.speech_text import speakable
from common.wire import BroadcastData, Order

log = logging.getLogger("caller.service")

ExtraWrites = Callable[[sqlite3.Connection, dict], None]

BROADCASTS_KEPT = 5


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




class CallerService:
    """One per process. Thread-safe; API handlers call it on the event loop."""

    def __init__(self, config: HospitalConfig, db_path: str | Path | Store, *,
                 clock: Callable[[], datetime] | None = None, hooks: ServiceHooks | None = None):
        """``hooks``: what plug-ins hook into the service (caller/plugins.py); they fill it when they are installed."""
        self.config = config
        self.hooks = hooks if hooks is not None else ServiceHooks()
        self.zone = zone(config.hospital.timezone)
        self.clock = clock or HospitalClock(config.hospital.timezone)  # naive hospital time, whatever the machine's zone
        self.store = db_path if isinstance(db_path, Store) else open_store(db_path)
        self.store.clock = self.clock
        self._running = hold_service_lock(self.store.local_file) if self.store.local_file else None  # `caller restore` refuses while this is held
        self.auth = Authenticator(config, self.store)
        # One lock for the engine and the store: a plug-in that runs a command inside its own store
        # transaction takes them in the same order as the API does, so the two can never deadlock.
        self.lock = self.store.lock
        self._engine_stale = False
        with self.lock:
            rollups.create(self.store.conn)
            pdca.create(self.store.conn)  # the cockpit's monthly PDCA records
        self.hub = EventHub(self.store, self.area_snapshot, clock=self.clock, zone=self.zone)
        # the collaborators, each given what it needs; they keep config and are told of a reload (apply_config)
        self.help_desk = HelpDesk(config, self.store, self.hub, self.clock, self.lock)
        self.device_watch = DeviceWatch(config, self.store, self.clock, self.lock, publish=self.publish_event,
                                        service_health=self.health, help_areas=self.help_desk.areas)
        # second factors and sessions per minute, counted on the service's clock (a demo's fast clock counts in its
        # own minutes: sixty patients in an hour of the demo's morning are not a script at one kiosk)
        self.guard = PatientGuard(self.store, config.security, alert=self.device_watch.security_alert,
                                  clock=lambda: (self.clock() - datetime(2000, 1, 1)).total_seconds())
        self.wait_alerts = WaitAlerts(config, lambda: self.engine, self.clock, self.lock, publish=self.publish_event)
        self.codes = CheckInCodes(lambda: self.engine, lambda: self.ticket_links, self.lock, self.today, self.hooks)
        self.statuses = VisitStatus(lambda: self.engine, lambda: self.config, self.clock, lambda: self.ticket_links,
                                    lambda: self._version)
        self.cockpit_feed = CockpitFeed(config, lambda: self.engine, self.store, self.clock, self.lock,
                                        estimate=self.estimate, wait_alerts=self.wait_alerts,
                                        request_device=self.hooks.device_of_request)
        self.engine = self._build_engine()
        # group commit for every command (caller/writer.py); the hub sends a batch's events after its answers
        self.writer = CommandWriter(self._run_batch, after=self.hub.drain, after_elsewhere=self.hub.drain_soon)
        with self.store.transaction() as conn:
            self.ticket_links = TicketLinks(load_or_create_secret(conn))
        self.notify = Notifications(self)  # the sender starts with the app (caller/api/app.py)
        self.metrics = ServiceMetrics(self)
        self.hub.on_fan_out = self.metrics.fanout_seconds.observe
        self.hub.on_frames = self.metrics.frames
        self.started_at = self.clock()
        self.broadcasts: dict[str, list[dict]] = {}  # area -> today's latest notices, newest first
        self._area_ids = {a.id for a in config.areas}
        self._room_area = {r.id: a.id for a in config.areas for r in a.rooms}
        self._dept_area = {d.id: d.area for d in config.departments}

    # ------------------------------------------------------------------ engine <-> store
    def _build_engine(self) -> QueueEngine:
        since = (self.clock().date() - timedelta(days=1)).isoformat()
        state = self.store.load(since_day=since)
        self.cockpit_feed.reset(state.visits, state.rooms, since)  # the rollups take a visit's previous facts from these
        self._version = getattr(self, "_version", 0) + 1  # what was computed from the engine before is stale
        engine = QueueEngine(self.config)
        engine.load(visits=[Visit.from_row(v) for v in state.visits],
                    rooms=[RoomState.from_row(r) for r in state.rooms],
                    counters=state.counters, now=self.clock())
        return engine

    def reload(self) -> None:
        """Rebuild the engine from the store (after a failed write). While the database cannot be read (a
        PostgreSQL server out of reach) the engine is marked stale and rebuilt before the next command."""
        with self.lock:
            try:
                self.engine = self._build_engine()
            except StorageError:
                self._engine_stale = True
                raise
            self._engine_stale = False

    def reload_file(self, path: str | Path, *, actor: str = "system") -> dict:
        """Re-read the hospital file and apply it (see :meth:`apply_config`); a bad file is refused as a whole,
        audited, and the running configuration kept (ConfigError)."""

        try:
            return self.apply_config(load_hospital(path), actor=actor, source=str(path))
        except ConfigError as exc:
            self._audit_system("config_reload_refused", actor,
                               {"source": str(path), "problems": [f"{k}: {m}" if k else m for k, m in exc.problems]})
            log.error("hospital file %s refused, the running configuration is kept:\n%s", path, exc)
            raise

    def _audit_system(self, action: str, actor: str, detail: dict) -> None:
        with self.lock:
            ts = self.clock().isoformat(timespec="milliseconds")
            user, _, device = actor.rpartition("@")
            rows = ChangeRows(audit=[AuditRow(ts=ts, user=user, device=device or "system", action=action,
                                              visit_id=None, before=None, after=None, detail=detail)])
            with self.store.transaction() as conn:
                self.store.write_change(conn, rows)

    def apply_config(self, new: HospitalConfig, *, actor: str = "system", source: str = "") -> dict:
        """Put a new (already validated) hospital file into service without dropping a connection or a queue.

        Refused (ConfigError, nothing changed) when it would orphan today's queued patients or change the time
        zone. Devices, users, rules, notices, schedules and fees apply at once; every reload is audited.
        """

        with self.lock:
            today = self.clock().date()
            live = [v for v in self.engine.visits() if v.day == today and v.state not in FINAL_STATES]
            problems = reload_problems(self.config, new, live) + target_problems(new.cockpit.targets)
            if problems:
                raise ConfigError(source or "hospital file", problems)
            changes = config_changes(self.config, new)
            old_config, old_engine = self.config, self.engine
            self.config = new
            try:
                self.engine = self._build_engine()
            except BaseException:
                self.config, self.engine = old_config, old_engine
                raise
            self.auth.reconfigure(new)
            self.guard.limits = new.security
            for part in (self.help_desk, self.device_watch, self.wait_alerts, self.cockpit_feed, self.notify):
                part.reconfigure(new)
            self._area_ids = {a.id for a in new.areas}
            self._room_area = {r.id: a.id for a in new.areas for r in a.rooms}
            self._dept_area = {d.id: d.area for d in new.departments}
            for hook in self.hooks.reload:  # plug-ins and the app's parts (web screens)
                hook(new)
            ts = self.clock().isoformat(timespec="milliseconds")
            user, _, device = actor.rpartition("@")
            rows = ChangeRows(
                events=[("queue", area.id, ts, {"reason": "config_reload"}) for area in new.areas],
                audit=[AuditRow(ts=ts, user=user, device=device or "system", action="config_reload", visit_id=None,
                                before=None, after=None, detail={"source": source, **changes})])
            with self.store.transaction() as conn:
                events = self.store.write_change(conn, rows)
            self.hub.publish(events)  # screens get a fresh snapshot (notices, rooms) on the links they have
            log.info("hospital file reloaded from %s by %s: %s", source or "-", actor, changes or "no changes")
            return {"status": "reloaded", "source": source, "changes": changes}

    def close(self) -> None:
        self.writer.stop()
        self.store.close()
        if self._running is not None:
            self._running.close()
            self._running = None

    # ------------------------------------------------------------------------ commands
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
        started = time.perf_counter()
        try:
            self._check_room_bound(who, args)
            item = self._queued(command, who, idempotency_key, extra_writes, args, started)
            if item.result is None and (self.writer.on_writer() or self.lock._is_owned()):
                self._run_batch([item], later=False)
            elif item.result is None:
                self.writer.run(item)
                self.hub.drain_soon()  # on the loop's own thread: its events go out now, as the answer returns
            if item.error is not None:
                raise item.error
        except BaseException as exc:
            self._count(command, started, exc)
            raise
        self._count(command, started, None)
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

        started = time.perf_counter()
        try:
            self._check_room_bound(who, args)
            item = self._queued(command, who, idempotency_key, extra_writes, args, started)
            if item.result is None:
                item.future = asyncio.get_running_loop().create_future()
                self.writer.submit(item)
                await item.future
        except BaseException as exc:
            self._count(command, started, exc)
            raise
        self._count(command, started, None)
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
            raise AuthError("other_room", f"对不起，本呼叫器只能为{self.config.room(who.room).name}叫号。",
                            f"This caller works for room {who.room} only.", status=403)

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
            if self._engine_stale:  # a write failed with the database out of reach: memory may be ahead of it
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
                    with self.store.transaction() as conn, self.store.pipeline():
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
        response = views.command_response(self.config, command, change, audience)
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
        self._version += 1
        self.wait_alerts.forget(done.answered)
        if done.events:
            self._remember_broadcasts(done.events)
            self.hub.publish(done.events, later=later)
        if done.messages:
            self.notify.sender.wake()
        item.result = done.response

    def _remember_broadcasts(self, events: list[EventRow]) -> None:
        for ev in events:
            if ev.type == "broadcast":
                kept = self.broadcasts.setdefault(ev.area, [])
                kept.insert(0, {"seq": ev.seq, "ts": ev.ts, **ev.data})
                del kept[BROADCASTS_KEPT:]

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
        return spec.run(self.engine, args, now=now, actor=actor)

    def _register(self, body: Any, now: datetime, actor: str) -> Change:
        dept = self.config.department(body.department)
        area = self.config.area(dept.area)
        kind = body.kind
        if kind is None:
            doctor = self._doctor(body.doctor)
            kind = "emergency" if area.emergency else "expert" if doctor is not None and doctor.expert else "general"
        session = body.session or self._session_at(now)
        slot_start, slot_end = body.slot_times()
        return self.engine.register(
            dept_id=body.department, patient_id=body.patient_id or "", patient_name=body.name,
            number_kind=kind, source=body.source, session=session, now=now, reg_seq=body.reg_seq,
            doctor_id=body.doctor, slot_start=slot_start, slot_end=slot_end, triage_level=body.triage_level,
            actor=actor)

    def _doctor(self, doctor_id: str | None):
        if not doctor_id:
            return None
        try:
            return self.config.doctor(doctor_id)
        except KeyError:
            return None

    def _session_at(self, now: datetime) -> str:
        _, am_end = self.config.schedule.session_span("am")
        return "am" if now.time() < am_end else "pm"

    def _steps_ahead(self, visit_id: str, steps: int) -> str | None:
        visit = self.engine.visit(visit_id)
        queue = (self.engine.room_queue(visit.room_id) if visit.state.value == "room_waiting"
                 else self.engine.area_queue(visit.area_id))
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
        rows.events = [(e.type, e.area_id, ts, views.event_data(self.engine, self.config, e, command)) for e in change.events]
        rows.audit = [
            AuditRow(ts=ts, user=who.user or "", device=who.device, action=a.action, visit_id=a.visit_id,
                     before=a.before_state, after=a.after_state, detail=a.detail)
            for a in change.audit
        ]
        return rows

    def _publish(self, events: list[EventRow]) -> None:
        self.hub.publish(events)  # queue events get the area snapshot when they are sent

    def publish_event(self, etype: str, area: str, data: dict) -> EventRow:
        """Persist and publish an event that is not an engine command (wait alerts)."""
        with self.lock:
            ts = self.clock().isoformat(timespec="milliseconds")
            with self.store.transaction() as conn:
                rows = ChangeRows(events=[(etype, area, ts, data)])
                events = self.store.write_change(conn, rows)
                if etype == "alert" and data.get("active", True) and data.get("dept_id"):
                    rollups.record(conn, *sources.wait_alert(ts, area, data["dept_id"]))
            self.hub.publish(events)
            return events[0]

    # ------------------------------------------------------------------------- lookups
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
            return self.engine.visit(visit_id)
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

    def prune(self) -> dict[str, int]:
        """Apply the hospital's retention (see Store.prune)."""
        return self.store.prune(self.clock(), self.config.retention, replay_limit=self.hub.replay_limit)

    # ------------------------------------------------------------------------- queries
    # the status and snapshot queries are the presenter's (caller/visit_status.py), under the service's lock
    def area_snapshot(self, area_id: str, audience: str = "public") -> dict:
        with self.lock:
            return self.statuses.area_snapshot(area_id, audience == "public", self.broadcasts.get(area_id, []))

    def room_snapshot(self, room_id: str, audience: str = "public") -> dict:
        with self.lock:
            return views.room_snapshot(self.area_snapshot(self.area_of_room(room_id), audience), room_id)

    def visit_status(self, visit_id: str) -> dict:
        with self.lock:
            return self.status_of(self.visit(visit_id))

    def status_of(self, visit: Visit, place: tuple[int, float] | None = None, why: bool = True,
                  rooms: int | None = None) -> dict:
        """:meth:`caller.visit_status.VisitStatus.status_of` (under the lock)."""
        return self.statuses.status_of(visit, place, why, rooms)

    # ------------------------------------------------------------------------- journey (一票到底)
    def open_steps(self, visit_id: str, orders: list[Order], who: Principal, *, flags: tuple[str, ...] = (),
                   pay_at_window: bool = False, idempotency_key: str | None = None) -> dict:
        """Open the steps of a visit's orders: THE seam every order source calls (the console's doctor view through
        ``POST /api/v1/visits/{id}/orders``, the HIS drivers for HL7 ORM^O01 / RDE^O11 and FHIR ServiceRequest /
        MedicationRequest). One durable command: the steps, their audit and events, or nothing. An order sent
        again with the same ``order_id`` opens nothing new. Refusals are :class:`caller.engine.model.RuleError`."""
        return self.execute("open_steps", who, idempotency_key=idempotency_key, visit_id=visit_id,
                            orders=[o if isinstance(o, Order) else Order.model_validate(o) for o in orders],
                            flags=tuple(flags), pay_at_window=pay_at_window)

    def unpaid_steps_of_order(self, visit_id: str, order_id: str) -> list[str]:
        """The steps an order (its number at its source) opened on the visit's journey and not paid yet."""
        with self.lock:
            return [v.id for v in self.engine.journey(visit_id) if v.order_id == order_id and v.stage == "unpaid"
                    and v.state.value not in ("done", "cancelled")]

    def journey_status(self, visit_id: str) -> dict:
        """The whole journey of a visit (any of its steps), display-safe (:class:`common.wire.JourneyStatus`)."""
        with self.lock:
            self.visit(visit_id)
            return journey_status(self.engine, self.config, visit_id, self.clock(), code_of=self.ticket_links.token)

    def area_steps(self, area_id: str) -> list[dict]:
        """The open steps of an area's service points for its window staff (:class:`common.wire.StationStep`)."""
        with self.lock:
            now = self.clock()
            return [station_step(self.config, v, now, views.summary(self.config, v, public=False))
                    for v in self.engine.area_steps(area_id)]

    def specimen_labels(self, visit_id: str) -> list[dict]:
        """The tube labels of a lab step (staff only: they carry the full name)."""
        with self.lock:
            return specimen_labels(self.engine, self.config, self.visit(visit_id).id, self.clock())

    def journey_of_code(self, code: str) -> str:
        """The journey a scanned or typed code names (:meth:`caller.check_in_codes.CheckInCodes.journey_of_code`)."""
        return self.codes.journey_of_code(code)

    def step_of_code(self, code: str, area_id: str) -> str:
        """The step a code checks in at ``area_id`` (:meth:`caller.check_in_codes.CheckInCodes.step_of_code`)."""
        return self.codes.step_of_code(code, area_id)

    def step_to_check_in(self, journey_id: str, area_id: str) -> str:
        """The journey's step that checks in at ``area_id`` now; a clear refusal if none."""
        return self.codes.step_to_check_in(journey_id, area_id)

    def why_here(self, visit: Visit) -> tuple[str, str]:
        """The visit's "why here" texts (under the lock; :meth:`caller.visit_status.VisitStatus.why_here`)."""
        return self.statuses.why_here(visit)

    def ticket_token(self, visit_id: str) -> str:
        """The token of the visit's public ticket page ``/t/<token>`` (see caller/ticket_links.py)."""
        return self.ticket_links.token(self.visit(visit_id))

    def visit_of_ticket_token(self, token: str) -> str | None:
        """The visit a ticket page token opens, if it is a visit of today; None for any other token."""
        with self.lock:
            return self.ticket_links.visit_id(token, self.engine.visits, self.today())

    def estimate(self, visit_id: str, ahead: int | None = None, rooms: int | None = None) -> Estimate:
        """The waiting-time estimate of a queued visit (:meth:`caller.visit_status.VisitStatus.estimate`)."""
        return self.statuses.estimate(visit_id, ahead, rooms)

    def hospital_public(self) -> dict:
        return hospital_public(self.config)

    def health(self) -> dict:
        """``status``: ok, or failed (database file gone or replaced; disk full) with the reason in zh and en."""
        try:
            self.store.check_writable()
        except StorageError:  # recorded in store.problem, reported below
            pass
        problem = self.store.problem
        extra = {} if problem is None else {"problem": problem.code, "reason_zh": problem.message_zh,
                                            "reason_en": problem.message_en}
        return {"status": "ok" if problem is None else "failed", "role": "active", **extra, "seq": self.hub.seq, "subscribers": self.hub.subscriber_count(),
                "started_at": self.started_at.isoformat(timespec="seconds"),
                "time": self.now_aware().isoformat(timespec="milliseconds"), "timezone": self.config.hospital.timezone,
                **({"rate": self.clock_rate} if self.clock_rate != 1.0 else {})}

    @property
    def clock_rate(self) -> float:
        """Service seconds per real second (common.clock.clock_rate)."""
        return clock_rate(self.clock)

    def now_aware(self) -> datetime:
        """The service's time with the hospital's zone (what clients set their displayed clocks by)."""
        return with_zone(self.clock(), self.zone)

    def today(self) -> date:
        return self.clock().date()
