"""为家人办理: whom the patient at the kiosk may act for (children, elderly parents), and a child's record created
from the guardian's session in three steps: ID number (or none), birth date and sex, name."""
from __future__ import annotations

from datetime import date
from typing import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from common.privacy import mask_id_number, screen_name, surname
from kiosk.backend import age_text
from kiosk.i18n import tr
from kiosk.idcheck import check_id_number
from kiosk.models import Patient
from kiosk.widgets import Card, ChoiceList, Keypad, Screen, button, label

RELATIONS = ("父母", "祖父母", "其他亲属")  # the guardian's relation to the child, as the proxy entry keeps it
# a proxy entry says who the proxy is to the patient (父亲, 儿子, ...); the family list says who the patient is to them
MEMBER_IS = {"父亲": "子女", "母亲": "子女", "父母": "子女", "祖父母": "孙子女", "外祖父母": "孙子女",
             "儿子": "父母", "女儿": "父母", "子女": "父母", "配偶": "配偶"}


def age_words(birth: str, today: date) -> str:
    """3岁 / 8个月 / 12天 for the family list (the report's own age rule)."""
    text = age_text(birth, today)
    units = {"个月": tr("{n}个月"), "岁": tr("{n}岁"), "天": tr("{n}天")}
    for unit, words in units.items():
        if text.endswith(unit):
            return words.format(n=text[:-len(unit)])
    return text


def member_item(member: Patient, today: date) -> tuple[str, str, str]:
    details = [tr(MEMBER_IS.get(member.relation, "家人")), tr(member.gender) if member.gender else "",
               age_words(member.birth_date, today)]
    return screen_name(member.name), "  ".join(d for d in details if d), tr("为TA办理")


def _toggles(texts: Sequence[str], checked: int | None) -> tuple[QWidget, list[QPushButton]]:
    """A row of big either-or buttons (sex, relation)."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(16)
    buttons = []
    for i, text in enumerate(texts):
        btn = button(tr(text), "Tag")
        btn.setCheckable(True)
        btn.setAutoExclusive(True)
        btn.setChecked(i == checked)
        row.addWidget(btn)
        buttons.append(btn)
    return holder, buttons


def _number_edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setReadOnly(True)
    edit.setAlignment(Qt.AlignCenter)
    edit.setFocusPolicy(Qt.NoFocus)
    edit.setPlaceholderText(placeholder)
    return edit


class FamilyScreen(Screen):
    """The family members this patient may act for; 为孩子建档 adds a child without an ID card of their own."""

    name = "family"

    def __init__(self, kiosk, family: Sequence[Patient], today: date, on_choose: Callable[[Patient], None],
                 on_add: Callable[[], None]) -> None:
        hint = tr("请选择要为哪位家人办理") if family else tr("孩子第一次来看病，请先为孩子建档")
        super().__init__(tr("为家人办理"), hint, kiosk.elderly)
        self.family = list(family)
        self.choices = ChoiceList([member_item(m, today) for m in self.family], kiosk.per_page, kiosk.choice_columns)
        self.choices.chosen.connect(lambda i: on_choose(self.family[i]))
        self.add(self.choices, 1)
        if not self.family:
            self.add(label(tr("老人有身份证的，请将老人的身份证放在读卡区，即可为老人办理。"), "Subtitle", align=Qt.AlignCenter))
        self.add_button = button(tr("为孩子建档"), "" if self.family else "Primary", on_add)
        self.add_action(self.add_button)


class ChildIdScreen(Screen):
    """Step 1: the child's ID number from the household register (户口本), or none (a newborn)."""

    name = "child_id"

    def __init__(self, kiosk, on_submit: Callable[[str], None]) -> None:
        hint = tr("号码在户口本上；新生儿还没有号码，请点击“没有身份证号码”") if kiosk.settings.portrait else ""
        super().__init__(tr("请输入孩子的身份证号码"), hint, kiosk.elderly)
        self.on_submit = on_submit
        self.edit = _number_edit(tr("孩子的身份证号码"))
        self.error = label("", "Error", align=Qt.AlignCenter)
        self.error.hide()
        self.keypad = Keypad(self.edit, 18, extra="X", ok_text=tr("下一步"))
        self.keypad.submitted.connect(self.submit)
        self.add_columns([self.edit, self.error], [self.keypad], side_by_side=not kiosk.settings.portrait)
        self.none_button = button(tr("没有身份证号码"), "", lambda: on_submit(""))
        self.add_action(self.none_button)

    def submit(self, text: str) -> None:
        ok, reason = check_id_number(text)
        if not ok:
            self.error.setText(tr(reason))
            self.error.show()
            return
        self.error.hide()
        self.on_submit(text.strip().upper())


