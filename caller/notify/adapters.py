"""Adapters towards the gateways: a generic SMS gateway over HTTP and WeChat (official API shapes).

Both are :class:`caller.notify.model.Notifier`: ``send(message) -> reference`` or DeliveryError (retryable for
timeouts, connection errors, 5xx, 429; permanent for other refusals).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from typing import Any

import httpx

from caller.notify.model import DeliveryError, Notifier, Outgoing
from common.notify_settings import NotifySettings, SmsSettings, WeChatSettings

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 (hex) of ``timestamp + "\\n" + body``: how requests and status callbacks are signed."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, max_age: float = 300.0) -> bool:
    """A signed request from the other side: right signature and a timestamp of the last few minutes."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= max_age
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def _retryable_status(status: int) -> bool:
    return status >= 500 or status in (408, 425, 429)


class SmsGateway:
    """The generic SMS gateway protocol: POST {url}/sms/send, signed, with our key as ``client_ref``.

    Gateways take ``client_ref`` as their idempotency key (most Chinese SMS APIs have such a field: outId,
    extend, uid), so a message resent after a crash is delivered once.
    """

    channel = "sms"
    idempotent = True

    def __init__(self, settings: SmsSettings, hospital: str):
        self.settings = settings
        self.sign_name = settings.sign_name or hospital
        self.secret = settings.key
        self.client = httpx.Client(timeout=settings.timeout_seconds)

    def send(self, message: Outgoing) -> str:
        body = json.dumps({
            "client_ref": message.key, "phone": message.recipient, "sign_name": self.sign_name,
            "template": self.settings.templates.get(message.template, message.template), "params": message.params,
            "text": message.text, "callback_url": self.settings.callback_url,
        }, ensure_ascii=False).encode()
        stamp = f"{time.time():.3f}"
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: stamp}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, stamp, body)
        try:
            answer = self.client.post(f"{self.settings.url.rstrip('/')}/sms/send", content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"gateway unreachable: {type(exc).__name__}") from None
        if answer.status_code != 200:
            raise DeliveryError(f"gateway answered {answer.status_code}: {answer.text[:120]}",
                                retryable=_retryable_status(answer.status_code))
        try:
            return str(answer.json().get("message_id", ""))
        except ValueError:
            raise DeliveryError("gateway answered something that is not JSON") from None

    def close(self) -> None:
        self.client.close()


class WeChatGateway:
    """WeChat subscribe messages (``kind = "subscribe"``) or official-account template messages (``"template"``).

    The access token comes from ``/cgi-bin/token`` and is refreshed when WeChat says it expired. WeChat takes no
    idempotency key, so a message interrupted mid-send is not resent (``idempotent = False``).
    """

    channel = "wechat"
    idempotent = False
    _TOKEN_ERRORS = (40001, 40014, 42001)
    _BUSY = (-1, 45009, 45011)

    def __init__(self, settings: WeChatSettings):
        self.settings = settings
        self.client = httpx.Client(timeout=settings.timeout_seconds)
        self._token = ""
        self._token_until = 0.0
        self._lock = threading.Lock()

    def _access_token(self, refresh: bool = False) -> str:
        with self._lock:
            if self._token and not refresh and time.monotonic() < self._token_until:
                return self._token
            try:
                answer = self.client.get(f"{self.settings.api}/cgi-bin/token", params={
                    "grant_type": "client_credential", "appid": self.settings.app_id, "secret": self.settings.secret})
                data = answer.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise DeliveryError(f"WeChat token: {type(exc).__name__}") from None
            if "access_token" not in data:
                raise DeliveryError(f"WeChat token: errcode {data.get('errcode')} {data.get('errmsg', '')}",
                                    retryable=data.get("errcode") in self._BUSY)
            self._token = data["access_token"]
            self._token_until = time.monotonic() + max(60, int(data.get("expires_in", 7200)) - 300)
            return self._token

    def payload(self, message: Outgoing) -> dict[str, Any]:
        """The request body in WeChat's shape, values cut to what WeChat accepts (thing: 20 characters)."""
        fields = self.settings.fields.get(message.template) or {"thing1": "text"}
        values = {**message.params, "text": message.text}
        data = {}
        for key, name in fields.items():
            value = str(values.get(name, ""))
            limit = 20 if key.startswith("thing") else 32
            data[key] = {"value": value[:limit]}
        body: dict[str, Any] = {"touser": message.recipient,
                                "template_id": self.settings.templates.get(message.template, message.template),
                                "data": data}
        if self.settings.kind == "subscribe":
            body.update({"page": self.settings.page, "miniprogram_state": "formal", "lang": "zh_CN"})
        elif self.settings.page:
            body["url"] = self.settings.page
        return body

    def send(self, message: Outgoing) -> str:
        path = "subscribe/send" if self.settings.kind == "subscribe" else "template/send"
        body = self.payload(message)
        for attempt in (0, 1):
            token = self._access_token(refresh=attempt == 1)
            try:
                answer = self.client.post(f"{self.settings.api}/cgi-bin/message/{path}",
                                          params={"access_token": token}, json=body)
            except httpx.HTTPError as exc:
                raise DeliveryError(f"WeChat unreachable: {type(exc).__name__}") from None
            if answer.status_code != 200:
                raise DeliveryError(f"WeChat answered {answer.status_code}", retryable=_retryable_status(answer.status_code))
            data = answer.json()
            code = int(data.get("errcode", 0))
            if code == 0:
                return str(data.get("msgid", ""))
            if code in self._TOKEN_ERRORS and attempt == 0:
                continue
            raise DeliveryError(f"WeChat errcode {code} {data.get('errmsg', '')}", retryable=code in self._BUSY)
        raise DeliveryError("WeChat token refused twice")

    def close(self) -> None:
        self.client.close()


def notifiers(settings: NotifySettings, hospital: str) -> dict[str, Notifier]:
    """The configured adapters by channel (none configured: nothing is ever sent)."""
    out: dict[str, Notifier] = {}
    if settings.sms is not None:
        out["sms"] = SmsGateway(settings.sms, hospital)
    if settings.wechat is not None:
        out["wechat"] = WeChatGateway(settings.wechat)
    return out
