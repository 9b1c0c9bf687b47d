"""Who is calling: bearer tokens bound to a role and a place.

Device tokens come from the hospital file. Console users log in with a console device token and get a
user token (kept in the store so a restart does not log everybody out). Pure checks live here; the API
turns :class:`AuthError` into 401/403 responses.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from caller.config import Device, HospitalConfig
from caller.passwords import verify_password
from caller.store import Store

PUBLIC_ROLES = frozenset({"display", "speaker"})
STAFF_ROLES = frozenset({"console", "admin"})


class AuthError(Exception):
    """401 (who are you?) or 403 (not allowed here)."""

    def __init__(self, status: int, code: str, message_zh: str, message_en: str):
        super().__init__(message_en)
        self.status, self.code, self.message_zh, self.message_en = status, code, message_zh, message_en


def unauthorized() -> AuthError:
    return AuthError(401, "unauthorized", "对不起，身份验证失败，请检查设备令牌或重新登录。",
                     "Missing or unknown token; check the device token or log in again.")


def forbidden(what_zh: str = "此操作", what_en: str = "this action") -> AuthError:
    return AuthError(403, "forbidden", f"对不起，本设备或账号无权进行{what_zh}，请联系管理员。",
                     f"This device or user is not allowed to do {what_en}.")


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

    def may_see_area(self, area: str) -> bool:
        if self.is_admin:
            return True
        if self.area is not None and self.area != area:
            return False
        if self.user_areas and area not in self.user_areas:
            return False
        return True


class Authenticator:
    """Resolves tokens to principals and logs console users in."""

    def __init__(self, config: HospitalConfig, store: Store):
        self.config = config
        self.store = store
        self._devices = {d.token: d for d in config.devices}
        self._sessions: dict[str, Principal] = {}

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
        principal = self._sessions.get(token)
        if principal is None:
            found = self.store.session(token)
            if found is None:
                raise unauthorized()
            principal = self._user_principal(*found)
            if principal is None:
                raise unauthorized()
            self._sessions[token] = principal
        return principal

    def _user_principal(self, username: str, device_id: str) -> Principal | None:
        user = self.config.user(username)
        try:
            device = self.config.device(device_id)
        except KeyError:
            return None
        if user is None:
            return None
        base = self._device_principal(device)
        return Principal(role=device.role, device=device.id, area=base.area, room=base.room,
                         user=user.username, user_name=user.name, user_role=user.role,
                         user_areas=tuple(user.areas))

    def login(self, device: Principal, username: str, password: str) -> tuple[str, Principal]:
        """Check a console user's password; return (user token, principal)."""
        if device.role not in ("console", "admin") or device.user:
            raise forbidden("登录", "logging in from this device")
        user = self.config.user(username)
        if user is None or not verify_password(password, user.password_hash):
            raise AuthError(401, "bad_login", "对不起，用户名或密码不正确，请重新输入。",
                            "Wrong user name or password; please try again.")
        principal = self._user_principal(user.username, device.device)
        assert principal is not None
        if device.area and user.areas and device.area not in user.areas and user.role != "admin":
            raise forbidden("在本诊区登录", "logging in to this area")
        token = secrets.token_urlsafe(24)
        self.store.save_session(token, user.username, device.device, self.store.clock().isoformat(timespec="seconds"))
        self._sessions[token] = principal
        return token, principal