class ChildBirthScreen(Screen):
    """Step 2 (no ID number): birth date on the keypad, sex with two buttons."""

    name = "child_birth"

    def __init__(self, kiosk, today: date, on_submit: Callable[[str, str], None]) -> None:
        super().__init__(tr("请输入孩子的出生日期"), tr("按年月日输入8位数字，例如 20240315，并选择性别"), kiosk.elderly)
        self.today = today
        self.on_submit = on_submit
        self.edit = _number_edit(tr("例如 20240315"))
        self.sex_row, self.sex_buttons = _toggles(("男", "女"), None)
        self.error = label("", "Error", align=Qt.AlignCenter)
        self.error.hide()
        self.keypad = Keypad(self.edit, 8, ok_text=tr("下一步"))
        self.keypad.submitted.connect(self.submit)
        for sex_button in self.sex_buttons:  # the date typed, a tap on 男 or 女 is the last step: no 下一步 needed
            sex_button.clicked.connect(lambda _checked=False: len(self.edit.text()) == 8 and self.submit(self.edit.text()))
        self.add_columns([self.edit, self.sex_row, self.error], [self.keypad], side_by_side=not kiosk.settings.portrait)

    def submit(self, text: str) -> None:
        try:
            born = date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
        except ValueError:
            born = None
        if born is None or born > self.today or born.year < 1900:
            self.show_error(tr("出生日期不正确，请按“年月日”8位数字输入，例如 20240315。"))
            return
        sex = next((s for s, b in zip(("男", "女"), self.sex_buttons) if b.isChecked()), "")
        if not sex:
            self.show_error(tr("请选择孩子的性别。"))
            return
        self.error.hide()
        self.on_submit(born.isoformat(), sex)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


class ChildNameScreen(Screen):
    """Step 3: the child's name (the kiosk's input method: pinyin or handwriting) and the relation; 确认建档."""

    name = "child_name"

    def __init__(self, kiosk, guardian: Patient, id_number: str, birth_date: str, sex: str,
                 on_submit: Callable[[str, str], None]) -> None:
        family_name = surname(guardian.name)
        hint = tr("新生儿还没有起名的，可以输入“{s}宝宝”").format(s=family_name)
        portrait = kiosk.settings.portrait
        super().__init__(tr("请输入孩子的姓名"), hint if portrait else "", kiosk.elderly)
        self.on_submit = on_submit
        info = Card()
        if id_number:
            info.row(tr("证件号码"), mask_id_number(id_number))
        else:
            info.row(tr("出生日期"), birth_date)
            info.row(tr("性别"), tr(sex))
        self.edit = QLineEdit()
        self.edit.setAlignment(Qt.AlignCenter)
        self.edit.setMaxLength(30)
        self.edit.setPlaceholderText(tr("孩子的姓名"))
        self.relation_row, self.relation_buttons = _toggles(RELATIONS, 0)
        self.error = label("", "Error", align=Qt.AlignCenter)
        self.error.hide()
        relation = label(tr("您是孩子的："), "Subtitle", align=Qt.AlignCenter)  # 父母 / 祖父母 / 其他亲属
        # the on-screen keyboard takes the lower part of the screen: on a landscape screen the name sits beside the
        # relation, and the birth date and sex just typed are not repeated, so that nothing scrolls away while typing
        self.add_columns([self.edit, self.error] + ([info] if portrait else []), [relation, self.relation_row],
                         side_by_side=not portrait)
        if portrait:
            self.add_stretch()
        self.confirm_button = button(tr("建立孩子的档案"), "Primary", self.submit)
        self.add_action(self.confirm_button)
        self.edit.setFocus()

    def submit(self) -> None:
        name = self.edit.text().strip()
        if not name or any(ch.isdigit() for ch in name):
            self.error.setText(tr("请输入孩子的姓名。"))
            self.error.show()
            return
        relation = next((r for r, b in zip(RELATIONS, self.relation_buttons) if b.isChecked()), RELATIONS[0])
        self.error.hide()
        self.on_submit(name, relation)
