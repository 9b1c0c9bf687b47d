"""The HIS link inside the caller service: the chosen driver, what goes out through the outbox, and its state.

`install(app, service, records, hooks)` is called by `records.api.install`. With ``[his] driver = "local"`` nothing starts
and nothing leaves the hospital. Otherwise:

* what the service does that the HIS wants (a new record, a booking or its cancellation, a payment, a queue step)
  is turned into the driver's message by `Outbound` **inside the transaction that did it**, into the service's
  durable outbox (table ``notify_outbox``, channel ``his``, one recipient per patient), so nothing is lost when
  the HIS is away, however long, and a patient's messages leave in the order they were made;
* a sender thread of its own takes them out (`caller.notify.sender.Sender`, channel ``his`` only), pausing with a
  growing wait while the HIS does not answer;
* `LinkState` says whether the HIS answers, how many messages wait and how many were refused: the kiosk's
  ``/records/his/status``, the console and ``/metrics`` read it.
"""
from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, AsyncIterator, Callable, Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from caller.api.app import API_PREFIX
from caller.notify.model import Message
from caller.notify.outbox import Outbox
from caller.notify.sender import Sender
from caller.plugins import ServiceHooks
from common.notify_settings import NotifySettings
from records.audit import current_actor
from records.his.api import router
from records.his.backend import HisRecords

log = logging.getLogger("records.his")

HIS_CHANNEL = "his"
QUEUED = ("waiting", "room_waiting")


