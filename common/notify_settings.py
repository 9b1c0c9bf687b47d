"""``[notify]`` of the hospital file: gateways, when to tell patients, quiet hours, limits."""
from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _secret(value: str, path: str, what: str) -> str:
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"{what}_file {path!r} cannot be read: {exc.strerror}") from None
    return value


class SmsSettings(_Model):
    """A generic SMS gateway over HTTP (docs/notifications.md, "SMS gateway protocol"); the simulator speaks it."""

    url: str = Field(pattern=r"^https?://", description="base URL; messages are POSTed to {url}/sms/send")
    secret: str = Field(default="", description="shared secret signing requests and status callbacks (HMAC-SHA256)")
    secret_file: str = ""
    sign_name: str = Field(default="", description="the SMS signature (签名) registered with the gateway; default the hospital's name")
    templates: dict[str, str] = Field(default_factory=dict, description="event template -> the gateway's template id")
    callback_url: str = Field(default="", description="where the gateway posts delivery reports: https://SERVICE/api/v1/notify/sms/status")
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @property
    def key(self) -> str:
        return _secret(self.secret, self.secret_file, "secret")


class WeChatSettings(_Model):
    """WeChat subscribe messages (mini program) or template messages (official account), the official API's shapes."""

    api: str = Field(default="https://api.weixin.qq.com", pattern=r"^https?://")
    kind: Literal["subscribe", "template"] = "subscribe"
    app_id: str = Field(min_length=1)
    app_secret: str = ""
    app_secret_file: str = ""
    templates: dict[str, str] = Field(default_factory=dict, description="event template -> WeChat template_id")
    fields: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="event template -> {WeChat data key: our value name}, e.g. {thing1 = \"dept\"}")
    page: str = Field(default="", description="mini program page (subscribe) or URL (template) opened from the message")
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @property
    def secret(self) -> str:
        return _secret(self.app_secret, self.app_secret_file, "app_secret")


def parse_hours(value: str) -> tuple[time, time] | None:
    """'21:00-07:30' -> (21:00, 07:30); may cross midnight. Empty: no quiet hours."""
    if not value.strip():
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise ValueError(f"expected a span like '21:00-07:30', got {value!r}")
    h1, m1, h2, m2 = map(int, match.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        raise ValueError(f"not a time span: {value!r}")
    return time(h1, m1), time(h2, m2)


class NotifySettings(_Model):
    """When and how patients who opted in are told; no gateway configured: nothing leaves the hospital."""

    sms: SmsSettings | None = None
    wechat: WeChatSettings | None = None
    ahead: int = Field(default=3, ge=1, le=50, description="tell a patient when this many visits are ahead")
    ahead_by_area: dict[str, int] = Field(default_factory=dict, description="per-area override of `ahead`")
    quiet_hours: str = Field(default="21:00-07:30", description="no reminders or report notices in this span")
    rate_limit: int = Field(default=6, ge=1, le=100, description="messages per phone number per rate window")
    rate_window_minutes: int = Field(default=10, ge=1, le=1440)
    reminder_before_minutes: int = Field(default=15, ge=1, le=240, description="appointment reminder before the slot")
    reminder_day_before_at: str = Field(default="18:00", description="time of the day-before appointment reminder")
    retry_base_seconds: float = Field(default=2.0, gt=0, le=600)
    retry_max_seconds: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("reminder_day_before_at")
    @classmethod
    def _day_before(cls, value: str) -> str:
        if not re.fullmatch(r"\d{1,2}:\d{2}", value) or int(value.split(":")[0]) > 23 or int(value.split(":")[1]) > 59:
            raise ValueError(f"expected a time like '18:00', got {value!r}")
        return value

    @model_validator(mode="after")
    def _retry(self) -> "NotifySettings":
        if self.retry_max_seconds < self.retry_base_seconds:
            raise ValueError("retry_max_seconds must not be below retry_base_seconds")
        return self

    def ahead_for(self, area_id: str) -> int:
        return self.ahead_by_area.get(area_id, self.ahead)

    @property
    def quiet(self) -> tuple[time, time] | None:
        return parse_hours(self.quiet_hours)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(c for c, s in (("sms", self.sms), ("wechat", self.wechat)) if s is not None)
