"""Build a kiosk: backend + devices + window. ``build_kiosk`` is what the entry point and the demo call."""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtWidgets import QApplication

from client.http import CallerError, ServiceAddresses
from common.config import load_hospital
from common.device_settings import KioskSettings, lenient
from common.fonts import load_cjk_font
from kiosk.backend import Backend
from kiosk.devices import KioskDevices
from kiosk.i18n import set_language
from kiosk.keyboard import enable_input_method
from kiosk.window import KioskWindow

log = logging.getLogger(__name__)

PORTRAIT = (1080, 1920)
LANDSCAPE = (1920, 1080)


def settings_from_service(backend: Backend, settings: KioskSettings, token: str) -> bool:
    """Hospital name (GET /hospital) and this kiosk's own settings (GET /auth/me: PIN, timeouts, printer profile,
    A4 printer); False if the service is down."""
    try:
        hospital = backend.hospital()
        me = backend.me()
    except CallerError as exc:  # the kiosk starts anyway and shows out-of-service
        log.warning("hospital structure not available yet: %s", exc.code)
        return False
    info = hospital.get("hospital", hospital)
    settings.hospital_name = info.get("name") or settings.hospital_name
    settings.hospital_name_en = info.get("name_en") or settings.hospital_name_en
    settings.sms_reminders = "sms" in (hospital.get("notify_channels") or [])
    settings.triage = bool((hospital.get("triage") or {}).get("symptoms"))
    settings.device_id = str(me.get("device") or settings.device_id)
    apply_device_settings(settings, me.get("settings"))
    return True


def device_settings(config_path: str | None, token: str, settings: KioskSettings) -> None:
    """This kiosk's entry of the hospital TOML, when the file is given (the service's answer overrides it)."""
    if not config_path:
        return
    device = load_hospital(config_path).device_by_token(token)
    if device is None:
        return
    settings.device_id = device.id
    apply_device_settings(settings, device.settings.served())


def apply_device_settings(settings: KioskSettings, served: dict[str, Any] | None) -> None:
    """The keys the hospital file sets for this kiosk onto its running settings, checked by the same model as
    the file (common/device_settings.py); a value this kiosk cannot use is logged and the default stays."""
    checked, problems = lenient(KioskSettings, served)
    for problem in problems:
        log.warning("kiosk setting ignored: %s", problem)
    for key in checked.model_fields_set:
        setattr(settings, key, getattr(checked, key))


def ticket_page_url(backend: Backend | None, service: str) -> str:
    """What the QR code on a ticket opens: the hospital's ticket_url, else the service's own ticket page."""
    configured = ""
    if backend is not None:
        try:
            configured = backend.hospital().get("hospital", {}).get("ticket_url", "")
        except CallerError:  # the service answered a moment ago; fall back to its own address
            configured = ""
    if not configured:  # the service's own page; with an active/standby pair, the address in use
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
    if app is None and QApplication.instance() is None:
        enable_input_method()
    app = app or QApplication.instance() or QApplication([])
    load_cjk_font(app)
    set_language("zh")
    provider = None
    if payment:
        from hardware.payment import HttpProvider  # noqa: PLC0415 - httpx and qrcode, only with a payment terminal

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
