"""The console's actions: one button and one keyboard shortcut each (the list nurses are taught).

| key          | action                          | acts on                                             |
|--------------|---------------------------------|-----------------------------------------------------|
| F1           | 叫下一位 call next               | the chosen room                                     |
| F2           | 重呼 call again                  | selected called visit, else the room's current one  |
| F3           | 过号 missed                      | same as F2                                          |
| F4           | 结束就诊 finish                  | same as F2 (a called visit is started, then finished)|
| F5           | 开始就诊 start                   | same as F2                                          |
| F6           | 召回 recall / 检查回来 back       | selected missed or away visit                       |
| F7           | 上移 move up one place           | selected waiting visit                              |
| F8           | 优先 give / remove priority      | selected waiting visit                              |
| F9           | 指定医生 assign doctor           | selected waiting visit                              |
| F10          | 转诊 transfer                    | selected visit                                      |
| F11          | 停诊 / 开诊 pause / resume room  | the chosen room                                     |
| F12          | 广播 broadcast a notice          | the area                                            |
| Ctrl+Enter   | 呼叫此号 call this one now       | selected waiting visit (asks the reason, audited)    |
| Ctrl+D       | 分诊到本诊室 dispatch            | selected area-waiting visit                          |
| Ctrl+E       | 去检查 away at exams             | selected called / in-service visit                  |
| Ctrl+Delete  | 弃号 cancel                      | selected visit (asks first)                         |
| Ctrl+F       | 搜索 search (type or swipe an ID card)                                              |
| Ctrl+H       | 我来处理 take the oldest help call from a kiosk                                      |

The whole map is shown at the foot of the console (``key_map_text``); results show as a toast next to
the button that was used.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from caller_console.commands import ConsoleCommands as Do


@dataclass(frozen=True)
class ActionSpec:
    key: str  # the action's name (tests and the status bar name it)
    label: str
    shortcut: str
    tip: str
    run: Callable[[Any], None]  # what it does, given the window (a ConsoleCommands method)

    @property
    def key_text(self) -> str:
        """The shortcut as printed on the keyboard ("Ctrl+Enter")."""
        return self.shortcut.replace("Return", "Enter").replace("Delete", "Del")


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("call_next", "叫下一位", "F1", "呼叫本诊室下一位患者", Do.do_call_next),
    ActionSpec("call_again", "重呼", "F2", "再次呼叫选中（或本诊室当前）的患者", Do.do_call_again),
    ActionSpec("missed", "过号", "F3", "患者未到，标记过号", Do.do_missed),
    ActionSpec("finish", "结束就诊", "F4", "本次就诊结束", Do.do_finish),
    ActionSpec("start", "开始就诊", "F5", "患者已进入诊室", Do.do_start),
    ActionSpec("recall", "召回", "F6", "召回过号患者，或登记检查回来", Do.do_recall),
    ActionSpec("move_up", "上移", "F7", "把选中的候诊患者上移一位", Do.do_move_up),
    ActionSpec("priority", "优先", "F8", "给予或取消特殊患者优先", Do.do_priority),
    ActionSpec("assign_doctor", "指定医生", "F9", "把普通号绑定到本科室一位医生", Do.do_assign_doctor),
    ActionSpec("transfer", "转诊", "F10", "转到其他科室或诊室", Do.do_transfer),
    ActionSpec("pause", "停诊/开诊", "F11", "暂停或恢复本诊室", Do.do_pause),
    ActionSpec("broadcast", "广播", "F12", "向本诊区屏幕和音箱发送通知", Do.do_broadcast),
    ActionSpec("call_this", "呼叫此号", "Ctrl+Return", "立即呼叫选中的候诊患者到本诊室（需说明原因）", Do.do_call_this),
    ActionSpec("dispatch", "分诊到本诊室", "Ctrl+D", "把选中的候诊患者分到本诊室", Do.do_dispatch),
    ActionSpec("away", "去检查", "Ctrl+E", "患者去做检查（检查中）", Do.do_away),
    ActionSpec("cancel", "弃号", "Ctrl+Delete", "取消选中的挂号（会先确认）", Do.do_cancel),
)


EXTRA_KEYS = (("Ctrl+H", "我来处理"), ("Ctrl+F", "搜索"))


def key_map_text() -> str:
    """One line for the foot of the console: every key and what it does."""
    keys = [(a.key_text, a.label) for a in ACTIONS] + list(EXTRA_KEYS)
    return "   ".join(f"{key} {label}" for key, label in keys)
