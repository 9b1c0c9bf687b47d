"""Slip documents (ticket, payment receipt, lab report): plain data in, ESC/POS bytes out. Chinese first.

A slip is in one language: ``lang="en"`` prints every label, title and footer of the ticket, the registration slip,
the payment receipt and the e-invoice in English (the caller passes the English names it has); ``"zh"`` has no
English on it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from common.printer_profiles import PrinterProfile

from .layout import format_fen, text_columns
from .slip import SlipWriter

TIME_FORMAT = "%Y-%m-%d %H:%M"

Lang = Literal["zh", "en"]

# every fixed text of the slips below, in English (a slip printed with lang="en" takes these)
ENGLISH: dict[str, str] = {
    "排队凭条": "Queue ticket", "排队凭条（补打）": "Queue ticket (reprint)", "挂号凭条": "Registration slip",
    "挂号凭条（补打）": "Registration slip (reprint)", "门诊缴费凭条": "Payment receipt",
    "电子票据（补打）": "E-invoice (reprint)",
    "请留意叫号，过号请到分诊台咨询": "Please listen for your number; if you miss it, ask at the triage desk",
    "祝您早日康复": "Get well soon", "请妥善保管本凭条，退号或报销时需出示": "Keep this slip: it is needed to cancel or claim",
    "谢谢，祝您健康": "Thank you, stay well", "请妥善保管本凭条": "Please keep this slip",
    "号别：": "Type: ", "医生：": "Doctor: ", "就诊时段：": "Time: ", "诊室：": "Room: ", "位置：": "Where: ",
    "姓名：": "Name: ", "取号时间：": "Issued: ", "扫码查看排队进度": "Scan to follow your place in the queue",
    "就诊卡号：": "Card no.: ", "科室：": "Department: ", "就诊日期：": "Date: ", "排队号：": "Number: ",
    "挂号费：": "Fee: ", "支付方式：": "Paid by: ", "交易号：": "Transaction: ", "缴费时间：": "Paid at: ",
    "自助机：": "Kiosk: ", "合计：": "Total: ", "医保结算号：": "Insurance settlement: ",
    "项目": "Item", "数量": "Qty", "单价": "Price", "金额": "Amount", "项目/数量×单价": "Item/qty×price",
    "电子票据正在开具，可稍后在自助机“补打”中打印": "The e-invoice is on its way: print it later at a kiosk (Reprint)",
    "财政电子票据": "Fiscal e-invoice", "票据代码：": "Invoice code: ", "票据号码：": "Invoice no.: ",
    "校验码：": "Check code: ", "扫码查验电子票据": "Scan to check the e-invoice", "交款人：": "Payer: ",
    "金额合计：": "Total: ", "开票时间：": "Issued: ",
    "统筹支付": "Insurance fund", "个人账户": "Personal account", "自付": "Paid by you",
    "就诊卡": "Your medical card", "下次就诊请扫此码，无需再带身份证": "Scan this code at your next visit: no ID card needed",
}


def say(lang: str, zh: str) -> str:
    """A fixed text of a slip in the slip's language."""
    return ENGLISH.get(zh, zh) if lang == "en" else zh


@dataclass(frozen=True)
class TicketDoc:
    """A queue ticket. masked_name must already be masked (张*); the printer never sees the full name."""

    hospital: str
    ticket_no: str
    department: str
    room: str
    location: str
    masked_name: str
    ahead: int
    wait_minutes: int
    printed_at: datetime
    status_url: str
    title: str = "排队凭条"
    footer: tuple[str, ...] = ("请留意叫号，过号请到分诊台咨询", "祝您早日康复")
    slot: str = ""  # "2026-11-27 09:00-09:30"
    doctor: str = ""  # "张建国 主任医师" (专家号), "" for a general number
    kind: str = ""  # 号别: "普通号" | "专家号"
    wait_range: tuple[int, int] | None = None  # (12, 20) minutes when the service gives a range
    late_note: str = ""  # a late check-in, in words: "迟到：前面 3 位：2 位先到…" printed first
    lang: Lang = "zh"
    card_qr: str = ""  # a new patient's medical card (the code of records/cardcode.py), printed as a QR to keep


