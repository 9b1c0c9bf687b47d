"""Check-in, bills, reports and my queue: lists the patient picks from."""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from common.wire import JourneyStatus
from kiosk.devices import ticket_link
from kiosk.i18n import language, pick, tr
from kiosk.models import Appointment, Bill, Report, VisitStatus, yuan
from kiosk.screens.day import wait_text
from kiosk.screens.pay import qr_pixmap
from kiosk.widgets import Card, ChoiceList, RichButton, Screen, button, label


class AppointmentsScreen(Screen):
    name = "appointments"

    def __init__(self, kiosk, appointments: Sequence[Appointment], on_choose: Callable[[Appointment], None]) -> None:
        super().__init__(tr("请选择要签到的预约"), tr("以下是您今天的预约"), kiosk.elderly)
        self.appointments = list(appointments)
        items = []
        for a in self.appointments:
            state = tr("已签到") if a.checked_in else tr("点击签到")
            items.append((f"{pick(a.department, a.department_en)}  {pick(a.doctor, a.doctor_en)}", f"{tr('今天')} {a.slot}", state))
        self.choices = ChoiceList(items, kiosk.per_page, kiosk.choice_columns)
        self.choices.chosen.connect(lambda i: on_choose(self.appointments[i]))
        if self.appointments:
            self.add(self.choices, 1)
        else:
            self.add(label(tr("您今天没有预约。如需看病，请返回首页选择“挂号”。"), "Message", align=Qt.AlignCenter), 1)


class BillCard(Card):
    """One bill; a touch anywhere on it ticks or unticks it."""

    def __init__(self, check: QCheckBox) -> None:
        super().__init__()
        self.check = check
        check.setFocusPolicy(Qt.NoFocus)
        self.layout_.addWidget(check)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt name
        if self.rect().contains(event.position().toPoint()):
            self.check.toggle()


class BillsScreen(Screen):
    """Unpaid bills, itemised; all ticked at first, the patient may untick some."""

    name = "bills"

    def __init__(self, kiosk, bills: Sequence[Bill], on_pay: Callable[[list[Bill]], None]) -> None:
        super().__init__(tr("待缴费用"), tr("请勾选要缴的费用，然后点击“去支付”"), kiosk.elderly)
        self.bills = list(bills)
        self.checks: list[QCheckBox] = []
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(16)
        self.cards: list[BillCard] = []
        for bill in self.bills[: kiosk.per_page]:
            check = QCheckBox(f"{pick(bill.title, bill.title_en)}    {tr('{fee} 元').format(fee=yuan(bill.total_fen))}")
            check.setChecked(True)
            check.toggled.connect(self._update_total)
            card = BillCard(check)
            self.cards.append(card)
            for item in bill.items[:6]:
                card.text(f"    {pick(item.name, item.name_en)}  ×{item.quantity:g}    "
                          + tr("{fee} 元").format(fee=yuan(item.amount_fen)), "Subtitle")
            self.checks.append(check)
            box.addWidget(card)
        if not self.bills:
            box.addStretch(1)
            box.addWidget(label(tr("您目前没有待缴费用。"), "Message", align=Qt.AlignCenter))
        box.addStretch(1)
        self.add(holder, 1)
        self.total = label("", "Title", align=Qt.AlignCenter)
        self.add(self.total)
        self.pay_button = button(tr("去支付"), "Primary", lambda: on_pay(self.selected()))
        self.add_action(self.pay_button)
        self.total.setVisible(bool(self.bills))
        self.pay_button.setVisible(bool(self.bills))
        self._update_total()

    def selected(self) -> list[Bill]:
        return [b for b, c in zip(self.bills, self.checks) if c.isChecked()]

    def _update_total(self) -> None:
        chosen = self.selected()
        fen = sum(b.total_fen for b in chosen)
        self.total.setText(tr("合计：{fee} 元").format(fee=yuan(fen)))
        self.pay_button.setEnabled(bool(chosen))


class ReportsScreen(Screen):
    name = "reports"

    def __init__(self, kiosk, reports: Sequence[Report], on_print: Callable[[list[Report]], None]) -> None:
        super().__init__(tr("检查检验报告"), tr("请选择要打印的报告"), kiosk.elderly)
        self.reports = list(reports)
        released = [r for r in self.reports if r.released]
        self.print_buttons = []
        for report in self.reports[: kiosk.per_page]:
            if report.released:
                count = tr("已打印 {n} 次").format(n=report.printed_count) if report.printed_count else tr("未打印")
                btn = RichButton(pick(report.title, report.title_en), tr("报告已出，可以打印"), count,
                                 on_click=lambda r=report: on_print([r]))
                self.print_buttons.append(btn)
                self.add(btn)
            else:
                when = report.ready_at or tr("稍后")
                self.add(label(f"{pick(report.title, report.title_en)}：" + tr("报告还没出来，预计 {when} 可以打印。").format(when=when),
                               "Subtitle"))
        if not self.reports:
            self.add_stretch()
            self.add(label(tr("您目前没有可打印的报告。"), "Message", align=Qt.AlignCenter))
        self.add_stretch()
        self.all_button = button(tr("全部打印"), "Primary", lambda: on_print(released))
        self.all_button.setEnabled(bool(released))
        self.all_button.setVisible(len(released) > 1)
        self.add_action(self.all_button)


