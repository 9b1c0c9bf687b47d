"""Bring one area's live events onto the Qt GUI thread.

:class:`client.http.EventSubscriber` runs in its own thread and calls back there; ``EventLink``
re-emits each callback as a Qt signal, which Qt queues to the receiver's (GUI) thread.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from client.health import HealthLoop, HealthState
from client.http import EventSubscriber
from common.clock import ServiceClock

HEALTH_INTERVAL_S = 15.0


class EventLink(QObject):
    """``event(dict)`` for every message, ``status(bool online, str message_zh)`` on link changes."""

    event = Signal(object)
    status = Signal(bool, str)

    def __init__(self, base_url: str, token: str, area: str, since: int | None = None, *,
                 report_health: bool = False, clock: ServiceClock | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.clock = clock or ServiceClock()  # set by the service's time with every health report
        self.base_url, self.token, self.area = base_url, token, area
        self.online = False
        self._since = since
        self._subscriber: EventSubscriber | None = None
        self._health = HealthLoop(base_url, token, self.clock, self._health_state, HEALTH_INTERVAL_S,
                                  name=f"health-{area}") if report_health else None

    def start(self) -> "EventLink":
        if self._subscriber is None:
            self._subscriber = EventSubscriber(self.base_url, self.token, self.area, self._on_event,
                                               self._on_status, since=self._since)
            self._subscriber.start()
        if self._health is not None:
            self._health.start()
        return self

    def stop(self) -> None:
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            self._since = subscriber.last_seq
            subscriber.stop()
        if self._health is not None:
            self._health.stop()

    def resync(self) -> None:
        """Reconnect without ``since``: the service answers with a fresh snapshot."""
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            subscriber.stop()
            self._since = None
            self.start()

    def connect_screen(self, screen) -> "EventLink":
        """Wire this link to a screen's ``apply_event`` and ``set_online`` slots."""
        self.event.connect(screen.apply_event)
        self.status.connect(screen.set_online)
        return self

    # called on the subscriber's thread: only emit
    def _on_event(self, message: dict) -> None:
        self.event.emit(message)

    def _on_status(self, status: str) -> None:
        online = status == "connected"
        self.online = online
        self.status.emit(online, "")  # the screen words the lost-connection banner itself
        if online and self._health is not None:
            self._health.report()

    def _health_state(self) -> HealthState:
        subscriber = self._subscriber
        detail = {"last_seq": subscriber.last_seq if subscriber else None}
        if self.online:
            return "ok", "", "", detail
        return "degraded", "实时连接中断，正在重连", "live link lost, reconnecting", detail
