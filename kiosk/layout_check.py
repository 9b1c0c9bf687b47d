"""Every kiosk screen in every mode, checked as a patient would see it: nothing cut off, outside the window,
on top of something else, or below a scrollbar.

    problems = check_every_screen()        # [] when every screen fits in zh/en x normal/elderly x portrait/landscape

The screens are built from the demo hospital's real departments and doctors with sample patient data, in a
kiosk window without a service or devices (nothing is sent anywhere). The test and the ``kiosk_layout``
benchmark use the same code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

from PySide6.QtCore import QEventLoop, QRect, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QScrollArea, QWidget

from common.config import DEMO_CONFIG, load_hospital
from common.device_settings import KioskSettings
from common.fonts import load_cjk_font
from common.triage import advise
from hardware.health import DeviceHealth, Health
from kiosk.app import LANDSCAPE, PORTRAIT
from kiosk.backend import Backend
from kiosk.devices import KioskDevices
from kiosk.i18n import set_language
from kiosk.models import (
    Appointment,
    Bill,
    BillItem,
    BookingDay,
    CardData,
    Department,
    Doctor,
    Patient,
    PatientDay,
    PatientId,
    Report,
    Reprintable,
    Slot,
    Ticket,
    VisitStatus,
)
from kiosk.platforms import Claim, InsuranceStatus
from kiosk.screens.admin import DeviceStatusScreen, PinScreen
from kiosk.screens.day import CancelScreen, DayScreen, ReprintScreen
from kiosk.screens.family import ChildBirthScreen, ChildIdScreen, ChildNameScreen, FamilyScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.identify import IdentifyScreen, NewPatientScreen, TypeIdScreen
from kiosk.screens.insurance import InsuranceCertScreen, InsuranceSplitScreen, PayChoiceScreen
from kiosk.screens.pay import PaymentScreen
from kiosk.screens.rating import RatingScreen
from kiosk.screens.register import BookDayScreen, ConfirmScreen, DepartmentScreen, DoctorScreen, SlotScreen
from kiosk.screens.result import MessageScreen, OutOfServiceScreen, TicketScreen
from kiosk.screens.services import AppointmentsScreen, BillsScreen, QueueStatusScreen, ReportsScreen
from kiosk.screens.triage import TriageAdviceScreen, TriageScreen
from kiosk.window import KioskWindow

REPO = Path(__file__).resolve().parent.parent
DEMO_HOSPITAL = REPO / "assets" / "demo-hospital.toml"
MODES = [(lang, elderly, portrait) for lang in ("zh", "en") for elderly in (False, True) for portrait in (True, False)]


@dataclass(frozen=True)
class LayoutProblem:
    screen: str
    mode: str  # e.g. "en-elderly-landscape"
    kind: str  # clipped | outside | overlap | scroll
    widget: str  # what the widget shows

    def __str__(self) -> str:
        return f"{self.screen} [{self.mode}] {self.kind}: {self.widget}"


def _leaves(root: QWidget) -> list[QWidget]:
    """The visible widgets a patient reads or touches."""
    return [w for w in root.findChildren(QWidget) if isinstance(w, (QLabel, QAbstractButton, QLineEdit))
            and w.isVisible() and w.width() > 0 and w.objectName() not in ("BusyText",)]


def _describe(w: QWidget) -> str:
    text = w.text() if hasattr(w, "text") else ""
    return f"{type(w).__name__}#{w.objectName()} {text[:40]!r}"


def _rect_in(w: QWidget, top: QWidget) -> QRect:
    return QRect(w.mapTo(top, w.rect().topLeft()), w.size())


def _clipped(w: QWidget) -> bool:
    """The widget is smaller than its content needs (text cut off)."""
    if isinstance(w, QLabel) and w.text() and w.pixmap().isNull():
        if w.wordWrap():
            return w.heightForWidth(w.width()) > w.height() + 2
        return w.sizeHint().width() > w.width() + 2
    if isinstance(w, QAbstractButton) and w.text():
        return w.minimumSizeHint().width() > w.width() + 2 or w.fontMetrics().height() > w.height()
    return False


def _is_ancestor(a: QWidget, b: QWidget) -> bool:
    parent = b.parentWidget()
    while parent is not None:
        if parent is a:
            return True
        parent = parent.parentWidget()
    return False


def check_window(window, screen: str = "", mode: str = "") -> list[LayoutProblem]:
    """Problems of what the window shows now."""
    problems: list[LayoutProblem] = []
    screen = screen or (window.current.name if window.current is not None else "")
    frame = window.rect()
    for area in window.findChildren(QScrollArea):
        if area.isVisible() and area.verticalScrollBar().maximum() > 0:
            problems.append(LayoutProblem(screen, mode, "scroll", "the screen needs scrolling"))
    leaves = _leaves(window)
    rects = {id(w): _rect_in(w, window) for w in leaves}
    for w in leaves:
        r = rects[id(w)]
        parent = w.parentWidget()
        inside_parent = parent is None or QRect(0, 0, parent.width(), parent.height()).adjusted(-1, -1, 1, 1).contains(
            QRect(w.pos(), w.size()))
        if not frame.contains(r) or not inside_parent:
            problems.append(LayoutProblem(screen, mode, "outside", _describe(w)))
        elif _clipped(w):
            problems.append(LayoutProblem(screen, mode, "clipped", _describe(w)))
    for i, a in enumerate(leaves):
        for b in leaves[i + 1:]:
            if _is_ancestor(a, b) or _is_ancestor(b, a):
                continue
            overlap = rects[id(a)].intersected(rects[id(b)])
            if overlap.width() > 2 and overlap.height() > 2:
                problems.append(LayoutProblem(screen, mode, "overlap", f"{_describe(a)} / {_describe(b)}"))
    return problems


# ----- the screens, with sample data ---------------------------------------------------------------------
def sample_data():
    """Departments and doctors of the demo hospital, and one patient's day."""
    hospital = load_hospital(DEMO_HOSPITAL)
    areas = {a.id: a for a in hospital.areas}
    departments = [Department(id=d.id, name=d.name, name_en=d.name_en or "", description=d.description or "",
                              description_en=d.description_en or "", location=d.location or "",
                              location_en=getattr(areas.get(d.area), "name_en", "") or "")
                   for d in hospital.departments
                   if not getattr(areas.get(d.area), "emergency", False) and d.service == "clinic"]
    first = departments[0]
    doctors = [Doctor(id="", name="普通号", kind="general", fee_fen=1000, remaining=38)] + [
        Doctor(id=d.id, name=d.name, name_en=d.name_en, title=d.title or "", title_en=getattr(d, "title_en", "") or "",
               specialty=d.specialty or "", specialty_en=getattr(d, "specialty_en", "") or "", kind="expert",
               fee_fen=5000, remaining=n % 7) for n, d in enumerate(hospital.doctors_of(first.id)) if d.expert]
    slots = [Slot(id=str(n), start=f"{8 + n // 2:02d}:{30 * (n % 2):02d}", end=f"{8 + (n + 1) // 2:02d}:{30 * ((n + 1) % 2):02d}",
                  remaining=5, session="am" if n < 8 else "pm") for n in range(16)]
    family = (Patient(id=PatientId(2), name="欧阳小雨", gender="女", birth_date="2024-03-15", relation="母亲"),
              Patient(id=PatientId(3), name="欧阳建国", gender="男", birth_date="1949-12-31", relation="女儿"))
    patient = Patient(id=PatientId(1), name="欧阳娜娜", gender="女", birth_date="1981-04-02", family=family)
    bills = [Bill(id="1", title="西药费", total_fen=4700, items=(BillItem("阿莫西林胶囊（0.25g×24粒）", 2, 2350),)),
             Bill(id="2", title="检验费", total_fen=2000, items=(BillItem("血常规（五分类）", 1, 2000),))]
    reports = [Report(id="1", title="血常规", released=True, printed_count=1),
               Report(id="2", title="肝功能", released=False, ready_at="11-27 15:00")]
    appointment = Appointment(id="7", department=first.name, department_en=first.name_en, doctor="张建国",
                              slot="14:00-14:30")
    visits = [VisitStatus(visit_id="v1", ticket="A015", department=first.name, department_en=first.name_en, ahead=5,
                          estimate_minutes=25, location=first.location, location_en=first.location_en,
                          ticket_token="Qm9va2luZ1Rva2VuLTAwMDE")]
    day = PatientDay(patient=patient, appointments=(appointment,), bills=tuple(bills), reports=(reports[0],),
                     reports_pending=(reports[1],), visits=tuple(visits))
    ticket = Ticket(visit_id="v1", ticket="A015", department=first.name, department_en=first.name_en, doctor="张建国",
                    location=first.location, location_en=first.location_en, slot="09:00-09:30", ahead=5,
                    estimate_minutes=25, fee_fen=1000, patient_name="欧*娜", room="3诊室")
    reprintables = [Reprintable("ticket", "7", f"A015  {first.name}", "2026-11-27 09:00-09:30"),
                    Reprintable("receipt", "7", first.name, "2026-11-27 09:00-09:30"),
                    Reprintable("report", "1", "血常规", "JY20261127-1", reports[0])]
    booking_days = [BookingDay(f"2026-11-{n:02d}", (n * 7) % 40) for n in range(28, 31)] + [
        BookingDay("2026-12-01", 0, False, "11-24 08:00")]
    return dict(booking_days=booking_days, reprintables=reprintables, departments=departments, doctors=doctors, slots=slots, patient=patient, bills=bills, reports=reports,
                appointments=[appointment], visits=visits, day=day, ticket=ticket)


