"""Build a kiosk: backend + devices + window. ``build_kiosk`` is what the entry point and the demo call."""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtWidgets import QApplication

from caller.client import CallerError
from kiosk.backend import Backend
from kiosk.devices import KioskDevices
from kiosk.i18n import set_language
from kiosk.settings import KioskSettings
from kiosk.window import KioskWindow

log = logging.getLogger(__name__)

PORTRAIT = (1080, 1920)
LANDSCAPE = (1920, 1080)


def settings_from_service(backend: Backend, settings: KioskSettings, token: str) -> bool:
    """Hospital name and this kiosk's device settings (admin PIN, timeouts) from the service; False if it is down."""
    try:
        hospital = backend.hospital()
    except Exception as exc:  # noqa: BLE001 - the kiosk starts anyway and shows out-of-service
        log.warning("hospital structure not available yet: %s", getattr(exc, "code", type(exc).__name__))
        return False
    info = hospital.get("hospital", hospital)
    settings.hospital_name = info.get("name") or settings.hospital_name
    settings.hospital_name_en = info.get("name_en") or settings.hospital_name_en
    settings.sms_reminders = "sms" in (hospital.get("notify_channels") or [])
    device = hospital.get("device") or {}
    for key in ("admin_pin", "admin_pin_hash", "timeout_s", "elderly_timeout_s", "payment_timeout_s"):
        if device.get(key):
            setattr(settings, key, type(getattr(settings, key))(device[key]))
    return True


def device_settings(config_path: str | None, token: str, settings: KioskSettings) -> None:
    """This kiosk's entry of the hospital TOML (admin PIN, timeouts, printer profile), when the file is given."""
    if not config_path:
        return
    from caller.config import load_hospital

    device = load_hospital(config_path).device_by_token(token)
    if device is None:
        return
    values = dict(getattr(device, "settings", None) or {})
    settings.device_id = device.id
    for key in ("admin_pin", "admin_pin_hash", "timeout_s", "elderly_timeout_s", "payment_timeout_s"):
        if key in values:
            setattr(settings, key, type(getattr(settings, key))(values[key]))
    if "confirm_check_in" in values:
        settings.confirm_check_in = bool(values["confirm_check_in"])
    if values.get("printer_profile"):
        settings.printer_profile = str(values["printer_profile"])
    if values.get("a4_printer"):
        settings.a4_printer = str(values["a4_printer"])


def ticket_page_url(backend: Backend | None, service: str) -> str:
    """What the QR code on a ticket opens: the hospital's ticket_url, else the service's own ticket page."""
    configured = ""
    if backend is not None:
        try:
            configured = backend.hospital().get("hospital", {}).get("ticket_url", "")
        except CallerError:  # the service answered a moment ago; fall back to its own address
            configured = ""
    if not configured:  # the service's own page; with an active/standby pair, the address in use
        from caller.client import ServiceAddresses

        service = ServiceAddresses(service).current
    return configured or f"{service.rstrip('/')}/t/{{token}}"


def build_kiosk(service: str, token: str, reader: str | None = None, printer: str | None = None,
                scanner: str | None = None, payment: str | None = None, *, fullscreen: bool = False,
                landscape: bool = False, settings: KioskSettings | None = None, speech: Any = None,
                start_devices: bool = True, app: QApplication | None = None,
                config: str | None = None) -> KioskWindow:
    """Create (and show) a kiosk window talking to ``service`` with ``token`` and the given device URLs.

    The QApplication must exist (or is created). ``config`` (the hospital TOML) supplies this kiosk's device
    settings such as the staff PIN. Returns the window; ``window.devices`` and ``window.backend`` give access
    to the parts.
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
    device_settings(config, token, settings)
    service_up = settings_from_service(backend, settings, token)
    if service_up:
        try:
            backend.ping()  # the service's time before the first screen: slots, tickets and slips follow it from the start
        except CallerError as exc:
            log.warning("clock not set by the service yet: %s", exc.code)
    devices = KioskDevices(reader, printer, scanner, payment, speech=speech,
                           status_url=ticket_page_url(backend if service_up else None, service),
                           printer_profile=settings.printer_profile, now=backend.clock, a4_printer=settings.a4_printer)
    window = KioskWindow(backend, devices, settings)
    if not service_up:
        window.flows.out_of_service()
    window.resize(*(LANDSCAPE if landscape else PORTRAIT))
    if start_devices:
        devices.start()
    if fullscreen:
        window.lock_fullscreen()
    else:
        window.show()
    return window
