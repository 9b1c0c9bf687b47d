"""Outcome screens: the ticket, a plain message with actions, the out-of-service notice."""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import Qt

from common.speech_text import spoken_ticket
from kiosk.i18n import pick, tr
from kiosk.models import Ticket
from kiosk.screens.day import wait_text
from kiosk.widgets import Card, Screen, button, label


def late_words(ticket: Ticket) -> str:
    """The late check-in told plainly: late for the slot, placed by the hospital's rule, and who is ahead."""
    why = pick(ticket.why_zh, ticket.why_en)
    ahead = why or tr("前面还有 {n} 人").format(n=ticket.ahead)
    return tr("您已迟到（预约时段 {slot} 已过），已按本院迟到规则为您重新排队。迟到：{ahead}，请在候诊区留意叫号。").format(
        slot=ticket.slot, ahead=ahead)


class TicketScreen(Screen):
    """After registration or check-in: ticket number, where to go, how many ahead, estimated wait."""

    name = "ticket"
    allow_back = False

    def __init__(self, kiosk, ticket: Ticket, printed: bool, on_done: Callable[[], None],
                 title: str = "", reprint_code: str = "", remind: Callable[[], None] | None = None,
                 phone: str = "") -> None:
        super().__init__(title or tr("挂号成功"), "", kiosk.elderly)
        self.late_note = None
        if ticket.late:  # said first, in words: that it is late, and where that puts the patient
            self.late_note = label(late_words(ticket), "Warning", align=Qt.AlignCenter)
            self.add(self.late_note)
        caption = label(tr("您的排队号"), "Subtitle", align=Qt.AlignCenter)
        self.number = label(ticket.ticket, "Huge", align=Qt.AlignCenter)
        info = Card()
        info.row(tr("科室"), pick(ticket.department, ticket.department_en))
        if ticket.doctor:
            info.row(tr("医生"), pick(ticket.doctor, ticket.doctor_en))
        if ticket.slot.strip("-"):
            info.row(tr("就诊时段"), ticket.slot)
        info.row(tr("请到"), pick(ticket.location, ticket.location_en) or "-")
        info.row(tr("前面还有"), tr("{n} 人").format(n=ticket.ahead))
        info.row(tr("预计等候"), wait_text(ticket.estimate_minutes, ticket.estimate_min, ticket.estimate_max))
        if printed:
            self.print_note = label(tr("请取走打印的排队凭条，留意叫号。祝您健康！"), "Subtitle", align=Qt.AlignCenter)
        else:
            self.print_note = label(
                tr("对不起，凭条没有打印出来，但您的挂号已成功，费用已支付，无需重复缴费。请凭补打码 {code} 到人工窗口补打凭条。")
                .format(code=reprint_code or ticket.reprint_code or ticket.visit_id),
                "Error", align=Qt.AlignCenter)
        self.remind_note = self.remind_button = None
        left = [caption, self.number, self.print_note]
        if remind is not None and phone:  # opt-in, never on by itself: one tap, the number already on record
            self.remind_note = label(tr("需要短信提醒吗？快到您时，以及预约就诊前，发短信到 {phone}。").format(phone=phone),
                                     "Subtitle", align=Qt.AlignCenter)
            left.append(self.remind_note)
            self.remind_button = button(tr("短信提醒我"), "", remind)
        self.add_columns(left, [info], side_by_side=not kiosk.settings.portrait)
        self.speech = tr("您的排队号是 {ticket}，请到 {place} 候诊。").format(
            ticket=spoken_ticket(ticket.ticket), place=pick(ticket.location, ticket.location_en))
        self.add_stretch()
        if self.remind_button is not None:
            self.add_action(self.remind_button)
        self.done_button = button(tr("完成"), "Primary", on_done)
        self.add_action(self.done_button)

    def reminded(self, phone: str) -> None:
        """The service took the opt-in: say so where the question was."""
        if self.remind_note is not None:
            self.remind_note.setText(tr("已开通短信提醒，快到您时会发短信到 {phone}。").format(phone=phone))
            self.remind_button.setText(tr("已开通短信提醒"))
            self.remind_button.setEnabled(False)


class MessageScreen(Screen):
    """A plain message: what happened and what to do next, with one or two actions."""

    name = "message"

    def __init__(self, kiosk, title: str, text: str, actions: Sequence[tuple[str, Callable[[], None]]] = (),
                 name: str = "message", error: bool = False, allow_back: bool = True) -> None:
        super().__init__(title, "", kiosk.elderly)
        self.name = name
        self.allow_back = allow_back
        self.add_stretch()
        self.text = label(text, "Error" if error else "Message", align=Qt.AlignCenter)
        self.add(self.text)
        self.speech = f"{title}。{text}"
        self.add_stretch()
        self.buttons = []
        for i, (caption, action) in enumerate(actions):
            btn = button(caption, "Primary" if i == 0 else "", action)
            self.buttons.append(btn)
            self.add_action(btn)


class SuspendedScreen(Screen):
    """Staff suspended this kiosk for review: no patient is served here until they reinstate it."""

    name = "suspended"
    timeout_s = 0

    def __init__(self, kiosk) -> None:
        super().__init__(tr("对不起，本机暂停服务"), "", kiosk.elderly)
        self.add_stretch()
        self.add(label(tr("工作人员正在核查本机。请到其他自助机或人工窗口办理，谢谢。"), "Message", align=Qt.AlignCenter))
        self.add(label(tr("核查完成后本机会自动恢复。"), "Subtitle", align=Qt.AlignCenter))
        self.add_stretch()


class OutOfServiceScreen(Screen):
    """The service cannot be reached: say so in plain words and keep retrying by itself."""

    name = "out_of_service"
    timeout_s = 0

    def __init__(self, kiosk) -> None:
        super().__init__(tr("对不起，自助机暂停服务"), "", kiosk.elderly)
        self.add_stretch()
        self.add(label(tr("系统正在恢复，请稍候。您也可以到人工窗口办理，或点击“呼叫工作人员”。"), "Message", align=Qt.AlignCenter))
        self.add(label(tr("本机会自动重试，恢复后即可使用。"), "Subtitle", align=Qt.AlignCenter))
        self.add_stretch()
