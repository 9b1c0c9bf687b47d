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
| Ctrl+O       | 开单 orders (drugs, labs, exams)  | selected called / in-service visit, else the room's current one |
| Ctrl+F       | 搜索 search (type or swipe an ID card)                                              |
| Ctrl+H       | 我来处理 take the oldest help call from a kiosk                                      |

The whole map is shown at the foot of the console (``key_map_text``); results show as a toast next to
the button that was used.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from caller_console.commands import ConsoleCommands as Do
from caller_console.station_commands import StationCommands as St


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
    ActionSpec("orders", "开单", "Ctrl+O", "为就诊中的患者开药品、检验、检查（缴费后进入取药、采血、检查队列）",
               Do.do_orders),
)


EXTRA_KEYS = (("Ctrl+H", "我来处理"), ("Ctrl+F", "搜索"))

# Window/station mode (pharmacy, lab, imaging, cashier windows): the same keys for the same moves, plus each
# service's own. The scanner types into the scan field and ends with Enter: 已取药 at a pharmacy window, else 签到.
_CALL = (
    ActionSpec("call_next", "叫下一位", "F1", "呼叫本窗口下一位患者", Do.do_call_next),
    ActionSpec("call_again", "重呼", "F2", "再次呼叫选中（或本窗口当前）的患者", Do.do_call_again),
    ActionSpec("missed", "过号", "F3", "患者未到，标记过号", Do.do_missed),
    ActionSpec("recall", "召回", "F6", "召回过号患者（保留原来的位置）", Do.do_recall),
)
_BROADCAST = ActionSpec("broadcast", "广播", "F12", "向本区域屏幕和音箱发送通知", Do.do_broadcast)
STATION_ACTIONS: dict[str, tuple[ActionSpec, ...]] = {
    "pharmacy": _CALL + (
        ActionSpec("collect", "已取药（扫码）", "F4", "扫描患者就诊码，确认本窗口患者已取药", St.do_collect),
        ActionSpec("dispense", "开始配药", "F5", "选中的待配药处方：配药中", St.do_dispense),
        ActionSpec("ready", "已配好", "F7", "选中的处方已配好，放到本窗口等候取药（上大屏）", St.do_ready),
        _BROADCAST),
    "lab": _CALL + (
        ActionSpec("done", "采血完成", "F4", "本窗口患者采血完成", St.do_done),
        ActionSpec("labels", "打印标签", "F8", "为本窗口患者打印试管标签", St.do_labels),
        ActionSpec("check_in", "签到（扫码）", "F9", "扫描患者就诊码、导诊单或就诊卡签到", St.do_check_in_code),
        _BROADCAST),
    "imaging": _CALL + (
        ActionSpec("done", "检查完成", "F4", "本检查室患者检查完成", St.do_done),
        ActionSpec("prep", "登记准备", "F5", "登记空腹、饮水憋尿、增强知情同意", St.do_prep),
        ActionSpec("check_in", "签到（扫码）", "F9", "扫描患者就诊码、导诊单或就诊卡签到", St.do_check_in_code),
        _BROADCAST),
    "cashier": _CALL + (
        ActionSpec("done", "收费完成", "F4", "本窗口患者缴费完成，其检查检验随即开放", St.do_done),
        _BROADCAST),
}


def actions_of(mode: str) -> tuple[ActionSpec, ...]:
    """The actions of a console mode: "clinic" (the nurse's) or a service point's."""
    return STATION_ACTIONS.get(mode, ACTIONS)


def key_map_text(mode: str = "clinic") -> str:
    """One line for the foot of the console: every key and what it does."""
    keys = [(a.key_text, a.label) for a in actions_of(mode)] + list(EXTRA_KEYS)
    return "   ".join(f"{key} {label}" for key, label in keys)
