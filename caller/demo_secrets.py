"""The demo hospital's secrets are public (they are in this repository): a real hospital file must not use them.

``caller serve`` and ``caller check-config`` refuse a file that still holds a demo device token, a demo password
hash or a demo kiosk PIN (or the PIN 000000), unless started with ``--demo`` (``make demo``, ``make serve``, the
benchmarks and the tests do).
"""
from __future__ import annotations

from functools import lru_cache

from common.config import DEMO_CONFIG, Device, HospitalConfig, load_hospital
from common.device_settings import KioskSettings

WEAK_PINS = frozenset({"000000", "123456", "0000", "1234"})


@lru_cache(maxsize=1)
def _demo() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    demo = load_hospital(DEMO_CONFIG)
    tokens = frozenset(d.token for d in demo.devices)
    hashes = frozenset(u.password_hash for u in demo.users)
    pins = frozenset(_pin(d) for d in demo.devices if _pin(d))
    return tokens, hashes, pins


def demo_secrets(config: HospitalConfig) -> list[str]:
    """What in ``config`` is a demo secret, one line each (empty: none)."""
    tokens, hashes, pins = _demo()
    found = [f"devices[id={d.id}].token" for d in config.devices if d.token in tokens]
    found += [f"users[username={u.username}].password_hash" for u in config.users if u.password_hash in hashes]
    found += [f"devices[id={d.id}].settings.admin_pin" for d in config.devices
              if _pin(d) and _pin(d) in pins | WEAK_PINS]
    return found


def _pin(device: Device) -> str:
    """A kiosk's staff PIN in plain text ("" when none or only its hash is set)."""
    return device.settings.admin_pin if isinstance(device.settings, KioskSettings) else ""


def refusal(path: str, found: list[str]) -> str:
    shown = "\n  ".join(found)
    return (f"{path}: 仍在使用演示用的令牌、密码或管理密码（这些是公开的），服务拒绝启动。请为每台设备生成新令牌"
            f"（python -c 'import secrets; print(secrets.token_urlsafe(24))'），用 python -m caller hash-password"
            f" 生成密码，并设置新的自助机管理密码；仅演示时可加 --demo。\n"
            f"{path}: still holds the demo file's public secrets; refusing to start. Replace:\n  {shown}\n"
            f"(for a demonstration only: add --demo)")
