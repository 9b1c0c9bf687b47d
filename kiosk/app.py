"""Build a kiosk: backend + devices + window. ``build_kiosk`` is what the entry point and the demo call."""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtWidgets import QApplication

from kiosk.backend import Backend
from kiosk.devices import KioskDevices
from kiosk.i18n import set_language
from kiosk.settings import KioskSettings
from kiosk.window import KioskWindow

log = logging.getLogger(__name__)

PORTRAIT = (1080, 1920)
LANDSCAPE = (1920, 1080)


def settings_from_service(backend: Backend, settings: KioskSettings, token: str) -> KioskSettings:
    """Hospital name and this kiosk's device settings (admin PIN, timeouts) from the service, when it answers."""
    try:
        hospital = backend.hospital()
    except Exception as exc:  # noqa: BLE001 - the kiosk starts anyway and shows out-of-service when needed
        log.warning("hospital structure not available yet: %s", getattr(exc, "code", type(exc).__name__))
        return settings
    info = hospital.get("hospital", hospital)
    settings.hospital_name = info.get("name") or settings.hospital_name
    settings.hospital_name_en = info.get("name_en") or settings.hospital_name_en
    device = hospital.get("device") or {}
    for key in ("admin_pin", "timeout_s", "elderly_timeout_s", "payment_timeout_s"):
        if device.get(key):
            setattr(settings, key, type(getattr(settings, key))(device[key]))
    return settings


def build_kiosk(service: str, token: str, reader: str | None = None, printer: str | None = None,
                scanner: str | None = None, payment: str | None = None, *, fullscreen: bool = False,
                landscape: bool = False, settings: KioskSettings | None = None, speech: Any = None,
                start_devices: bool = True, app: QApplication | None = None) -> KioskWindow:
    """Create (and show) a kiosk window talking to ``service`` with ``token`` and the given device URLs.

    The QApplication must exist (or is created). Returns the window; ``window.devices`` and ``window.backend``
    give access to the parts.
    """
    app = app or QApplication.instance() or QApplication([])
    from uikit.fonts import load_cjk_font

    load_cjk_font(app)
    set_language("zh")
    provider = None
    if payment:
        from hardware.payment import HttpProvider

        provider = HttpProvider(payment)
    backend = Backend(service, token, payment_provider=provider)
    settings = settings or KioskSettings()
    settings.portrait = not landscape
    settings_from_service(backend, settings, token)
    devices = KioskDevices(reader, printer, scanner, payment, speech=speech, status_url=service)
    window = KioskWindow(backend, devices, settings)
    window.resize(*(LANDSCAPE if landscape else PORTRAIT))
    if start_devices:
        devices.start()
    if fullscreen:
        window.lock_fullscreen()
    else:
        window.show()
    return window
