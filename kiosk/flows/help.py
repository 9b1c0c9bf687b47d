"""呼叫工作人员 at the kiosk: the call goes out, the kiosk waits honestly, shows who is coming, lets the patient cancel.

The help screen follows the call through the service's long poll (GET /help/{id}?version=N&wait=S): it
changes within a moment of a console pressing 我来处理, of the call escalating, or of staff closing it.
"""
from __future__ import annotations

import uuid

from PySide6.QtCore import QTimer

from kiosk.flows.base import Flow
from kiosk.i18n import pick, tr

WAIT_S = 15.0  # one long poll; the kiosk asks again while the help screen is up


class HelpFlow(Flow):
    """``help_id``: the call this kiosk is following (None when there is none)."""

    help_id: str | None = None
    _help_back = None

    def call_staff(self) -> None:
        """Alert the staff (off the GUI thread); say what is known, or where to go when the service is down."""
        kiosk = self.kiosk
        backend, key = kiosk.backend, uuid.uuid4().hex
        screen = kiosk.current.name if kiosk.current is not None else ""
        back = kiosk.back if len(kiosk.history) > 0 else lambda: kiosk.go_home("home")
        if screen in ("help", "help_failed"):
            back = lambda: kiosk.go_home("home")  # noqa: E731 - pressing again: back leads home, not to the last answer
        elif screen == "out_of_service":
            back = self.out_of_service  # back to the out-of-service screen, which keeps retrying the service
        self._help_back = back

        def not_notified(_exc: BaseException) -> None:
            self.message(tr("对不起，暂时无法通知工作人员"), tr("呼叫系统暂时无法连接，请到服务台咨询，谢谢。"),
                         [(tr("返回"), back)], name="help_failed")

        kiosk.runner.run(lambda: backend.call_staff(screen, key), self._show_help_call, not_notified)

    def _show_help_call(self, view: dict) -> None:
        """Show the call as the service sees it, then wait for its next step."""
        kiosk = self.kiosk
        first = self.help_id != view.get("help_id") or kiosk.current is None or kiosk.current.name != "help"
        self.help_id = view.get("help_id")
        back = self._help_back or (lambda: kiosk.go_home("home"))
        title, text = pick(view.get("title_zh"), view.get("title_en")), pick(view.get("message_zh"), view.get("message_en"))
        if view.get("state") == "closed":
            self.help_id = None
            actions = [(tr("返回"), back)]
        else:
            actions = [(tr("取消呼叫"), self.cancel_help), (tr("返回"), back)]
        self.message(title, text, actions, name="help", error=False, push=first)
        if view.get("state") == "acknowledged" or first:
            kiosk.devices.speak(f"{title}，{text}")
        if view.get("state") != "closed":
            self._follow_help_call(str(view.get("help_id")), int(view.get("version") or 0))

    def _follow_help_call(self, help_id: str, version: int) -> None:
        kiosk = self.kiosk
        backend = kiosk.backend

        def still_showing() -> bool:
            return (self.help_id == help_id and not kiosk.closed and kiosk.current is not None
                    and kiosk.current.name == "help")

        def answered(view: dict) -> None:
            if not still_showing():
                return
            if int(view.get("version") or 0) != version or view.get("state") == "closed":
                self._show_help_call(view)
            else:
                self._follow_help_call(help_id, version)

        def lost(_exc: BaseException) -> None:
            if still_showing():  # the service went away for a moment: ask again shortly
                QTimer.singleShot(2000, kiosk, lambda: still_showing() and self._follow_help_call(help_id, version))

        kiosk.runner.run(lambda: backend.help_status(help_id, version, WAIT_S), answered, lost, busy=False)

    def cancel_help(self) -> None:
        """The patient no longer needs help: the consoles drop the call."""
        kiosk = self.kiosk
        help_id, backend = self.help_id, kiosk.backend
        back = self._help_back or (lambda: kiosk.go_home("home"))
        if not help_id:
            back()
            return

        def cancelled(_view: dict) -> None:
            self.help_id = None
            self.message(tr("已为您取消呼叫"), tr("如还需要帮助，请再次点击“呼叫工作人员”。"), [(tr("返回"), back)],
                         name="help_cancelled", error=False, push=False)

        kiosk.runner.run(lambda: backend.cancel_help(help_id), cancelled, lambda exc: self.fail(exc))
