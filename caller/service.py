"""The caller service: the queue engine in memory, the durable store and the live event hub, together.

A command is the only way the queue changes: :meth:`CallerService.execute` / :meth:`CallerService.submit` hand it
to the command runner (caller/command_runner.py), which under one lock applies it to the engine, writes the whole
Change in one transaction and only then publishes the events with their durable seq; if writing fails the engine
is rebuilt from the store (:meth:`CallerService.reload`), so memory never runs ahead of the disk. The service
builds its collaborators, each given what it needs (docs/architecture.md), and answers the lookups and queries.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from caller import views
from caller.auth import Authenticator, Principal
from caller.check_in_codes import CheckInCodes
from caller.cockpit_feed import CockpitFeed
from caller.command_runner import CommandRunner, ExtraWrites
from caller.device_watch import DeviceWatch
from caller.engine.engine import QueueEngine
from caller.engine.model import FINAL_STATES, RoomState, Visit
from caller.events import EventHub
from caller.help_desk import HelpDesk
from caller.journey_view import journey_status, specimen_labels, station_step
from caller.lookup import Lookup
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
from cockpit import pdca, rollups, sources
from cockpit.kpis import target_problems
from common.clock import HospitalClock, clock_rate, with_zone, zone
from common.config import ConfigError, HospitalConfig, load_hospital
from common.wire import Order

log = logging.getLogger("caller.service")


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
        self.lookup = Lookup(config, lambda: self.engine, self.store)  # where is an area, room, department, visit
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
        self.statuses = VisitStatus(lambda: self.engine, lambda: self.config, self.clock, lambda: self.ticket_links)
        self.cockpit_feed = CockpitFeed(config, lambda: self.engine, self.store, self.clock, self.lock,
                                        estimate=self.statuses.estimate, wait_alerts=self.wait_alerts,
                                        request_device=self.hooks.device_of_request)
        self.engine = self._build_engine()
        with self.store.transaction() as conn:
            self.ticket_links = TicketLinks(load_or_create_secret(conn))
        self.notify = Notifications(self)  # the sender starts with the app (caller/api/app.py)
        self.metrics = ServiceMetrics(self)
        self.hub.on_fan_out = self.metrics.fanout_seconds.observe
        self.hub.on_frames = self.metrics.frames
        # the write path: apply, write in one transaction (group commit), then publish
        self.commands = CommandRunner(
            self.store, self.clock, engine=lambda: self.engine, config=lambda: self.config, hub=self.hub,
            notify=self.notify, cockpit_feed=self.cockpit_feed, wait_alerts=self.wait_alerts, statuses=self.statuses,
            hooks=self.hooks, metrics=self.metrics, visit=self.lookup.visit, reload=self.reload,
            stale=lambda: self._engine_stale)
        self.started_at = self.clock()

    # ------------------------------------------------------------------ engine <-> store
    def _build_engine(self) -> QueueEngine:
        since = (self.clock().date() - timedelta(days=1)).isoformat()
        state = self.store.load(since_day=since)
        self.cockpit_feed.reset(state.visits, state.rooms, since)  # the rollups take a visit's previous facts from these
        self.statuses.changed()  # what was computed from the engine before is stale
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
            for part in (self.help_desk, self.device_watch, self.wait_alerts, self.cockpit_feed, self.notify,
                         self.lookup):
                part.reconfigure(new)
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
        self.commands.writer.stop()
        self.store.close()
        if self._running is not None:
            self._running.close()
            self._running = None

    # ------------------------------------------------------------------------ commands
    # the write path is the command runner's (caller/command_runner.py): service.commands.execute_batch, ...
    def execute(self, command: str, who: Principal, *, idempotency_key: str | None = None,
                extra_writes: ExtraWrites | None = None, **args: Any) -> dict:
        """Apply one command durably, wait for its commit (:meth:`caller.command_runner.CommandRunner.execute`)."""
        return self.commands.execute(command, who, idempotency_key=idempotency_key, extra_writes=extra_writes, **args)

    async def submit(self, command: str, who: Principal, *, idempotency_key: str | None = None,
                     extra_writes: ExtraWrites | None = None, **args: Any) -> dict:
        """:meth:`execute` without holding the event loop (:meth:`caller.command_runner.CommandRunner.submit`)."""
        return await self.commands.submit(command, who, idempotency_key=idempotency_key, extra_writes=extra_writes,
                                          **args)

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

    # ------------------------------------------------------------------------- lookups (caller/lookup.py)
    # the API's checks of where a device may act ask these (caller/api/queue.py, journey.py, events_ws.py)
    def has_area(self, area_id: str) -> bool:
        return self.lookup.has_area(area_id)

    def check_area(self, area_id: str) -> str:
        return self.lookup.check_area(area_id)

    def area_of_room(self, room_id: str) -> str:
        return self.lookup.area_of_room(room_id)

    def area_of_department(self, dept_id: str) -> str:
        return self.lookup.area_of_department(dept_id)

    def visit(self, visit_id: str) -> Visit:
        """A visit of the engine (today's and yesterday's), or 404."""
        return self.lookup.visit(visit_id)

    def area_of_visit(self, visit_id: str) -> str:
        return self.lookup.area_of_visit(visit_id)

    def prune(self) -> dict[str, int]:
        """Apply the hospital's retention (see Store.prune)."""
        return self.store.prune(self.clock(), self.config.retention, replay_limit=self.hub.replay_limit)

    # ------------------------------------------------------------------------- queries
    # the status and snapshot queries are the presenter's (caller/visit_status.py), under the service's lock
    def area_snapshot(self, area_id: str, audience: str = "public") -> dict:
        with self.lock:
            return self.statuses.area_snapshot(area_id, audience == "public")

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

    def ticket_token(self, visit_id: str) -> str:
        """The token of the visit's public ticket page ``/t/<token>`` (see caller/ticket_links.py)."""
        return self.ticket_links.token(self.visit(visit_id))

    def visit_of_ticket_token(self, token: str) -> str | None:
        """The visit a ticket page token opens, if it is a visit of today; None for any other token."""
        with self.lock:
            return self.ticket_links.visit_id(token, self.engine.visits, self.today())

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
