"""Register for today: department -> number kind and doctor -> time slot -> confirm."""
from __future__ import annotations

from datetime import date
from typing import Callable, Sequence

from PySide6.QtCore import Qt

from common.privacy import mask_name
from kiosk.i18n import pick, tr
from kiosk.models import BookingDay, Department, Doctor, Patient, Slot, yuan
from kiosk.widgets import Card, ChoiceList, Screen, button, label

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def day_words(day: str) -> str:
    """2026-11-30 -> 11月30日 星期一 (Mon 30 Nov in English)."""
    d = date.fromisoformat(day)
    return tr("{m}月{d}日").format(m=d.month, d=d.day) + " " + tr(WEEKDAYS[d.weekday()])


class DepartmentScreen(Screen):
    name = "departments"

    def __init__(self, kiosk, departments: Sequence[Department], on_choose: Callable[[Department], None],
                 on_family: Callable[[], None] | None = None) -> None:
        roomy = kiosk.settings.portrait or on_family is None  # landscape with an action bar: no height for the hint
        super().__init__(tr("请选择科室"), tr("不确定挂哪个科？可以点击“呼叫工作人员”") if roomy else "", kiosk.elderly)
        self.departments = list(departments)
        if kiosk.elderly:  # fewer items a page: today's busiest departments first, so most find theirs on page 1
            self.departments.sort(key=lambda d: -d.taken_today)
        items = [(pick(d.name, d.name_en), pick(d.description, d.description_en, strict=True), "") for d in self.departments]
        self.choices = ChoiceList(items, kiosk.per_page, kiosk.choice_columns)
        self.choices.chosen.connect(lambda i: on_choose(self.departments[i]))
        self.add(self.choices, 1)
        self.family_button = None
        if on_family is not None:  # a parent with a child who has no card: 为家人挂号
            self.family_button = button(tr("为家人挂号"), "", on_family)
            self.add_action(self.family_button)


def title_words(doctor: Doctor) -> str:
    """主任医师 on a Chinese screen; the hospital file's English title (else the kiosk's) on an English one."""
    return pick(doctor.title, doctor.title_en or tr(doctor.title)) if doctor.title else ""


def doctor_item(doctor: Doctor) -> tuple[str, str, str]:
    """(title, detail, note): 普通号 or the expert with title and specialty; fee; numbers left."""
    fee = tr("挂号费 {fee} 元").format(fee=yuan(doctor.fee_fen))
    left = tr("剩余 {n} 个").format(n=doctor.remaining) if doctor.remaining > 0 else tr("已约满")
    if doctor.kind == "expert":
        head = tr("专家号") + "  " + pick(doctor.name, doctor.name_en) + "  " + title_words(doctor)
        specialty = pick(doctor.specialty, doctor.specialty_en, strict=True)
        body = (tr("擅长：") + specialty + "\n" if specialty else "") + fee
        return head, body, left
    return tr("普通号"), tr("由本科室医生为您诊治") + "\n" + fee, left


class DoctorScreen(Screen):
    name = "doctors"

    def __init__(self, kiosk, department: Department, doctors: Sequence[Doctor], on_choose: Callable[[Doctor], None],
                 on_other_day: Callable[[], None] | None = None, day: str = "") -> None:
        when = day_words(day) + "  " if day else ""
        title = tr("请选择号别和医生")
        if on_other_day is not None and not kiosk.settings.portrait:  # landscape with an action bar: one line for both
            super().__init__(pick(department.name, department.name_en) + " · " + tr("请选择医生"), "", kiosk.elderly)
        else:
            super().__init__(title, when + pick(department.name, department.name_en), kiosk.elderly)
        self.doctors = list(doctors)
        self.choices = ChoiceList([doctor_item(d) for d in self.doctors], kiosk.per_page, kiosk.choice_columns)
        for index, doctor in enumerate(self.doctors):
            if doctor.remaining <= 0:
                self.choices.disable(index)
        self.choices.chosen.connect(lambda i: on_choose(self.doctors[i]))
        self.add(self.choices, 1)
        if not self.doctors:
            self.add(label(tr("对不起，该科室今天的号已经挂完了，请选择其他科室。"), "Error", align=Qt.AlignCenter))
        self.other_day_button = None
        if on_other_day is not None:  # 预约: another day within the hospital's booking days
            self.other_day_button = button(tr("预约其他日期"), "", on_other_day)
            self.add_action(self.other_day_button)


