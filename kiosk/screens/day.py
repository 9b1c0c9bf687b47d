"""The patient's day, shown as soon as their card is read: what to check in, pay, print, where they stand."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QWidget

from common.privacy import screen_name
from kiosk.i18n import pick, tr
from kiosk.models import Appointment, PatientDay, Reprintable, yuan
from kiosk.widgets import Card, ChoiceList, RichButton, Screen, button, label


def wait_text(minutes: int, low: int | None = None, high: int | None = None) -> str:
    """约 12-20 分钟 when the service gives a range, else 约 15 分钟."""
    if low is not None and high is not None and high > low:
        return tr("约 {low}-{high} 分钟").format(low=low, high=high)
    return tr("约 {m} 分钟").format(m=minutes)


class DayScreen(Screen):
    """One big button per thing to do today; the most likely one (a single check-in) in the action bar."""

    name = "day"

    def __init__(self, kiosk, day: PatientDay, on_check_in: Callable[[Appointment], None],
                 on_bills: Callable[[], None], on_reports: Callable[[], None], on_register: Callable[[], None],
                 on_queue: Callable[[], None], on_cancel: Callable[[], None] | None = None,
                 on_family: Callable[[], None] | None = None, acting_for: bool = False,
                 on_reprint: Callable[[], None] | None = None) -> None:
        who = screen_name(day.patient.name)
        hint = tr("这是您今天可以办理的事项，请点击") if kiosk.settings.portrait else ""  # landscape: no height to spare
        title = tr("正在为家人办理：{name}") if acting_for else tr("您好，{name}")
        super().__init__(title.format(name=who), hint, kiosk.elderly)
        self.day = day
        items: list[QWidget] = []
        self.check_in_buttons: list[RichButton] = []
        for appt in day.appointments[:3]:
            doctor = f"  {pick(appt.doctor, appt.doctor_en)}" if appt.doctor else ""
            btn = RichButton(tr("预约签到") + "  " + pick(appt.department, appt.department_en) + doctor,
                             tr("今天") + f" {appt.slot}", tr("点击签到"), on_click=lambda a=appt: on_check_in(a))
            self.check_in_buttons.append(btn)
            items.append(btn)
        self.queue_card = None
        self.queue_lines: dict[str, QLabel] = {}  # visit id -> its line on the card
        if day.visits:
            self.queue_card = Card()
            for v in day.visits[:2]:
                if v.journey_open and v.journey is not None and v.state == "done":  # the doctor is done: what next
                    state = pick(v.journey.next_text, v.journey.next_text_en)
                elif v.report_ready and v.state == "done":  # every step done; the lab's report is out
                    state = tr("检验报告已出，可以打印")
                elif v.state == "called":
                    state = tr("正在叫您，请马上到诊室")
                else:
                    state = tr("前面还有 {n} 人").format(n=v.ahead) + "，" + wait_text(
                        v.estimate_minutes, v.estimate_min, v.estimate_max)
                self.queue_lines[v.visit_id] = self.queue_card.row(
                    f"{v.ticket}  {pick(v.department, v.department_en)}", state)
            self.queue_card.mouseReleaseEvent = lambda _e: on_queue()
            items.append(self.queue_card)
        self.bills_button = None
        if day.bills:
            self.bills_button = RichButton(tr("缴费"), tr("待缴费用 {n} 笔，共 {fee} 元").format(
                n=len(day.bills), fee=yuan(day.unpaid_fen)), tr("去缴费"), on_click=on_bills)
            items.append(self.bills_button)
        self.reports_button = None
        if day.reports or day.reports_pending:
            if day.reports:
                detail = tr("{n} 份报告已出，可以打印").format(n=len(day.reports))
            else:
                first = day.reports_pending[0]
                detail = tr("报告还没出来，预计 {when} 可以打印。").format(when=first.ready_at or tr("稍后"))
            self.reports_button = RichButton(tr("报告打印"), detail, tr("去打印") if day.reports else "",
                                             on_click=on_reports)
            self.reports_button.setEnabled(bool(day.reports))
            items.append(self.reports_button)
        self.register_button = RichButton(tr("挂号"), tr("再挂一个今天的号") if not day.empty else tr("今日挂号"),
                                          tr("去挂号"), on_click=on_register)
        items.append(self.register_button)
        self.family_button = None
        if on_family is not None:  # 为家人办理: children without an ID card, elderly parents
            names = "、".join(screen_name(m.name) for m in day.patient.family[:3])
            self.family_button = RichButton(tr("为家人办理"), names or tr("为孩子建档、挂号、缴费、打印报告"),
                                            tr("去办理"), on_click=on_family)
            items.append(self.family_button)
        grid = QGridLayout()
        grid.setSpacing(16)
        columns = 1 if kiosk.settings.portrait else 2
        pair = columns == 1 and self.family_button is not None  # portrait: 挂号 and 为家人办理 share the last row
        for i, widget in enumerate(items[:-2] if pair else items):
            grid.addWidget(widget, i // columns, i % columns)
        if pair:
            row = QHBoxLayout()
            row.setSpacing(16)
            row.addWidget(self.register_button)
            row.addWidget(self.family_button)
            grid.addLayout(row, len(items) - 2, 0)
        holder = QWidget()
        holder.setLayout(grid)
        self.add(holder)
        self.add_stretch()
        self.check_in_button = None
        if len(day.appointments) == 1:  # the one thing this patient most likely came for: one tap
            appt = day.appointments[0]
            self.check_in_button = button(tr("立即签到") + f"  {appt.slot}", "Primary", lambda: on_check_in(appt))
            self.add_action(self.check_in_button)
            self.speech = tr("您今天有一个预约，请点击下方“立即签到”。")
        self.cancel_button = None
        waiting = [v for v in day.visits if v.state not in ("done", "cancelled")]  # a visit the doctor is done with: no 退号
        if on_cancel is not None and (day.appointments or waiting or day.upcoming):  # 退号: a secondary action, never in the way
            self.cancel_button = button(tr("退号"), "", on_cancel)
            self.add_action(self.cancel_button)
        self.reprint_button = None
        if on_reprint is not None and (day.visits or day.reports or day.invoices):  # 补打: ticket, receipt, report, e-invoice
            self.reprint_button = button(tr("补打"), "", on_reprint)
            self.add_action(self.reprint_button)
        if not day.appointments and not day.bills and not day.reports:
            self.add(label(tr("如需看病，请点击“挂号”。"), "Subtitle", align=Qt.AlignCenter))


class CancelScreen(Screen):
    """退号: which of today's registrations; what happens to the money is said before anything is done."""

    name = "cancel"

    def __init__(self, kiosk, choices: list[tuple[str, str, str]], on_choose: Callable[[str], None]) -> None:
        super().__init__(tr("退号"), tr("请选择要退的号。退号后挂号费原路退回，号源让给其他患者。"), kiosk.elderly)
        self.registration_ids = [c[0] for c in choices]
        self.choices = ChoiceList([(title, detail, tr("退号")) for _id, title, detail in choices], kiosk.per_page,
                                  kiosk.choice_columns)
        self.choices.chosen.connect(lambda i: on_choose(self.registration_ids[i]))
        self.add(self.choices, 1)


class ReprintScreen(Screen):
    """补打: the patient's last queue ticket, 挂号凭条 and lab report; each reprint is counted by the service."""

    name = "reprint"

    def __init__(self, kiosk, slips: list[Reprintable], on_choose: Callable[[Reprintable], None]) -> None:
        super().__init__(tr("补打"), tr("请选择要补打的凭条或报告") if slips else tr("没有可以补打的凭条或报告。"),
                         kiosk.elderly)
        self.slips = slips
        names = {"ticket": tr("排队凭条"), "receipt": tr("挂号凭条"), "report": tr("检验报告单"), "einvoice": tr("电子票据")}
        self.choices = ChoiceList([(names[s.kind] + "  " + s.title, s.detail, tr("补打")) for s in slips],
                                  kiosk.per_page, kiosk.choice_columns)
        self.choices.chosen.connect(lambda i: on_choose(self.slips[i]))
        self.add(self.choices, 1)
