"""Kiosk settings (from the command line and the kiosk's device entry in the hospital configuration)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class KioskSettings:
    hospital_name: str = "市第一人民医院"
    hospital_name_en: str = "First People's Hospital"
    timeout_s: int = 60
    elderly_timeout_s: int = 150
    warn_s: int = 10
    tick_ms: int = 1000
    admin_pin: str = ""  # from the hospital file; none configured: the staff page stays closed (never a default PIN)
    admin_pin_hash: str = ""  # from the hospital file (python -m caller new-device); when set, admin_pin is unused
    per_page: int = 6
    elderly_per_page: int = 6
    elderly_scale: float = 1.5
    payment_timeout_s: int = 120
    out_of_service_retry_ms: int = 5000
    portrait: bool = True
    device_id: str = "kiosk"
    printer_profile: str = "generic-80-gbk"
    a4_printer: str = ""  # CUPS queue for A4 lab reports, "LabA4" or "LabA4@host:port"; "" = thermal only
    sms_reminders: bool = False  # the hospital has an SMS gateway: the ticket screen offers text reminders
    triage: bool = False  # the hospital file has [triage] symptoms: the home screen offers 智能导诊
    confirm_check_in: bool = True  # False: a patient with exactly one appointment due is checked in as the card is read

    def pin_matches(self, pin: str) -> bool:
        """The staff PIN typed on the keypad: checked against its hash when the file has one (never stored plain)."""
        if self.admin_pin_hash:
            from common.passwords import verify_password

            return verify_password(pin, self.admin_pin_hash)
        return bool(self.admin_pin) and pin == self.admin_pin
