"""Python client of the caller service, used by kiosks, consoles, displays and speaker agents.

* :class:`CallerClient` — synchronous (httpx), one method per command/query; raises :class:`CallerError`.
* :class:`EventSubscriber` — a background thread holding the WebSocket of one area: resumes from the
  last seq after a reconnect, reports "connected"/"lost", calls ``on_event(message_dict)``.
* :class:`ServiceAddresses` — the service's addresses when it runs active/standby
  (``"http://a:8700,http://b:8700"``): both follow the active one (docs/high-availability.md).

Both are safe to use from a Qt application: callbacks run on the subscriber's thread, so hand them to
the GUI thread (e.g. emit a Qt signal) rather than touching widgets directly.
"""
from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import uuid
from typing import Any, Callable, Iterable

import httpx

from common.refusal import Refusal
from common.wire import CLIENT_KEEP_ALIVE_S

log = logging.getLogger(__name__)

UNREACHABLE_ZH = "对不起，暂时无法连接叫号服务，请稍候再试或联系工作人员。"
UNREACHABLE_EN = "The caller service cannot be reached; please try again shortly or ask the staff."


class CallerError(Refusal):
    """A refusal the service sent (its code, messages and HTTP status), or ``unreachable`` (status 0) when no
    answer came. The messages can be shown as they are."""

    status = 0


def new_idempotency_key() -> str:
    """A fresh key for one create command; reuse the same key when retrying that command."""
    return uuid.uuid4().hex


STANDBY = "standby"  # the error code of a standby service (503): it names the active one in ``active``
FAILOVER_WAIT_S = 12.0  # how long a client with several addresses keeps looking for the active one
STANDBY_ANSWERS_S = 0.5  # a standby refuses an event stream at once, with its first message


class ServiceAddresses:
    """The caller service's addresses, the one believed active first. Thread-safe; share one between a
    client and its event subscribers so that what one learns the others use.

    Built from ``"http://a:8700"``, ``"http://a:8700,http://b:8700"`` or a list. A standby's answer names the
    active one; only addresses of this list are ever followed (a client never sends its token elsewhere).
    """

    def __init__(self, addresses: "str | Iterable[str] | ServiceAddresses"):
        if isinstance(addresses, ServiceAddresses):
            addresses = addresses.all()
        if isinstance(addresses, str):
            addresses = addresses.split(",")
        self._all = [a.strip().rstrip("/") for a in addresses if a and a.strip()]
        if not self._all:
            raise ValueError("no service address given")
        self._current = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._all)

    def __str__(self) -> str:
        """The list as one string, the current address first (what ``--service`` accepts)."""
        return ",".join(self.all())

    @property
    def current(self) -> str:
        with self._lock:
            return self._all[self._current]

    def all(self) -> list[str]:
        """Every address, the current one first."""
        with self._lock:
            return self._all[self._current:] + self._all[:self._current]

    def failed(self, address: str, active_hint: str | None = None) -> str:
        """``address`` did not serve (down, or a standby naming ``active_hint``): move on; return the next one."""
        with self._lock:
            if self._all[self._current] == address:
                hint = (active_hint or "").rstrip("/")
                if hint in self._all and hint != address:
                    self._current = self._all.index(hint)
                else:
                    self._current = (self._current + 1) % len(self._all)
            return self._all[self._current]

    def served(self, address: str) -> None:
        """``address`` answered as the active service: keep using it."""
        with self._lock:
            if address in self._all:
                self._current = self._all.index(address)


def _standby_hint(resp: httpx.Response) -> tuple[bool, str | None]:
    """(True, the active one's address) when ``resp`` is a standby's refusal."""
    if resp.status_code != 503:
        return False, None
    try:
        err = resp.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False, None
    if not isinstance(err, dict) or err.get("code") != STANDBY:
        return False, None
    return True, err.get("active") or None


