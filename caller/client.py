"""Python client of the caller service, used by kiosks, consoles, displays and speaker agents.

* :class:`CallerClient` — synchronous (httpx), one method per command/query; raises :class:`CallerError`.
* :class:`EventSubscriber` — a background thread holding the WebSocket of one area: resumes from the
  last seq after a reconnect, reports "connected"/"lost", calls ``on_event(message_dict)``.

Both are safe to use from a Qt application: callbacks run on the subscriber's thread, so hand them to
the GUI thread (e.g. emit a Qt signal) rather than touching widgets directly.
"""
from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from typing import Any, Callable

import httpx

from refusal import Refusal

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


class CallerClient:
    """``CallerClient(base_url, token)``; base_url like ``http://10.0.0.5:8700``."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.headers: dict[str, str] = {}  # sent with every request (a kiosk's X-Patient-Session)
        self._http = httpx.Client(base_url=self.base_url + "/api/v1", timeout=timeout)

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
        try:
            extra = {"timeout": timeout} if timeout is not None else {}
            resp = self._http.request(method, path, json=json_body, params=params, headers=headers, **extra)
        except httpx.HTTPError as exc:
            raise CallerError("unreachable", UNREACHABLE_ZH, f"{UNREACHABLE_EN} ({type(exc).__name__})", status=0) from exc
        if resp.status_code >= 400:
            try:
                err = resp.json()["error"]
                raise CallerError(err["code"], err["message_zh"], err["message_en"], status=resp.status_code)
            except (ValueError, KeyError, TypeError):
                raise CallerError("http_error", "对不起，服务暂时出现问题，请稍候再试。",
                                  f"HTTP {resp.status_code}: {resp.text[:200]}", status=resp.status_code) from None
        return resp.json() if resp.content else None

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
        try:
            resp = self._http.get(self.base_url + "/healthz")
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
    exponential backoff (0.2 s doubling up to 3 s) and resumes from the last seq it saw.
    """

    def __init__(self, base_url: str, token: str, area: str, on_event: Callable[[dict], None],
                 on_status: Callable[[str], None] | None = None, since: int | None = None,
                 silence: float = 6.0):
        self.base_url, self.token, self.area = base_url, token, area
        self.on_event = on_event
        self.on_status = on_status or (lambda status: None)
        self.last_seq = since
        self.silence = silence
        self.status = "connecting"
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

    def _run(self) -> None:
        from websockets.sync.client import connect

        backoff = 0.2
        failures = 0  # in a row: the first is a warning, the rest (the service is still away) debug lines
        while not self._stop.is_set():
            try:
                with connect(events_url(self.base_url, self.area, self.last_seq),
                             additional_headers={"Authorization": f"Bearer {self.token}"},
                             open_timeout=self.silence, close_timeout=1, max_size=2 ** 24,
                             compression=None) as ws:
                    self._ws = ws
                    backoff = 0.2
                    failures = 0
                    self._set_status("connected")
                    while not self._stop.is_set():
                        text = ws.recv(timeout=self.silence)
                        self._handle(json.loads(text))
            except Exception as exc:  # noqa: BLE001 - refused, unreachable, silent or cut: reconnect after a pause
                if not self._stop.is_set():
                    failures += 1
                    (log.warning if failures == 1 else log.debug)(
                        "events of area %s: connection lost or refused (%s: %s); reconnecting (try %d)",
                        self.area, type(exc).__name__, exc, failures)
            finally:
                self._ws = None
            if self._stop.is_set():
                break
            self._set_status("lost")
            self._stop.wait(backoff * (0.8 + 0.4 * random.random()))
            backoff = min(backoff * 2, 3.0)

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
