"""Request plumbing shared by the routers: the service, the caller's principal, permission checks."""
from __future__ import annotations

from fastapi import Request, Response

from caller.api.access import PRINCIPAL
from caller.auth import AuthError, Principal, forbidden
from caller.service import CallerService
from caller.store import dumps


def service_of(request: Request) -> CallerService:
    return request.app.state.service


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller (401 when the token is missing or unknown).

    The access guard (caller/api/access.py) has usually resolved it already for the route's rule.
    """
    who = request.scope.get(PRINCIPAL)
    if who is None:
        who = request.app.state.service.auth.resolve_headers(request.headers)
        request.scope[PRINCIPAL] = who
    return seen(request.app.state.service, who)


def seen(service: CallerService, who: Principal) -> Principal:
    service.device_watch.note_seen(who.device)  # a device in use is never "未上报"
    return who


def need_login() -> AuthError:
    return AuthError("login_required", "请先用您的账号登录叫号台，谢谢。",
                     "Please log in with your user account first.", status=403)


def require(who: Principal, roles: set[str], area: str | None = None, *, user: bool = False) -> None:
    """403 unless ``who`` has one of ``roles`` (console needs a logged-in user when ``user``) and sees ``area``."""
    if who.role == "admin":
        return
    if who.role not in roles:
        raise forbidden()
    if user and who.role == "console" and not who.user:
        raise need_login()
    if area is not None and not who.may_see_area(area):
        raise forbidden("操作其他诊区", "actions in another area")




def json_response(body: object) -> Response:
    """Serialise once with the standard library (skips FastAPI's response-model pass over plain dicts)."""
    return Response(dumps(body).encode(), media_type="application/json")
