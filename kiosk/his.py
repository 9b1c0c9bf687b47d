"""Whether the hospital's HIS answers, as the kiosk is told (the service's /records/his/status): when it does not,
the home screen says plainly what still works and what does not, and those tiles wait. Mixed into
kiosk.backend.Backend; the call blocks."""
from __future__ import annotations

from dataclasses import dataclass

# home tiles that need the HIS: they wait while it is away (the others work on what the service has)
NEEDS_HIS = ("register", "pay", "new_patient")


@dataclass(frozen=True)
class HisStatus:
    away: bool
    message_zh: str = ""
    message_en: str = ""


class HisCalls:
    def his_status(self) -> HisStatus:
        s = self._get("/records/his/status")  # type: ignore[attr-defined]
        return HisStatus(bool(s.get("away")), str(s.get("message_zh") or ""), str(s.get("message_en") or ""))