# A request that reached a service which then failed may have been applied: only these are sent again elsewhere.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class CallerClient:
    """``CallerClient(base_url, token)``; base_url like ``http://10.0.0.5:8700``, or several addresses
    (``"http://a:8700,http://b:8700"`` or a :class:`ServiceAddresses`) when the service runs active/standby.

    With several addresses a request that finds a service down or on standby goes to the next one (the one a
    standby names first) for up to ``failover_wait`` seconds. A request that may have been applied by a
    service that then died (the answer was lost) is sent again only when that cannot apply it twice: reads,
    and commands with an ``idempotency_key``.
    """

    def __init__(self, base_url: "str | Iterable[str] | ServiceAddresses", token: str | None = None,
                 timeout: float = 5.0, failover_wait: float | None = None):
        self.addresses = base_url if isinstance(base_url, ServiceAddresses) else ServiceAddresses(base_url)
        self.token = token
        self.timeout = timeout
        self.failover_wait = (FAILOVER_WAIT_S if len(self.addresses) > 1 else 0.0) if failover_wait is None \
            else failover_wait
        self.headers: dict[str, str] = {}  # sent with every request (a kiosk's X-Patient-Session)
        self._http = httpx.Client(timeout=timeout, limits=httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_S))

    @property
    def base_url(self) -> str:
        """The service's address, or its addresses (the active one first) when there are several."""
        return str(self.addresses)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "CallerClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing
    def request(self, method: str, path: str, *, json_body: dict | None = None,
                params: dict | None = None, headers: dict[str, str] | None = None,
                timeout: float | None = None) -> Any:
        """Send one request; return the decoded JSON body or raise CallerError. ``headers`` add to/override
        :attr:`headers` for this request only."""
        sent = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        sent.update(self.headers)
        sent.update(headers or {})
        headers = sent
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        extra = {"timeout": timeout} if timeout is not None else {}
        resp = self._send(method, "/api/v1" + path, json_body=json_body, params=params, headers=headers, **extra)
        if resp.status_code >= 400:
            try:
                err = resp.json()["error"]
                raise CallerError(err["code"], err["message_zh"], err["message_en"], status=resp.status_code)
            except (ValueError, KeyError, TypeError):
                raise CallerError("http_error", "对不起，服务暂时出现问题，请稍候再试。",
                                  f"HTTP {resp.status_code}: {resp.text[:200]}", status=resp.status_code) from None
        return resp.json() if resp.content else None

    def _send(self, method: str, path: str, *, json_body: dict | None = None, **kwargs: Any) -> httpx.Response:
        """Send to the active service: the next address after one that is down or on standby (see the class)."""
        resend = method == "GET" or bool(json_body and json_body.get("idempotency_key"))
        deadline = time.monotonic() + self.failover_wait
        pause = 0.1
        tried: set[str] = set()
        while True:
            address = self.addresses.current
            try:
                resp = self._http.request(method, address + path, json=json_body, **kwargs)
            except httpx.HTTPError as exc:
                if len(self.addresses) == 1 or not (resend or isinstance(exc, _NOT_SENT)) \
                        or time.monotonic() >= deadline:
                    raise CallerError("unreachable", UNREACHABLE_ZH, f"{UNREACHABLE_EN} ({type(exc).__name__})",
                                      status=0) from exc
                log.info("%s did not answer (%s); trying the next service address", address, type(exc).__name__)
                hint = None
            else:
                standby, hint = _standby_hint(resp)
                if not standby:
                    self.addresses.served(address)
                    return resp
                if len(self.addresses) == 1 or time.monotonic() >= deadline:
                    return resp  # the standby's own refusal says what is happening
            tried.add(address)
            if self.addresses.failed(address, hint) in tried:  # each one tried: a takeover takes a few seconds
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, 0.3)
                tried.clear()

    def _command(self, path: str, body: dict | None = None) -> dict:
        return self.request("POST", path, json_body={k: v for k, v in (body or {}).items() if v is not None})

    # ---------------------------------------------------------------------- auth
    def login(self, username: str, password: str) -> dict:
        """Log a console user in; from then on this client uses the user token. Returns {token, user, role, areas}."""
        result = self.request("POST", "/auth/login", json_body={"username": username, "password": password})
        self.token = result["token"]
        return result

    # ------------------------------------------------------------------ commands
    def register(self, department: str, *, name: str, patient_id: str | None = None,
                 doctor: str | None = None, source: str = "onsite", kind: str | None = None,
                 slot: str | None = None, session: str | None = None, reg_seq: int | None = None,
                 triage_level: int | None = None, idempotency_key: str | None = None,
                 **extra: Any) -> dict:
        """Issue a ticket (POST /visits). Returns the visit (with ``ticket``)."""
        body = {"department": department, "name": name, "patient_id": patient_id, "doctor": doctor,
                "source": source, "kind": kind, "slot": slot, "session": session, "reg_seq": reg_seq,
                "triage_level": triage_level, "idempotency_key": idempotency_key or new_idempotency_key(), **extra}
        return self._command("/visits", body)

    def check_in(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/check-in")

    def call_next(self, room: str) -> dict:
        """Call the next visit to a room. ``result["visit"]`` is None when nobody waits."""
        return self._command(f"/rooms/{room}/call-next")

    def call_again(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/call-again")

    def start(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/start")

    def finish(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/finish")

    def missed(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/missed")

    def recall(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/recall")

    def away(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/away")

    def back(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/back")

    def move_up(self, visit_id: str, *, before: str | None = None, steps: int | None = None) -> dict:
        return self._command(f"/visits/{visit_id}/move-up", {"before": before, "steps": steps})

    def priority(self, visit_id: str, kind: str | None) -> dict:
        """Give (kind like "elderly") or remove (None) priority."""
        return self.request("POST", f"/visits/{visit_id}/priority", json_body={"kind": kind})

    def set_triage(self, visit_id: str, level: int) -> dict:
        """Emergency: set or change the triage level (1 濒危 .. 4 非急症); 1-2 raise an alert."""
        return self._command(f"/visits/{visit_id}/triage", {"level": level})

    def assign_doctor(self, visit_id: str, doctor: str) -> dict:
        return self._command(f"/visits/{visit_id}/assign-doctor", {"doctor": doctor})

    def transfer(self, visit_id: str, *, department: str | None = None, room: str | None = None,
                 at_end: bool = False) -> dict:
        return self._command(f"/visits/{visit_id}/transfer",
                             {"department": department, "room": room, "at_end": at_end})

    def dispatch(self, visit_id: str, room: str) -> dict:
        return self._command(f"/visits/{visit_id}/dispatch", {"room": room})

    def cancel(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/cancel")

    def call_visit(self, visit_id: str, room: str, reason: str) -> dict:
        """呼叫此号: call this waiting visit into ``room`` now, out of turn (``reason`` goes to the audit)."""
        return self._command(f"/visits/{visit_id}/call", {"room": room, "reason": reason})

    def pause_room(self, room: str, return_at: str | None = None) -> dict:
        """停诊; ``return_at`` ("10:30") is shown on the door and wall screens."""
        return self._command(f"/rooms/{room}/pause", {"return_at": return_at} if return_at else None)

    def resume_room(self, room: str) -> dict:
        return self._command(f"/rooms/{room}/resume")

    def set_room_doctor(self, room: str, doctor: str | None) -> dict:
        """Who sits in the room this session (None: nobody); visits that no longer fit go back to the area."""
        return self.request("POST", f"/rooms/{room}/doctor", json_body={"doctor": doctor})

    def broadcast(self, area: str, text: str, *, text_en: str = "", idempotency_key: str | None = None) -> dict:
        return self._command(f"/areas/{area}/broadcast", {
            "text": text, "text_en": text_en, "idempotency_key": idempotency_key or new_idempotency_key()})

    # ------------------------------------------------------------------- queries
    def me(self) -> dict:
        """Who this token is: role, device, area, room, the user when logged in, and the device's own ``settings``
        from the hospital file (checked when the service loaded it; docs/settings.md)."""
        return self.request("GET", "/auth/me")

    def hospital(self) -> dict:
        return self.request("GET", "/hospital")

    # ------------------------------------------------------------- journeys (docs/journey.md)
    def orders(self, visit_id: str, orders: list[dict], *, flags: list[str] | None = None,
               pay_at_window: bool = False, idempotency_key: str | None = None) -> dict:
        """开单: open the steps of ``orders`` (common.wire.Order as dicts) on the visit's journey."""
        return self._command(f"/visits/{visit_id}/orders", {
            "orders": orders, "flags": flags or [], "pay_at_window": pay_at_window,
            "idempotency_key": idempotency_key or new_idempotency_key()})

    def journey(self, visit_id: str) -> dict:
        """The whole journey (common.wire.JourneyStatus) of a visit or any of its steps."""
        return self.request("GET", f"/visits/{visit_id}/journey")

    def pay_step(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/pay")

    def dispense(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/dispense")

    def ready(self, visit_id: str, room: str | None = None) -> dict:
        return self._command(f"/visits/{visit_id}/ready", {"room": room})

    def collect(self, visit_id: str, code: str) -> dict:
        return self._command(f"/visits/{visit_id}/collect", {"code": code})

    def settle(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/settle")

    def prep(self, visit_id: str, *, fasting_since: str | None = None, water_at: str | None = None,
             consent: bool = False) -> dict:
        return self._command(f"/visits/{visit_id}/prep", {"fasting_since": fasting_since, "water_at": water_at,
                                                          "consent": consent})

    def labels(self, visit_id: str) -> list[dict]:
        """Print the specimen labels of a lab step (audited): the labels to send to the label printer."""
        return self._command(f"/visits/{visit_id}/labels")["labels"]

    def report_ready(self, visit_id: str) -> dict:
        return self._command(f"/visits/{visit_id}/report-ready")

    def check_in_code(self, area: str, code: str) -> dict:
        """Check a patient in at a service point by the scanned card, QR or guide slip code (or ticket number)."""
        return self._command(f"/areas/{area}/check-in", {"code": code})

    def area_steps(self, area: str) -> list[dict]:
        """The open steps of an area's service points (common.wire.StationStep): 待配药, 配药中, 已配好, held exams."""
        return self.request("GET", f"/areas/{area}/steps")

    def area_queue(self, area: str) -> dict:
        return self.request("GET", f"/areas/{area}/queue")

    def room_queue(self, room: str) -> dict:
        return self.request("GET", f"/rooms/{room}/queue")

    def visit_status(self, visit_id: str) -> dict:
        return self.request("GET", f"/visits/{visit_id}/status")

    def notify(self, visit_id: str, channel: str, to: str) -> dict:
        """The patient opts in to messages (channel sms|wechat, to: mobile number or openid)."""
        return self._command(f"/visits/{visit_id}/notify", {"channel": channel, "to": to})

    def stop_notify(self, visit_id: str, channel: str) -> dict:
        return self.request("DELETE", f"/visits/{visit_id}/notify/{channel}")

    def notifications(self, visit_id: str) -> dict:
        """A visit's opt-ins and messages with their delivery states (recipients masked)."""
        return self.request("GET", f"/visits/{visit_id}/notify")

    def audit(self, visit: str | None = None, limit: int = 500) -> list[dict]:
        return self.request("GET", "/audit", params={"visit": visit, "limit": limit})

    def wait_alerts(self) -> list[dict]:
        return self.request("GET", "/stats/alerts")

    def stats(self) -> dict:
        return self.request("GET", "/stats/summary")

    def devices(self) -> list[dict]:
        return self.request("GET", "/devices")

    def report_health(self, status: str, reason_zh: str = "", reason_en: str = "",
                      detail: dict | None = None, device: str | None = None,
                      parts: list[dict] | None = None) -> dict:
        """Heartbeat / health report (status ok|warning|fault; a part's offline counts as a fault).

        ``device`` names a sub-device; ``parts`` lists the device's parts in the same heartbeat
        (``{"device": "printer", "status": ..., "reason_zh": ..., "reason_en": ...}``).
        """
        body = {"status": status, "reason_zh": reason_zh, "reason_en": reason_en, "detail": detail or {},
                "device": device, "parts": parts or []}
        return self.request("POST", "/devices/health", json_body=body)

    def request_help(self, screen: str = "", idempotency_key: str | None = None) -> dict:
        """A patient asks for staff (kiosk tokens): the consoles of the kiosk's areas get an alert."""
        return self._command("/help", {"screen": screen, "idempotency_key": idempotency_key or new_idempotency_key()})

    def help_status(self, help_id: str, version: int = -1, wait: float = 0) -> dict:
        """A help call; with ``wait`` the service answers as soon as a step newer than ``version`` happens."""
        return self.request("GET", f"/help/{help_id}", params={"version": version, "wait": wait},
                            timeout=wait + self.timeout)

    def open_help_calls(self, area: str) -> list[dict]:
        return self.request("GET", "/help", params={"area": area})

    def acknowledge_help(self, help_id: str) -> dict:
        return self.request("POST", f"/help/{help_id}/acknowledge")

    def cancel_help(self, help_id: str) -> dict:
        return self.request("POST", f"/help/{help_id}/cancel")

    def close_help(self, help_id: str, outcome: str) -> dict:
        """``outcome``: resolved | patient_gone."""
        return self.request("POST", f"/help/{help_id}/close", json_body={"outcome": outcome})

    def healthz(self) -> dict:
        """The current address's /healthz (``role``: active or standby when the service runs active/standby)."""
        try:
            resp = self._http.get(self.addresses.current + "/healthz")
        except httpx.HTTPError as exc:
            raise CallerError("unreachable", UNREACHABLE_ZH, UNREACHABLE_EN, status=0) from exc
        return resp.json()


# ---------------------------------------------------------------------------------- events
def events_url(base_url: str, area: str, since: int | None) -> str:
    url = base_url.rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    url += f"/api/v1/events?area={area}"
    if since is not None:
        url += f"&since={since}"
    return url


class EventSubscriber:
    """Follows one area's events in a background thread.

    ``on_event(msg)`` gets every message except heartbeats (snapshot, queue, call, broadcast, room,
    alert). ``on_status(status)`` gets "connected" or "lost" (lost is reported after ``silence``
    seconds without any message, or when the connection fails). The subscriber reconnects with
    exponential backoff (0.2 s doubling up to 3 s) and resumes from the last seq it saw. With several
    service addresses it goes to the next one (the active one a standby names first) at once, and only
    backs off after trying each: the seq is the database's, so the new active replays what was missed.
    """

    def __init__(self, base_url: "str | Iterable[str] | ServiceAddresses", token: str, area: str,
                 on_event: Callable[[dict], None],
                 on_status: Callable[[str], None] | None = None, since: int | None = None,
                 silence: float = 6.0):
        self.addresses = base_url if isinstance(base_url, ServiceAddresses) else ServiceAddresses(base_url)
        self.token, self.area = token, area
        self.on_event = on_event
        self.on_status = on_status or (lambda status: None)
        self.last_seq = since
        self.silence = silence
        self.status = "connecting"
        self._standby_hint: str | None = None
        self._stop = threading.Event()
        self._ws = None
        self._thread = threading.Thread(target=self._run, name=f"events-{area}", daemon=True)

    def start(self) -> "EventSubscriber":
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        ws = self._ws
        if ws is not None:
            try:
                ws.close()
            except Exception as exc:  # noqa: BLE001 - a connection that is already broken; the loop ends anyway
                log.debug("closing the events connection: %s", exc)
        self._thread.join(timeout)

    def __enter__(self) -> "EventSubscriber":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            try:
                self.on_status(status)
            except Exception:  # a listener's bug must not stop the subscriber
                log.exception("on_status failed for %s", status)

    @property
    def base_url(self) -> str:
        return str(self.addresses)

    def _run(self) -> None:
        from websockets.sync.client import connect  # noqa: PLC0415 - a heavy library, loaded only when this runs

        backoff = 0.2
        tried: set[str] = set()
        failures = 0  # in a row: the first is a warning, the rest (the service is still away) debug lines
        while not self._stop.is_set():
            address = self.addresses.current
            self._standby_hint = None
            try:
                with connect(events_url(address, self.area, self.last_seq),
                             additional_headers={"Authorization": f"Bearer {self.token}"},
                             open_timeout=self.silence, close_timeout=1, max_size=2 ** 24,
                             compression=None) as ws:
                    self._ws = ws
                    try:
                        first: dict | None = json.loads(ws.recv(timeout=STANDBY_ANSWERS_S))
                    except TimeoutError:  # a standby refuses at once; the active may have nothing to send yet
                        first = None
                    if first is None or not self._standby(first):
                        self.addresses.served(address)
                        backoff = 0.2
                        failures = 0
                        tried.clear()
                        self._set_status("connected")
                        if first is not None:
                            self._handle(first)
                        while not self._stop.is_set():
                            message = json.loads(ws.recv(timeout=self.silence))
                            if self._standby(message):  # demoted: it lost the database
                                break
                            self._handle(message)
            except Exception as exc:  # noqa: BLE001 - refused, unreachable, silent or cut: reconnect after a pause
                if not self._stop.is_set():
                    failures += 1
                    (log.warning if failures == 1 else log.debug)(
                        "events of area %s at %s: connection lost or refused (%s: %s); reconnecting (try %d)",
                        self.area, address, type(exc).__name__, exc, failures)
            finally:
                self._ws = None
            if self._stop.is_set():
                break
            self._set_status("lost")
            tried.add(address)
            if len(self.addresses) > 1 and self.addresses.failed(address, self._standby_hint) not in tried:
                continue  # another address not tried yet: at once
            tried.clear()
            self._stop.wait(backoff * (0.8 + 0.4 * random.random()))
            backoff = min(backoff * 2, 3.0)

    def _standby(self, msg: dict) -> bool:
        """True for a standby's refusal; it names the active one (kept in ``_standby_hint``)."""
        err = msg.get("error") if msg.get("type") == "error" else None
        if not isinstance(err, dict) or err.get("code") != STANDBY:
            return False
        self._standby_hint = err.get("active") or ""
        return True

    def _handle(self, msg: dict) -> None:
        seq = msg.get("seq")
        if msg.get("type") == "heartbeat":
            return
        if isinstance(seq, int) and (self.last_seq is None or seq > self.last_seq or msg.get("type") == "snapshot"):
            self.last_seq = seq
        try:
            self.on_event(msg)
        except Exception:
            log.exception("on_event failed for %s", msg.get("type"))


# ---------------------------------------------------------------------------------- command lines
SERVICE_ENV = "HOSPITAL_SERVICE"


def add_service_argument(parser: Any) -> None:
    """``--service URL[,URL...]`` (repeatable): the caller service, or each of its active/standby addresses."""
    parser.add_argument("--service", action="append", metavar="URL[,URL...]",
                        help="caller service address, e.g. http://10.0.0.5:8700; with an active/standby pair give "
                             "both (http://10.0.0.5:8700,http://10.0.0.6:8700): the device follows the active one. "
                             f"Default: ${SERVICE_ENV}, else [hospital] services of the hospital file (--config)")


def service_from_args(args: Any, environ: dict[str, str] | None = None) -> str:
    """The addresses from ``--service``, else ``$HOSPITAL_SERVICE``, else the hospital file's ``services``."""

    env = os.environ if environ is None else environ
    given = ",".join(getattr(args, "service", None) or []) or env.get(SERVICE_ENV, "")
    config = getattr(args, "config", None) or env.get("HOSPITAL_CONFIG")
    if not given.strip(",") and config:
        from common.config import ConfigError, load_hospital  # noqa: PLC0415 - the hospital file's models (pydantic, argon2) load only when a file is read

        try:
            given = ",".join(load_hospital(config).hospital.services)
        except ConfigError as exc:
            raise SystemExit(f"配置文件有误 / configuration error:\n{exc}") from None
    if not given.strip(","):
        raise SystemExit("请用 --service 给出叫号服务地址 / give the caller service's address with --service URL "
                         f"(or ${SERVICE_ENV}, or [hospital] services in the hospital file given with --config)")
    return str(ServiceAddresses(given))
