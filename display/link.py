"""Bring one area's live events onto the Qt GUI thread.

:class:`caller.client.EventSubscriber` runs in its own thread and calls back there; ``EventLink``
re-emits each callback as a Qt signal, which Qt queues to the receiver's (GUI) thread.
"""
from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from caller.client import CallerClient, CallerError, EventSubscriber
from caller.clock import ServiceClock

log = logging.getLogger(__name__)
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
        self._report_health = report_health
        self._health_stop = threading.Event()
        self._health_thread: threading.Thread | None = None

    def start(self) -> "EventLink":
        if self._subscriber is None:
            self._subscriber = EventSubscriber(self.base_url, self.token, self.area, self._on_event,
                                               self._on_status, since=self._since)
            self._subscriber.start()
        if self._report_health and self._health_thread is None:
            self._health_stop.clear()
            self._health_thread = threading.Thread(target=self._health_loop, name=f"health-{self.area}", daemon=True)
            self._health_thread.start()
        return self

    def stop(self) -> None:
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            self._since = subscriber.last_seq
            subscriber.stop()
        health, self._health_thread = self._health_thread, None
        if health is not None:
            self._health_stop.set()
            health.join(3)

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
        if online and self._report_health:
            self._send_health()

    # health reports run on their own thread (never the GUI thread)
    def _health_loop(self) -> None:
        while not self._health_stop.wait(HEALTH_INTERVAL_S):
            self._send_health()

    def _send_health(self) -> None:
        subscriber = self._subscriber
        detail = {"last_seq": subscriber.last_seq if subscriber else None}
        try:
            with CallerClient(self.base_url, self.token, timeout=3.0) as client:
                self.clock.sync(client)
                drift = self.clock.drift_warning()
                if self.online and drift is not None:
                    client.report_health("degraded", *drift, detail=detail)
                elif self.online:
                    client.report_health("ok", "", "", detail=detail)
                else:
                    client.report_health("degraded", "实时连接中断，正在重连", "live link lost, reconnecting",
                                         detail=detail)
        except CallerError as exc:
            log.info("health report not delivered: %s", exc)
