"""The demo's patients at the platform simulators (platforms/): each known patient with an ID number on file is
insured at the 医保 simulator and holds a national e-health card at the e-health card simulator, so that paying with
医保 and identifying by 医保电子凭证, social-security card or e-health card all work, by hand at the control window
and in the scripted morning. Only the simulators learn these cards; the records are not touched."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from demo.prepare import KnownPatient

BALANCE_FEN = 3000  # each personal account (个人账户) holds 30.00 元: a bill splits into 统筹, 个人账户 and 自付


@dataclass(frozen=True)
class PlatformCards:
    """What a demo patient carries for the platforms."""

    insurance_qr: str    # the 医保电子凭证 QR (mdtrt_cert_type 01)
    ssc_no: str          # the social-security card's number (03), as its reader types it in keyboard mode
    ehealth_card: Any    # platforms.ehealth.simulator.Card
    ehealth: Any         # the e-health card simulator that issued it

    @property
    def ssc_text(self) -> str:
        return f"SSC:{self.ssc_no}"

    def ehealth_qr(self) -> str:
        """The card's QR as the phone app draws it now (it expires after a few minutes, so drawn when shown)."""
        return self.ehealth.qr_of(self.ehealth_card)


def enroll(stack: Any, patients: Iterable[KnownPatient], balance_fen: int = BALANCE_FEN) -> dict[int, PlatformCards]:
    """Insure ``patients`` (those with an ID number) and give each an e-health card; by patient id."""
    cards: dict[int, PlatformCards] = {}
    for patient in patients:
        if not patient.id_number or patient.patient_id in cards:
            continue
        person = stack.medins.platform.add_person(patient.name, patient.id_number, balc_fen=balance_fen)
        card, _qr = stack.ehealth.add_card(patient.name, patient.id_number)
        cards[patient.patient_id] = PlatformCards(person.qr, person.ssc_no, card, stack.ehealth)
    return cards
