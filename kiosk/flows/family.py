"""为家人办理: the patient at the kiosk (the guardian) acts for a child or an elderly parent: registration,
payment, check-in, reports and slips then work for that person; the service names the guardian on the audit."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from kiosk.flows.base import Flow
from kiosk.i18n import tr
from kiosk.models import CardData, Patient, Session
from kiosk.screens.family import ChildBirthScreen, ChildIdScreen, ChildNameScreen, FamilyScreen


class FamilyFlow(Flow):
    """``show_day(patient)`` shows the day of the person the session now acts for."""

    def __init__(self, kiosk, session: Session, show_day: Callable[[Patient], None]) -> None:
        super().__init__(kiosk, session)
        self.show_day = show_day

    def guardian(self) -> Patient | None:
        return self.session.in_person

    def family(self) -> None:
        """The people this patient may act for, and 为孩子建档."""
        kiosk = self.kiosk
        guardian = self.guardian()
        if guardian is None:
            return
        today = kiosk.backend.clock.today()
        kiosk.show_screen(lambda: FamilyScreen(kiosk, guardian.family, today, self.act_for, self._add_child))

    def act_for(self, member: Patient) -> None:
        """From now on this session's registration, payment, check-in and reports are the member's."""
        s = self.session
        s.guardian = self.guardian()
        s.patient = member
        self.show_day(member)

    def family_card(self, card: CardData) -> None:
        """An elderly parent's ID card placed on the family page: identified in this session, the guardian (whose
        own card was read) registered as their family proxy, then acting for them."""
        kiosk = self.kiosk
        guardian = self.guardian()
        backend = kiosk.backend

        def work():
            member = backend.identify(id_number=card.id_number, card_name=card.name)
            if member is not None and member.id != guardian.id and guardian.id_number and \
                    all(m.id != member.id for m in guardian.family):
                backend.add_family_proxy(member, guardian)
            return member

        def done(member: Patient | None) -> None:
            if member is None:
                self.message(tr("对不起"), tr("这位家人还没有就诊档案。请先用家人的身份证在首页“建档”，再为其办理。"))
                return
            if member.id == guardian.id:
                return
            member = replace(member, relation="子女", family=())
            s = self.session
            s.guardian = replace(guardian, family=tuple(m for m in guardian.family if m.id != member.id) + (member,))
            self.act_for(member)

        self.call(work, done)

    # ----- a child's record, three steps ------------------------------------------------------------
    def _add_child(self) -> None:
        kiosk = self.kiosk
        kiosk.show_screen(lambda: ChildIdScreen(kiosk, self._child_id))

    def _child_id(self, id_number: str) -> None:
        kiosk = self.kiosk
        if id_number:  # birth date and sex are in the number
            self._child_name(id_number, "", "")
            return
        today = kiosk.backend.clock.today()
        kiosk.show_screen(lambda: ChildBirthScreen(kiosk, today, lambda born, sex: self._child_name("", born, sex)))

    def _child_name(self, id_number: str, birth_date: str, sex: str) -> None:
        kiosk = self.kiosk
        guardian = self.guardian()
        kiosk.show_screen(lambda: ChildNameScreen(
            kiosk, guardian, id_number, birth_date, sex,
            lambda name, relation: self._create_child(name, relation, id_number, birth_date, sex)))

    def _create_child(self, name: str, relation: str, id_number: str, birth_date: str, sex: str) -> None:
        kiosk = self.kiosk
        guardian = self.guardian()
        key = self.key(f"family:{id_number or birth_date}:{name}")

        def created(child: Patient) -> None:
            s = self.session
            s.guardian = replace(guardian, family=tuple(m for m in guardian.family if m.id != child.id) + (child,))
            s.patient = child
            s.new_card = child.card_qr  # the child's own card: on their first slip
            self.show_day(child)

        self.call(lambda: kiosk.backend.create_family_member(guardian, name, key, relation=relation,
                                                             id_number=id_number, gender=sex, birth_date=birth_date),
                  created)
