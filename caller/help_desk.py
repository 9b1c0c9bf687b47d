"""The help desk: kiosks' "呼叫工作人员" calls, from the press to the close (the steps are caller/help.py).

Given what it needs by the service: the store (calls, audit, events and the cockpit's counts are written in one
transaction), the event hub (the consoles' alerts, and the loop a waiting kiosk is parked on), the clock, the
service lock and the hospital file (which areas answer which device; ``reconfigure`` on a reload).
"""
from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import datetime, timedelta
from typing import Callable

from caller.auth import Principal, forbidden
from caller.events import EventHub
from caller.help import HelpCall
from caller.idempotency import idempotency_scope, replay, request_hash
from caller.store import AuditRow, ChangeRows, EventRow, Store
from cockpit import rollups, sources
from common.config import HospitalConfig
from common.device_settings import KioskSettings
from common.refusal import not_found


class HelpDesk:
    """The open calls (kept in memory, stored with every step) and the closed ones since start."""

    def __init__(self, config: HospitalConfig, store: Store, hub: EventHub, clock: Callable[[], datetime],
                 lock: threading.RLock):
        self.config = config
        self.store = store
        self.hub = hub
        self.clock = clock
        self.lock = lock
        self._open = {row["id"]: HelpCall.from_row(row) for row in store.help_calls(open_only=True)}
        self._closed: dict[str, HelpCall] = {}  # closed since start: the kiosk reads how its call ended
        self._waiters: dict[str, asyncio.Event] = {}  # help id -> the event a waiting kiosk request is parked on

    def reconfigure(self, config: HospitalConfig) -> None:
        self.config = config

    def areas(self, device_id: str) -> list[str]:
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

    # ------------------------------------------------------------------------------ steps
    def request(self, who: Principal, screen: str = "", idempotency_key: str | None = None) -> dict:
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
            existing = next((c for c in self._open.values() if c.device == who.device), None)
            if existing is not None:
                return self._response(existing, replayed=True)
            now = self.clock()
            call = HelpCall(id=f"H{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}", device=who.device,
                            device_name=self.device_name(who.device), screen=screen,
                            areas=self.areas(who.device), created_at=now.isoformat(timespec="milliseconds"))
            events = self._save(call, call.areas, "help", who, {"screen": screen, "areas": call.areas})
            response = self._response(call)
            response["seq"] = events[-1].seq if events else self.hub.seq
            if key:
                with self.store.transaction() as conn:
                    self.store.save_idempotent(conn, key, who.device, 200, response, self.clock(), body_hash)
        return response

    def status(self, who: Principal, help_id: str) -> dict:
        """The kiosk's view of its own call (consoles of the call's areas may read it too)."""
        with self.lock:
            call = self._open.get(help_id) or self._closed.get(help_id) or self._call(help_id)
            self._check_reader(who, call)
            return self._response(call)

    def open_calls(self, area: str) -> list[dict]:
        """The calls still open or being handled that reached ``area`` (a console that starts loads these)."""
        with self.lock:
            return [c.alert() for c in self._open.values() if area in c.areas]

    def acknowledge(self, who: Principal, help_id: str) -> dict:
        """"我来处理": the kiosk learns who is coming; the other consoles drop the banner."""
        with self.lock:
            call = self._call(help_id)
            self._check_reader(who, call)
            ts = self.clock().isoformat(timespec="milliseconds")
            call.acknowledge(ts, who.user or who.device, who.user_name or "", who.user_role or "",
                             self.device_name(who.device))
            self._save(call, call.areas, "help_ack", who, {"seconds": call.seconds_to_ack()})
            return self._response(call)

    def close(self, who: Principal, help_id: str, outcome: str) -> dict:
        """Staff close the call (resolved / patient_gone); the kiosk's patient cancels it (cancelled)."""
        with self.lock:
            call = self._call(help_id)
            self._check_reader(who, call)
            if (outcome == "cancelled") != (who.role == "kiosk"):
                raise forbidden("以此方式结束呼叫", "closing the call this way")
            ts = self.clock().isoformat(timespec="milliseconds")
            call.close(ts, who.user or who.device, outcome)  # type: ignore[arg-type]
            self._save(call, call.areas, "help_cancel" if outcome == "cancelled" else "help_close", who,
                       {"outcome": outcome, "seconds": call.seconds_to_close()})
            return self._response(call)

    def check_escalations(self) -> list[EventRow]:
        """Calls nobody acknowledged within ``[help].escalate_after_s``: alert more areas, tell the kiosk."""
        published: list[EventRow] = []
        with self.lock:
            now = self.clock()
            limit = timedelta(seconds=self.config.help.escalate_after_s)
            wider = list(self.config.help.escalate_to) or [a.id for a in self.config.areas]
            for call in list(self._open.values()):
                if call.state != "open" or call.escalated_at or now - datetime.fromisoformat(call.created_at) < limit:
                    continue
                added = call.escalate(now.isoformat(timespec="milliseconds"), wider)
                system = Principal(role="admin", device="caller-service")
                published += self._save(call, call.areas, "help_escalate", system, {"added": added})
        return published

    async def wait(self, who: Principal, help_id: str, version: int, timeout: float) -> dict:
        """A kiosk waits for the next step of its call (long poll, on the event loop)."""
        status = self.status(who, help_id)
        if status["version"] != version or status["state"] == "closed":
            return status
        waiter = self._waiters.setdefault(help_id, asyncio.Event())
        try:
            await asyncio.wait_for(waiter.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return self.status(who, help_id)

    # ---------------------------------------------------------------------------- inside
    def device_name(self, device_id: str) -> str:
        try:
            return self.config.device(device_id).name or device_id
        except KeyError:
            return device_id

    def _response(self, call: HelpCall, replayed: bool = False) -> dict:
        out = {"device": call.device, "name": call.device_name, "areas": list(call.areas), **call.kiosk_view()}
        if replayed:
            out["replayed"] = True
        return out

    def _check_reader(self, who: Principal, call: HelpCall) -> None:
        if who.is_admin or (who.role == "kiosk" and who.device == call.device):
            return
        if who.role == "console" and any(who.may_see_area(a) for a in call.areas):
            return
        raise forbidden("查看这次呼叫", "reading this help call")

    def _call(self, help_id: str) -> HelpCall:
        call = self._open.get(help_id)
        if call is None:
            raise not_found("呼叫", "help call", help_id)
        return call

    def _save(self, call: HelpCall, areas: list[str], action: str, who: Principal, detail: dict) -> list[EventRow]:
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
            self._open.pop(call.id, None)
            self._closed[call.id] = call
        else:
            self._open[call.id] = call
        self.hub.publish(events)
        self._wake(call.id)
        return events

    def _wake(self, help_id: str) -> None:
        loop = self.hub.loop
        if loop is None:
            return

        def wake() -> None:
            waiter = self._waiters.pop(help_id, None)
            if waiter is not None:
                waiter.set()

        loop.call_soon_threadsafe(wake)