def screens(window, data) -> list[tuple[str, Callable[[], QWidget]]]:
    """(name, factory) of every kiosk screen."""
    k, d = window, data
    nothing = lambda *_a: None  # noqa: E731 - the checker never presses anything
    hospital = load_hospital(DEMO_CONFIG)
    rules = hospital.triage
    names = {x.id: (x.name, x.name_en) for x in hospital.departments}

    def triage(region: str) -> QWidget:
        screen = TriageScreen(k, rules, nothing, nothing)
        screen.show_region(region)
        return screen

    card = CardData("11010519491231002X", "欧阳娜娜", "女", "1949-12-31")
    healths = [DeviceHealth("printer", Health.OFFLINE, "打印纸已用完", "paper out")]
    insurance = InsuranceStatus(True, True, True, "可以使用医保。请出示医保电子凭证二维码，或刷身份证、社保卡：医保统筹和个人账户支付后，"
                                "剩余的自付部分再扫码支付。", "Yes: show your medical insurance QR code or read your ID / "
                                "social security card; you pay only your own part.")
    claim = Claim("3", "presettled", 12850, 8995, 1285, 2570, insutype_zh="职工基本医疗保险")
    return [
        ("home", lambda: HomeScreen(k)),
        ("triage", lambda: triage("whole")),
        ("triage_belly", lambda: triage("belly")),
        ("triage_advice", lambda: TriageAdviceScreen(k, advise(rules, ["belly_pain"]), names, nothing, nothing)),
        ("triage_red_flag", lambda: TriageAdviceScreen(k, advise(rules, ["chest_pain"]), names, nothing, nothing)),
        ("identify", lambda: IdentifyScreen(k, nothing, reader_ok=False)),
        ("type_id", lambda: TypeIdScreen(k, nothing)),
        ("new_patient", lambda: NewPatientScreen(k, card, nothing)),
        ("day", lambda: DayScreen(k, d["day"], nothing, nothing, nothing, nothing, nothing, on_cancel=nothing,
                                  on_family=nothing, on_reprint=nothing)),
        ("reprint", lambda: ReprintScreen(k, d["reprintables"], nothing)),
        ("family", lambda: FamilyScreen(k, d["patient"].family, date(2026, 11, 27), nothing, nothing)),
        ("family_empty", lambda: FamilyScreen(k, (), date(2026, 11, 27), nothing, nothing)),
        ("child_id", lambda: ChildIdScreen(k, nothing)),
        ("child_birth", lambda: ChildBirthScreen(k, date(2026, 11, 27), nothing)),
        ("child_name", lambda: ChildNameScreen(k, d["patient"], "", "2024-03-15", "女", nothing)),
        ("cancel", lambda: CancelScreen(k, [("7", "A015  内科", "前面还有 5 人"), ("8", "内科  张建国", "今天 14:00-14:30")],
                                        nothing)),
        ("departments", lambda: DepartmentScreen(k, d["departments"], nothing, on_family=nothing)),
        ("doctors", lambda: DoctorScreen(k, d["departments"][0], d["doctors"], nothing, on_other_day=nothing)),
        ("book_day", lambda: BookDayScreen(k, d["departments"][0], d["booking_days"], nothing)),
        ("doctors_later_day", lambda: DoctorScreen(k, d["departments"][0], d["doctors"], nothing, day="2026-11-30")),
        ("slots", lambda: SlotScreen(k, d["slots"], nothing)),
        ("confirm", lambda: ConfirmScreen(k, d["patient"], d["departments"][0], d["doctors"][1], d["slots"][0], nothing,
                                          on_change_time=nothing)),
        ("confirm_later_day", lambda: ConfirmScreen(k, d["patient"], d["departments"][0], d["doctors"][1], d["slots"][0],
                                                    nothing, day="2026-11-30")),
        ("payment", lambda: PaymentScreen(k, 5000, "weixin://wxpay/bizpayurl?pr=demo", 120, nothing, "挂号费")),
        ("pay_choice", lambda: PayChoiceScreen(k, 12850, insurance, nothing, nothing)),
        ("insurance_cert", lambda: InsuranceCertScreen(k, nothing)),
        ("insurance_split", lambda: InsuranceSplitScreen(k, claim, nothing, nothing)),
        ("payment_own_part", lambda: PaymentScreen(k, 2570, "weixin://wxpay/bizpayurl?pr=demo", 120, nothing,
                                                   "医保已支付 102.80 元，请支付自付部分")),
        ("ticket", lambda: TicketScreen(k, d["ticket"], True, nothing)),
        ("ticket_not_printed", lambda: TicketScreen(k, d["ticket"], False, nothing, reprint_code="R12")),
        ("ticket_remind", lambda: TicketScreen(k, d["ticket"], True, nothing, remind=nothing, phone="138********")),
        ("message", lambda: MessageScreen(k, "对不起，支付没有成功", "本次没有扣费，挂号没有办理。请换一种支付方式重新支付。",
                                          [("重新支付", nothing), ("返回首页", nothing)], error=True)),
        ("appointments", lambda: AppointmentsScreen(k, d["appointments"], nothing)),
        ("bills", lambda: BillsScreen(k, d["bills"], nothing)),
        ("reports", lambda: ReportsScreen(k, d["reports"], nothing)),
        ("my_queue", lambda: QueueStatusScreen(k, d["visits"], 4700)),
        ("rating", lambda: RatingScreen(k, nothing, nothing)),
        ("out_of_service", lambda: OutOfServiceScreen(k)),
        ("pin", lambda: PinScreen(k, nothing)),
        ("device_status", lambda: DeviceStatusScreen(k, healths, nothing)),
    ]


