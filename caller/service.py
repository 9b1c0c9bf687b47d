"""The caller service: the queue engine in memory, the durable store and the live event hub, together.

:meth:`CallerService.execute` is the only way state changes: under one lock it applies an engine
command, writes the whole Change (visits, rooms, counters, events, audit, idempotency record) in one
SQLite transaction, and only then publishes the events with their durable seq. If writing fails the
engine is rebuilt from the store, so memory never runs ahead of the disk.
"""
from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from caller import views
from caller.auth import Authenticator, Principal
from caller.commands import COMMANDS
from caller.engine.engine import QueueEngine
from caller.engine.model import AuditEntry, BadCommand, Change, EngineEvent, RoomState, RuleError, Visit
from caller.events import EventHub
from caller.help import HelpCall
from caller.idempotency import idempotency_scope, replay, request_hash
from caller.journey_view import journey_status, specimen_labels, station_step
from caller.notify.notifications import Notifications
from caller.ops.backup import hold_service_lock
from caller.ops.metrics import ServiceMetrics
from caller.patient_guard import SECURITY_PART, PatientGuard
from caller.pgstore import open_store
from caller.phone_desk import PatientDesk
from caller.store import AuditRow, ChangeRows, EventRow, StorageError, Store
from caller.ticket_links import TicketLinks, load_or_create_secret
from caller.writer import CommandWriter, Queued
from cockpit import pdca, rollups, sources
from cockpit.estimate import Estimate, estimate
from cockpit.facts import channel_of
from cockpit.kpis import target_problems
from common.clock import HospitalClock, with_zone, zone
from common.config import HospitalConfig, hospital_public
from common.device_health import PART_ZH, PROBLEMS, HealthView, alert_data, evaluate
from common.device_settings import KioskSettings
from common.refusal import Refusal, not_found
from common.wire import BroadcastData, Order
from hardware.speech.normalize import speakable

log = logging.getLogger("caller.service")

ExtraWrites = Callable[[sqlite3.Connection, dict], None]

