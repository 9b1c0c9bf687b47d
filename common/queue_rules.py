"""The queue rules of an outpatient clinic, as validated configuration.

Every rule of the spec (spec/queue-rules.md) is one field here. The hospital TOML `[rules]` table and
each area's `[areas.rules]` overrides are validated into a `QueueRules`; an area's rules are the
hospital's merged with its overrides (`QueueRules.merged`).
"""
from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CallTarget = Literal["area_screen", "room_screen", "speaker"]
NUMBER_KINDS: tuple[str, ...] = ("general", "expert", "extra", "emergency")
TEMPLATE_FIELDS: tuple[str, ...] = ("ticket", "name", "room", "dept", "doctor")


class SpecialKind(BaseModel):
    """A kind of special patient (特殊患者): level 1 is the most urgent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    level: int = Field(ge=1, le=99)


DEFAULT_SPECIAL_KINDS: tuple[SpecialKind, ...] = (
    SpecialKind(kind="military", name="军人", level=1),
    SpecialKind(kind="elderly", name="老年人", level=2),
    SpecialKind(kind="disabled", name="残疾人", level=3),
    SpecialKind(kind="pregnant", name="孕妇", level=4),
)


def _check_template(template: str) -> str:
    """A call template may only use the known {fields}; a typo must not crash the first call."""

    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"call template {template!r} is not valid: {exc}") from None
    unknown = [name for name in fields if name not in TEMPLATE_FIELDS]
    if unknown:
        raise ValueError(
            f"call template {template!r} uses unknown field(s) {unknown}; allowed: "
            + ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
        )
    if "ticket" not in fields:
        raise ValueError(f"call template {template!r} must contain {{ticket}}")
    return template


class QueueRules(BaseModel):
    """All queue rules of one area (hospital defaults merged with the area's overrides)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # 1-2. check-in mode and base order
    check_in_mode: bool = True
    base_order: Literal["registration", "check_in"] = "registration"
    # 3-4. appointments first, precise time slots
    appointments_first: bool = True
    precise_slots: bool = False
    # 5. early check-in
    early_check_in: Literal["slot_start", "any_time", "minutes_before"] = "minutes_before"
    early_check_in_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # 6. late arrivals
    late_mode: Literal["interleave", "end_of_session", "end_of_slot", "normal"] = "interleave"
    late_interleave: int = Field(default=2, ge=0, le=1000)
    # 7-8. missed and recall
    missed_after_calls: int = Field(default=2, ge=1, le=20)
    recall_mode: Literal["interleave", "end_of_slot", "end_of_session"] = "interleave"
    recall_interleave: int = Field(default=1, ge=0, le=1000)
    # 9. special patients
    special_kinds: list[SpecialKind] = Field(default_factory=lambda: list(DEFAULT_SPECIAL_KINDS))
    # 9a. special kinds a journey step gets by itself from the patient's flags when it opens (a lab may put
    # fasting patients first, a pharmacy the elderly): kinds of special_kinds, e.g. ["elderly", "child", "fasting"]
    auto_priority: list[str] = Field(default_factory=list)
    # 9b. fair priority (defaults keep "priority always goes first")
    priority_ratio: int = Field(default=1, ge=1, le=100,
                                description="at most one priority visit per N calls of a room (1: no cap)")
    max_priority_delay_minutes: int = Field(default=0, ge=0, le=24 * 60,
                                            description="a normal visit passed by priority for this long is called "
                                                        "next (0: no limit)")
    # 11. dispatch to rooms
    dispatch: Literal["manual", "auto"] = "auto"
    room_cap: int = Field(default=2, ge=1, le=100)
    # 14. extra numbers (加号) shown and called like others
    extra_numbers_called: bool = True
    # 15. call
    call_template: str = "请 {ticket} 号 {name} 到 {room} 就诊"
    call_templates: dict[str, str] = Field(default_factory=dict)
    call_repeat: int = Field(default=2, ge=1, le=10)
    call_targets: list[CallTarget] = Field(default_factory=lambda: ["area_screen", "room_screen", "speaker"])
    # 16. privacy
    screen_name: Literal["masked", "none"] = "masked"
    speech_name: Literal["none", "surname", "full"] = "surname"
    # 18. waiting time
    wait_alert_minutes: int = Field(default=30, ge=1, le=24 * 60)
    default_service_minutes: float = Field(default=8.0, gt=0, le=24 * 60)

    @field_validator("call_template")
    @classmethod
    def _template(cls, value: str) -> str:
        return _check_template(value)

    @field_validator("call_templates")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        for kind, template in value.items():
            if kind not in NUMBER_KINDS:
                raise ValueError(f"call_templates: unknown number kind {kind!r}; use one of {list(NUMBER_KINDS)}")
            _check_template(template)
        return value

    @field_validator("special_kinds")
    @classmethod
    def _kinds(cls, value: list[SpecialKind]) -> list[SpecialKind]:
        seen: set[str] = set()
        for item in value:
            if item.kind in seen:
                raise ValueError(f"special kind {item.kind!r} appears twice")
            seen.add(item.kind)
        return value

    @field_validator("call_targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"call_targets lists a target twice: {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "QueueRules":
        if self.base_order == "check_in" and not self.check_in_mode:
            raise ValueError('base_order = "check_in" needs check_in_mode = true (there is no check-in sequence otherwise)')
        if self.late_mode == "end_of_slot" and not self.precise_slots:
            raise ValueError('late_mode = "end_of_slot" needs precise_slots = true')
        return self

    def merged(self, overrides: dict) -> "QueueRules":
        """These rules with `overrides` (e.g. an area's [areas.rules] table) applied, validated again."""
        return QueueRules.model_validate({**self.model_dump(), **overrides})

    def special_kind(self, kind: str) -> SpecialKind | None:
        """The special kind named `kind`, or None when these rules do not know it."""
        for item in self.special_kinds:
            if item.kind == kind:
                return item
        return None

    def template_for(self, number_kind: str) -> str:
        """The call template for a number kind (falls back to call_template)."""
        return self.call_templates.get(number_kind, self.call_template)
