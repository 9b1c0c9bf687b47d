"""Bring one area's live events onto the Qt GUI thread.

:class:`caller.client.EventSubscriber` runs in its own thread and calls back there; ``EventLink``
re-emits each callback as a Qt signal, which Qt queues to the receiver's (GUI) thread.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from caller.client import EventSubscriber


class EventLink(QObject):
    """``event(dict)`` for every message, ``status(bool online, str message_zh)`` on link changes."""

    event = Signal(object)
    status = Signal(bool, str)

    def __init__(self, base_url: str, token: str, area: str, since: int | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.base_url, self.token, self.area = base_url, token, area
        self._since = since
        self._subscriber: EventSubscriber | None = None

    def start(self) -> "EventLink":
        if self._subscriber is None:
            self._subscriber = EventSubscriber(self.base_url, self.token, self.area, self._on_event,
                                               self._on_status, since=self._since)
            self._subscriber.start()
        return self

    def stop(self) -> None:
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            self._since = subscriber.last_seq
            subscriber.stop()

    def resync(self) -> None:
        """Reconnect without ``since``: the service answers with a fresh snapshot."""
        if self._subscriber is not None:
            self.stop()
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
        self.status.emit(online, "")  # the screen words the lost-connection banner itself
