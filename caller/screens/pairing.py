"""Pairing a browser to a configured display device, and the revocable credential it then holds.

A new screen opens ``/screen/`` and asks for a code: it gets a 6-digit code to show, and an HttpOnly cookie naming
its request (never shown, never in a URL). A console user with the right role (a nurse of the device's area, or an
admin) types the code and chooses the display device from the hospital file; the browser's next poll then gets its
credential, also as an HttpOnly cookie. Only the credential's SHA-256 is kept (table ``web_screens``); pairing a
device again, or revoking it, ends the old credential at once. Every pairing and revocation is audited with who did
it. Codes live ten minutes, in memory (a restart of the service asks the screen for a new one).
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from caller.auth import AuthError, Principal, digest
from caller.store import AuditRow, ChangeRows
from common.refusal import Refusal

CODE_TTL_S = 600.0
PENDING_MAX = 200  # codes waiting at once (each is a few bytes; the oldest goes first)
PAIRING_ROLES = frozenset({"nurse", "admin"})
SCREEN_ROLE = "screen"  # the principal role of a paired web screen (caller/api/access.py: kind "screen")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS web_screens (id TEXT PRIMARY KEY, device TEXT NOT NULL, secret TEXT NOT NULL, "
    "paired_by TEXT NOT NULL, paired_at TEXT NOT NULL, revoked_by TEXT, revoked_at TEXT)",
)


class PairingError(Refusal):
    status = 404


@dataclass
class Pending:
    code: str
    request_digest: str
    expires: float
    credential: str | None = None  # set by pair(); handed out once by claim()
    device: str = ""


@dataclass(frozen=True)
class WebScreen:
    """A paired browser: which configured display it is."""

    id: str
    device: str
    paired_by: str
    paired_at: str


class Pairings:
    """Codes waiting to be paired, and the credentials of paired screens."""

    def __init__(self, store: Any, config_of: Callable[[], Any], monotonic: Callable[[], float] = time.monotonic):
        self.store = store
        self.config_of = config_of
        self.monotonic = monotonic
        self._pending: dict[str, Pending] = {}  # code -> pending
        self._lock = threading.Lock()
        self._by_secret: dict[str, WebScreen] = {}
        with store.transaction() as conn:
            for sql in SCHEMA:
                conn.execute(sql)
        self._load()

    def _load(self) -> None:
        with self.store.read() as conn:
            rows = conn.execute("SELECT id, device, secret, paired_by, paired_at FROM web_screens "
                                "WHERE revoked_at IS NULL").fetchall()
        self._by_secret = {r[2]: WebScreen(r[0], r[1], r[3], r[4]) for r in rows}

    # ------------------------------------------------------------------ the browser
    def start(self) -> tuple[str, str]:
        """A new code for a browser: (code to show, request secret for its HttpOnly cookie)."""
        request = secrets.token_urlsafe(24)
        with self._lock:
            self._expire()
            while len(self._pending) >= PENDING_MAX:
                del self._pending[min(self._pending, key=lambda c: self._pending[c].expires)]
            code = f"{secrets.randbelow(1_000_000):06d}"
            while code in self._pending:
                code = f"{secrets.randbelow(1_000_000):06d}"
            self._pending[code] = Pending(code, digest(request), self.monotonic() + CODE_TTL_S)
        return code, request

    def claim(self, request: str | None) -> tuple[str | None, str | None]:
        """(credential, code): the credential once the code of this request was paired (then the code is gone);
        (None, code) while it waits; (None, None) when the request is unknown or expired."""
        if not request:
            return None, None
        key = digest(request)
        with self._lock:
            self._expire()
            for code, pending in list(self._pending.items()):
                if pending.request_digest == key:
                    if pending.credential is None:
                        return None, code
                    del self._pending[code]
                    return pending.credential, code
        return None, None

    def resolve(self, credential: str | None) -> WebScreen | None:
        if not credential:
            return None
        return self._by_secret.get(digest(credential))

    def principal(self, credential: str | None) -> Principal:
        """The web screen as a principal (role ``screen``), or 401."""
        screen = self.resolve(credential)
        if screen is None:
            raise AuthError("screen_not_paired", "本屏幕尚未配对或已被撤销，请在分诊台输入屏幕上的配对码。",
                            "This screen is not paired (or was revoked); pair it from a console.")
        try:
            device = self.config_of().device(screen.device)
        except KeyError:
            raise AuthError("screen_not_paired", "本屏幕对应的设备已从配置中删除，请重新配对。",
                            "The device of this screen is no longer configured; pair it again.") from None
        area = device.area
        if area is None and device.room:
            area = self.config_of().area_of_room(device.room).id
        return Principal(role=SCREEN_ROLE, device=device.id, area=area, room=device.room)

    # ------------------------------------------------------------------ the console
    def pair(self, code: str, device_id: str, who: Principal, now_iso: str) -> WebScreen:
        """Give the browser showing ``code`` the identity of display ``device_id`` (audited)."""
        config = self.config_of()
        try:
            device = config.device(device_id)
        except KeyError:
            raise PairingError("not_found", f"对不起，没有显示设备“{device_id}”。", f"No device {device_id!r}.") from None
        if device.role != "display":
            raise PairingError("invalid_request", "只能配对显示屏设备（role = \"display\"）。",
                               "Only display devices can be paired.", status=422)
        self.check_may_manage(who, device)
        with self._lock:
            self._expire()
            pending = self._pending.get(str(code).strip())
            if pending is None or pending.credential is not None:
                raise PairingError("pairing_code_unknown", "配对码不正确或已过期，请核对屏幕上的数字，或刷新屏幕获取新码。",
                                   "Unknown or expired pairing code.")
            credential = secrets.token_urlsafe(32)
            screen = WebScreen(secrets.token_hex(8), device.id, who.actor, now_iso)
            with self.store.transaction() as conn:
                conn.execute("UPDATE web_screens SET revoked_by = ?, revoked_at = ? WHERE device = ? AND "
                             "revoked_at IS NULL", (who.actor, now_iso, device.id))
                conn.execute("INSERT INTO web_screens(id, device, secret, paired_by, paired_at) VALUES (?,?,?,?,?)",
                             (screen.id, device.id, digest(credential), who.actor, now_iso))
                self.store.write_change(conn, ChangeRows(audit=[_audit(who, "pair_screen", now_iso,
                                                                       {"device": device.id, "screen": screen.id})]))
            self._by_secret = {k: s for k, s in self._by_secret.items() if s.device != device.id}
            self._by_secret[digest(credential)] = screen
            pending.credential, pending.device = credential, device.id
        return screen

    def revoke(self, device_id: str, who: Principal, now_iso: str) -> bool:
        """End the credential of the browser paired as ``device_id`` (audited); False when none was paired."""
        config = self.config_of()
        try:
            device = config.device(device_id)
        except KeyError:
            raise PairingError("not_found", f"对不起，没有显示设备“{device_id}”。", f"No device {device_id!r}.") from None
        self.check_may_manage(who, device)
        with self._lock, self.store.transaction() as conn:
            done = conn.execute("UPDATE web_screens SET revoked_by = ?, revoked_at = ? WHERE device = ? AND "
                                "revoked_at IS NULL", (who.actor, now_iso, device_id)).rowcount
            self.store.write_change(conn, ChangeRows(audit=[_audit(who, "revoke_screen", now_iso,
                                                                   {"device": device_id, "revoked": done})]))
            self._by_secret = {k: s for k, s in self._by_secret.items() if s.device != device_id}
        return bool(done)

    def paired(self) -> list[dict]:
        return sorted(({"id": s.id, "device": s.device, "paired_by": s.paired_by, "paired_at": s.paired_at}
                       for s in self._by_secret.values()), key=lambda d: d["device"])

    def check_may_manage(self, who: Principal, device: Any) -> None:
        """An admin anywhere; a nurse for the displays of the areas she works in."""
        if who.is_admin:
            return
        area = device.area or (self.config_of().area_of_room(device.room).id if device.room else None)
        if who.user_role not in PAIRING_ROLES or area is None or not who.may_see_area(area):
            raise AuthError("forbidden", "对不起，只有本诊区的护士或管理员可以管理这块屏幕。",
                            "Only a nurse of this area or an admin may manage this screen.", status=403)

    def _expire(self) -> None:
        now = self.monotonic()
        for code in [c for c, p in self._pending.items() if p.expires <= now]:
            del self._pending[code]


def _audit(who: Principal, action: str, ts: str, detail: dict) -> AuditRow:
    return AuditRow(ts=ts, user=who.user or "", device=who.device, action=action, detail=detail)