# API command name -> engine method (the others have the same name)
BROADCASTS_KEPT = 5
STORED_VISITS_MAX = 100_000  # visit rows kept in memory for the rollups before older days are let go
SUB_DEVICES_MAX = 16  # parts (printer, reader, scanner, ...) one device may report health for


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
                 clock: Callable[[], datetime] | None = None):
        self.config = config
        self.zone = zone(config.hospital.timezone)
        self.clock = clock or HospitalClock(config.hospital.timezone)  # naive hospital time, whatever the machine's zone
        self.store = db_path if isinstance(db_path, Store) else open_store(db_path)
        self.store.clock = self.clock
        self._running = hold_service_lock(self.store.local_file) if self.store.local_file else None  # `caller restore` refuses while this is held
        self.auth = Authenticator(config, self.store)
        self.guard = PatientGuard(self.store, config.security, alert=self.security_alert)  # second factors, sessions
        # One lock for the engine and the store: a plug-in that runs a command inside its own store
        # transaction takes them in the same order as the API does, so the two can never deadlock.
        self.lock = self.store.lock
        self._engine_stale = False
        with self.lock:
            rollups.create(self.store.conn)
            pdca.create(self.store.conn)  # the cockpit's monthly PDCA records
        self.engine = self._build_engine()
        self.hub = EventHub(self.store, self.area_snapshot, clock=self.clock, zone=self.zone)
        # group commit for every command (caller/writer.py); the hub sends a batch's events after its answers
        self.writer = CommandWriter(self._run_batch, after=self.hub.drain, after_elsewhere=self.hub.drain_soon)
        with self.store.transaction() as conn:
            self.ticket_links = TicketLinks(load_or_create_secret(conn))
        self.notify = Notifications(self)  # the sender starts with the app (caller/api/app.py)
        self.metrics = ServiceMetrics(self)
        self.hub.on_fan_out = self.metrics.fanout_seconds.observe
        self.hub.on_frames = self.metrics.frames
        self.started_at = self.clock()
        self._alerts: dict[str, dict] = {}  # department -> active wait alert data
        self.broadcasts: dict[str, list[dict]] = {}  # area -> today's latest notices, newest first
        self._area_ids = {a.id for a in config.areas}
        self._room_area = {r.id: a.id for a in config.areas for r in a.rooms}
        self._dept_area = {d.id: d.area for d in config.departments}
        # parts that keep config: notifications' gateways and limits, plug-ins (records)
        self.reload_hooks: list[Callable[[HospitalConfig], None]] = [self.notify.reconfigure]
        # set by the records part (records.api.install): the device behind the records request being served, so a
        # visit it registers is counted for the kiosk that asked (the service never imports records)
        self.records_device: Callable[[], str] | None = None
        # set by the records part too: a visit's booked seat, paid fee and medical card, for the phone page's
        # 我不排了 and card QR (caller/phone_desk.py)
        self.patient_desk: PatientDesk | None = None
        # told of every command inside its transaction, after its rows are written: (conn, command, change, now);
        # the HIS link writes the queue events the HIS wants into the outbox there (records/his/outbound.py)
        self.change_observers: list[Callable[[sqlite3.Connection, str, Change, datetime], None]] = []
        self._help = {row["id"]: HelpCall.from_row(row) for row in self.store.help_calls(open_only=True)}
        self._help_closed: dict[str, HelpCall] = {}  # closed since start: the kiosk reads how its call ended
        self._seen: dict[str, datetime] = {}  # device -> last request (any route) by the service clock
        self._device_alerts: dict[str, dict] = {}  # device or part -> its view while at fault / offline
        # device or part -> since when it is at fault or offline, from the kept history (survives a restart)
        self._down_since: dict[str, str] = {d: ts for d, (state, ts) in self.store.last_device_states().items()
                                            if state in PROBLEMS}
        self._unanswered: dict[str, dict] = {}  # department -> its wait alert no staff has acted on yet
        self._help_waiters: dict = {}  # help id -> asyncio.Event a waiting kiosk request is parked on

    # ------------------------------------------------------------------ engine <-> store
    def _build_engine(self) -> QueueEngine:
        since = (self.clock().date() - timedelta(days=1)).isoformat()
        state = self.store.load(since_day=since)
        # the visit rows as stored, by id: the cockpit's rollups take a visit's previous facts from here
        self._stored_visits = {v["id"]: v for v in state.visits if "id" in v}
        self._stored_since = since  # every stored visit of this day on is in _stored_visits
        self._stored_rooms = {r["room_id"]: r for r in state.rooms if "room_id" in r}
        self._version = getattr(self, "_version", 0) + 1  # what was computed from the engine before is stale
        self._whys: dict[str, tuple[tuple[int, int], dict[str, tuple[str, str]]]] = {}  # area -> (version, texts)
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
        from common.config import ConfigError, load_hospital

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
        from caller.engine.model import FINAL_STATES
        from caller.ops.reload import config_changes, reload_problems
        from common.config import ConfigError

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
            self._area_ids = {a.id for a in new.areas}
            self._room_area = {r.id: a.id for a in new.areas for r in a.rooms}
            self._dept_area = {d.id: d.area for d in new.departments}
            for hook in self.reload_hooks:
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

    async def submit(self, command: str, who: Principal, *, idempotency_key: str | None = None,
                     extra_writes: ExtraWrites | None = None, **args: Any) -> dict:
        """:meth:`execute` through the group-commit writer (caller/writer.py), without holding the event loop.

        The command is applied in arrival order on the writer thread, with the others queued meanwhile, in one
        transaction; the answer comes once that transaction committed (a failed commit fails every command of
        it, with the store's error: 507 disk full, 503 database gone). Its events go out after the answers.
        """
        import asyncio

        started = time.perf_counter()
        try:
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
                if len(self._stored_visits) > STORED_VISITS_MAX:
                    self._forget_old_visits()
                return

    def _forget_old_visits(self) -> None:
        """Keep the stored-row copies of today's and yesterday's visits only (the engine's days)."""
        since = (self.clock().date() - timedelta(days=1)).isoformat()
        self._stored_visits = {vid: row for vid, row in self._stored_visits.items() if str(row.get("day", "")) >= since}
        self._stored_since = since

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
        response = views.command_response(self, command, change, audience)
        rollups.apply_visits(conn, rows.visits, self._visit_extras(command, who, change), self._stored_visits, deltas,
                             self._stored_since)
        answered = self._cockpit_facts(conn, rows, command, who, change, now)
        events = self.store.write_change(conn, rows)
        if messages:
            self.notify.enqueue(conn, messages, now)
        for observe in self.change_observers:
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
        for dept in done.answered:
            self._unanswered.pop(dept, None)
        if done.events:
            self._remember_broadcasts(done.events)
            self.hub.publish(done.events, later=later)
        if done.messages:
            self.notify.sender.wake()
        item.result = done.response

    def _sessions(self) -> list:
        """The opening sessions of a day (schedule am and pm): the hours the cockpit counts open time in."""
        return [self.config.schedule.session_span(name) for name in ("am", "pm")]

    def _cockpit_facts(self, conn: sqlite3.Connection, rows: ChangeRows, command: str, who: Principal,
                       change: Change, now: datetime) -> list[str]:
        """What a command adds to the cockpit besides its visits: a room's paused minutes when it opens again
        (kept in the resume's audit row too, for a rebuild), and the first staff action on a department whose
        wait alert is unanswered (its time to response, with an audit row). Returns those departments."""
        ts = now.isoformat(timespec="milliseconds")
        if rows.rooms:
            resumed = rollups.apply_rooms(conn, rows.rooms, ts, self._sessions(), self._stored_rooms)
            for entry in rows.audit:
                if entry.action == "resume_room" and entry.detail.get("room_id") in resumed:
                    entry.detail["paused_minutes"] = resumed[entry.detail["room_id"]]
        answered = self._alerts_answered(command, who, change)
        for dept in answered:
            alert = self._unanswered[dept]
            rollups.record(conn, *sources.alert_answered(alert["raised_at"], ts, alert["area"], dept))
            rows.audit.append(AuditRow(ts=ts, user=who.user or "", device=who.device, action="wait_alert_answered",
                                       detail={"dept_id": dept, "area": alert["area"], "raised_at": alert["raised_at"],
                                               "by": command}))
        return answered

    def _alerts_answered(self, command: str, who: Principal, change: Change) -> list[str]:
        """Departments with an unanswered wait alert that this staff command acts on: it calls, starts, moves or
        transfers (in or out) one of their visits, changes one of their rooms, or makes an announcement in their area.
        Registering and checking in patients is no answer."""
        if not self._unanswered or not who.user or command in ("register", "check_in"):
            return []
        depts = {v.dept_id for v in change.visits}
        depts.update(a.detail["from_dept"] for a in change.audit if a.action == "transfer" and a.detail.get("from_dept"))
        for room in change.rooms:
            try:
                depts.update(self.config.room(room.room_id).departments)
            except KeyError:
                pass
        areas = {e.area_id for e in change.events if e.type == "broadcast"}
        return [d for d, alert in self._unanswered.items() if d in depts or alert["area"] in areas]

    def _visit_extras(self, command: str, who: Principal, change: Change) -> dict[str, dict] | None:
        """What the stored visit keeps beyond the engine's fields: how it was registered, and the estimate the
        patient was shown when it entered the queue (the cockpit measures its accuracy)."""
        extras = self._registration_channel(command, who, change) or {}
        visit = change.result
        if command in ("register", "check_in") and visit is not None and visit.state.value in ("waiting", "room_waiting"):
            ahead, minutes = self.engine.position(visit.id)  # once: it walks the area's queue
            shown = self.estimate(visit.id, ahead)
            extras.setdefault(visit.id, {})["estimate"] = {
                "minutes": shown.minutes, "min": shown.low, "max": shown.high, "old": minutes}
        return extras or None

    def _registration_channel(self, command: str, who: Principal, change: Change) -> dict[str, dict] | None:
        """For a new visit: how it was registered (kiosk / window / appointment) and at which kiosk."""
        if command != "register" or change.result is None:
            return None
        device = who.device
        if device == "records" and self.records_device is not None:  # through the records API: who asked
            device = self.records_device()
        try:
            role = self.config.device(device).role
        except KeyError:
            role = who.role
        visit = change.result
        return {visit.id: {"channel": channel_of(visit.source, role),
                           "reg_device": device if role == "kiosk" else None}}

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
        rows.events = [(e.type, e.area_id, ts, views.event_data(self, e, command)) for e in change.events]
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
    def area_snapshot(self, area_id: str, audience: str = "public") -> dict:
        with self.lock:
            return views.area_snapshot(self, area_id, audience == "public")

    def room_snapshot(self, room_id: str, audience: str = "public") -> dict:
        with self.lock:
            return views.room_snapshot(self, room_id, audience == "public")

    def visit_status(self, visit_id: str) -> dict:
        with self.lock:
            return views.visit_status(self, self.visit(visit_id), self.clock())

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

    def journey_status(self, visit_id: str) -> dict:
        """The whole journey of a visit (any of its steps), display-safe (:class:`common.wire.JourneyStatus`)."""
        with self.lock:
            self.visit(visit_id)
            return journey_status(self.engine, self.config, visit_id, self.clock())

    def area_steps(self, area_id: str) -> list[dict]:
        """The open steps of an area's service points for its window staff (:class:`common.wire.StationStep`)."""
        with self.lock:
            now = self.clock()
            return [station_step(self.config, v, now, views.summary(self, v, public=False))
                    for v in self.engine.area_steps(area_id)]

    def specimen_labels(self, visit_id: str) -> list[dict]:
        """The tube labels of a lab step (staff only: they carry the full name)."""
        with self.lock:
            return specimen_labels(self.engine, self.config, self.visit(visit_id).id, self.clock())

    def journey_of_code(self, code: str) -> str:
        """The journey (clinic visit id) a scanned or typed code names: the ticket QR's page key, the guide slip's
        code (the same key), or today's ticket number (A015). 404 when it names nothing of today."""
        code = code.strip()
        token = code.rsplit("/t/", 1)[-1]
        with self.lock:
            visit_id = self.ticket_links.visit_id(token, self.engine.visits, self.today())
            if visit_id is None:
                root = self.engine.journey_of_ticket(code.upper())
                visit_id = root.id if root is not None else None
            if visit_id is None:
                raise not_found("就诊码", "visit code", "")
            visit = self.engine.visit(visit_id)
            return visit.journey_id or visit.id

    def step_to_check_in(self, journey_id: str, area_id: str) -> str:
        """The journey's step that checks in at ``area_id`` now (paid, not yet waiting); a clear refusal if none."""
        with self.lock:
            members = [v for v in self.engine.journey(journey_id)[1:] if v.area_id == area_id]
        ready = [v for v in members if v.state.value == "registered" and v.stage != "unpaid"]
        if ready:
            return ready[0].id
        if any(v.stage == "unpaid" for v in members):
            raise RuleError("not_paid", "该项目尚未缴费，请先到自助机或收费窗口缴费，谢谢", "Not paid yet; please pay first")
        if any(v.state.value in ("waiting", "room_waiting") for v in members):
            raise RuleError("already_checked_in", "您已签到，请留意叫号，谢谢", "Already checked in")
        raise RuleError("no_step_here", "您今天没有在这里的检查或检验项目，请核对导诊单", "No step of this patient here today")

    def why_here(self, visit: Visit) -> tuple[str, str]:
        """The visit's "why here" texts (under the lock). Those of its whole area are computed in one pass and kept
        until the next command or engine rebuild: a kiosk or phone asking for status after status costs O(1)."""
        key = (id(self.engine), self._version)
        known = self._whys.get(visit.area_id)
        if known is None or known[0] != key:
            known = self._whys[visit.area_id] = (key, self.engine.whys(visit.area_id))
        found = known[1].get(visit.id)
        return found if found is not None else self.engine.why_here(visit.id)

    def ticket_token(self, visit_id: str) -> str:
        """The token of the visit's public ticket page ``/t/<token>`` (see caller/ticket_links.py)."""
        return self.ticket_links.token(self.visit(visit_id))

    def visit_of_ticket_token(self, token: str) -> str | None:
        """The visit a ticket page token opens, if it is a visit of today; None for any other token."""
        with self.lock:
            return self.ticket_links.visit_id(token, self.engine.visits, self.today())

    def estimate(self, visit_id: str, ahead: int | None = None, rooms: int | None = None) -> Estimate:
        """The waiting-time estimate of a queued visit, with its range (cockpit/estimate.py); ``ahead`` and the
        ``rooms`` that may serve it when known."""
        now = self.clock()
        opens = datetime.combine(now.date(), self.config.schedule.session_span("am")[0])
        return estimate(*self.engine.estimate_inputs(visit_id, ahead, rooms),
                        opens_in=(opens - now).total_seconds() / 60)

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
        """Service seconds per real second: 1, except on a demo's simulated clock (``speed``) that runs fast."""
        return float(getattr(self.clock, "speed", 1.0) or 1.0)

    def now_aware(self) -> datetime:
        """The service's time with the hospital's zone (what clients set their displayed clocks by)."""
        return with_zone(self.clock(), self.zone)

    # -------------------------------------------------------------------- wait alerts
    def wait_alerts(self) -> list[dict]:
        """Departments whose longest current wait is over their area's threshold."""
        with self.lock:
            return views.wait_alerts(self, self.clock())

    def check_wait_alerts(self) -> list[EventRow]:
        """Publish an ``alert`` when a department passes its threshold, and when it falls back."""
        published = []
        with self.lock:
            current = {a["dept_id"]: a for a in self.wait_alerts()}
            for dept, alert in current.items():
                if dept not in self._alerts:
                    published.append(self.publish_event("alert", alert["area"], alert))
                    self._unanswered[dept] = {"raised_at": published[-1].ts, "area": alert["area"]}
            for dept, old in list(self._alerts.items()):
                if dept not in current:
                    ended = {**old, "active": False,
                             "message_zh": f"{old['dept']}候诊时间已恢复正常",
                             "message_en": f"Waiting time in {old['dept_id']} is back under the threshold"}
                    published.append(self.publish_event("alert", old["area"], ended))
                    self._unanswered.pop(dept, None)  # over before anyone acted: no time to response
            self._alerts = current
        return published

    def stats_summary(self) -> dict:
        """Today's figures per department. Under the lock only what is live: the queues and the alerts (today's
        open visits); the day's counts and medians come from the rollups the commands keep, read without it."""
        with self.lock:
            now = self.clock()
            waiting = self.engine.waiting_by_department()
            alerts = views.wait_alerts(self, now)
        day = now.date().isoformat()
        with self.store.read() as conn:
            today = rollups.totals(conn, "dept", day, day)
        return views.stats_summary(self.config, now, waiting, today, alerts)

    # ------------------------------------------------------------------ help calls
    def help_areas(self, device_id: str) -> list[str]:
        """The areas whose consoles answer a device's help calls.

        The device's ``settings.help_areas``, else ``[help].areas`` (the guide desk / lobby), else the
        device's own area, else every area (a help call must reach someone).
        """
        try:
            device = self.config.device(device_id)
        except KeyError:
            device = None
        own = device.settings.help_areas if device and isinstance(device.settings, KioskSettings) else None
        chosen = own or list(self.config.help.areas)
        if not chosen and device is not None and device.area:
            chosen = [device.area]
        return [a.id for a in self.config.areas if not chosen or a.id in chosen]

    def _help_call(self, help_id: str) -> HelpCall:
        call = self._help.get(help_id)
        if call is None:
                raise not_found("呼叫", "help call", help_id)
        return call

    def _save_help(self, call: HelpCall, areas: list[str], action: str, who: Principal, detail: dict) -> list[EventRow]:
        """Store the call, audit the step and alert ``areas``; wakes a kiosk waiting on the call."""
        ts = self.clock().isoformat(timespec="milliseconds")
        data = call.alert()
        rows = ChangeRows(events=[("alert", area, ts, data) for area in areas],
                          audit=[AuditRow(ts=ts, user=who.user or "", device=who.device, action=action, visit_id=None,
                                          before=None, after=call.state, detail={"help_id": call.id, **detail})])
        with self.store.transaction() as conn:
            events = self.store.write_change(conn, rows)
            self.store.save_help(conn, call.to_row())
            if action == "help":  # the cockpit counts help calls per kiosk and area
                rollups.record(conn, *sources.help_request(ts, call.device, call.areas))
            elif action == "help_ack" and call.seconds_to_ack() is not None:  # and how long they waited for staff
                rollups.record(conn, *sources.help_acknowledged(ts, call.device, call.areas, call.seconds_to_ack()))
        if call.state == "closed":
            self._help.pop(call.id, None)
            self._help_closed[call.id] = call
        else:
            self._help[call.id] = call
        self.hub.publish(events)
        self._wake_help(call.id)
        return events

    def request_help(self, who: Principal, screen: str = "", idempotency_key: str | None = None) -> dict:
        """A patient pressed "呼叫工作人员": a help call alerting the consoles of the device's help areas.

        ``screen`` is what the device was showing (a screen name, never patient data). Pressing again while
        the kiosk's call is still open returns that call (nobody is alerted twice); so does a retry with the
        same ``idempotency_key``.
        """
        key = idempotency_scope("help", who, idempotency_key)
        body_hash = request_hash({"screen": screen}) if key else ""
        with self.lock:
            if key:
                stored = self.store.idempotent_response(key)
                if stored is not None:
                    return replay(stored, body_hash)
            existing = next((c for c in self._help.values() if c.device == who.device), None)
            if existing is not None:
                return self._help_response(existing, replayed=True)
            now = self.clock()
            call = HelpCall(id=f"H{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}", device=who.device,
                            device_name=self._device_name(who.device), screen=screen,
                            areas=self.help_areas(who.device), created_at=now.isoformat(timespec="milliseconds"))
            events = self._save_help(call, call.areas, "help", who, {"screen": screen, "areas": call.areas})
            response = self._help_response(call)
            response["seq"] = events[-1].seq if events else self.hub.seq
            if key:
                with self.store.transaction() as conn:
                    self.store.save_idempotent(conn, key, who.device, 200, response, self.clock(), body_hash)
        return response

    def _help_response(self, call: HelpCall, replayed: bool = False) -> dict:
        out = {"device": call.device, "name": call.device_name, "areas": list(call.areas), **call.kiosk_view()}
        if replayed:
            out["replayed"] = True
        return out

    def help_status(self, who: Principal, help_id: str) -> dict:
        """The kiosk's view of its own call (consoles of the call's areas may read it too)."""
        with self.lock:
            call = self._help.get(help_id) or self._help_closed.get(help_id) or self._help_call(help_id)
            self._check_help_reader(who, call)
            return self._help_response(call)

    def _check_help_reader(self, who: Principal, call: HelpCall) -> None:
        from caller.auth import forbidden

        if who.is_admin or (who.role == "kiosk" and who.device == call.device):
            return
        if who.role == "console" and any(who.may_see_area(a) for a in call.areas):
            return
        raise forbidden("查看这次呼叫", "reading this help call")

    def open_help_calls(self, area: str) -> list[dict]:
        """The calls still open or being handled that reached ``area`` (a console that starts loads these)."""
        with self.lock:
            return [c.alert() for c in self._help.values() if area in c.areas]

    def acknowledge_help(self, who: Principal, help_id: str) -> dict:
        """"我来处理": the kiosk learns who is coming; the other consoles drop the banner."""
        with self.lock:
            call = self._help_call(help_id)
            self._check_help_reader(who, call)
            ts = self.clock().isoformat(timespec="milliseconds")
            call.acknowledge(ts, who.user or who.device, who.user_name or "", who.user_role or "",
                             self._device_name(who.device))
            self._save_help(call, call.areas, "help_ack", who, {"seconds": call.seconds_to_ack()})
            return self._help_response(call)

    def close_help(self, who: Principal, help_id: str, outcome: str) -> dict:
        """Staff close the call (resolved / patient_gone); the kiosk's patient cancels it (cancelled)."""
        with self.lock:
            call = self._help_call(help_id)
            self._check_help_reader(who, call)
            if (outcome == "cancelled") != (who.role == "kiosk"):
                from caller.auth import forbidden

                raise forbidden("以此方式结束呼叫", "closing the call this way")
            ts = self.clock().isoformat(timespec="milliseconds")
            call.close(ts, who.user or who.device, outcome)  # type: ignore[arg-type]
            self._save_help(call, call.areas, "help_cancel" if outcome == "cancelled" else "help_close", who,
                            {"outcome": outcome, "seconds": call.seconds_to_close()})
            return self._help_response(call)

    def check_help_escalations(self) -> list[EventRow]:
        """Calls nobody acknowledged within ``[help].escalate_after_s``: alert more areas, tell the kiosk."""
        published: list[EventRow] = []
        with self.lock:
            now = self.clock()
            limit = timedelta(seconds=self.config.help.escalate_after_s)
            wider = list(self.config.help.escalate_to) or [a.id for a in self.config.areas]
            for call in list(self._help.values()):
                if call.state != "open" or call.escalated_at or now - datetime.fromisoformat(call.created_at) < limit:
                    continue
                added = call.escalate(now.isoformat(timespec="milliseconds"), wider)
                system = Principal(role="admin", device="caller-service")
                published += self._save_help(call, call.areas, "help_escalate", system, {"added": added})
        return published

    # -- a kiosk waits for the next step of its call (long poll, on the event loop)
    async def wait_help(self, who: Principal, help_id: str, version: int, timeout: float) -> dict:
        import asyncio

        status = self.help_status(who, help_id)
        if status["version"] != version or status["state"] == "closed":
            return status
        waiter = self._help_waiters.setdefault(help_id, asyncio.Event())
        try:
            await asyncio.wait_for(waiter.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return self.help_status(who, help_id)

    def _wake_help(self, help_id: str) -> None:
        loop = self.hub.loop
        if loop is None:
            return

        def wake() -> None:
            waiter = self._help_waiters.pop(help_id, None)
            if waiter is not None:
                waiter.set()

        loop.call_soon_threadsafe(wake)

    def _device_name(self, device_id: str) -> str:
        try:
            return self.config.device(device_id).name or device_id
        except KeyError:
            return device_id

    # ------------------------------------------------------------------- device health
    def note_seen(self, device_id: str) -> None:
        """Any request from a device shows it is alive (a kiosk in use is never "未上报")."""
        self._seen[device_id] = self.clock()

    def record_health(self, who: Principal, body: Any) -> dict:
        """A heartbeat / health report: the device's own state and its parts'; raises or clears alerts."""
        device = body.device or who.device
        if body.device and body.device != who.device:
            device = f"{who.device}/{body.device}"
            self._check_parts(who, [device])
        self._check_parts(who, [f"{who.device}/{part.device}" for part in body.parts])
        now = self.clock()
        ts = now.isoformat(timespec="seconds")
        self.note_seen(who.device)
        self.store.record_health(device, body.status, body.reason_zh, body.reason_en, body.detail, ts)
        for part in body.parts:
            self.store.record_health(f"{who.device}/{part.device}", part.status, part.reason_zh, part.reason_en, {}, ts)
        self.check_device_alerts()
        return {"device": device, "status": body.status, "ts": ts, "heartbeat_s": self.config.device_health.heartbeat_s}

    def security_alert(self, device: str, status: str, reason_zh: str, reason_en: str) -> None:
        """A kiosk suspended or a patient's second factor locked there (or lifted): shown on the consoles as the
        state of the kiosk's ``security`` part, through the device alerts they already show."""
        ts = self.clock().isoformat(timespec="seconds")
        if status != "ok":
            self.note_seen(device)  # it is the one asking: alive
        self.store.record_health(f"{device}/{SECURITY_PART}", status, reason_zh, reason_en, {}, ts)
        self.check_device_alerts()

    def devices(self) -> list[dict]:
        """Every configured device and its reported parts, with the state to show (see common.device_health)."""
        now = self.clock()
        # devices beat every heartbeat_s real seconds; on a demo's fast clock that many seconds of its time pass
        limit = self.config.device_health.offline_after_s * self.clock_rate
        reports = {r["device"]: r for r in self.store.device_health()}
        out = []
        for d in self.config.devices:
            report = reports.pop(d.id, None)
            last = self._last_seen(d.id, report)
            view = evaluate(report["status"] if report else "ok", report["reason_zh"] if report else "",
                            report["reason_en"] if report else "", last, now, limit)
            out.append({"device": d.id, "role": d.role, "name": d.name, "area": d.area, "room": d.room,
                        "part": None, "status": view.state, "reason_zh": view.reason_zh, "reason_en": view.reason_en,
                        "ts": last.isoformat(timespec="seconds") if last else None,
                        "detail": report["detail"] if report else {}, "alert_areas": self._device_areas(d)})
            parent_offline = view.state == "offline"
            for key in sorted(k for k in reports if k.startswith(d.id + "/")):
                part = reports.pop(key)
                pview = view if parent_offline else evaluate(part["status"], part["reason_zh"], part["reason_en"],
                                                             last, now, limit)
                out.append({"device": key, "role": "part", "name": f"{d.name or d.id} · {PART_ZH.get(key.split('/', 1)[1], key.split('/', 1)[1])}",
                            "area": d.area, "room": d.room, "part": key.split("/", 1)[1], "parent": d.id,
                            "status": pview.state, "reason_zh": pview.reason_zh, "reason_en": pview.reason_en,
                            "ts": part["ts"], "detail": part["detail"], "alert_areas": self._device_areas(d)})
        health = self.health()  # the service's own storage first: nothing else matters while it fails
        out.insert(0, {"device": "caller-service", "role": "service", "name": "叫号服务 / caller service",
                       "area": None, "room": None, "part": None,
                       "status": "ok" if health["status"] == "ok" else "offline",
                       "reason_zh": health.get("reason_zh", "数据存储正常"),
                       "reason_en": health.get("reason_en", "storage ok"), "ts": health["time"], "detail": {},
                       "alert_areas": []})
        return out

    def _check_parts(self, who: Principal, names: list[str]) -> None:
        """422 when a device would report more than SUB_DEVICES_MAX parts (each part is a row kept for good)."""
        names = [n for n in names if n.startswith(who.device + "/")]
        if not names:
            return
        known = {r["device"] for r in self.store.device_health() if r["device"].startswith(who.device + "/")}
        if len(known | set(names)) > SUB_DEVICES_MAX:
            raise Refusal("too_many_sub_devices", "对不起，本设备上报的部件过多，请联系信息科。",
                          f"A device may report at most {SUB_DEVICES_MAX} parts.", status=422)

    def _last_seen(self, device_id: str, report: dict | None) -> datetime | None:
        seen = self._seen.get(device_id)
        reported = datetime.fromisoformat(report["ts"]) if report and report.get("ts") else None
        return max((t for t in (seen, reported) if t is not None), default=None)

    def _device_areas(self, device) -> list[str]:
        """Whose consoles hear about a device: its area, else (lobby kiosks) the areas that answer its help calls."""
        if device.area:
            return [device.area]
        if device.room:
            return [self._room_area[device.room]]
        return self.help_areas(device.id)

    def check_device_alerts(self) -> list[EventRow]:
        """Publish an alert when a device or part turns faulty or offline, and when it is fine again."""
        published: list[EventRow] = []
        with self.lock:
            views_now = {d["device"]: d for d in self.devices()}
            return self._device_alerts_for(views_now, published)

    def _device_alerts_for(self, views_now: dict[str, dict], published: list[EventRow]) -> list[EventRow]:
        current = {k: d for k, d in views_now.items() if d["status"] in PROBLEMS}
        ts = self.clock().isoformat(timespec="seconds")
        for key, d in current.items():
            old = self._device_alerts.get(key)
            if old is None or old["status"] != d["status"]:
                published += self._device_alert(d, active=True)
            if key not in self._down_since:  # the cockpit counts each fault once, when it starts
                with self.store.transaction() as conn:
                    self.store.log_device_state(conn, key, d["status"], ts)
                    rollups.record(conn, *sources.device_fault(ts, key))
                self._down_since[key] = ts
        for key in [k for k in self._down_since if k not in current]:  # back up: its down time, kiosks' uptime
            down = sources.within_sessions(self._down_since[key], ts, self._sessions()) if self._is_kiosk(key) else {}
            with self.store.transaction() as conn:
                self.store.log_device_state(conn, key, "ok", ts, {"down_minutes": down} if down else {})
                for fact in sources.kiosk_down(key, down):
                    rollups.record(conn, *fact)
            del self._down_since[key]
        for key, old in list(self._device_alerts.items()):
            if key not in current:
                back = views_now.get(key, old)
                published += self._device_alert({**old, "status": back["status"], "reason_zh": back["reason_zh"],
                                                 "reason_en": back["reason_en"]}, active=False)
        self._device_alerts = current
        return published

    def _is_kiosk(self, device: str) -> bool:
        """A kiosk itself (not one of its parts): its time at fault or offline counts against kiosk uptime."""
        try:
            return "/" not in device and self.config.device(device).role == "kiosk"
        except KeyError:
            return False

    def _device_alert(self, d: dict, active: bool) -> list[EventRow]:
        parent = d.get("parent") or d["device"]
        data = alert_data(parent, str(d["name"]).split(" · ")[0], d.get("part"),
                          HealthView(d["status"], d["reason_zh"], d["reason_en"]), active)
        return [self.publish_event("alert", area, data) for area in d["alert_areas"]]

    def today(self) -> date:
        return self.clock().date()