def rows(conn: Any, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    """Rows as dicts on either connection (records' sqlite3.Row cursor or the store's tuples)."""
    cursor = conn.execute(sql, params)
    found = cursor.fetchall()  # first: in PostgreSQL's pipeline mode the description comes with the result
    names = [d[0] for d in cursor.description or ()]
    return [dict(r) if isinstance(r, Mapping) else dict(zip(names, tuple(r))) for r in found]


def one(conn: Any, sql: str, params: tuple = ()) -> dict[str, Any] | None:
    found = rows(conn, sql, params)
    return found[0] if found else None


@dataclass
class LinkState:
    """Whether the HIS answers, seen from both directions. Thread-safe enough for counters read by /metrics."""

    driver: str
    away_after: int = 1
    up: bool | None = None  # None: nothing exchanged yet
    failures_in_row: int = 0
    last_ok: str | None = None
    last_error: str = ""
    last_error_at: str | None = None
    refused: int = 0  # our messages the HIS refused (AE/AR, 4xx)
    inbound: dict[str, int] = field(default_factory=dict)  # ACK code -> count
    errors: dict[str, int] = field(default_factory=dict)  # kind -> count (outage, refused, inbound_ae, inbound_ar)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def exchanged(self, ok: bool, reason: str, now: datetime) -> None:
        with self.lock:
            if ok:
                self.up, self.failures_in_row, self.last_ok = True, 0, now.isoformat(timespec="seconds")
                return
            self.failures_in_row += 1
            self.last_error, self.last_error_at = reason, now.isoformat(timespec="seconds")
            self.errors["outage"] = self.errors.get("outage", 0) + 1
            if self.failures_in_row >= self.away_after:
                self.up = False

    def refusal(self, reason: str, now: datetime) -> None:
        with self.lock:
            self.refused += 1
            self.errors["refused"] = self.errors.get("refused", 0) + 1
            self.last_error, self.last_error_at = reason, now.isoformat(timespec="seconds")

    def acked(self, code: str) -> None:
        with self.lock:
            self.inbound[code] = self.inbound.get(code, 0) + 1
            if code in ("AE", "AR"):
                key = f"inbound_{code.lower()}"
                self.errors[key] = self.errors.get(key, 0) + 1

    @property
    def away(self) -> bool:
        return self.up is False


class HisOutbox(Outbox):
    """The service's outbox as the HIS sender uses it: a message refused for good is also counted."""

    on_refused: Callable[[Any, str], None] | None = None

    def set_state(self, message: Any, state: str, now: datetime, **kwargs: Any) -> None:
        super().set_state(message, state, now, **kwargs)
        if state == "failed" and self.on_refused is not None:
            self.on_refused(message, kwargs.get("error", ""))


class Outbound:
    """Turns records' audited actions and the queue's commands into the driver's messages, in their transaction.

    ``compose(kind, facts) -> text`` is the driver's (HL7 v2 message or FHIR request); ``kind`` is one of
    patient, booking, cancel, payment, arrived, called, done.
    """

    def __init__(self, service: Any, records: Any, compose: Callable[[str, dict[str, Any], datetime], list[tuple[str, str]]],
                 notifier: Any, retry_base: float, retry_max: float, kinds: Iterable[str] | None = None,
                 on_refused: Callable[[Any, str], None] | None = None):
        self.service = service
        self.records = records
        self.compose = compose
        self.kinds = set(kinds) if kinds is not None else None
        self.outbox = HisOutbox(service.store)
        settings = NotifySettings(quiet_hours="", rate_limit=100, rate_window_minutes=1,
                                  retry_base_seconds=retry_base, retry_max_seconds=max(retry_base, retry_max))
        self.outbox.on_refused = on_refused
        self.sender = Sender(self.outbox, {HIS_CHANNEL: notifier}, settings, service.clock,
                             channels=(HIS_CHANNEL,), name="his-sender")
        records.core.observers.append(self.on_records)

    # ----------------------------------------------------------------------------------------- observing
    def on_records(self, conn: Any, action: str, detail: dict[str, Any]) -> None:
        if current_actor().device == "his":
            return  # what the HIS told us is not told back
        if action == "patient_created":
            self._emit(conn, "patient", int(detail["patient_id"]), f"patient:{detail['patient_id']}")
        elif action == "registration_final":
            reg = detail["registration_id"]
            self._emit(conn, "booking", self._patient_of_registration(conn, reg), f"booking:{reg}", registration_id=reg)
        elif action == "registration_cancelled":
            reg = detail["registration_id"]
            self._emit(conn, "cancel", self._patient_of_registration(conn, reg), f"cancel:{reg}", registration_id=reg)
        elif action == "bill_paid":
            bill = detail["bill_id"]
            self._emit(conn, "payment", int(detail.get("patient_id") or self._patient_of_bill(conn, bill)),
                       f"payment:{bill}:{detail.get('order_id')}", bill_id=bill, order_id=detail.get("order_id"))

    def on_change(self, conn: Any, command: str, change: Any, now: datetime) -> None:
        visits = {v.id: v for v in change.visits}
        for entry in change.audit:
            visit = visits.get(entry.visit_id) if entry.visit_id else None
            if visit is None or not str(visit.patient_id).isdigit():
                continue  # a visit without a record here (typed in at a console): the HIS does not know it
            after, before = entry.after_state, entry.before_state
            if after in QUEUED and before in (None, "registered"):
                what = "arrived"
            elif after == "called" and before != "called":
                what = "called"
            elif after == "done" and before != "done":
                what = "done"
            else:
                continue
            patient = int(visit.patient_id)
            if one(conn, "SELECT id FROM rec_patients WHERE id = ?", (patient,)) is None:
                continue
            self._emit(conn, what, patient, f"queue:{visit.id}:{what}:{now.isoformat(timespec='milliseconds')}",
                       visit={"visit_id": visit.id, "department_id": visit.dept_id, "room_id": visit.room_id,
                              "doctor_id": visit.doctor_id, "ticket": visit.ticket, "area_id": visit.area_id},
                       now=now)

    # ----------------------------------------------------------------------------------------- facts
    @staticmethod
    def _patient_of_registration(conn: Any, reg: int) -> int:
        return int(one(conn, "SELECT patient_id FROM rec_registrations WHERE id = ?", (reg,))["patient_id"])

    @staticmethod
    def _patient_of_bill(conn: Any, bill: int) -> int:
        return int(one(conn, "SELECT patient_id FROM rec_bills WHERE id = ?", (bill,))["patient_id"])

    def facts(self, conn: Any, kind: str, patient_id: int, **extra: Any) -> dict[str, Any]:
        patient = one(conn, "SELECT id, id_number, name, gender, birth_date, address, phone, medical_card_no "
                            "FROM rec_patients WHERE id = ?", (patient_id,))
        his = one(conn, "SELECT his_id FROM his_ids WHERE kind = 'patient' AND local_id = ? ORDER BY his_id",
                  (patient_id,))
        facts: dict[str, Any] = {"patient": patient, "his_id": his["his_id"] if his else None}
        if kind in ("booking", "cancel"):
            reg = one(conn, "SELECT r.id, r.date, r.kind, r.fee_fen, r.visit_id, s.doctor_id, s.department_id, "
                            "s.room_id, t.starts, t.ends FROM rec_registrations r JOIN rec_sessions s ON s.id = r.session_id "
                            "JOIN rec_slots t ON t.id = r.slot_id WHERE r.id = ?", (extra["registration_id"],))
            appt = one(conn, "SELECT his_id FROM his_ids WHERE kind = 'appointment' AND local_id = ?", (reg["id"],))
            reg["his_id"] = appt["his_id"] if appt else None
            doctor = self.records.core.doctor(reg["doctor_id"])
            department = self.records.core.department(reg["department_id"])
            reg["doctor_name"] = getattr(doctor, "name", "")
            reg["department_name"] = getattr(department, "name", "")
            facts["registration"] = reg
        elif kind == "payment":
            facts["bill"] = one(conn, "SELECT * FROM rec_bills WHERE id = ?", (extra["bill_id"],))
            facts["items"] = rows(conn, "SELECT name, quantity, unit, unit_fen, amount_fen FROM rec_bill_items "
                                        "WHERE bill_id = ? ORDER BY id", (extra["bill_id"],))
            order = one(conn, "SELECT id, method, provider_ref, paid_at, amount_fen FROM rec_orders WHERE id = ?",
                        (extra["order_id"],)) if extra.get("order_id") is not None else None
            facts["payment"] = {"order_id": order["id"], "method": order["method"], "provider_ref": order["provider_ref"],
                                "paid_at": order["paid_at"], "amount_fen": order["amount_fen"]} if order else {}
        elif kind in ("arrived", "called", "done"):
            facts["visit"] = extra["visit"]
        return facts

    def _emit(self, conn: Any, kind: str, patient_id: int, key: str, now: datetime | None = None, **extra: Any) -> None:
        if self.kinds is not None and kind not in self.kinds:
            return
        now = now or self.service.clock()
        facts = self.facts(conn, kind, patient_id, **extra)
        if facts["patient"] is None:
            return
        messages = [Message(key=f"his:{key}{suffix}", event=kind, channel=HIS_CHANNEL, recipient=f"patient:{patient_id}",
                            template=label, params={"patient_id": patient_id}, text=text, visit_id=None, due_at=now)
                    for suffix, label, text in self.compose(kind, facts, now)]
        # the store's own connection (records share it, and this transaction): it speaks PostgreSQL too
        if self.outbox.enqueue(self.service.store.conn, messages, now):
            self.sender.wake()

    # ----------------------------------------------------------------------------------------- state
    def backlog(self) -> dict[str, Any]:
        counts = self.outbox.counts((HIS_CHANNEL,))
        oldest = one(self.service.store.conn, "SELECT MIN(created_at) AS at FROM notify_outbox WHERE channel = ? "
                                              "AND state IN ('pending', 'sending')", (HIS_CHANNEL,))
        return {"waiting": counts.get("pending", 0) + counts.get("sending", 0), "sent": counts.get("sent", 0),
                "refused": counts.get("failed", 0), "oldest_waiting": oldest["at"] if oldest else None}


def control_prefix(db: Any) -> str:
    """A short random prefix of this database's MSH-10s, made once: a rebuilt database never reuses one."""
    with db.transaction() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS his_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM his_meta WHERE key = 'control_prefix'").fetchone()
        if row is not None:
            return str(row[0])
        prefix = "K" + secrets.token_hex(3).upper()
        conn.execute("INSERT INTO his_meta (key, value) VALUES ('control_prefix', ?)", (prefix,))
        return prefix


class HisLink:
    """One per service: the driver's parts, started and stopped with the app."""

    def __init__(self, service: Any, records: Any, settings: Any):
        self.service = service
        self.records = records
        self.settings = settings
        self.state = LinkState(settings.driver, settings.away_after_failures)
        self.outbound: Outbound | None = None
        self.listener: Any = None
        self.driver: Any = None  # the fhir driver (records.his.fhir.driver.FhirDriver) when that one runs
        if settings.driver == "hl7v2":
            self._hl7v2()
        elif settings.driver == "fhir":
            self._fhir()

    def _hl7v2(self) -> None:
        from records.his.hl7v2 import messages  # noqa: PLC0415 - the HL7 v2 driver loads only when [his] names it
        from records.his.hl7v2.codec import Header  # noqa: PLC0415 - the HL7 v2 driver loads only when [his] names it
        from records.his.hl7v2.inbound import Inbound  # noqa: PLC0415 - the HL7 v2 driver loads only when [his] names it
        from records.his.hl7v2.mllp import MllpListener, MllpNotifier  # noqa: PLC0415 - the HL7 v2 driver loads only when [his] names it

        cfg = self.settings.hl7v2
        header = Header(cfg.sending_application, cfg.sending_facility, cfg.receiving_application,
                        cfg.receiving_facility, cfg.processing_id, cfg.charset)
        self.inbound = Inbound(self.records, self.service.clock)
        self.listener = MllpListener(self.inbound.apply, cfg.listen_host, cfg.listen_port, self.service.clock,
                                     cfg.sending_application, cfg.sending_facility,
                                     observe=lambda code, seconds: self.state.acked(code))
        notifier = MllpNotifier(cfg.his_host, cfg.his_port, cfg.charset, cfg.ack_timeout_seconds,
                                control_prefix(self.records.db), on_result=self._exchanged)

        def compose(kind: str, facts: dict[str, Any], now: datetime) -> list[tuple[str, str, str]]:
            patient, his = facts["patient"], facts["his_id"]
            if kind == "patient":
                return [("", "ADT^A04", messages.adt_a04(header, patient, his, now))]
            if kind == "booking":
                return [("", "SIU^S12", messages.siu_s12(header, patient, his, facts["registration"], now))]
            if kind == "cancel":
                return [("", "SIU^S15", messages.siu_s15(header, patient, his, facts["registration"], now))]
            if kind == "payment":
                return [("", "DFT^P03", messages.dft_p03(header, patient, his, facts["bill"], facts["items"],
                                                         facts["payment"], now))]
            label = "ADT^A09" if kind == "done" else "ADT^A10"
            return [("", label, messages.queue_event(header, patient, his, facts["visit"], kind, now))]

        self.outbound = Outbound(self.service, self.records, compose, notifier, self.settings.retry_base_seconds,
                                 self.settings.retry_max_seconds, on_refused=self._refused)

    def _fhir(self) -> None:
        from records.his.fhir.driver import FhirDriver  # noqa: PLC0415 - the FHIR driver (fhir.resources) loads only when [his] names it

        self.driver = FhirDriver(self.service, self.records, self.settings, self.state)
        self.outbound = Outbound(self.service, self.records, self.driver.compose, self.driver.notifier,
                                 self.settings.retry_base_seconds, self.settings.retry_max_seconds,
                                 on_refused=self._refused)

    def _exchanged(self, ok: bool, reason: str) -> None:
        self.state.exchanged(ok, reason, self.service.clock())

    def _refused(self, message: Any, reason: str) -> None:
        """A message the HIS refused for good: kept in the outbox as failed, counted, listed on the console."""
        self.state.refusal(reason, self.service.clock())
        log.error("the HIS refused %s (%s): %s", message.template, message.key, reason)

    # ----------------------------------------------------------------------------------------- lifecycle
    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        if self.listener is not None:
            await self.listener.start()
        if self.outbound is not None:
            self.outbound.sender.start()
        if self.driver is not None:
            self.driver.start()
        try:
            yield
        finally:
            if self.driver is not None:
                self.driver.stop()
            if self.outbound is not None:
                self.outbound.sender.stop()
            if self.listener is not None:
                await self.listener.stop()
            if self.driver is not None:
                self.driver.close()

    def status(self) -> dict[str, Any]:
        """The link as the console and /metrics see it."""
        state = self.state
        backlog = self.outbound.backlog() if self.outbound is not None else {"waiting": 0, "sent": 0, "refused": 0,
                                                                            "oldest_waiting": None}
        return {"driver": state.driver, "up": state.up if state.driver != "local" else True, "away": state.away,
                "failures_in_row": state.failures_in_row, "last_ok": state.last_ok, "last_error": state.last_error,
                "last_error_at": state.last_error_at, "backlog": backlog, "errors": dict(state.errors),
                "inbound": dict(state.inbound),
                "listen_port": getattr(self.listener, "port", None)}


class HisCollector:
    """/metrics: the HIS link's state, backlog and errors (read at scrape time)."""

    def __init__(self, link: HisLink):
        self.link = link

    def collect(self) -> Iterator[Any]:
        status = self.link.status()
        driver = status["driver"]
        up = GaugeMetricFamily("hospital_his_link_up", "1 while the HIS answers (or the driver is local), 0 while away",
                               labels=["driver"])
        up.add_metric([driver], 0 if status["away"] else 1)
        yield up
        backlog = GaugeMetricFamily("hospital_his_backlog_messages", "Messages for the HIS waiting in the outbox")
        backlog.add_metric([], status["backlog"]["waiting"])
        yield backlog
        oldest = GaugeMetricFamily("hospital_his_oldest_waiting_seconds", "Age of the oldest message waiting for the HIS")
        since = status["backlog"]["oldest_waiting"]
        age = (self.link.service.clock() - datetime.fromisoformat(since)).total_seconds() if since else 0.0
        oldest.add_metric([], max(0.0, age))
        yield oldest
        errors = CounterMetricFamily("hospital_his_errors", "HIS link errors: outage (no answer), refused (our "
                                     "message AE/AR), inbound_ae / inbound_ar (theirs)", labels=["kind"])
        for kind in ("outage", "refused", "inbound_ae", "inbound_ar"):
            errors.add_metric([kind], status["errors"].get(kind, 0))
        yield errors
        inbound = CounterMetricFamily("hospital_his_inbound_messages", "Messages from the HIS by our ACK", labels=["ack"])
        for code, n in sorted(status["inbound"].items()):
            inbound.add_metric([code], n)
        yield inbound


def install(app: Any, service: Any, records: Any, hooks: ServiceHooks) -> HisLink:
    """Start the driver the hospital file names ([his]); `app.state.his` is the link (also for `local`)."""

    link = HisLink(service, records, service.config.his)
    app.state.his = link
    app.include_router(router, prefix=API_PREFIX)
    service.metrics.registry.register(HisCollector(link))
    if link.driver is not None:  # a HIS that answers questions: asked first, then the local records answer

        app.state.records = HisRecords(records, link.driver)
    if link.outbound is not None:  # told of every queue command inside its transaction
        hooks.changes.append(link.outbound.on_change)
    hooks.lifespan.append(link.running)
    return link
