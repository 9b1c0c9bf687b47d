"""Who may call which route: the one table of access rules, enforced before any handler runs.

Deny by default. Every HTTP and WebSocket route of the app needs a line in :data:`RULES`; a request to a
route without one is refused (403 ``no_access_rule``) and ``tests/service/test_access_matrix.py`` fails
naming the route. To give a new route its rule, add one line here (see docs/security.md).

A rule is the set of *principal kinds* that may reach the handler:

=========  ======================================================================================
anyone     no token needed (health, the public price list, the ticket page, API documentation)
display    a wall or door screen's device token
speaker    a speaker agent's device token
kiosk      a kiosk's device token (no patient needed: schedules, help button, ratings, identify)
patient    a kiosk token with an open patient session; handlers limit it to the session's patients
console    a nurse console's device token, with or without a user logged in (its area only)
staff      a console with a user logged in (nurse, doctor or admin); handlers limit it to the areas
           of the user and of the console together
monitor    a monitoring device token (Prometheus): /metrics only
admin      the hospital's admin token or an admin user: allowed on every rule (bearer tokens)
manager    a web cockpit session (HttpOnly cookie ``cockpit_session``) of a manager or admin user; only
           the cockpit's routes read that cookie
screen     a paired web screen (HttpOnly cookie ``screen_device``, caller/screens/pairing.py); only the
           /screen/ routes read that cookie
=========  ======================================================================================

The rule only lets a principal *reach* the handler; the handler then checks the data (which area, which
patient). The access matrix in docs/security.md is generated from this table by ``python -m caller
access-matrix``.
"""
from __future__ import annotations

import logging
import re
from http.cookies import CookieError, SimpleCookie

from fastapi import FastAPI, routing
from starlette.routing import Mount

from caller.api.errors import refusal_response
from caller.auth import AuthError, Principal, device_suspended

log = logging.getLogger("caller.access")

ANYONE, DISPLAY, SPEAKER, KIOSK, PATIENT, CONSOLE, STAFF, MONITOR, ADMIN, MANAGER, SCREEN = (
    "anyone", "display", "speaker", "kiosk", "patient", "console", "staff", "monitor", "admin", "manager", "screen")
KINDS = (ANYONE, DISPLAY, SPEAKER, KIOSK, PATIENT, CONSOLE, STAFF, MONITOR, ADMIN, MANAGER, SCREEN)
COCKPIT_COOKIE = "cockpit_session"
SCREEN_COOKIE = "screen_device"
DEVICES = frozenset({DISPLAY, SPEAKER, KIOSK, CONSOLE})  # any device token

V1 = "/api/v1"
# what the guard leaves in the ASGI scope for the handlers: the route it matched, the caller it resolved
PRINCIPAL = "caller.principal"

