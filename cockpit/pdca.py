"""The monthly PDCA record of a department (or the hospital), kept in the store.

P (plan): the targets of the hospital file ([cockpit.targets]) and what the department plans to do about them;
D (do): the actions done, entered by the manager (date, action, who did it); C (check): the month's measured
figures against the targets (computed from the rollups, never typed); A (act): the decision. One row per scope
and month in ``pdca_records``; the service writes it with an audit row naming who saved it.
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS pdca_records (
    scope TEXT NOT NULL, month TEXT NOT NULL, data TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (scope, month)
);
"""

# A: what the review decides (the usual four of a PDCA cycle)
DECISIONS: dict[str, tuple[str, str]] = {
    "standardise": ("措施有效，标准化推广", "It worked: make it the standard"),
    "continue": ("部分有效，进入下一轮 PDCA", "Partly: another cycle"),
    "adjust": ("调整目标或措施", "Change the targets or the actions"),
    "stop": ("措施无效，停止", "It did not work: stop it"),
}
MAX_ACTIONS = 30
MAX_TEXT = 500


class PdcaError(ValueError):
    """A record the manager must correct (zh and en)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def create(conn: Any) -> None:
    conn.executescript(SCHEMA)


def scope_key(dept: str | None) -> str:
    return dept or ""


def _text(value: Any, what_zh: str, what_en: str) -> str:
    text = str(value or "").strip()
    if len(text) > MAX_TEXT:
        raise PdcaError(f"{what_zh}请不超过 {MAX_TEXT} 字。", f"{what_en}: at most {MAX_TEXT} characters.")
    return text


def checked(body: dict[str, Any], month: str) -> dict[str, Any]:
    """The record as the manager entered it, checked: ``plan`` (text), ``do`` (a list of {date, action, by}: dates
    within the month), ``act`` ({decision: one of DECISIONS, note}). Raises PdcaError saying what to correct."""
    if not re.fullmatch(r"\d{4}-\d{2}", month or ""):
        raise PdcaError("请选择月份。", "Choose the month.")
    actions = body.get("do") or []
    if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
        raise PdcaError(f"执行记录最多 {MAX_ACTIONS} 条。", f"At most {MAX_ACTIONS} actions.")
    done = []
    for n, item in enumerate(actions, 1):
        if not isinstance(item, dict):
            raise PdcaError(f"第 {n} 条执行记录格式不正确。", f"Action {n} is not well formed.")
        action = _text(item.get("action"), f"第 {n} 条执行记录", f"Action {n}")
        if not action:
            continue  # an empty line of the form
        when = str(item.get("date") or "")
        try:
            day = date.fromisoformat(when)
        except ValueError:
            raise PdcaError(f"第 {n} 条执行记录请填写日期。", f"Action {n}: give its date.") from None
        if day.isoformat()[:7] != month:
            raise PdcaError(f"第 {n} 条执行记录的日期不在 {month} 月内，请核对。",
                            f"Action {n}: its date is not in {month}.")
        done.append({"date": day.isoformat(), "action": action, "by": _text(item.get("by"), "执行人", "Who")[:40]})
    act = body.get("act") or {}
    decision = str(act.get("decision") or "")
    if decision and decision not in DECISIONS:
        raise PdcaError("请从列表中选择处理决定。", "Choose the decision from the list.")
    return {"plan": _text(body.get("plan"), "计划", "Plan"), "do": sorted(done, key=lambda a: a["date"]),
            "act": {"decision": decision, "note": _text(act.get("note"), "处理说明", "The decision's note")}}


def load(conn: Any, dept: str | None, month: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT data, updated_by, updated_at FROM pdca_records WHERE scope = ? AND month = ?",
                       (scope_key(dept), month)).fetchone()
    if row is None:
        return None
    return {**json.loads(row[0]), "updated_by": row[1], "updated_at": row[2]}


def save(conn: Any, dept: str | None, month: str, record: dict[str, Any], user: str, ts: str) -> None:
    """Inside the caller's open transaction (the caller adds the audit row)."""
    conn.execute(
        "INSERT INTO pdca_records (scope, month, data, updated_by, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (scope, month) DO UPDATE SET data = excluded.data, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at",
        (scope_key(dept), month, json.dumps(record, ensure_ascii=False), user, ts))


def decision_text(decision: str, lang: str = "zh") -> str:
    if decision not in DECISIONS:
        return ""
    return DECISIONS[decision][0 if lang == "zh" else 1]
