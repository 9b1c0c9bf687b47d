"""English names in the hospital file: what is missing, and the one fallback rule.

English screens (kiosk, wall and door screens in English) show ``name_en``; a name without one falls back to the
Chinese name (never an empty line), a description or direction without English is left out. ``check-config`` warns
for each department, doctor, area and room without ``name_en`` (and location without ``location_en``), so a hospital
sees before opening day which English screens would show Chinese.
"""
from __future__ import annotations

from typing import Any


def english_name(zh: str, en: str | None) -> str:
    """The fallback rule: the English name when the hospital gave one, else the Chinese name."""
    return (en or "").strip() or zh


def missing_english(config: Any) -> list[str]:
    """One line (zh / en) per kind of thing without English in the hospital file; [] when complete."""
    found: dict[str, list[str]] = {}

    def check(kind: str, items: list[Any], field: str = "name_en", only_if: str = "") -> None:
        for item in items:
            if only_if and not getattr(item, only_if, ""):
                continue
            if not (getattr(item, field, "") or "").strip():
                found.setdefault(f"{kind}.{field}", []).append(item.id)

    rooms = [r for a in config.areas for r in a.rooms]
    check("departments", list(config.departments))
    check("doctors", list(config.doctors))
    check("areas", list(config.areas))
    check("rooms", rooms)
    check("departments", list(config.departments), "location_en", "location")
    check("areas", list(config.areas), "location_en", "location")
    check("rooms", rooms, "location_en", "location")
    return [f"注意 / warning: {len(ids)} {what.split('.')[0]} without {what.split('.')[1]} (英文界面将显示中文 / English "
            f"screens show the Chinese text): {', '.join(ids)}" for what, ids in found.items()]
