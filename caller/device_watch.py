"""Device watch: heartbeats and health reports of kiosks, screens, speakers and their parts; offline detection.

Given what it needs by the service: the store (reports and the kept fault history), the clock, the service lock,
``publish`` (an ``alert`` event to an area, stored first), the service's own health (shown first in the list),
``help_areas`` (whom a lobby device's alerts reach) and the hospital file (``reconfigure`` on a reload).
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Callable

from caller.auth import Principal
from caller.cockpit_feed import opening_sessions
from caller.patient_guard import SECURITY_PART
from caller.store import EventRow, Store
from cockpit import rollups, sources
from common.clock import clock_rate
from common.config import HospitalConfig
from common.device_health import PART_ZH, PROBLEMS, HealthView, alert_data, evaluate
from common.refusal import Refusal

SUB_DEVICES_MAX = 16  # parts (printer, reader, scanner, ...) one device may report health for

Publish = Callable[[str, str, dict], EventRow]


class DeviceWatch:
    """The devices' last reports and requests, the alerts raised for them, and since when each is down."""

    def __init__(self, config: HospitalConfig, store: Store, clock: Callable[[], datetime], lock: threading.RLock, *,
                 publish: Publish, service_health: Callable[[], dict], help_areas: Callable[[str], list[str]]):
        self.config = config
        self.store = store
        self.clock = clock
        self.lock = lock
        self.publish = publish
        self.service_health = service_health
        self.help_areas = help_areas
        self._room_area = {r.id: a.id for a in config.areas for r in a.rooms}
        self._seen: dict[str, datetime] = {}  # device -> last request (any route) by the service clock
        self._alerts: dict[str, dict] = {}  # device or part -> its view while at fault / offline
        # device or part -> since when it is at fault or offline, from the kept history (survives a restart)
        self._down_since: dict[str, str] = {d: ts for d, (state, ts) in store.last_device_states().items()
                                            if state in PROBLEMS}

    def reconfigure(self, config: HospitalConfig) -> None:
        self.config = config
        self._room_area = {r.id: a.id for a in config.areas for r in a.rooms}

    # --------------------------------------------------------------------------- reports
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
        self.check_alerts()
        return {"device": device, "status": body.status, "ts": ts, "heartbeat_s": self.config.device_health.heartbeat_s}

    def security_alert(self, device: str, status: str, reason_zh: str, reason_en: str) -> None:
        """A kiosk suspended or a patient's second factor locked there (or lifted): shown on the consoles as the
        state of the kiosk's ``security`` part, through the device alerts they already show."""
        ts = self.clock().isoformat(timespec="seconds")
        if status != "ok":
            self.note_seen(device)  # it is the one asking: alive
        self.store.record_health(f"{device}/{SECURITY_PART}", status, reason_zh, reason_en, {}, ts)
        self.check_alerts()

    # ------------------------------------------------------------------------------ views
    def devices(self) -> list[dict]:
        """Every configured device and its reported parts, with the state to show (see common.device_health)."""
        now = self.clock()
        # devices beat every heartbeat_s real seconds; on a demo's fast clock that many seconds of its time pass
        limit = self.config.device_health.offline_after_s * clock_rate(self.clock)
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
        health = self.service_health()  # the service's own storage first: nothing else matters while it fails
        out.insert(0, {"device": "caller-service", "role": "service", "name": "叫号服务 / caller service",
                       "area": None, "room": None, "part": None,
                       "status": "ok" if health["status"] == "ok" else "offline",
                       "reason_zh": health.get("reason_zh", "数据存储正常"),
                       "reason_en": health.get("reason_en", "storage ok"), "ts": health["time"], "detail": {},
                       "alert_areas": []})
        return out

    def check_alerts(self) -> list[EventRow]:
        """Publish an alert when a device or part turns faulty or offline, and when it is fine again."""
        with self.lock:
            views_now = {d["device"]: d for d in self.devices()}
            return self._alerts_for(views_now)

    # ----------------------------------------------------------------------------- inside
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

    def _alerts_for(self, views_now: dict[str, dict]) -> list[EventRow]:
        published: list[EventRow] = []
        current = {k: d for k, d in views_now.items() if d["status"] in PROBLEMS}
        ts = self.clock().isoformat(timespec="seconds")
        for key, d in current.items():
            old = self._alerts.get(key)
            if old is None or old["status"] != d["status"]:
                published += self._alert(d, active=True)
            if key not in self._down_since:  # the cockpit counts each fault once, when it starts
                with self.store.transaction() as conn:
                    self.store.log_device_state(conn, key, d["status"], ts)
                    rollups.record(conn, *sources.device_fault(ts, key))
                self._down_since[key] = ts
        for key in [k for k in self._down_since if k not in current]:  # back up: its down time, kiosks' uptime
            down = (sources.within_sessions(self._down_since[key], ts, opening_sessions(self.config))
                    if self._is_kiosk(key) else {})
            with self.store.transaction() as conn:
                self.store.log_device_state(conn, key, "ok", ts, {"down_minutes": down} if down else {})
                for fact in sources.kiosk_down(key, down):
                    rollups.record(conn, *fact)
            del self._down_since[key]
        for key, old in list(self._alerts.items()):
            if key not in current:
                back = views_now.get(key, old)
                published += self._alert({**old, "status": back["status"], "reason_zh": back["reason_zh"],
                                          "reason_en": back["reason_en"]}, active=False)
        self._alerts = current
        return published

    def _is_kiosk(self, device: str) -> bool:
        """A kiosk itself (not one of its parts): its time at fault or offline counts against kiosk uptime."""
        try:
            return "/" not in device and self.config.device(device).role == "kiosk"
        except KeyError:
            return False

    def _alert(self, d: dict, active: bool) -> list[EventRow]:
        parent = d.get("parent") or d["device"]
        data = alert_data(parent, str(d["name"]).split(" · ")[0], d.get("part"),
                          HealthView(d["status"], d["reason_zh"], d["reason_en"]), active)
        return [self.publish("alert", area, data) for area in d["alert_areas"]]
