"""The texts patients receive: plain, polite Chinese with the hospital's name, never a patient's name.

Each template names the values it uses; ``render`` fills them. Gateways that need registered templates (most
Chinese SMS gateways, WeChat subscribe messages) get the template name mapped to their template id plus the same
values (see caller.notify.adapters); the rendered text is what the simulator records and what staff see.
"""
from __future__ import annotations

from typing import Any

TEMPLATES: dict[str, str] = {
    "ahead": "【{hospital}】您好，您的{dept}排队号 {ticket} 前面还有 {ahead} 位，请回到{area}候诊，留意叫号。",
    "called": "【{hospital}】您好，请 {ticket} 号到 {room} 就诊（{location}）。谢谢！",
    "missed": "【{hospital}】您好，{ticket} 号叫号时您未到，已过号。请到{area}分诊台，护士会为您重新安排。",
    "recalled": "【{hospital}】您好，{ticket} 号已重新排队，请在{area}候诊，留意叫号。",
    "stopped": "【{hospital}】您好，很抱歉，{what}临时停诊。{next}",
    "reminder_day": "【{hospital}】您好，您预约了 {date} {time} 的{dept}{doctor}，请提前 15 分钟到{location}自助机签到。如不能前来，请提前取消。",
    "reminder_soon": "【{hospital}】您好，您预约的{dept}{doctor}将于 {time} 开始，请到{location}自助机签到，谢谢。",
    "report_ready": "【{hospital}】您好，您的{title}报告已出，可到门诊自助机打印。祝您健康！",
}

# What to do next after a 停诊 of a room (records say it for a doctor's whole session: refund or rebook).
NEXT_STEPS = {
    "room": "您的 {ticket} 号仍在排队，将由其他诊室为您就诊，请留意叫号。",
}


def render(template: str, params: dict[str, Any]) -> str:
    """The text of a template with its values; a missing value leaves no gap."""
    text = TEMPLATES[template]

    class _Blank(dict):
        def __missing__(self, key: str) -> str:
            return ""

    return text.format_map(_Blank({k: "" if v is None else v for k, v in params.items()}))
