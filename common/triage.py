"""智能导诊: which department to see, from where it hurts and what the patient feels. Rules, not a black box.

The hospital file lists the body regions and a short list of symptoms in plain words (``[triage]``): each symptom
names the departments that see it and why, or is a red flag (chest pain, fever with breathlessness, signs of a
stroke, heavy bleeding...) that sends the patient to 急诊 at once and calls a nurse. A symptom may name a picture
(``icon``): a plain pictogram of ``assets/triage/`` shown on its button beside the words. ``advise`` is pure: the same
symptoms always give the same advice, and every suggestion is only a suggestion (the patient can still pick any
department).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

ICONS = Path(__file__).resolve().parent.parent / "assets" / "triage"  # the symptoms' pictograms, NAME.svg


def icon_file(name: str) -> Path | None:
    """The picture of icon ``name``, or None when there is none (a kiosk older than its hospital file)."""
    path = ICONS / f"{name}.svg"
    return path if name and path.is_file() else None


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TriageRegion(_Model):
    id: str = Field(pattern=r"^[a-z_]+$")
    name: str
    name_en: str = ""


class TriageSymptom(_Model):
    id: str = Field(pattern=r"^[a-z_]+$")
    region: str
    name: str = Field(description="plain words, as a patient would say it")
    name_en: str = ""
    departments: list[str] = Field(default_factory=list, description="department ids, most likely first")
    why: str = Field(default="", description="one line a patient understands: why those departments")
    why_en: str = ""
    red_flag: bool = Field(default=False, description="go to the emergency department now and call a nurse")
    icon: str = Field(default="", pattern=r"^([a-z0-9_]+)?$",
                      description="a picture of assets/triage/ shown beside the words (its name, without .svg)")


class TriageConfig(_Model):
    """``[triage]`` of the hospital file; no symptoms: the kiosk offers no 智能导诊."""

    emergency: str = Field(default="", description="the emergency department's id (red flags go there)")
    regions: list[TriageRegion] = Field(default_factory=list)
    symptoms: list[TriageSymptom] = Field(default_factory=list)
    max_departments: int = Field(default=2, ge=1, le=3)

    def problems(self, departments: set[str]) -> list[str]:
        """Cross-references the hospital file must get right (checked at load)."""
        regions = {r.id for r in self.regions}
        out = []
        if self.symptoms and self.emergency not in departments:
            out.append(f"triage.emergency {self.emergency!r} is not a department")
        for s in self.symptoms:
            if s.region not in regions:
                out.append(f"triage symptom {s.id!r}: region {s.region!r} is not listed")
            out += [f"triage symptom {s.id!r}: department {d!r} does not exist" for d in s.departments if d not in departments]
            if s.icon and icon_file(s.icon) is None:
                known = ", ".join(sorted(p.stem for p in ICONS.glob("*.svg")))
                out.append(f"triage symptom {s.id!r}: icon {s.icon!r} has no picture {s.icon}.svg in assets/triage "
                           f"(the pictures there: {known})")
            if not s.departments and not s.red_flag:
                out.append(f"triage symptom {s.id!r} names no department")
        return out


@dataclass(frozen=True)
class Suggestion:
    department: str
    why_zh: str
    why_en: str


@dataclass(frozen=True)
class Advice:
    emergency: bool  # a red flag: 急诊 now, a nurse called
    departments: tuple[Suggestion, ...]
    reason_zh: str = ""  # the red flag, in words
    reason_en: str = ""


def advise(rules: TriageConfig, chosen: list[str] | tuple[str, ...]) -> Advice:
    """The advice for the symptoms the patient chose (ids of ``rules.symptoms``; unknown ids are ignored)."""
    by_id = {s.id: s for s in rules.symptoms}
    symptoms = [by_id[c] for c in chosen if c in by_id]
    flags = [s for s in symptoms if s.red_flag]
    if flags:
        why_zh = "、".join(s.name for s in flags)
        why_en = ", ".join(s.name_en or s.name for s in flags)
        return Advice(True, (Suggestion(rules.emergency, f"{why_zh}：可能是急症，请马上到急诊", f"{why_en}: this may be an emergency"),),
                      reason_zh=why_zh, reason_en=why_en)
    score: dict[str, float] = {}
    reasons: dict[str, list[TriageSymptom]] = {}
    for s in symptoms:
        for rank, dept in enumerate(s.departments):
            score[dept] = score.get(dept, 0.0) + 1.0 / (rank + 1)  # the first department named counts most
            reasons.setdefault(dept, []).append(s)
    order = sorted(score, key=lambda d: (-score[d], min(s.departments.index(d) for s in reasons[d])))
    out = []
    for dept in order[:rules.max_departments]:
        said = reasons[dept]
        why_zh = "；".join(dict.fromkeys(s.why or s.name for s in said))
        why_en = "; ".join(dict.fromkeys(s.why_en or s.name_en or s.name for s in said))
        out.append(Suggestion(dept, why_zh, why_en))
    return Advice(False, tuple(out))
