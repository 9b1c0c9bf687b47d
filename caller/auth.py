"""Who is calling: bearer tokens bound to a role and a place.

Device tokens come from the hospital file. Console users log in with a console device token and get a
user token (kept in the store so a restart does not log everybody out). Pure checks live here; the API
turns :class:`AuthError` into 401/403 responses.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from caller.store import Store
from common.config import Device, HospitalConfig
from common.passwords import verify_password, verify_unknown_user
from common.refusal import Refusal

log = logging.getLogger("caller.auth")

PUBLIC_ROLES = frozenset({"display", "speaker", "screen"})  # screen: a paired web screen (cookie)
COCKPIT = "cockpit"  # the pseudo device of the web cockpit: its sessions may only read the cockpit
COCKPIT_USER_ROLES = frozenset({"manager", "admin"})
STAFF_ROLES = frozenset({"console", "admin"})


class AuthError(Refusal):
    """Who are you (401), or not allowed here (403, passed as ``status=``), or too many tries (429)."""

    status = 401
    retry_after: int | None = None  # seconds, sent as Retry-After

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        if self.retry_after:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def factor_locked() -> AuthError:
    return AuthError("second_factor_locked",
                     "为保护您的信息安全，手机号后4位输错次数过多，已暂停用此方式识别。请将身份证放在读卡区，"
                     "或到服务台出示身份证由工作人员解锁，谢谢。",
                     "Too many wrong second factors for this record: identify with your ID card on the reader, "
                     "or ask at the service desk (staff lift the lock).", status=403)


def device_suspended() -> AuthError:
    return AuthError("device_suspended",
                     "对不起，本自助机暂停服务，工作人员正在核查。请到其他自助机或人工窗口办理，谢谢。",
                     "This kiosk is suspended while staff review it; please use another kiosk or the desk.",
                     status=403)


def unauthorized() -> AuthError:
    return AuthError("unauthorized", "对不起，身份验证失败，请检查设备令牌或重新登录。",
                     "Missing or unknown token; check the device token or log in again.")


def forbidden(what_zh: str = "进行此操作", what_en: str = "this action") -> AuthError:
    """403. ``what_zh`` is a verb phrase that follows 无权 (查看这次呼叫, 在本诊区登录)."""
    return AuthError("forbidden", f"对不起，本设备或账号无权{what_zh}，请联系管理员。",
                     f"This device or user is not allowed to do {what_en}.", status=403)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    role: str                       # kiosk | console | display | speaker | admin
    device: str                     # device id from the hospital file
    area: str | None = None         # the device's area (None: hospital-wide)
    room: str | None = None
    user: str | None = None         # console user name once logged in
    user_name: str | None = None
    user_role: str | None = None    # nurse | doctor | admin
    user_areas: tuple[str, ...] = ()
    patients: frozenset[int] = frozenset()  # kiosk: the patients of its open patient session
    cards: frozenset[str] = frozenset()     # kiosk: digests of the ID cards read in that session
    holder: int | None = None               # kiosk: the patient identified in person (acting for the others)

    @property
    def public(self) -> bool:
        """Display and speaker tokens only ever see display-safe data."""
        return self.role in PUBLIC_ROLES

    @property
    def audience(self) -> str:
        """What queues and events this caller may see: "staff" (full names) only for consoles and admin.

        Kiosks stand in public halls, so they follow queues like a wall screen does.
        """
        return "staff" if self.role in STAFF_ROLES else "public"

    @property
    def actor(self) -> str:
        return self.user or self.device

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" or self.user_role == "admin"

    def may_act_for(self, patient_id: int | None) -> bool:
        """Records: a kiosk only for its session's patients; staff and admin for anyone."""
        if self.role != "kiosk":
            return True
        return patient_id is not None and int(patient_id) in self.patients

    def may_use_room(self, room_id: str | None) -> bool:
        """A console bound to a room (the doctor's caller on the doctor's desk) acts for that room only."""
        return self.role != "console" or not self.room or room_id is None or room_id == self.room

    def may_see_area(self, area: str) -> bool:
        if self.is_admin:
            return True
        if self.area is not None and self.area != area:
            return False
        if self.user is not None and area not in self.user_areas:
            return False  # a user's areas are where they work: none listed is none (never every area)
        return True


SESSION_HEADER = "x-patient-session"
KIOSK_SESSION_IDLE_S = 180.0      # a patient session ends after this long without a request ...
KIOSK_SESSION_MAX_S = 900.0       # ... and at the latest this long after it opened
KIOSK_SESSIONS_KEPT = 4            # sessions one kiosk holds at once


