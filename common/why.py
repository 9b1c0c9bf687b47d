""""Why here": a short answer, for staff and patients, to "why is this visit at this place in the line?" (pure).

Works on visit rows (``Visit.to_row()`` or a staff snapshot item: the same keys), so the service (visit
status, the ticket page) and the console (its waiting list) say the same thing:

    前面 3 位：1 位老年人优先，2 位 09:00 预约在前
    3 ahead: 1 priority (elderly), 2 by appointment (09:00)
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping, Sequence

MAX_PARTS = 3


def _slot(value: Any) -> str:
    text = str(value or "")
    return text[:5] if len(text) >= 5 and text[2] == ":" else ""


def _reason(ahead: Mapping[str, Any], visit: Mapping[str, Any], kind_names: Mapping[str, str]) -> tuple[str, str, str]:
    """(sort rank, zh label, en label) of why one visit is ahead."""
    kind = ahead.get("priority_kind")
    if kind:
        name = kind_names.get(str(kind), str(kind))
        return "0", f"{name}优先", f"priority ({kind})"
    if ahead.get("recalled"):
        return "2", "召回", "recalled"
    if ahead.get("placed") == "late" or (ahead.get("late") and ahead.get("placed")):
        return "3", "迟到插入", "late arrival"
    if ahead.get("source") == "appointment" and visit.get("source") != "appointment":
        slot = _slot(ahead.get("slot_start"))
        return "1" + slot, f"{slot} 预约在前".strip(), f"by appointment{f' ({slot})' if slot else ''}"
    return "4", "先到", "came earlier"


class Line:
    """Running counts of why visits are ahead, one visit added at a time (a whole list in one pass)."""

    def __init__(self, kind_names: Mapping[str, str] | None = None):
        self.names = kind_names or {}
        self.counts: Counter = Counter()
        self.labels: dict[tuple[str, str], tuple[str, str]] = {}

    def add(self, other: Mapping[str, Any]) -> None:
        rank, zh, en = _reason(other, {"source": "onsite"}, self.names)  # as seen from an on-site visit
        self.counts[(rank, zh)] += 1
        self.labels[(rank, zh)] = (zh, en)

    def merge(self, other: "Line") -> None:
        """Add the visits another line counted (the visits of a room's queue ahead of this one, say)."""
        self.counts.update(other.counts)
        self.labels.update(other.labels)

    def why(self, visit: Mapping[str, Any]) -> tuple[str, str]:
        """(zh, en) for ``visit`` standing right after every visit added so far."""
        own_zh = own_en = ""
        if visit.get("priority_kind"):
            kind = str(visit["priority_kind"])
            own_zh, own_en = f"{self.names.get(kind, kind)}优先；", f"priority ({kind}); "
        total = sum(self.counts.values())
        if not total:
            return f"{own_zh}排在最前", f"{own_en}first in line"
        counts: Counter = Counter()
        labels = dict(self.labels)
        for key, n in self.counts.items():
            if key[0].startswith("1") and visit.get("source") == "appointment":
                key = ("4", "先到")  # an appointment is not behind other appointments "because" of them
                labels[key] = ("先到", "came earlier")
            counts[key] += n
        parts = sorted(counts.items(), key=lambda item: item[0][0])
        zh_parts = [f"{n} 位{' ' if labels[key][0][:1].isdigit() else ''}{labels[key][0]}" for key, n in parts[:MAX_PARTS]]
        en_parts = [f"{n} {labels[key][1]}" for key, n in parts[:MAX_PARTS]]
        more = len(parts) > MAX_PARTS
        return (f"{own_zh}前面 {total} 位：" + "，".join(zh_parts) + ("等" if more else ""),
                f"{own_en}{total} ahead: " + ", ".join(en_parts) + (", ..." if more else ""))


def why_here(visit: Mapping[str, Any], ahead: Sequence[Mapping[str, Any]],
             kind_names: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(zh, en) for ``visit`` with ``ahead`` the visits before it in its line."""
    line = Line(kind_names)
    for other in ahead:
        line.add(other)
    return line.why(visit)


def why_of_list(items: Sequence[Mapping[str, Any]], kind_names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Why each visit of a waiting list is where it is; a visit's line is its department and doctor."""
    lines: dict[tuple[Any, Any], Line] = {}
    out = []
    for item in items:
        line = lines.setdefault((item.get("dept_id"), item.get("doctor_id")), Line(kind_names))
        out.append(line.why(item))
        line.add(item)
    return out