def slot_item(slot: Slot) -> tuple[str, str, str]:
    left = tr("剩余 {n} 个").format(n=slot.remaining) if slot.remaining > 0 else tr("已约满")
    session = {"am": tr("上午"), "pm": tr("下午")}.get(slot.session, "")
    return f"{slot.start} - {slot.end}", session, left


class SlotScreen(Screen):
    name = "slots"

    def __init__(self, kiosk, slots: Sequence[Slot], on_choose: Callable[[Slot], None], notice: str = "") -> None:
        super().__init__(tr("请选择就诊时间段"), tr("请选择一个还有剩余号源的时间段"), kiosk.elderly)
        self.notice = label(notice, "Error", align=Qt.AlignCenter)
        self.notice.setVisible(bool(notice))
        self.add(self.notice)
        if notice:
            self.speech = notice
        self.slots = [s for s in slots if s.remaining > 0]
        self.choices = ChoiceList([slot_item(s) for s in self.slots], kiosk.per_page, kiosk.choice_columns)
        self.choices.chosen.connect(lambda i: on_choose(self.slots[i]))
        self.add(self.choices, 1)
        if not self.slots:
            self.add(label(tr("对不起，今天的时间段都已约满，请选择其他医生或科室。"), "Error", align=Qt.AlignCenter))


class ConfirmScreen(Screen):
    name = "confirm"

    def __init__(self, kiosk, patient: Patient, department: Department, doctor: Doctor, slot: Slot,
                 on_confirm: Callable[[], None], on_change_time: Callable[[], None] | None = None, day: str = "") -> None:
        super().__init__(tr("请确认挂号信息"), tr("确认无误后请点击“确认并支付”"), kiosk.elderly)
        info = Card()
        info.row(tr("就诊人"), mask_name(patient.name))
        info.row(tr("科室"), pick(department.name, department.name_en))
        who = tr("普通号") if doctor.kind != "expert" else f"{pick(doctor.name, doctor.name_en)} {title_words(doctor)}".strip()
        info.row(tr("医生"), who)
        info.row(tr("时间"), (day_words(day) if day else tr("今天")) + f" {slot.start}-{slot.end}")
        info.row(tr("就诊地点"), pick(department.location, department.location_en))
        info.row(tr("挂号费"), tr("{fee} 元").format(fee=yuan(doctor.fee_fen)), big=True)
        self.add(info)
        self.add_stretch()
        self.confirm_button = button(tr("确认并支付"), "Primary", on_confirm)
        self.add_action(self.confirm_button)
        self.change_time_button = None
        if on_change_time is not None:  # the earliest time was chosen for the patient: another is one tap away
            self.change_time_button = button(tr("换个时间"), "", on_change_time)
            self.add_action(self.change_time_button)


class BookDayScreen(Screen):
    """预约: the days ahead the hospital sells numbers for, with what the department has left on each."""

    name = "book_day"

    def __init__(self, kiosk, department: Department, days: Sequence[BookingDay],
                 on_choose: Callable[[BookingDay], None]) -> None:
        super().__init__(tr("请选择就诊日期"), pick(department.name, department.name_en), kiosk.elderly)
        self.days = list(days)
        items = []
        for d in self.days:
            if not d.released:
                items.append((day_words(d.date), tr("{when} 开放预约").format(when=d.release_at), tr("未开放")))
            else:
                items.append((day_words(d.date), "", tr("剩余 {n} 个").format(n=d.remaining) if d.remaining else tr("已约满")))
        self.choices = ChoiceList(items, kiosk.per_page, kiosk.choice_columns)
        for i, d in enumerate(self.days):
            if not d.released or d.remaining <= 0:
                self.choices.disable(i)
        self.choices.chosen.connect(lambda i: on_choose(self.days[i]))
        self.add(self.choices, 1)
