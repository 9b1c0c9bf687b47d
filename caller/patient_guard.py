"""A patient session needs the patient: throttles on second factors and on how fast a kiosk opens sessions.

A kiosk token can be copied; the patient at the kiosk cannot. So what a copied token could do in bulk is capped:

* **Second factors** (the last 4 digits of the phone on record, a card's name): after
  ``second_factor_tries`` (5) wrong ones for one patient (at any kiosk) that patient's second factor is
  **locked**; after ``kiosk_second_factor_tries`` (10) wrong ones at one kiosk within an hour (any
  patients) the kiosk is **suspended**. A locked patient identifies with the ID card on the reader or at the
  desk; staff lift the lock (``POST /api/v1/records/patients/{id}/unlock``).
* **Sessions**: a lobby kiosk opens a patient session every half minute at the busiest; more than
  ``kiosk_sessions_per_minute`` (10) in 60 s is a script, not a queue of people: the kiosk is **suspended** (every request
  with its token gets 403 ``device_suspended``) until staff review it and reinstate it
  (``POST /api/v1/devices/{device}/reinstate``).

Every lock and lift is audited with who did it, kept in the store (``guard_locks``: a restart does not lift
it), and shown on the consoles as a fault of the kiosk's ``security`` part (the device alerts they already show).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from caller.auth import device_suspended, factor_locked
from caller.store import AuditRow, ChangeRows, Store
from common.config import SecurityConfig

FACTOR_WINDOW_S = 3600.0
SECURITY_PART = "security"  # the kiosk's pseudo part whose fault the consoles show

Alert = Callable[[str, str, str, str], None]  # (device, status ok|fault, reason_zh, reason_en)


class PatientGuard:
    """Counts second-factor failures and sessions per kiosk; keeps the locks in the store."""

    def __init__(self, store: Store, limits: SecurityConfig, alert: Alert | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.limits = limits  # the hospital file's [security] (replaced on a reload)
        self.alert = alert or (lambda *_: None)
        self.clock = clock
        self._lock = threading.Lock()
        self._patient_failures: dict[int, int] = {}
        self._kiosk_failures: dict[str, deque[float]] = {}
        self._opened: dict[str, deque[float]] = {}
        self._locks: dict[tuple[str, str], dict] = {}
        self.reload()

    def reload(self) -> None:
        """The locks as the store has them (at start, and after a takeover)."""
        with self._lock:
            self._locks = {(kind, key): {"since": ts, **detail} for kind, key, ts, detail in self.store.guard_locks()}

    # ------------------------------------------------------------------ checks
    def suspended(self, device: str) -> bool:
        return ("kiosk", device) in self._locks

    def check_kiosk(self, device: str) -> None:
        if self.suspended(device):
            raise device_suspended()

    def check_patient(self, patient_id: int) -> None:
        if ("patient", str(patient_id)) in self._locks:
            raise factor_locked()

    def locks(self) -> list[dict]:
        """What is locked now, for staff."""
        return [{"kind": kind, "key": key, **detail} for (kind, key), detail in sorted(self._locks.items())]

    # ------------------------------------------------------------------ counting
    def factor_failed(self, device: str, patient_id: int) -> None:
        """A wrong second factor for ``patient_id`` at ``device``: lock and suspend when over the limits
        (and raise the refusal that says so)."""
        now = self.clock()
        with self._lock:
            count = self._patient_failures[patient_id] = self._patient_failures.get(patient_id, 0) + 1
            window = self._kiosk_failures.setdefault(device, deque())
            window.append(now)
            while window and now - window[0] > FACTOR_WINDOW_S:
                window.popleft()
            kiosk_over = len(window) >= self.limits.kiosk_second_factor_tries
        if kiosk_over:
            self._lock_up("kiosk", device, device, "second_factor_failures", len(window),
                          "多次输错患者手机号后4位，本机已暂停，请核查后恢复",
                          "many wrong second factors: kiosk suspended, review and reinstate it")
        if count >= self.limits.second_factor_tries:
            self._lock_up("patient", str(patient_id), device, "second_factor_failures", count,
                          f"患者档案{patient_id}的手机号后4位多次输错，已锁定，请核实身份后解锁",
                          f"record {patient_id}: second factor locked after wrong tries; check identity and unlock")
            raise factor_locked()
        if kiosk_over:
            raise device_suspended()

    def factor_passed(self, patient_id: int) -> None:
        with self._lock:
            self._patient_failures.pop(patient_id, None)

    def session_opened(self, device: str) -> None:
        """A kiosk opens a new patient session: suspended (and refused) beyond the limit per 60 s."""
        now = self.clock()
        with self._lock:
            window = self._opened.setdefault(device, deque())
            while window and now - window[0] > 60.0:
                window.popleft()
            over = len(window) >= self.limits.kiosk_sessions_per_minute
            if not over:
                window.append(now)
        if over:
            self._lock_up("kiosk", device, device, "sessions_per_minute", len(window) + 1,
                          "一分钟内识别患者次数异常，本机已暂停，请核查后恢复",
                          "too many patient sessions in a minute: kiosk suspended, review and reinstate it")
            raise device_suspended()

    # ------------------------------------------------------------------ locks
    def _lock_up(self, kind: str, key: str, device: str, reason: str, count: int, why_zh: str, why_en: str) -> None:
        ts = self.store.clock().isoformat(timespec="seconds")
        detail = {"reason": reason, "count": count, "device": device}
        with self._lock:
            if (kind, key) in self._locks:
                return
            self._locks[(kind, key)] = {"since": ts, **detail}
        action = "kiosk_suspended" if kind == "kiosk" else "second_factor_locked"
        with self.store.transaction() as conn:
            self.store.save_guard_lock(conn, kind, key, ts, detail)
            self.store.write_change(conn, ChangeRows(audit=[AuditRow(
                ts=ts, user="", device=device, action=action, visit_id=None, before=None, after=key,
                detail={**detail, "kind": kind})]))
        self.alert(device, "fault", why_zh, why_en)

    def lift(self, kind: str, key: str, by_user: str, by_device: str) -> bool:
        """Staff lift a lock (audited); False when there was none."""
        with self._lock:
            detail = self._locks.pop((kind, key), None)
            if kind == "patient":
                self._patient_failures.pop(int(key), None)
            else:
                self._kiosk_failures.pop(key, None)
                self._opened.pop(key, None)
        if detail is None:
            return False
        ts = self.store.clock().isoformat(timespec="seconds")
        action = "kiosk_reinstated" if kind == "kiosk" else "second_factor_unlocked"
        with self.store.transaction() as conn:
            self.store.delete_guard_lock(conn, kind, key)
            self.store.write_change(conn, ChangeRows(audit=[AuditRow(
                ts=ts, user=by_user, device=by_device, action=action, visit_id=None, before=key, after=None,
                detail={"kind": kind, "locked_since": detail.get("since"), "reason": detail.get("reason")})]))
        device = key if kind == "kiosk" else str(detail.get("device") or "")
        if device and not any(d.get("device") == device for d in self._locks.values()):
            self.alert(device, "ok", "", "")
        return True
