"""What every flow needs: run work off the GUI thread, show errors politely, keep one key per operation, and say
when the service is away (out of service) or has suspended this kiosk."""
from __future__ import annotations

import logging
import uuid
from typing import Any, Callable

from PySide6.QtCore import QTimer

from common.refusal import Refusal
from kiosk.i18n import pick, tr
from kiosk.models import Session
from kiosk.screens.result import MessageScreen, OutOfServiceScreen, SuspendedScreen

log = logging.getLogger(__name__)

UNREACHABLE = {"unreachable", "http_error", "unavailable", "standby"}  # standby: a takeover is under way


def error_code(exc: BaseException) -> str:
    return getattr(exc, "code", "") or type(exc).__name__


def error_text(exc: BaseException) -> str:
    """The service's own polite message in the current language, or a general one."""
    if isinstance(exc, Refusal) and (exc.message_zh or exc.message_en):
        return pick(exc.message_zh, exc.message_en)
    return tr("对不起，操作没有成功，请稍候再试，或点击“呼叫工作人员”。")


class Flow:
    """The plumbing a flow is built on. ``kiosk`` is the KioskWindow (screens, backend, devices, runner, settings);
    ``session`` the current patient's data, one object for the kiosk's life, cleared when the patient leaves.

    A flow keeps its own state on itself; what it needs of another flow it is given in its constructor."""

    def __init__(self, kiosk, session: Session) -> None:
        self.kiosk = kiosk
        self.session = session

    # ----- running work ---------------------------------------------------------------------------
    def call(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], bool | None] | None = None, busy: bool = True) -> None:
        """Run fn in a worker; on_error may return True when it handled the error itself."""

        def failed(exc: BaseException) -> None:
            if on_error is not None and on_error(exc):
                return
            self.fail(exc)

        self.kiosk.runner.run(fn, on_done, failed, busy=busy)

    def fail(self, exc: BaseException) -> None:
        """Unreachable service: the out-of-service screen. Anything else: a polite message and home."""
        code = error_code(exc)
        if code in UNREACHABLE or isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            self.out_of_service()
            return
        if code == "device_suspended":
            self.suspended()
            return
        if isinstance(exc, Refusal):
            log.warning("kiosk action refused: %s", code)
        else:
            log.error("kiosk action failed", exc_info=exc)
        if code == "second_factor_locked":  # the service says what to do: the ID card, or the desk
            self.message(tr("对不起"), error_text(exc), name="factor_locked")
            return
        self.message(tr("对不起"), error_text(exc))

    def message(self, title: str, text: str, actions=None, name: str = "message", error: bool = True,
                push: bool = True, allow_back: bool = True) -> MessageScreen:
        actions = actions if actions is not None else [(tr("返回首页"), lambda: self.kiosk.go_home("done"))]
        return self.kiosk.show_screen(
            lambda: MessageScreen(self.kiosk, title, text, actions, name, error, allow_back), push)

    def slip_hospital(self) -> str:
        """The hospital's name for a slip printed now: a slip is in the screen's language."""
        settings = self.kiosk.settings
        return pick(settings.hospital_name, settings.hospital_name_en)

    def key(self, operation: str) -> str:
        """One idempotency key per operation of this patient session: a retry reuses it."""
        keys = self.session.idempotency
        if operation not in keys:
            keys[operation] = uuid.uuid4().hex
        return keys[operation]

    def forget_patient(self) -> None:
        """Drop what is pending for this patient and wipe them from the session and the way back."""
        self.kiosk.runner.new_generation()
        self.session.clear()
        self.kiosk.history = []

    # ----- out of service -------------------------------------------------------------------------
    def out_of_service(self) -> None:
        """Wipe the session (nothing half done stays on screen) and retry the service by itself."""
        kiosk = self.kiosk
        self.forget_patient()
        kiosk.show_screen(lambda: OutOfServiceScreen(kiosk))
        self._retry_service()

    def suspended(self) -> None:
        """Staff suspended this kiosk (too many sessions or wrong second factors): wipe the session, say so, and
        come back by itself once staff reinstated it."""
        kiosk = self.kiosk
        self.forget_patient()
        kiosk.show_screen(lambda: SuspendedScreen(kiosk))
        self._retry_reinstated()

    def _retry_reinstated(self) -> None:
        def probe() -> None:
            if self.kiosk.closed or self.kiosk.current is None or self.kiosk.current.name != "suspended":
                return
            self.kiosk.runner.run(self.kiosk.backend.me, lambda _r: self.kiosk.go_home("reinstated"),
                                  lambda _e: self._retry_reinstated(), busy=False)

        QTimer.singleShot(self.kiosk.settings.out_of_service_retry_ms, self.kiosk, probe)

    def _retry_service(self) -> None:
        def probe() -> None:
            if self.kiosk.closed or self.kiosk.current is None or self.kiosk.current.name != "out_of_service":
                return
            self.kiosk.runner.run(self.kiosk.backend.ping, lambda _r: self.kiosk.go_home("recovered"),
                                  lambda _e: self._retry_service(), busy=False)

        QTimer.singleShot(self.kiosk.settings.out_of_service_retry_ms, self.kiosk, probe)
