"""智能导诊: symptoms -> suggested departments (the hospital file's rules) -> registration; red flags -> 急诊 and
a help call a nurse confirms on the console."""
from __future__ import annotations

import uuid

from common.triage import TriageConfig, advise
from kiosk.flows.base import Flow
from kiosk.flows.identify import IdentifyFlow
from kiosk.flows.register import RegisterFlow
from kiosk.models import Session
from kiosk.screens.triage import TriageAdviceScreen, TriageScreen


class TriageFlow(Flow):
    def __init__(self, kiosk, session: Session, identify: IdentifyFlow, register: RegisterFlow) -> None:
        super().__init__(kiosk, session)
        self.identify, self.register = identify, register

    def triage(self) -> None:
        kiosk = self.kiosk
        self.call(kiosk.backend.hospital, lambda hospital: kiosk.show_screen(lambda: TriageScreen(
            kiosk, TriageConfig.model_validate(hospital.get("triage") or {}), self._symptom_chosen, self.register.register)))

    def _symptom_chosen(self, symptom: str) -> None:
        kiosk = self.kiosk
        hospital = kiosk.backend.hospital()
        advice = advise(TriageConfig.model_validate(hospital.get("triage") or {}), [symptom])
        names = {d["id"]: (d.get("name", ""), d.get("name_en") or d.get("name", "")) for d in hospital.get("departments", [])}
        kiosk.show_screen(lambda: TriageAdviceScreen(kiosk, advice, names, self._triage_department, self.register.register))
        if advice.emergency:  # a nurse comes: the call is on the consoles until someone confirms it
            key = uuid.uuid4().hex
            self.kiosk.runner.run(lambda: kiosk.backend.call_staff(f"triage.red_flag.{symptom}", key), None,
                                  lambda _e: None, busy=False)

    def _triage_department(self, department_id: str) -> None:
        """The patient takes the suggestion: identify (card), then that department's doctors."""
        kiosk = self.kiosk

        def chosen(_patient) -> None:
            self.call(kiosk.backend.departments, lambda deps: self.register.department_chosen(
                next(d for d in deps if d.id == department_id)))

        self.identify.identify(chosen)
