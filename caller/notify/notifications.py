"""Notifications inside the caller service: opt-ins, planning per command, the outbox and its sender."""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from caller.engine.model import Change, UnknownThing, Visit
from caller.notify import plan
from caller.notify.adapters import notifiers as make_notifiers
from caller.notify.model import CHANNELS, Message, Notifier, Outgoing
from caller.notify.outbox import Outbox
from caller.notify.reminders import EVENTS as REMINDERS
from caller.notify.reminders import ReminderScheduler
from caller.notify.sender import Sender
from caller.notify.texts import render
from caller.store import AuditRow, ChangeRows
from common.privacy import mask_phone
from common.refusal import Refusal

if TYPE_CHECKING:
    from caller.auth import Principal

log = logging.getLogger("caller.notify")

CallerService = Any  # caller.service.CallerService; not imported, because the service imports this module

PHONE = re.compile(r"^1\d{10}$")
OPENID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class NotifyError(Refusal):
    """A refused opt-in: a bad phone number or openid (422), a channel the hospital has not opened (409)."""

    status = 422


class Notifications:
    """One per service. ``plan`` runs under the service lock; the sender runs in its own thread."""

    def __init__(self, service: "CallerService", notifiers: dict[str, Notifier] | None = None):
        self.service = service
        self.settings = service.config.notify
        self.outbox = Outbox(service.store)
        self.notifiers = notifiers if notifiers is not None else make_notifiers(self.settings, service.config.hospital.name)
        self.reminders = ReminderScheduler(lambda: self.service.config, lambda: self.settings, self._enqueue_now,
                                           lambda: self.notifiers.keys())
        self.sender = Sender(self.outbox, self.notifiers, self.settings, service.clock, self.still_true,
                             plan=self.reminders.tick, channels=("-his", "-einvoice", "-medins"))
        # the HIS link sends its own channel, the platforms' sender theirs (records/insurance/sending.py)
        self._started = False
        self._optins: dict[str, list[tuple[str, str]]] = self.outbox.optins()  # visit id -> [(channel, to)]

    # ------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if not self._started:
            self._started = True
            self.sender.start()

    def stop(self) -> None:
        if self._started:
            self._started = False
            self.sender.stop()

    def reconfigure(self, config) -> None:
        """A reloaded hospital file: new ``[notify]`` gateways and limits for the running sender. Queued messages
        stay in the outbox and go through the new gateways; nothing is lost or sent twice."""
        if config.notify == self.settings and config.hospital.name == self.service.config.hospital.name:
            self.settings = config.notify
            return
        try:
            notifiers = make_notifiers(config.notify, config.hospital.name)
        except ValueError as exc:  # e.g. a secret_file that cannot be read: keep sending as before
            log.error("[notify] of the reloaded file not applied, the running gateways are kept: %s", exc)
            return
        self.sender.reconfigure(notifiers, config.notify)
        self.notifiers, self.settings = notifiers, config.notify
        log.info("notifications reconfigured: channels %s", sorted(notifiers) or "none")

    # -------------------------------------------------------------- planning
    def _context(self, now: datetime) -> plan.Context:
        engine = self.service.engine

        def queued_in(area: str) -> list[Visit]:
            out = []
            for visit_id in list(self._optins):
                try:
                    visit = engine.visit(visit_id)
                except UnknownThing:
                    self._optins.pop(visit_id, None)  # a visit of an older day
                    continue
                if visit.area_id == area and visit.state in plan.QUEUED:
                    out.append(visit)
            return out

        def optins(visit_ids) -> dict[str, list[tuple[str, str]]]:
            return {v: self._optins[v] for v in visit_ids if v in self._optins}

        places: dict[str, dict[str, tuple[int, float]]] = {}  # area -> visit -> (ahead, minutes): one pass per area

        def ahead(visit: Visit) -> int:
            if visit.area_id not in places:
                places[visit.area_id] = engine.positions(visit.area_id)
            place = places[visit.area_id].get(visit.id)
            return place[0] if place is not None else engine.position(visit.id)[0]

        return plan.Context(config=self.service.config, settings=self.settings, now=now, optins=optins,
                            visit=engine.visit, ahead=ahead, queued_in=queued_in)

    def plan(self, change: Change, now: datetime) -> list[Message]:
        """The messages of one command (called under the service lock, before its transaction)."""
        if not self.notifiers or not self._optins:
            return []
        return plan.plan_change(change, self._context(now))

    def about_visit(self, conn, visit_id: str, event: str, key: str, params: dict[str, Any]) -> int:
        """A message about a visit that is not a queue command (records' 停诊 of a doctor's session), written in
        the caller's open transaction on the service's database. Returns how many were added."""
        if not self.notifiers or visit_id not in self._optins:
            return 0
        return self._write(conn, [(self.service.engine.visit(visit_id), self._optins[visit_id])], event, key, params)

    def about_patient(self, conn, patient_id: int | str, event: str, key: str, params: dict[str, Any]) -> int:
        """A message about a patient (records' report released): to the numbers they gave for today's visits."""
        if not self.notifiers:
            return 0
        targets = []
        for visit_id, optins in list(self._optins.items()):
            try:
                visit = self.service.engine.visit(visit_id)
            except UnknownThing:  # a visit of an older day
                continue
            if str(visit.patient_id) == str(patient_id) and visit.day == self.service.today():
                targets.append((visit, optins))
        return self._write(conn, targets[:1], event, key, params)  # one visit's numbers: one message each

    def to_recipients(self, conn, recipients: list[tuple[str, str]], event: str, key: str,
                      params: dict[str, Any]) -> int:
        """A message to addresses records keep (a patient's appointment reminder opt-ins) about no visit: the
        停诊 of a session the patient booked, written in records' open transaction on the service's database."""
        raw = getattr(conn, "raw", conn)
        if raw is not self.service.store.conn or not self.notifiers:
            return 0
        now = self.service.clock()
        values = {"hospital": self.service.config.hospital.name, **params}
        messages = [Message(key=f"{key}:{channel}", event=event, channel=channel, recipient=to, template=event,
                            params=values, text=render(event, values), visit_id=None, due_at=now,
                            expires_at=now + plan.EXPIRES[event])
                    for channel, to in recipients if channel in self.notifiers]
        added = self.outbox.enqueue(raw, messages, now)
        if added:
            self.sender.wake()
        return added

    def _write(self, conn, targets, event: str, key: str, params: dict[str, Any]) -> int:
        writer = self.service.store.conn  # records hands its row-factory wrapper of the same connection
        if getattr(conn, "raw", conn) is not getattr(writer, "raw", writer) or not targets:
            return 0  # records on a database of their own: the outbox is not in that transaction
        context = self._context(self.service.clock())
        messages = [plan.message(context, visit, event, key, channel, to, **params)
                    for visit, optins in targets for channel, to in optins]
        added = self.outbox.enqueue(writer, messages, context.now)
        if added:
            self.sender.wake()
        return added

    def enqueue(self, conn, messages: list[Message], now: datetime) -> int:
        return self.outbox.enqueue(conn, messages, now)

    def _enqueue_now(self, messages: list[Message], now: datetime) -> int:
        with self.service.store.transaction() as conn:
            return self.outbox.enqueue(conn, messages, now)

    def still_true(self, message: Outgoing) -> bool:
        if message.event in REMINDERS:
            return self.reminders.still_true(message)
        visit = None
        if message.visit_id:
            try:
                visit = self.service.engine.visit(message.visit_id)
            except UnknownThing:
                return False  # a visit of an older day: its messages are stale
        return plan.still_true(message.event, visit, message.params)

    # --------------------------------------------------------------- opt-ins
    def opt_in(self, who: "Principal", visit_id: str, channel: str, recipient: str) -> dict[str, Any]:
        """A patient asks to be told (at the kiosk or through staff): one channel, one address."""
        recipient = (recipient or "").strip()
        if channel not in CHANNELS:
            raise NotifyError("invalid_request", "通知方式只能是短信或微信。", "channel must be sms or wechat")
        if channel not in self.notifiers:
            raise NotifyError("channel_unavailable", "对不起，本院暂未开通这种通知方式，请留意叫号屏和手机上的排队页面。",
                              f"The hospital has no {channel} gateway configured.", status=409)
        if channel == "sms" and not PHONE.match(recipient):
            raise NotifyError("invalid_phone", "手机号码应为 11 位数字，请核对后重新输入。",
                              "A mobile number has 11 digits starting with 1.")
        if channel == "wechat" and not OPENID.match(recipient):
            raise NotifyError("invalid_openid", "微信账号无效，请重新关注后再试。", "Not a WeChat openid.")
        service = self.service
        with service.lock:
            visit = service.visit(visit_id)
            now = service.clock()
            context = self._context(now)
            with service.store.transaction() as conn:
                self.outbox.opt_in(conn, visit_id, channel, recipient, who.actor, now)
                self._audit(conn, who, visit_id, "notify_optin", channel, recipient, now)
                new = self.outbox.enqueue(conn, plan.plan_ahead(context, visit, [(channel, recipient)]), now)
            mine = [(c, r) for c, r in self._optins.get(visit_id, []) if c != channel]
            self._optins[visit_id] = mine + [(channel, recipient)]
        if new:
            self.sender.wake()
        return {"visit_id": visit_id, "channel": channel, "to": self.masked(channel, recipient),
                "message_zh": "已为您开通通知，快到您时会提醒您。", "message_en": "You will be told when your turn is near."}

    def opt_out(self, who: "Principal", visit_id: str, channel: str) -> dict[str, Any]:
        service = self.service
        with service.lock:
            service.visit(visit_id)
            now = service.clock()
            with service.store.transaction() as conn:
                removed = self.outbox.opt_out(conn, visit_id, channel)
                if removed:
                    self._audit(conn, who, visit_id, "notify_optout", channel, "", now)
            left = [(c, r) for c, r in self._optins.get(visit_id, []) if c != channel]
            if left:
                self._optins[visit_id] = left
            else:
                self._optins.pop(visit_id, None)
        return {"visit_id": visit_id, "channel": channel, "removed": removed}

    def visit_view(self, visit_id: str) -> dict[str, Any]:
        """Opt-ins and messages of a visit, recipients masked (the console's visit audit)."""
        optins = self.outbox.optins([visit_id]).get(visit_id, [])
        messages = [{"event": m["event"], "channel": m["channel"], "to": self.masked(m["channel"], m["recipient"]),
                     "state": m["state"], "attempts": m["attempts"], "last_error": m["last_error"], "text": m["text"],
                     "due_at": m["due_at"]} for m in self.outbox.messages(visit_id)]
        return {"visit_id": visit_id, "optins": [{"channel": c, "to": self.masked(c, r)} for c, r in optins],
                "messages": messages}

    @staticmethod
    def masked(channel: str, recipient: str) -> str:
        return mask_phone(recipient) if channel == "sms" else recipient[:4] + "…"

    def _audit(self, conn, who: "Principal", visit_id: str, action: str, channel: str, recipient: str,
               now: datetime) -> None:
        detail = {"channel": channel}
        if recipient:
            detail["to"] = self.masked(channel, recipient)
        self.service.store.write_change(conn, ChangeRows(audit=[AuditRow(
            ts=now.isoformat(timespec="milliseconds"), user=who.user or "", device=who.device, action=action,
            visit_id=visit_id, detail=detail)]))