def with_qr(card: QWidget, link: str, codes: list[QLabel]) -> QWidget:
    """The visit's card with the QR code of its live ticket page beside it (the same link as on the ticket)."""
    code = QLabel()
    code.setObjectName("TicketQr")
    code.setAlignment(Qt.AlignCenter)
    code.setPixmap(qr_pixmap(link, 170))
    codes.append(code)
    side = QVBoxLayout()
    side.setSpacing(4)
    side.addWidget(code)
    side.addWidget(label(tr("手机扫码\n随时看排队"), "CardKey", align=Qt.AlignCenter))
    row = QHBoxLayout()
    row.setSpacing(16)
    row.addWidget(card, 1)
    row.addLayout(side)
    holder = QWidget()
    holder.setLayout(row)
    row.setContentsMargins(0, 0, 0, 0)
    return holder


def journey_lines(journey: JourneyStatus) -> list[str]:
    """What 我的排队 says of a journey (一票到底), in the screen's language: the next move, then each step with its
    state, where it is and what to prepare (places and directions never in the other language)."""
    lines = [pick(journey.next_text, journey.next_text_en, strict=True)]
    for number, step in enumerate(journey.steps, 1):
        head = f"{number}. {pick(step.title, step.title_en)}"
        text = pick(step.text, step.text_en, strict=True)
        parts = [f"{head}：{text}" if language() == "zh" else f"{head}: {text}"]
        place = pick(step.place, step.place_en, strict=True)
        if place:
            parts.append(tr("地点：{place}").format(place=place))
        prepare = pick(step.prepare, step.prepare_en, strict=True)
        if prepare and step.state not in ("done", "cancelled"):
            parts.append(tr("准备：{what}").format(what=prepare))
        lines.append("\n".join(parts))
    return lines


class QueueStatusScreen(Screen):
    """我的排队: each of today's tickets with its place and live page QR; under a ticket whose doctor ordered
    anything, the whole journey (kept current while shown: :meth:`show_journeys`)."""

    name = "my_queue"

    def __init__(self, kiosk, visits: Sequence[VisitStatus], unpaid_fen: int = 0,
                 on_pay: Callable[[], None] | None = None,
                 on_guide: Callable[[], None] | None = None,
                 on_reports: Callable[[], None] | None = None) -> None:
        super().__init__(tr("我的排队"), tr("今天的就诊排队情况"), kiosk.elderly)
        self.pay_button = None
        self.guide_button = None
        self.reports_button = None
        self.qr_codes: list[QLabel] = []
        self.links: list[str] = []  # what each QR code opens: the visit's live ticket page
        self.journey_labels: dict[str, list[QLabel]] = {}  # visit id -> its journey's lines, in order
        shown = list(visits)[: kiosk.per_page]
        for v in shown:
            card = Card()
            card.row(pick(v.department, v.department_en), v.ticket, big=True)
            if v.state in ("done", "cancelled", "missed"):
                card.row(tr("状态"), {"done": tr("已就诊"), "cancelled": tr("已取消"), "missed": tr("已过号，请到分诊台咨询")}[v.state])
            elif v.state == "called":
                card.row(tr("状态"), tr("正在叫您，请马上到诊室"))
            else:
                card.row(tr("前面还有"), tr("{n} 人").format(n=v.ahead))
                card.row(tr("预计等候"), wait_text(v.estimate_minutes, v.estimate_min, v.estimate_max))
            if v.location and v.state != "done":
                card.row(tr("请到"), pick(v.location, v.location_en))
            if v.report_ready:
                card.row(tr("检验报告"), tr("检验报告已出，可以打印"))
            if v.journey is not None:
                lines = journey_lines(v.journey)
                self.journey_labels[v.visit_id] = [card.text(lines[0], "CardValue")] + [
                    card.text(line, "CardKey") for line in lines[1:]]
            open_journey = v.journey_open or v.report_ready
            link = ticket_link(kiosk.devices.status_url, v) if v.state not in ("done", "cancelled") or open_journey else ""
            if link:
                self.links.append(link)
            self.add(with_qr(card, link, self.qr_codes) if link else card)
        if not visits:
            self.add_stretch()
            self.add(label(tr("您今天还没有挂号。"), "Message", align=Qt.AlignCenter))
        if unpaid_fen and on_pay is not None:  # a bill is due: paid from here, the patient already identified
            self.pay_button = button(tr("缴费 {fee} 元").format(fee=yuan(unpaid_fen)), "Primary", on_pay)
            self.add_action(self.pay_button)
        elif unpaid_fen:
            self.add(label(tr("您还有待缴费用 {fee} 元，可在首页点击“缴费”。").format(fee=yuan(unpaid_fen)), "Error",
                           align=Qt.AlignCenter))
        if on_guide is not None and any(v.journey_open for v in shown):
            self.guide_button = button(tr("打印导诊单"), "", on_guide)
            self.add_action(self.guide_button)
        if on_reports is not None and any(v.report_ready for v in shown):  # the lab's report: printed from here
            self.reports_button = button(tr("打印检验报告"), "", on_reports)
            self.add_action(self.reports_button)
        self.add_stretch()
        self.done_button = button(tr("完成"), "" if self.pay_button else "Primary", lambda: kiosk.go_home("done"))
        self.add_action(self.done_button)

    def show_journeys(self, visits: Sequence[VisitStatus]) -> bool:
        """Put the journeys' current lines in place; False when their shape changed (the flow shows the screen anew)."""
        fresh = {v.visit_id: journey_lines(v.journey) for v in visits if v.journey is not None}
        if {k: len(v) for k, v in fresh.items()} != {k: len(v) for k, v in self.journey_labels.items()}:
            return False
        for visit_id, lines in fresh.items():
            for widget, line in zip(self.journey_labels[visit_id], lines):
                if widget.text() != line:
                    widget.setText(line)
        return True