def digest(token: str) -> str:
    """What is stored of a secret token: its SHA-256 (a leaked database holds no usable token)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class KioskSession:
    """The patient standing at one kiosk: who was identified there, and whom they may act for."""

    token_digest: str
    device: str
    patients: set[int] = field(default_factory=set)
    cards: set[str] = field(default_factory=set)
    holder: int | None = None  # the patient identified in person; the others are whom they act for
    opened: float = field(default_factory=time.time)     # wall-clock seconds: the store keeps them across a restart
    last_used: float = field(default_factory=time.time)
    saved_use: float = 0.0                                # last_used as the store has it

    def alive(self, now: float, idle_s: float, max_s: float) -> bool:
        return now - self.last_used <= idle_s and now - self.opened <= max_s


SESSION_SAVE_EVERY_S = 30.0  # how stale the store's "last used" of a session may get (an idle end comes that much later)


class KioskSessions:
    """Patient sessions of the kiosks, kept in the store (hashed) so they outlive a restart and a takeover.

    The kiosk gets a session token when a patient is identified and sends it as ``X-Patient-Session``; a copied
    kiosk device token alone reaches no patient's records. The raw token stays on the kiosk: the store keeps its
    SHA-256. A session is bound to the kiosk's device token (a session token sent with another device's token is
    nobody's). A kiosk holds at most ``KIOSK_SESSIONS_KEPT`` sessions at once (the oldest is ended first); the
    kiosk ends its session when it goes home.
    """

    def __init__(self, store: Store | None = None, idle_s: float = KIOSK_SESSION_IDLE_S,
                 max_s: float = KIOSK_SESSION_MAX_S, clock: Callable[[], float] = time.time):
        self.store = store
        self.idle_s, self.max_s = idle_s, max_s
        self.clock = clock
        self._by_device: dict[str, dict[str, KioskSession]] = {}  # device -> token digest -> session
        self._lock = threading.Lock()

    def _live(self, device: str, token: str | None, now: float) -> KioskSession | None:
        sessions = self._by_device.setdefault(device, {})
        ended = [key for key, session in sessions.items() if not session.alive(now, self.idle_s, self.max_s)]
        for key in ended:
            del sessions[key]
        if ended and self.store is not None:
            self.store.delete_kiosk_sessions(ended)
        if not token:
            return None
        key = digest(token)
        session = sessions.get(key)
        if session is None and self.store is not None:  # opened before a restart, or by the service we took over from
            row = self.store.kiosk_session(key)
            if row is not None and row[0] == device:
                _, holder, patients, cards, opened, last_used = row
                found = KioskSession(key, device, set(patients), set(cards), holder, opened, last_used, last_used)
                if found.alive(now, self.idle_s, self.max_s):
                    sessions[key] = session = found
        return session

    def _save(self, session: KioskSession) -> None:
        session.saved_use = session.last_used
        if self.store is not None:
            self.store.save_kiosk_session(session.token_digest, session.device, session.holder,
                                          list(session.patients), list(session.cards), session.opened,
                                          session.last_used)

    def current(self, device: str, token: str | None) -> KioskSession | None:
        """The kiosk's live session named by ``token`` (refreshes its idle timer)."""
        if not token:
            return None
        with self._lock:
            now = self.clock()
            session = self._live(device, token, now)
            if session is not None:
                session.last_used = now
                if now - session.saved_use >= SESSION_SAVE_EVERY_S:
                    self._save(session)
            return session

    def is_new(self, device: str, token: str | None) -> bool:
        """Would :meth:`open` with this token start a new session (none live under it)?"""
        with self._lock:
            return self._live(device, token, self.clock()) is None

    def open(self, device: str, token: str | None, patient_ids: set[int], card: str | None = None,
             holder: int | None = None) -> str:
        """Add patients (and a card read) to the live session named by ``token``, or start a new one; the first
        ``holder`` (the patient identified in person) stays the one who acts for the others."""
        with self._lock:
            now = self.clock()
            session = self._live(device, token, now)
            if session is None:
                token = secrets.token_urlsafe(24)
                sessions = self._by_device.setdefault(device, {})
                while len(sessions) >= KIOSK_SESSIONS_KEPT:
                    oldest = min(sessions, key=lambda k: sessions[k].last_used)
                    del sessions[oldest]
                    if self.store is not None:
                        self.store.delete_kiosk_sessions([oldest])
                session = sessions[digest(token)] = KioskSession(digest(token), device, opened=now)
            session.last_used = now
            session.patients |= patient_ids
            if session.holder is None and holder is not None:
                session.holder = holder
            if card:
                session.cards.add(digest(card))
            self._save(session)
            assert token is not None
            return token

    def end(self, device: str, token: str | None) -> bool:
        """End the session ``token`` names (a stale token ends nothing)."""
        if not token:
            return False
        with self._lock:
            session = self._live(device, token, self.clock())
            if session is None:
                return False
            self._by_device.get(device, {}).pop(session.token_digest, None)
            if self.store is not None:
                self.store.delete_kiosk_sessions([session.token_digest], older_than=self.clock() - self.max_s)
            return True


