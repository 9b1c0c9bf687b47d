"""Card first: the card read on the home screen identifies the patient and shows their day."""
from __future__ import annotations

from kiosk.flows.services import ServicesMixin
from kiosk.models import Patient, PatientDay
from kiosk.screens.day import DayScreen
from kiosk.screens.services import BillsScreen, ReportsScreen


class DayMixin(ServicesMixin):
    def my_day(self) -> None:
        """识别身份: identify, then the patient's day (nothing due today: straight to the departments)."""
        self.identify(self._show_day)

    def _show_day(self, patient: Patient) -> None:
        kiosk = self.kiosk
        self.call(lambda: kiosk.backend.day(patient), self._day_ready)

    def _day_ready(self, day: PatientDay) -> None:
        kiosk = self.kiosk
        patient = day.patient
        if day.empty:
            self._choose_department(patient)
            return
        if len(day.appointments) == 1 and not kiosk.settings.confirm_check_in:
            self._check_in_one(day.appointments[0])  # the hospital asks for no confirmation: checked in at once
            return
        kiosk.show_screen(lambda: DayScreen(
            kiosk, day, self._check_in_one,
            on_bills=lambda: kiosk.show_screen(lambda: BillsScreen(kiosk, list(day.bills), self._pay_chosen)),
            on_reports=lambda: kiosk.show_screen(lambda: ReportsScreen(
                kiosk, list(day.reports + day.reports_pending), self._print_reports)),
            on_register=lambda: self._choose_department(patient),
            on_queue=lambda: self._show_queue(patient)))