@dataclass(frozen=True)
class RegistrationReceiptDoc:
    """挂号凭条: what was bought, for whom (masked), when and how it was paid; money in integer fen."""

    hospital: str
    masked_name: str
    masked_card_no: str
    department: str
    doctor: str  # "张建国 主任医师", or "" for a general number
    kind: str  # 号别
    visit_date: str  # "2026-11-27"
    slot: str  # "09:00-09:30"
    fee_fen: int
    payment_method: str
    transaction_no: str
    kiosk_id: str
    paid_at: datetime
    ticket_no: str = ""
    title: str = "挂号凭条"
    footer: tuple[str, ...] = ("请妥善保管本凭条，退号或报销时需出示", "谢谢，祝您健康")
    lang: Lang = "zh"
    card_qr: str = ""  # a new patient's medical card, printed as a QR to keep (see TicketDoc)


@dataclass(frozen=True)
class ReceiptLine:
    """One billed item; money in integer fen."""

    name: str
    quantity: int
    unit_fen: int

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_fen


@dataclass(frozen=True)
class EInvoiceInfo:
    """A fiscal e-invoice (财政电子票据) as the platform issued it: printed with its QR for checking it."""

    batch_code: str  # 票据代码
    bill_no: str  # 票据号码
    check_code: str  # 校验码
    qr: str


@dataclass(frozen=True)
class ReceiptDoc:
    """A payment receipt; money in integer fen. ``split``: how a 医保 settlement paid it, e.g.
    (("统筹支付", 7000), ("个人账户", 1000), ("自付", 2000)); ``invoice``: its e-invoice once issued."""

    hospital: str
    masked_name: str
    lines: tuple[ReceiptLine, ...]
    payment_method: str
    transaction_no: str
    paid_at: datetime
    title: str = "门诊缴费凭条"
    footer: tuple[str, ...] = ("请妥善保管本凭条", "谢谢，祝您健康")
    split: tuple[tuple[str, int], ...] = ()
    settlement_no: str = ""
    invoice: EInvoiceInfo | None = None
    invoice_pending: bool = False
    lang: Lang = "zh"

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


Flag = Literal["", "H", "L"]
FLAG_MARK = {"": "", "H": "↑", "L": "↓"}


@dataclass(frozen=True)
class ReportItem:
    """One lab test result; flag H (above range, ↑) or L (below, ↓) or '' (in range)."""

    name: str
    result: str
    unit: str
    reference: str
    flag: Flag = ""


@dataclass(frozen=True)
class ReportDoc:
    """A lab report: the patient's own medical document, so it carries their full name (printed only after
    their card was read)."""

    hospital: str
    title: str
    patient_name: str
    age: str  # "45岁", "8个月"
    sex: str
    specimen: str
    items: tuple[ReportItem, ...]
    tested_by: str  # real names from the staff list, never login ids
    verified_by: str
    reported_at: datetime
    print_count: int = 1
    department: str = ""
    report_no: str = ""
    sampled_at: datetime | None = None
    footer: tuple[str, ...] = ("↑ 高于参考范围  ↓ 低于参考范围", "结果请以医生解读为准，祝您健康")