# (method, path template) -> kinds allowed. WS = WebSocket. One line per route; keep them grouped by router.
RULES: dict[tuple[str, str], frozenset[str]] = {k: frozenset(v) for k, v in {
    # monitoring and documentation
    ("GET", "/healthz"): {ANYONE},
    ("GET", "/readyz"): {ANYONE},  # 200 on the active service only (load balancer, keepalived)
    ("GET", "/metrics"): {MONITOR},  # Prometheus (docs/operations.md); counts only, no patient data
    ("GET", "/openapi.json"): {ANYONE},
    ("GET", "/docs"): {ANYONE},
    ("GET", "/docs/oauth2-redirect"): {ANYONE},
    ("GET", "/redoc"): {ANYONE},
    # the live page a patient's phone opens from the ticket QR code: public, but reachable only with the link's
    # unguessable token (caller/ticket_links.py); it shows what the wall shows (docs/phone.md)
    ("GET", "/t/{token}"): {ANYONE},
    ("GET", "/t/{token}/status"): {ANYONE},
    ("GET", "/t/{token}/events"): {ANYONE},
    ("GET", "/t/assets/{name}"): {ANYONE},
    ("GET", "/t/{token}/leave"): {ANYONE},        # the refund rule, told before 我不排了 is confirmed
    ("POST", "/t/{token}/leave"): {ANYONE},       # 我不排了: refused once called (caller/commands.py leave_queue)
    ("POST", "/t/{token}/on-my-way"): {ANYONE},   # 我马上到: shown to the nurse beside the ticket
    ("GET", "/t/{token}/card.svg"): {ANYONE},     # the medical card's QR (records/cardcode.py), when records runs
    # notifications (docs/notifications.md): the patient opts in at the kiosk (their own visit) or through staff;
    # the SMS gateway's delivery reports carry its signature, checked by the handler
    ("POST", f"{V1}/visits/{{visit_id}}/notify"): {PATIENT, STAFF},
    ("DELETE", f"{V1}/visits/{{visit_id}}/notify/{{channel}}"): {PATIENT, STAFF},
    ("GET", f"{V1}/visits/{{visit_id}}/notify"): {PATIENT, STAFF},
    ("POST", f"{V1}/notify/sms/status"): {ANYONE},
    # queue commands
    ("POST", f"{V1}/visits"): {KIOSK, STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/check-in"): {KIOSK, STAFF},
    ("POST", f"{V1}/rooms/{{room_id}}/call-next"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/call-again"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/start"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/finish"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/missed"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/recall"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/away"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/back"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/move-up"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/priority"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/triage"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/assign-doctor"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/transfer"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/dispatch"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/call"): {STAFF},            # 呼叫此号, with a reason
    ("POST", f"{V1}/visits/{{visit_id}}/cancel"): {STAFF},
    ("POST", f"{V1}/rooms/{{room_id}}/pause"): {STAFF},
    ("POST", f"{V1}/rooms/{{room_id}}/resume"): {STAFF},
    ("POST", f"{V1}/rooms/{{room_id}}/doctor"): {STAFF},
    ("POST", f"{V1}/areas/{{area_id}}/broadcast"): {STAFF},
    # journeys (docs/journey.md): orders open steps; window staff work them; the patient reads the whole journey
    ("POST", f"{V1}/visits/{{visit_id}}/orders"): {STAFF},
    ("GET", f"{V1}/visits/{{visit_id}}/journey"): {PATIENT, STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/pay"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/dispense"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/ready"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/collect"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/settle"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/prep"): {STAFF},
    ("POST", f"{V1}/visits/{{visit_id}}/labels"): {STAFF},          # the full name: the tube needs it
    ("POST", f"{V1}/visits/{{visit_id}}/report-ready"): {STAFF},
    ("POST", f"{V1}/areas/{{area_id}}/check-in"): {STAFF},
    ("GET", f"{V1}/areas/{{area_id}}/steps"): {STAFF},            # window staff's lists: full names
    # queue queries (public tokens get masked views)
    ("GET", f"{V1}/areas/{{area_id}}/queue"): {DISPLAY, SPEAKER, KIOSK, CONSOLE},
    ("GET", f"{V1}/rooms/{{room_id}}/queue"): {DISPLAY, SPEAKER, KIOSK, CONSOLE},
    ("GET", f"{V1}/visits/{{visit_id}}/status"): {PATIENT, STAFF},  # carries the ticket page token (docs/phone.md)
    ("WS", f"{V1}/events"): {DISPLAY, SPEAKER, KIOSK, CONSOLE},
    # login, structure, audit, statistics, devices
    ("POST", f"{V1}/auth/login"): {CONSOLE},
    ("POST", f"{V1}/auth/logout"): {STAFF},
    ("GET", f"{V1}/auth/me"): DEVICES,
    ("GET", f"{V1}/hospital"): DEVICES,
    ("GET", f"{V1}/audit"): {STAFF},
    ("GET", f"{V1}/stats/alerts"): {CONSOLE},
    ("GET", f"{V1}/stats/summary"): {CONSOLE},
    ("POST", f"{V1}/devices/health"): DEVICES,
    ("GET", f"{V1}/devices"): {CONSOLE},
    ("GET", f"{V1}/devices/locks"): {STAFF},                          # suspended kiosks, locked second factors
    ("POST", f"{V1}/devices/{{device_id}}/reinstate"): {STAFF},       # staff reviewed a suspended kiosk
    ("POST", f"{V1}/help"): {KIOSK},
    ("POST", f"{V1}/admin/reload"): {ADMIN},  # re-read the hospital file (docs/operations.md)
    ("GET", f"{V1}/help"): {CONSOLE},                               # the open calls of the console's area
    ("GET", f"{V1}/help/{{help_id}}"): {KIOSK, CONSOLE},            # the kiosk that called; consoles of its areas
    ("POST", f"{V1}/help/{{help_id}}/acknowledge"): {STAFF},
    ("POST", f"{V1}/help/{{help_id}}/cancel"): {KIOSK},             # only the kiosk that called (handler checks)
    ("POST", f"{V1}/help/{{help_id}}/close"): {STAFF},
    # records: public price list and schedules
    ("GET", f"{V1}/records/prices"): {ANYONE},
    ("GET", f"{V1}/records/departments"): {KIOSK, CONSOLE},
    ("GET", f"{V1}/records/doctors"): {KIOSK, CONSOLE},
    ("GET", f"{V1}/records/slots"): {KIOSK, CONSOLE},
    ("GET", f"{V1}/records/notices"): {KIOSK, CONSOLE},
    ("POST", f"{V1}/records/sessions/{{session_id}}/stop"): {STAFF},
    # records: identifying opens the kiosk's patient session; everything about a patient needs it
    ("POST", f"{V1}/records/patients/identify"): {KIOSK, STAFF},
    ("POST", f"{V1}/records/patients"): {KIOSK, STAFF},
    ("DELETE", f"{V1}/records/session"): {KIOSK},
    ("GET", f"{V1}/records/patients/{{patient_id}}"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/patients/{{patient_id}}/proxies"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/patients/{{patient_id}}/family"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/patients/{{patient_id}}/unlock"): {STAFF},  # lift a second-factor lock
    ("GET", f"{V1}/records/patients/{{patient_id}}/reminders"): {PATIENT, STAFF},        # appointment reminders
    ("POST", f"{V1}/records/patients/{{patient_id}}/reminders"): {PATIENT, STAFF},
    ("DELETE", f"{V1}/records/patients/{{patient_id}}/reminders/{{channel}}"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/registrations"): {PATIENT, STAFF},
    ("GET", f"{V1}/records/registrations"): {PATIENT, STAFF},
    ("GET", f"{V1}/records/registrations/{{registration_id}}"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/registrations/{{registration_id}}/cancel"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/registrations/{{registration_id}}/check-in"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/registrations/{{registration_id}}/reprint"): {PATIENT, STAFF},
    ("GET", f"{V1}/records/bills"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/bills"): {STAFF},
    ("POST", f"{V1}/records/payments"): {PATIENT, STAFF},
    ("GET", f"{V1}/records/payments/{{order_id}}"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/payments/{{order_id}}/confirm"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/payments/{{order_id}}/pay-code"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/payments/{{order_id}}/abandon"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/payments/notify"): {ADMIN},
    ("POST", f"{V1}/records/payments/reconcile"): {ADMIN},
    ("GET", f"{V1}/records/reports"): {PATIENT, STAFF},
    ("GET", f"{V1}/records/reports/{{report_id}}"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/reports/{{report_id}}/verify"): {STAFF},
    ("POST", f"{V1}/records/reports/{{report_id}}/print"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/ratings"): {KIOSK},
    ("GET", f"{V1}/records/ratings/stats"): {CONSOLE},
    # 医保 settlement, e-health cards, e-invoices (docs/his.md): identifying by a platform's QR opens the patient
    # session like a card read; claims and invoices are the session patient's only
    ("GET", f"{V1}/records/insurance/status"): {KIOSK, CONSOLE},
    ("GET", f"{V1}/records/his/status"): {KIOSK, CONSOLE},
    ("POST", f"{V1}/records/insurance/identify"): {KIOSK, STAFF},
    ("POST", f"{V1}/records/ehealth/identify"): {KIOSK, STAFF},
    ("POST", f"{V1}/records/insurance/claims"): {PATIENT, STAFF},
    ("GET", f"{V1}/records/insurance/claims/{{claim_id}}"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/insurance/claims/{{claim_id}}/settle"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/insurance/claims/{{claim_id}}/cancel"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/insurance/reconcile"): {ADMIN},
    ("GET", f"{V1}/records/einvoices"): {PATIENT, STAFF},
    ("GET", f"{V1}/records/einvoices/{{invoice_id}}"): {PATIENT, STAFF},
    ("POST", f"{V1}/records/einvoices/{{invoice_id}}/print"): {PATIENT, STAFF},
    # web screens (docs/screens.md): the page and pairing are public; the rest needs the paired screen's cookie
    ("GET", "/screen/"): {ANYONE},
    ("GET", "/screen/sw.js"): {ANYONE},
    ("GET", "/screen/static/{name}"): {ANYONE},
    ("POST", "/screen/api/pair"): {ANYONE},     # a code to show; needs the X-Screen header (checked by the handler)
    ("GET", "/screen/api/pair"): {ANYONE},      # whether this browser's code was paired (its own cookie)
    ("GET", "/screen/api/me"): {SCREEN},
    ("GET", "/screen/api/media/{name}"): {SCREEN},
    ("GET", "/screen/api/clips/{clip_id}"): {SCREEN},
    ("GET", "/screen/api/photos/{doctor_id}"): {SCREEN},
    ("WS", "/screen/api/live"): {SCREEN},
    ("POST", f"{V1}/screens/pair"): {STAFF},            # a nurse of the device's area, or an admin (handler checks)
    ("GET", f"{V1}/screens"): {CONSOLE},
    ("DELETE", f"{V1}/screens/{{device}}"): {STAFF},     # revoke: a nurse of its area, or an admin
    ("POST", f"{V1}/screens/overrides"): {STAFF},       # emergency notice: nurses of the areas, or an admin
    ("DELETE", f"{V1}/screens/overrides/{{override_id}}"): {STAFF},
    ("POST", f"{V1}/screens/media/rescan"): {ADMIN},
    # the web cockpit (docs/cockpit.md): its pages and assets are public, its data needs a manager's session
    ("GET", "/cockpit/"): {ANYONE},
    ("GET", "/cockpit/static/{path:path}"): {ANYONE},
    ("POST", "/cockpit/api/login"): {ANYONE},    # checks the password and the X-Cockpit header itself
    ("POST", "/cockpit/api/logout"): {ANYONE},   # ends the session of the cookie it carries, if any
    ("GET", "/cockpit/pdca"): {ANYONE},          # checks the cookie itself and sends others to the login page
    ("GET", "/cockpit/api/me"): {MANAGER},
    ("GET", "/cockpit/api/view"): {MANAGER},
    ("GET", "/cockpit/api/stream"): {MANAGER},
    ("GET", "/cockpit/api/pdca"): {MANAGER},
    ("PUT", "/cockpit/api/pdca"): {MANAGER},  # also needs the X-Cockpit header (checked by the handler)
    ("GET", "/cockpit/export/pdca.xlsx"): {MANAGER},
    ("GET", "/cockpit/export/pdca.csv"): {MANAGER},
    ("GET", "/cockpit/api/whatif/options"): {MANAGER},
    ("POST", "/cockpit/api/simulate"): {MANAGER},  # also needs the X-Cockpit header (checked by the handler)
}.items()}


# what a suspended kiosk (caller/patient_guard.py) may still do: report its health (so the consoles see it is up)
WHILE_SUSPENDED = frozenset({("POST", "/api/v1/devices/health")})


def kinds_of(who: Principal) -> frozenset[str]:
    """The principal kinds a resolved caller has (see the table in the module docstring)."""
    if who.role == "cockpit":
        return frozenset({MANAGER})
    if who.role == SCREEN:
        return frozenset({SCREEN})
    out = {who.role} if who.role in (DISPLAY, SPEAKER, KIOSK, CONSOLE, MONITOR) else set()
    if who.role == KIOSK and who.patients:
        out.add(PATIENT)
    if who.user:
        out.add(STAFF)
    if who.is_admin:
        out.add(ADMIN)
    return frozenset(out)


def allowed(rule: frozenset[str], who: Principal | None) -> bool:
    if ANYONE in rule:
        return True
    if who is None:
        return False
    kinds = kinds_of(who)
    return ADMIN in kinds or bool(rule & kinds)


def refusal(rule: frozenset[str], who: Principal) -> AuthError:
    """The 403 for a principal the rule does not admit, saying what would be needed."""
    if PATIENT in rule and who.role == KIOSK:
        return AuthError("patient_session_required", "请先刷身份证或扫描就诊卡，确认您的身份后再办理，谢谢。",
                         "Identify the patient at this kiosk first (ID card, medical card or ID number).", status=403)
    if STAFF in rule and who.role == CONSOLE and not who.user:
        return AuthError("login_required", "请先用您的账号登录叫号台，谢谢。",
                         "Please log in with your user account first.", status=403)
    return AuthError("forbidden", "对不起，本设备或账号无权进行此操作，请联系管理员。",
                     "This device or user is not allowed to do this.", status=403)


def no_rule() -> AuthError:
    return AuthError("no_access_rule", "对不起，此接口尚未配置访问规则，已拒绝。请联系信息科。",
                     "This endpoint has no access rule yet, so it is refused (deny by default).", status=403)


# ------------------------------------------------------------------------------------------- the routes
def app_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers (HEAD folded into GET; WebSockets as "WS")."""
    out: list[tuple[str, str]] = []
    for ctx in routing.iter_route_contexts(app.routes):
        route = ctx.original_route
        path = ctx.path_format
        if isinstance(route, Mount):
            out.append(("GET", getattr(route, "path", path).rstrip("/") + "/{path:path}"))
        elif isinstance(route, (routing.APIWebSocketRoute,)) or type(route).__name__ == "WebSocketRoute":
            out.append(("WS", path))
        else:
            for method in sorted((ctx.methods or set()) - {"HEAD"}):
                out.append((method, path))
    return out


def missing_rules(app: FastAPI) -> list[tuple[str, str]]:
    return [key for key in app_routes(app) if key not in RULES]


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{[^}:]+:path\}", r".*", template)
    pattern = re.sub(r"\{[^}]+\}", r"[^/]+", pattern)
    return re.compile(f"^{pattern}$")


class AccessGuard:
    """Pure ASGI middleware: finds the route a request is for and applies its rule before the handler.

    A request for a path the app does not have goes on (the router answers 404/405). The resolved principal is
    kept in the scope (``PRINCIPAL``) so nothing after resolves the token again. The command gateway in front of
    the stack (caller/api/command_gateway.py) uses the same matching and check (:meth:`http_principal`).
    """

    def __init__(self, app, fastapi_app: FastAPI):
        self.app = app
        self.fastapi_app = fastapi_app
        self._table: list[tuple[str, re.Pattern[str], tuple[str, str]]] | None = None
        # built with the table: literal paths by (method, path); templates by (method, number of segments)
        self._literal: dict[tuple[str, str], tuple[str, str]] = {}
        self._templates: dict[tuple[str, int], list[tuple[re.Pattern[str], tuple[str, str]]]] = {}
        self._open_ended: dict[str, list[tuple[re.Pattern[str], tuple[str, str]]]] = {}  # {x:path} templates

    def table(self) -> list[tuple[str, re.Pattern[str], tuple[str, str]]]:
        if self._table is None:
            routes = app_routes(self.fastapi_app)
            # literal paths before templates, so /payments/notify is not taken for /payments/{order_id}
            routes.sort(key=lambda key: key[1].count("{"))
            table = [(method, _compile(path), (method, path)) for method, path in routes]
            for method, regex, key in table:
                path = key[1]
                if "{" not in path:
                    self._literal.setdefault((method, path), key)
                elif ":path}" in path:
                    self._open_ended.setdefault(method, []).append((regex, key))
                else:
                    self._templates.setdefault((method, path.count("/")), []).append((regex, key))
            self._table = table
            for key in missing_rules(self.fastapi_app):
                log.error("route %s %s has no access rule: every request to it is refused", *key)
        return self._table

    def match(self, method: str, path: str) -> tuple[str, str] | None:
        """The route a request is for: a dictionary look-up for literal paths; otherwise only the templates
        with as many segments are tried (then the few ending in a ``{...:path}``), literal before template."""
        if self._table is None:
            self.table()
        method = "GET" if method == "HEAD" else method
        key = self._literal.get((method, path))
        if key is not None:
            return key
        for regex, key in self._templates.get((method, path.count("/")), ()):
            if regex.match(path):
                return key
        for regex, key in self._open_ended.get(method, ()):
            if regex.match(path):
                return key
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        method = "WS" if scope["type"] == "websocket" else scope["method"]
        key = self.match(method, scope["path"])
        if key is None:
            await self.app(scope, receive, send)
            return
        rule = RULES.get(key)
        if scope["type"] == "websocket":  # the token may come in the first message: the handler checks
            if rule is None:
                await _close_ws(scope, receive, send, no_rule())
                return
            await self.app(scope, receive, send)
            return
        try:
            who = self.http_principal(key, scope)
        except AuthError as exc:
            await _refuse_http(scope, receive, send, exc)
            return
        if who is not None:
            scope[PRINCIPAL] = who
        await self.app(scope, receive, send)

    def http_principal(self, key: tuple[str, str], scope) -> Principal | None:
        """The caller of an HTTP request for route `key`, allowed by its rule; None where anyone may call it (no
        credential is read). AuthError (401, 403, a suspended kiosk's 423) when refused."""
        rule = RULES.get(key)
        if rule is None:
            raise no_rule()
        if ANYONE in rule:
            return None
        service = self.fastapi_app.state.service
        headers = _headers(scope)
        if MANAGER in rule:  # the cockpit's routes: its session cookie, never a bearer token
            who = service.auth.resolve(_cookie(headers, COCKPIT_COOKIE))
        elif SCREEN in rule:  # a paired web screen's routes: its credential cookie, never a bearer token
            who = self.fastapi_app.state.screens.pairings.principal(_cookie(headers, SCREEN_COOKIE))
        else:
            who = service.auth.resolve_headers(headers)
        if not allowed(rule, who):
            raise refusal(rule, who)
        if who.role == "kiosk" and key not in WHILE_SUSPENDED and service.guard.suspended(who.device):
            raise device_suspended()
        return who


def _cookie(headers: dict[str, str], name: str) -> str | None:
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except CookieError:  # a malformed cookie header is no session
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}


async def _refuse_http(scope, receive, send, exc: AuthError) -> None:
    await refusal_response(exc)(scope, receive, send)


async def _close_ws(scope, receive, send, exc: AuthError) -> None:
    await send({"type": "websocket.close", "code": 4403, "reason": exc.code})


MATRIX_BEGIN, MATRIX_END = "<!-- access-matrix: generated by `python -m caller access-matrix --write` -->", "<!-- /access-matrix -->"


def matrix_markdown(app: FastAPI) -> str:
    """The access matrix (route x principal kind) as a Markdown table, from RULES and the app's routes."""
    head = "| method | route | " + " | ".join(KINDS) + " |"
    lines = [head, "|---|---|" + "---|" * len(KINDS)]
    for method, path in sorted(app_routes(app), key=lambda k: (k[1], k[0])):
        rule = RULES.get((method, path))
        if rule is None:
            cells = ["**no rule: refused**"] + [""] * (len(KINDS) - 1)
        else:
            cells = ["✓" if (kind in rule or (kind == ADMIN and not rule & {ANYONE, MANAGER, SCREEN})) else ""
                     for kind in KINDS]
        lines.append(f"| {method} | `{path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def replace_matrix(document: str, table: str) -> str:
    """The document with the table between the matrix markers replaced."""
    start, end = document.index(MATRIX_BEGIN) + len(MATRIX_BEGIN), document.index(MATRIX_END)
    return document[:start] + "\n" + table + "\n" + document[end:]
