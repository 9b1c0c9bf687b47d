"""Help calls: a kiosk's "呼叫工作人员" as a loop that closes.

    open --acknowledge--> acknowledged --close(resolved | patient_gone)--> closed
      |  \\--escalate (not acknowledged in time: more areas alerted, still open)
      \\--cancel (the patient at the kiosk) / close (staff) --> closed

Pure data and wording; the service stores each call (all times kept for response-time statistics),
audits every step and publishes an ``alert`` event (kind ``help``) to every area the call reached.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

from caller.engine.model import RuleError
from common.privacy import surname
from common.wire import HelpAlert

HelpState = Literal["open", "acknowledged", "closed"]
Outcome = Literal["resolved", "patient_gone", "cancelled"]
OUTCOME_ZH = {"resolved": "已解决", "patient_gone": "患者已离开", "cancelled": "患者已取消"}
OUTCOME_EN = {"resolved": "resolved", "patient_gone": "patient gone", "cancelled": "cancelled by the patient"}
ROLE_ZH = {"nurse": "护士", "doctor": "医生", "admin": "老师"}
ROLE_EN = {"nurse": "Nurse", "doctor": "Doctor", "admin": "Staff member"}


@dataclass
class HelpCall:
    """One press of "呼叫工作人员" and what became of it. Times are ISO strings (service clock)."""

    id: str
    device: str
    device_name: str
    screen: str
    areas: list[str]
    created_at: str
    state: HelpState = "open"
    escalated_at: str | None = None
    acked_at: str | None = None
    acked_by: str | None = None          # user name (login)
    acked_by_name: str | None = None     # full name: staff only
    acked_by_role: str | None = None     # nurse | doctor | admin
    acked_place: str | None = None       # the console's name, e.g. 导医台
    closed_at: str | None = None
    closed_by: str | None = None
    outcome: Outcome | None = None
    version: int = 0                     # bumped on every step: the kiosk waits for a newer one
    history: list[dict] = field(default_factory=list)

    # ------------------------------------------------------------------ steps
    def _step(self, action: str, ts: str, who: str) -> None:
        self.version += 1
        self.history.append({"action": action, "ts": ts, "by": who})

    def acknowledge(self, ts: str, user: str, name: str, role: str, place: str) -> None:
        if self.state != "open":
            raise _not_open(self)
        self.state = "acknowledged"
        self.acked_at, self.acked_by, self.acked_by_name = ts, user, name
        self.acked_by_role, self.acked_place = role, place
        self._step("acknowledge", ts, user)

    def escalate(self, ts: str, more_areas: list[str]) -> list[str]:
        """Reach ``more_areas`` too; returns the areas newly reached."""
        if self.state != "open" or self.escalated_at is not None:
            return []
        added = [a for a in more_areas if a not in self.areas]
        self.areas = self.areas + added
        self.escalated_at = ts
        self._step("escalate", ts, "")
        return added

    def close(self, ts: str, who: str, outcome: Outcome) -> None:
        if self.state == "closed":
            raise _not_open(self)
        self.state = "closed"
        self.closed_at, self.closed_by, self.outcome = ts, who, outcome
        self._step("close" if outcome != "cancelled" else "cancel", ts, who)

    # ------------------------------------------------------------------ times
    def seconds_to_ack(self) -> float | None:
        return _seconds(self.created_at, self.acked_at)

    def seconds_to_close(self) -> float | None:
        return _seconds(self.created_at, self.closed_at)

    # ------------------------------------------------------------------ views
    def responder_zh(self) -> str:
        """导医台王护士 (surname only: the kiosk is public)."""
        return f"{self.acked_place or ''}{surname(self.acked_by_name)}{ROLE_ZH.get(self.acked_by_role or '', '老师')}"

    def responder_en(self) -> str:
        who = ROLE_EN.get(self.acked_by_role or "", "A staff member")
        family = surname(self.acked_by_name)
        return f"{who} {family}".strip() + (f" ({self.acked_place})" if self.acked_place else "")

    def kiosk_view(self) -> dict:
        """What the kiosk may show: the state and honest wording; no staff full names."""
        if self.state == "acknowledged":
            title_zh, title_en = f"{self.responder_zh()}正在赶来", f"{self.responder_en()} is on the way"
            text_zh, text_en = "请在自助机旁稍候，谢谢。", "Please wait here by the kiosk. Thank you."
        elif self.state == "closed":
            title_zh, title_en = "本次呼叫已结束", "This call for help is closed"
            text_zh = "谢谢您的耐心。" if self.outcome != "cancelled" else "已为您取消呼叫，谢谢。"
            text_en = "Thank you for your patience." if self.outcome != "cancelled" else "Your call was cancelled."
        elif self.escalated_at:
            title_zh, title_en = "暂时还没有工作人员回应", "No staff member has answered yet"
            text_zh = "已同时通知更多工作人员，请在自助机旁稍候；也可以到一楼大厅导医台咨询。"
            text_en = "More staff have been told. Please wait here, or go to the guide desk in the lobby."
        else:
            title_zh, title_en = "已通知工作人员", "Staff have been told"
            text_zh = "正在等待工作人员回应，请在自助机旁稍候。"
            text_en = "Waiting for a staff member to answer. Please wait here by the kiosk."
        return {"help_id": self.id, "state": self.state, "version": self.version,
                "escalated": self.escalated_at is not None, "outcome": self.outcome,
                "responder_zh": self.responder_zh() if self.acked_at else "",
                "responder_en": self.responder_en() if self.acked_at else "",
                "title_zh": title_zh, "title_en": title_en, "message_zh": text_zh, "message_en": text_en}

    def alert(self) -> dict:
        """The ``alert`` event data (kind ``help``) the consoles of its areas get."""
        name = self.device_name
        if self.state == "open":
            zh = f"{name}：患者请求协助" + ("（已超时未响应，已扩大通知）" if self.escalated_at else "")
            en = f"{self.device}: a patient asks for help" + (" (not answered in time: escalated)" if self.escalated_at else "")
            if self.screen.startswith("triage.red_flag."):  # 智能导诊 found a red flag: someone must come now
                zh = f"{name}：导诊发现急症信号，患者需立即到急诊，请马上到场确认" + ("（已扩大通知）" if self.escalated_at else "")
                en = f"{self.device}: triage red flag, the patient must go to emergency now: please come and confirm"
        elif self.state == "acknowledged":
            zh = f"{name}：{self.responder_zh()}正在处理"
            en = f"{self.device}: {self.responder_en()} is handling it"
        else:
            zh = f"{name}：呼叫已结束（{OUTCOME_ZH.get(self.outcome or '', '')}）"
            en = f"{self.device}: help call closed ({OUTCOME_EN.get(self.outcome or '', '')})"
        return HelpAlert(help_id=self.id, state=self.state, device=self.device, name=name, screen=self.screen,
                         created_at=self.created_at, escalated=self.escalated_at is not None, acked_by=self.acked_by,
                         outcome=self.outcome, active=self.state != "closed", message_zh=zh,
                         message_en=en).model_dump()

    def to_row(self) -> dict:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict) -> "HelpCall":
        return cls(**row)


def _not_open(call: HelpCall) -> RuleError:
    if call.state == "closed":
        return RuleError("help_closed", "这次呼叫已经结束了。", "This call for help is already closed.")
    return RuleError("help_taken", f"{call.acked_by_name or '其他同事'}已在处理这次呼叫。",
                     "Someone else is already handling this call.")


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