def _pump(ms: int = 0) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def offline_window(portrait: bool = True):
    """A kiosk window with no service and no devices, only for looking at its screens."""
    settings = KioskSettings(portrait=portrait, hospital_name="仁和市第一人民医院",
                             hospital_name_en="Renhe First People's Hospital", triage=True)
    devices = KioskDevices(silent=True, status_url="http://queue.example-hospital.cn/t/{token}")  # QR codes shown
    window = KioskWindow(Backend("http://127.0.0.1:9", "none", timeout=0.2), devices, settings)
    window.tick_timer.stop()  # no countdown: the checker looks, it does not wait
    return window


def walk(modes=MODES) -> Iterator[tuple[object, str, str]]:
    """Show every screen in every mode; yield (window, screen name, mode) while it is on display."""
    app = QApplication.instance() or QApplication([])
    load_cjk_font(app)
    data = sample_data()
    windows = {}
    try:
        for lang, elderly, portrait in modes:
            window = windows.get(portrait)
            if window is None:
                window = windows[portrait] = offline_window(portrait)
                window.resize(*(PORTRAIT if portrait else LANDSCAPE))
                window.show()
            window.set_language(lang)
            if window.elderly != elderly:
                window.set_elderly(elderly)
            mode = f"{lang}-{'elderly' if elderly else 'normal'}-{'portrait' if portrait else 'landscape'}"
            for name, factory in screens(window, data):
                window.show_screen(factory, push=False)
                _pump()
                yield window, name, mode
    finally:
        set_language("zh")
        for window in windows.values():
            window.admin_exit()
            window.backend.close()


def check_every_screen(modes=MODES) -> tuple[int, list[LayoutProblem]]:
    """(screens checked, problems found)."""
    count, problems = 0, []
    for window, name, mode in walk(modes):
        count += 1
        problems += check_window(window, name, mode)
    return count, problems