def cockpit_device() -> Principal:
    """Who logs in at the web cockpit before a user is known (no token of its own)."""
    return Principal(role=COCKPIT, device=COCKPIT)


USER_SESSION_IDLE_S = 2 * 3600.0     # a user token unused this long stops working ...
USER_SESSION_MAX_S = 12 * 3600.0     # ... and every token after a shift's length
LOCK_AFTER = {"user": 5, "device": 20}  # failed logins before a lockout (per user name, per device)
LOCK_FIRST_S, LOCK_MAX_S = 30.0, 900.0  # the first lockout; each further failure doubles it up to the cap


def too_many_attempts(retry_after: float) -> AuthError:
    minutes = max(1, round(retry_after / 60))
    exc = AuthError("too_many_attempts", f"对不起，密码错误次数过多，请约{minutes}分钟后再试，或联系管理员。",
                    f"Too many failed logins; try again in about {minutes} minute(s) or ask an administrator.", status=429)
    exc.retry_after = int(retry_after) + 1
    return exc


class LoginThrottle:
    """Failed logins per user name and per device: after LOCK_AFTER failures a lockout that doubles with every
    further failure (30 s, 60 s, ... 15 min). While locked, nothing is hashed: floods cost nothing."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], list[float]] = {}  # key -> [count, locked until (monotonic)]
        self._lock = threading.Lock()

    def check(self, *keys: tuple[str, str]) -> None:
        now = time.monotonic()
        with self._lock:
            waits = [self._failures[k][1] - now for k in keys if k in self._failures and self._failures[k][1] > now]
        if waits:
            raise too_many_attempts(max(waits))

    def failed(self, key: tuple[str, str]) -> int:
        """Count a failure; the count when this failure started a lockout, else 0."""
        with self._lock:
            entry = self._failures.setdefault(key, [0, 0.0])
            entry[0] += 1
            over = int(entry[0]) - LOCK_AFTER[key[0]]
            if over < 0:
                return 0
            entry[1] = time.monotonic() + min(LOCK_MAX_S, LOCK_FIRST_S * 2 ** over)
            return int(entry[0])

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


class Authenticator:
    """Resolves tokens to principals and logs console users in."""

    def __init__(self, config: HospitalConfig, store: Store):
        self.config = config
        self.store = store
        self._devices = {d.token: d for d in config.devices}
        self._sessions: dict[str, Principal] = {}  # user token digest -> principal
        self._session_times: dict[str, list[float]] = {}  # digest -> [opened, last used] (monotonic)
        self.throttle = LoginThrottle()
        self.kiosk_sessions = KioskSessions(store)

    def resolve_headers(self, headers: Mapping[str, str]) -> Principal:
        """The principal of a request's headers: bearer token, plus a kiosk's patient session."""
        auth = headers.get("authorization") or ""
        scheme, _, token = auth.partition(" ")
        who = self.resolve(token.strip() if scheme.lower() == "bearer" else None)
        if who.role == "kiosk":
            session = self.kiosk_sessions.current(who.device, headers.get(SESSION_HEADER))
            if session is not None:
                who = Principal(role=who.role, device=who.device, area=who.area, room=who.room,
                                patients=frozenset(session.patients), cards=frozenset(session.cards),
                                holder=session.holder)
        return who

    def reconfigure(self, config: HospitalConfig) -> None:
        """A reloaded hospital file: new device tokens work at once, removed or rotated ones stop; logged-in users
        are looked up again, so a removed user or a changed area takes effect on their next request."""
        self.config = config
        self._devices = {d.token: d for d in config.devices}
        self._sessions = {}

    def _device_principal(self, device: Device) -> Principal:
        area = device.area
        if area is None and device.room:
            area = self.config.area_of_room(device.room).id
        return Principal(role=device.role, device=device.id, area=area, room=device.room)

    def resolve(self, token: str | None) -> Principal:
        """The principal of a bearer token; AuthError(401) when unknown."""
        if not token:
            raise unauthorized()
        device = self._devices.get(token)
        if device is not None:
            return self._device_principal(device)
        key = digest(token)
        principal = self._sessions.get(key)
        now = time.monotonic()
        if principal is None:
            found = self.store.session(key)
            if found is None:
                raise unauthorized()
            principal = self._user_principal(*found)
            if principal is None:
                raise unauthorized()
            self._sessions[key] = principal
            self._session_times.setdefault(key, [now, now])  # after a restart the clock starts again
        times = self._session_times.setdefault(key, [now, now])
        if now - times[1] > USER_SESSION_IDLE_S or now - times[0] > USER_SESSION_MAX_S:
            self._sessions.pop(key, None)
            self._session_times.pop(key, None)
            self.store.delete_session(key)
            raise AuthError("session_expired", "登录已过期，请重新登录，谢谢。",
                            "Your login has expired; please log in again.")
        times[1] = now
        return principal

    def _user_principal(self, username: str, device_id: str) -> Principal | None:
        user = self.config.user(username)
        if device_id == COCKPIT:
            base = cockpit_device()
        else:
            try:
                base = self._device_principal(self.config.device(device_id))
            except KeyError:
                return None
        if user is None:
            return None
        return Principal(role=base.role, device=base.device, area=base.area, room=base.room,
                         user=user.username, user_name=user.name, user_role=user.role,
                         user_areas=tuple(user.areas))

    def logout(self, token: str | None) -> bool:
        """End a console user's session (the token stops working at once)."""
        if not token:
            return False
        key = digest(token)
        self._sessions.pop(key, None)
        self._session_times.pop(key, None)
        return self.store.delete_session(key)

    def login(self, device: Principal, username: str, password: str) -> tuple[str, Principal]:
        """Check a console user's password; return (user token, principal)."""
        if device.role not in ("console", "admin", COCKPIT) or device.user:
            raise forbidden("在此设备登录", "logging in from this device")
        # a user is locked out at this console only: someone guessing at one desk cannot lock a nurse out of all
        user_key, device_key = ("user", f"{device.device}:{username}"), ("device", device.device)
        self.throttle.check(user_key, device_key)  # locked: 429 before any hashing
        user = self.config.user(username)
        if user is None:  # the same work as for a real user: timing does not tell who exists
            ok = verify_unknown_user(password, like=self._typical_hash())
        else:
            ok = verify_password(password, user.password_hash)
        if not ok:
            for key in (user_key, device_key):
                locked_at = self.throttle.failed(key)
                if locked_at:
                    self._audit_lockout(device, username, key[0], locked_at)
            raise AuthError("bad_login", "对不起，用户名或密码不正确，请重新输入。",
                            "Wrong user name or password; please try again.")
        self.throttle.succeeded(user_key)
        self.throttle.succeeded(device_key)
        if (device.role == COCKPIT) != (user.role == "manager") and user.role != "admin":
            # managers read the cockpit and nothing else; nurses and doctors work at consoles
            if device.role == COCKPIT:
                raise AuthError("forbidden", "对不起，服务效能驾驶舱只供管理人员使用；护士和医生请在叫号工作站登录，谢谢。",
                                "The cockpit is for managers; nurses and doctors please log in at a console.",
                                status=403)
            raise AuthError("forbidden", "对不起，管理人员账号只能登录服务效能驾驶舱，请在浏览器中打开驾驶舱，谢谢。",
                            "Manager accounts log in to the cockpit only; please open the cockpit in a browser.",
                            status=403)
        if device.role == "console" and device.room and user.role not in ("doctor", "admin"):
            # the doctor's caller (a console bound to a room) is the doctor's: a nurse works at the area's console
            raise AuthError("doctor_only", "对不起，医生呼叫器只能用医生账号登录，请用您的医生账号登录。",
                            "The doctor's caller takes doctor accounts only.", status=403)
        principal = self._user_principal(user.username, device.device)
        assert principal is not None
        if device.area and user.areas and device.area not in user.areas and user.role != "admin":
            raise forbidden("在本诊区登录", "logging in to this area")
        token = secrets.token_urlsafe(24)
        self.store.save_session(digest(token), user.username, device.device,
                                self.store.clock().isoformat(timespec="seconds"))
        self._sessions[digest(token)] = principal
        now = time.monotonic()
        self._session_times[digest(token)] = [now, now]
        return token, principal

    def _typical_hash(self) -> str:
        return next((u.password_hash for u in self.config.users), "")

    def _audit_lockout(self, device: Principal, username: str, by: str, failures: int) -> None:
        """One audit row per burst of failed logins (when a lockout starts), never the password."""
        from caller.store import AuditRow, ChangeRows

        ts = self.store.clock().isoformat(timespec="milliseconds")
        row = AuditRow(ts=ts, user=username[:64], device=device.device, action="login_locked", visit_id=None,
                       before=None, after=None, detail={"failures": failures, "by": by})
        try:
            with self.store.transaction() as conn:
                self.store.write_change(conn, ChangeRows(audit=[row]))
        except Exception as exc:  # noqa: BLE001 - a full disk must not turn a refusal into an error
            log.warning("the lockout of %r could not be audited: %s", username[:64], exc)
