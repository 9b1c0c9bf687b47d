"""Device health shared by every hardware driver."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Health(str, Enum):
    OK = "ok"
    DEGRADED = "degraded"
    OFFLINE = "offline"


@dataclass(frozen=True)
class DeviceHealth:
    """Health of one device, with a reason people can read (Chinese first)."""

    device: str
    status: Health
    reason_zh: str = ""
    reason_en: str = ""