def ticket_number_size(ticket_no: str, profile: PrinterProfile, largest: int = 4) -> int:
    """The largest GS ! multiplier (up to largest) at which the ticket number fits one line."""
    width = max(1, text_columns(ticket_no, profile.encoding))
    return max(1, min(largest, profile.columns // width))


def _header(w: SlipWriter, hospital: str, title: str, lang: str = "zh") -> None:
    fits_double = text_columns(hospital, w.profile.encoding) * 2 <= w.columns
    w.text(hospital, "center", 2 if fits_double else 1, 2, bold=True)
    w.text(say(lang, title), "center")
    w.rule()


def _footer(w: SlipWriter, footer: tuple[str, ...], lang: str = "zh") -> None:
    w.rule()
    for line in footer:
        w.text(say(lang, line), "center")


def _card(w: SlipWriter, card_qr: str, lang: str) -> None:
    """A new patient's medical card: the QR the kiosk scans at the next visit."""
    w.rule()
    w.text(say(lang, "就诊卡"), "center", bold=True)
    w.qr(card_qr)
    w.text(say(lang, "下次就诊请扫此码，无需再带身份证"), "center")


def render_ticket(doc: TicketDoc, profile: PrinterProfile) -> bytes:
    """The queue ticket: very large number, department, room and directions, wait, status QR."""
    w = SlipWriter(profile)
    lang = doc.lang
    _header(w, doc.hospital, doc.title, lang)
    mult = ticket_number_size(doc.ticket_no, profile, largest=6 if profile.paper_mm == 80 else 5)
    w.text(doc.ticket_no, "center", mult, mult, bold=True)
    fits_double = text_columns(doc.department, profile.encoding) * 2 <= profile.columns
    w.text(doc.department, "center", 2 if fits_double else 1, 2, bold=True)
    w.blank()
    if doc.late_note:
        w.text(doc.late_note, bold=True)
    if doc.kind:
        w.labelled(say(lang, "号别："), doc.kind)
    if doc.doctor:
        w.labelled(say(lang, "医生："), doc.doctor)
    if doc.slot:
        w.labelled(say(lang, "就诊时段："), doc.slot, bold=True)
    w.labelled(say(lang, "诊室："), doc.room)
    w.labelled(say(lang, "位置："), doc.location)
    w.labelled(say(lang, "姓名："), doc.masked_name)
    low_high = doc.wait_range
    if lang == "en":
        w.text(f"{doc.ahead} ahead of you", bold=True)
        w.text(f"About {low_high[0]}-{low_high[1]} min to wait" if low_high else f"About {doc.wait_minutes} min to wait")
    else:
        w.text(f"您前面还有 {doc.ahead} 位", bold=True)
        w.text(f"预计等候约 {low_high[0]}-{low_high[1]} 分钟" if low_high else f"预计等候约 {doc.wait_minutes} 分钟")
    w.labelled(say(lang, "取号时间："), doc.printed_at.strftime(TIME_FORMAT))
    w.blank()
    if doc.status_url:  # no link (the service did not give the page's key): no QR rather than a dead one
        w.qr(doc.status_url)
        w.text(say(lang, "扫码查看排队进度"), "center")
    if doc.card_qr:
        _card(w, doc.card_qr, lang)
    _footer(w, doc.footer, lang)
    return w.finish()


def _receipt_items(w: SlipWriter, lines: tuple[ReceiptLine, ...], lang: str = "zh") -> None:
    """Item table; money columns are as wide as their widest amount so an amount never wraps."""
    enc = w.profile.encoding
    item, qty, price, amount = (say(lang, x) for x in ("项目", "数量", "单价", "金额"))
    amount_w = max([text_columns(amount, enc)] + [text_columns(format_fen(x.amount_fen), enc) for x in lines])
    price_w = max([text_columns(price, enc)] + [text_columns(format_fen(x.unit_fen), enc) for x in lines])
    qty_w = max([text_columns(qty, enc)] + [len(str(x.quantity)) for x in lines])
    name_w = w.columns - amount_w - price_w - qty_w - 3
    if name_w - 6 >= 16:  # room to spare: breathe between the number columns
        qty_w, price_w, amount_w, name_w = qty_w + 2, price_w + 2, amount_w + 2, name_w - 6
    if name_w >= 12:  # one row per item: 项目 数量 单价 金额
        w.row([(item, name_w, "left"), (qty, qty_w, "right"), (price, price_w, "right"),
               (amount, amount_w, "right")], bold=True)
        for line in lines:
            w.row([(line.name, name_w, "left"), (str(line.quantity), qty_w, "right"),
                   (format_fen(line.unit_fen), price_w, "right"), (format_fen(line.amount_fen), amount_w, "right")])
        return
    detail_w = w.columns - amount_w - 1  # narrow paper: the name, then quantity × price and the amount
    w.row([(say(lang, "项目/数量×单价"), detail_w, "left"), (amount, amount_w, "right")], bold=True)
    for line in lines:
        w.text(line.name)
        detail = f"  {line.quantity} × {format_fen(line.unit_fen)}"
        if text_columns(detail, enc) > detail_w:
            detail = f"{line.quantity}×{format_fen(line.unit_fen)}"
        w.row([(detail, detail_w, "left"), (format_fen(line.amount_fen), amount_w, "right")])


def render_receipt(doc: ReceiptDoc, profile: PrinterProfile) -> bytes:
    """The payment receipt: itemised lines, total, method, transaction number, time."""
    w = SlipWriter(profile)
    lang = doc.lang
    _header(w, doc.hospital, doc.title, lang)
    w.labelled(say(lang, "姓名："), doc.masked_name)
    w.rule()
    _receipt_items(w, doc.lines, lang)
    w.rule()
    total = format_fen(doc.total_fen)
    double = text_columns(say(lang, "合计：") + total, profile.encoding) + 1 <= profile.columns // 2
    w.pair(say(lang, "合计："), total, bold=True, width=2 if double else 1, height=2)
    for label, fen in doc.split:  # 医保: 统筹支付, 个人账户, 自付
        w.pair(say(lang, label) + ("：" if lang != "en" else ": "), format_fen(fen), bold=label == "自付")
    if doc.settlement_no:
        w.pair(say(lang, "医保结算号："), doc.settlement_no)
    w.pair(say(lang, "支付方式："), doc.payment_method)
    w.pair(say(lang, "交易号："), doc.transaction_no)
    w.pair(say(lang, "缴费时间："), doc.paid_at.strftime("%Y-%m-%d %H:%M:%S"))
    if doc.invoice is not None:
        _einvoice(w, doc.invoice, lang)
    elif doc.invoice_pending:
        w.rule()
        w.text(say(lang, "电子票据正在开具，可稍后在自助机“补打”中打印"), "center")
    _footer(w, doc.footer, lang)
    return w.finish()


def _einvoice(w: SlipWriter, invoice: EInvoiceInfo, lang: str = "zh") -> None:
    w.rule()
    w.text(say(lang, "财政电子票据"), "center", bold=True)
    w.pair(say(lang, "票据代码："), invoice.batch_code)
    w.pair(say(lang, "票据号码："), invoice.bill_no)
    w.pair(say(lang, "校验码："), invoice.check_code)
    if invoice.qr:
        w.qr(invoice.qr)
        w.text(say(lang, "扫码查验电子票据"), "center")


@dataclass(frozen=True)
class EInvoiceDoc:
    """An e-invoice printed again (补打): total, how it was paid, and the invoice with its QR."""

    hospital: str
    masked_name: str
    total_fen: int
    split: tuple[tuple[str, int], ...]
    invoice: EInvoiceInfo
    issued_at: datetime
    title: str = "电子票据（补打）"
    footer: tuple[str, ...] = ("请妥善保管本凭条", "谢谢，祝您健康")
    lang: Lang = "zh"


def render_einvoice(doc: EInvoiceDoc, profile: PrinterProfile) -> bytes:
    w = SlipWriter(profile)
    lang = doc.lang
    _header(w, doc.hospital, doc.title, lang)
    w.labelled(say(lang, "交款人："), doc.masked_name)
    w.pair(say(lang, "金额合计："), format_fen(doc.total_fen), bold=True)
    for label, fen in doc.split:
        w.pair(say(lang, label) + ("：" if lang != "en" else ": "), format_fen(fen))
    w.pair(say(lang, "开票时间："), doc.issued_at.strftime("%Y-%m-%d %H:%M:%S"))
    _einvoice(w, doc.invoice, lang)
    _footer(w, doc.footer, lang)
    return w.finish()


def _report_items(w: SlipWriter, items: tuple[ReportItem, ...]) -> None:
    """Results table; columns as wide as their widest entry, so a result, unit or range is never cut."""
    enc = w.profile.encoding
    results = [f"{item.result} {FLAG_MARK[item.flag]}".rstrip() for item in items]
    result_w = max([text_columns("结果", enc)] + [text_columns(r, enc) for r in results]) + 1
    unit_w = max([text_columns("单位", enc)] + [text_columns(item.unit, enc) for item in items]) + 1
    ref_w = max([text_columns("参考范围", enc)] + [text_columns(item.reference, enc) for item in items])
    name_w = w.columns - result_w - unit_w - ref_w - 3
    if name_w >= 14:  # one row per item: 项目 结果 单位 参考范围
        w.row([("项目", name_w, "left"), ("结果", result_w, "left"), ("单位", unit_w, "left"),
               ("参考范围", ref_w, "left")], bold=True)
        for item, result in zip(items, results):
            w.row([(item.name, name_w, "left"), (result, result_w, "left"), (item.unit, unit_w, "left"),
                   (item.reference, ref_w, "left")], bold=bool(item.flag))
        return
    indent = 2
    three = indent + result_w + unit_w + ref_w + 2 <= w.columns
    w.text("项目", bold=True)
    if three:  # the name on its own line, then result, unit and range beneath it
        ref_w = w.columns - indent - result_w - unit_w - 2
        w.row([(" " * indent + "结果", indent + result_w, "left"), ("单位", unit_w, "left"), ("参考范围", ref_w, "left")],
              bold=True)
    else:  # very narrow: "result unit" and the range
        w.row([(" " * indent + "结果 单位", w.columns - ref_w - 1, "left"), ("参考范围", ref_w, "left")], bold=True)
    for item, result in zip(items, results):
        w.text(item.name, bold=bool(item.flag))
        if three:
            w.row([(" " * indent + result, indent + result_w, "left"), (item.unit, unit_w, "left"),
                   (item.reference, ref_w, "left")], bold=bool(item.flag))
        else:
            w.row([(" " * indent + f"{result} {item.unit}".rstrip(), w.columns - ref_w - 1, "left"),
                   (item.reference, ref_w, "left")], bold=bool(item.flag))


def render_report(doc: ReportDoc, profile: PrinterProfile) -> bytes:
    """The lab report slip: patient, report number, specimen and times, results with ↑/↓, the two signers."""
    w = SlipWriter(profile)
    _header(w, doc.hospital, doc.title)
    patient = f"姓名：{doc.patient_name}  性别：{doc.sex}  年龄：{doc.age}"
    if text_columns(patient, profile.encoding) <= profile.columns:
        w.text(patient)
    else:
        w.labelled("姓名：", doc.patient_name)
        w.text(f"性别：{doc.sex}  年龄：{doc.age}")
    if doc.report_no:
        w.labelled("报告单号：", doc.report_no)
    if doc.department:
        w.labelled("科室：", doc.department)
    w.labelled("标本：", doc.specimen)
    if doc.sampled_at is not None:
        w.labelled("采样时间：", doc.sampled_at.strftime(TIME_FORMAT))
    w.rule()
    _report_items(w, doc.items)
    w.rule()
    w.text(f"检验者：{doc.tested_by}  审核者：{doc.verified_by}")
    w.labelled("报告时间：", doc.reported_at.strftime(TIME_FORMAT))
    w.text(f"第{doc.print_count}次打印", "right", bold=doc.print_count > 1)
    _footer(w, doc.footer)
    return w.finish()


def render_registration_receipt(doc: RegistrationReceiptDoc, profile: PrinterProfile) -> bytes:
    """挂号凭条: patient (masked), department, doctor, 号别, date and slot, fee, how it was paid, kiosk."""
    w = SlipWriter(profile)
    lang = doc.lang
    _header(w, doc.hospital, doc.title, lang)
    w.labelled(say(lang, "姓名："), doc.masked_name)
    if doc.masked_card_no:
        w.labelled(say(lang, "就诊卡号："), doc.masked_card_no)
    w.rule()
    w.labelled(say(lang, "科室："), doc.department)
    w.labelled(say(lang, "号别："), doc.kind)
    if doc.doctor:
        w.labelled(say(lang, "医生："), doc.doctor)
    w.labelled(say(lang, "就诊日期："), doc.visit_date, bold=True)
    w.labelled(say(lang, "就诊时段："), doc.slot, bold=True)
    if doc.ticket_no:
        w.labelled(say(lang, "排队号："), doc.ticket_no)
    w.rule()
    total = format_fen(doc.fee_fen)
    fee = say(lang, "挂号费：")
    double = text_columns(fee + total, profile.encoding) + 1 <= profile.columns // 2
    w.pair(fee, total, bold=True, width=2 if double else 1, height=2)
    w.pair(say(lang, "支付方式："), doc.payment_method)
    w.pair(say(lang, "交易号："), doc.transaction_no)
    w.pair(say(lang, "缴费时间："), doc.paid_at.strftime("%Y-%m-%d %H:%M:%S"))
    w.pair(say(lang, "自助机："), doc.kiosk_id)
    if doc.card_qr:
        _card(w, doc.card_qr, lang)
    _footer(w, doc.footer, lang)
    return w.finish()


@dataclass(frozen=True)
class GuideStep:
    """One step of the guide slip, in the slip's language (common.wire.StepStatus as the patient reads it)."""

    title: str  # 取药 / 采血：血常规 / Blood draw: Complete blood count
    place: str  # floor, building, room or window
    text: str  # its state in one line: 药已配好，可到 3号窗口取药，前面 0 人
    prepare: str = ""  # what to bring or do before (空腹 8 小时, 带上导诊单)
    done: bool = False


GUIDE_LABELS = {
    "zh": {"title": "导诊单", "ticket": "排队号：", "name": "姓名：", "next": "当前：", "place": "地点：",
           "prepare": "准备：", "done": "（已完成）", "scan": "扫码查看实时进度，采血、取药时请出示此码",
           "printed": "打印时间：", "footer": ("请按顺序前往，留意各处叫号", "祝您早日康复")},
    "en": {"title": "Guide slip", "ticket": "Number: ", "name": "Name: ", "next": "Now: ", "place": "Where: ",
           "prepare": "Prepare: ", "done": " (done)", "scan": "Scan for live progress; show this code at the lab "
           "and the pharmacy", "printed": "Printed: ", "footer": ("Go in this order and listen for your number",
                                                                   "Get well soon")},
}


@dataclass(frozen=True)
class GuideSlipDoc:
    """导诊单, printed after payment: every step of the patient's journey (一票到底) in order, where it is, what to
    prepare, places ahead; the ticket number the whole journey keeps and the code the lab and pharmacy scan. In the
    language of the kiosk screen (``lang``); masked_name must already be masked."""

    hospital: str
    ticket_no: str
    masked_name: str
    next_text: str
    steps: tuple[GuideStep, ...]
    printed_at: datetime
    code_url: str  # the ticket page link: the phone shows the journey live, the lab and pharmacy scan it
    lang: Literal["zh", "en"] = "zh"

    @classmethod
    def from_journey(cls, journey: dict, *, hospital: str, code_url: str, printed_at: datetime,
                     lang: Literal["zh", "en"] = "zh") -> "GuideSlipDoc":
        """The slip of a journey as the service gives it (``common.wire.JourneyStatus``), in one language."""
        en = lang == "en"

        def pick(item: dict, key: str) -> str:
            return (item.get(f"{key}_en") or "") if en else (item.get(key) or "")

        steps = tuple(GuideStep(title=pick(s, "title"), place=pick(s, "place"), text=pick(s, "text"),
                                prepare=pick(s, "prepare"), done=s["state"] in ("done", "cancelled"))
                      for s in journey["steps"])
        return cls(hospital=hospital, ticket_no=journey["ticket"], masked_name=journey["name"],
                   next_text=pick(journey, "next_text"), steps=steps, printed_at=printed_at, code_url=code_url,
                   lang=lang)


def render_guide_slip(doc: GuideSlipDoc, profile: PrinterProfile) -> bytes:
    """导诊单: the number large, the next move in bold, then each step (numbered) with where and what to prepare."""
    label = GUIDE_LABELS[doc.lang]
    w = SlipWriter(profile)
    _header(w, doc.hospital, label["title"])
    mult = ticket_number_size(doc.ticket_no, profile, largest=4)
    w.text(doc.ticket_no, "center", mult, mult, bold=True)
    if doc.masked_name:
        w.labelled(label["name"], doc.masked_name)
    w.rule()
    w.labelled(label["next"], doc.next_text, bold=True)
    w.rule()
    for number, step in enumerate(doc.steps, 1):
        w.text(f"{number}. {step.title}{label['done'] if step.done else ''}", bold=not step.done)
        if step.place:
            w.labelled(label["place"], step.place)
        if not step.done:
            w.text(step.text)
            if step.prepare:
                w.labelled(label["prepare"], step.prepare)
        w.blank()
    if doc.code_url:
        w.qr(doc.code_url)
        w.text(label["scan"], "center")
    w.labelled(label["printed"], doc.printed_at.strftime(TIME_FORMAT))
    _footer(w, label["footer"])
    return w.finish()


@dataclass(frozen=True)
class _Samples:
    """Sample documents for the demo, the benchmark and the sample slips."""

    ticket: TicketDoc
    receipt: ReceiptDoc
    report: ReportDoc
    registration: RegistrationReceiptDoc


def sample_documents(now: datetime | None = None) -> _Samples:
    """Realistic documents for demos and sample slips (fixed time unless now is given)."""
    now = now or datetime(2026, 11, 23, 9, 30)
    ticket = TicketDoc(
        hospital="市第一人民医院",
        ticket_no="A015",
        department="内科",
        room="3诊室",
        location="门诊楼2层 内科诊区，出电梯右转",
        masked_name="王*明",
        ahead=5,
        wait_minutes=25,
        printed_at=now,
        status_url="http://queue.hospital.local/t/20261123-A015?k=7f3a9c",
        slot="2026-11-23 09:30-09:45",
        doctor="张建国 主任医师",
        kind="专家号",
    )
    receipt = ReceiptDoc(
        hospital="市第一人民医院",
        masked_name="王*明",
        lines=(
            ReceiptLine("普通门诊诊查费", 1, 1000),
            ReceiptLine("血常规（五分类）", 1, 2500),
            ReceiptLine("阿莫西林胶囊（0.25g×24粒）", 2, 1250),
        ),
        payment_method="微信支付",
        transaction_no="4200001234202611230987654321",
        paid_at=now,
    )
    report = ReportDoc(
        hospital="市第一人民医院",
        title="检验报告单（血常规）",
        patient_name="欧阳娜娜",
        age="45岁",
        sex="女",
        specimen="静脉血（EDTA抗凝）",
        department="内科门诊",
        report_no="JY20261123-000128",
        sampled_at=now.replace(hour=7, minute=45),
        items=(
            ReportItem("白细胞计数(WBC)", "11.8", "10^9/L", "3.5-9.5", "H"),
            ReportItem("红细胞计数(RBC)", "4.52", "10^12/L", "3.8-5.1"),
            ReportItem("血红蛋白(HGB)", "102", "g/L", "115-150", "L"),
            ReportItem("血小板计数(PLT)", "236", "10^9/L", "125-350"),
            ReportItem("中性粒细胞百分比", "78.2", "%", "40-75", "H"),
            ReportItem("估算肾小球滤过率(eGFR)", "95", "mL/min/1.73m²", ">90"),
            ReportItem("肌酐", "68", "µmol/L", "45-84"),
        ),
        tested_by="李建华",
        verified_by="陈静",
        reported_at=now,
        print_count=2,
    )
    registration = RegistrationReceiptDoc(
        hospital="市第一人民医院", masked_name="王*明", masked_card_no="MC26***128", department="内科",
        doctor="张建国 主任医师", kind="专家号", visit_date="2026-11-23", slot="09:30-09:45", fee_fen=5000,
        payment_method="微信支付", transaction_no="4200001234202611230987654321", kiosk_id="kiosk-1", paid_at=now,
        ticket_no="A015")
    return _Samples(ticket, receipt, report, registration)
