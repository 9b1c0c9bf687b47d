"""What every serial reader (ID card reader, code scanner) shares: its thread, its port and its health.

A reader subclasses :class:`SerialReaderThread` and writes only ``_run`` (its loop, which runs until
``_stop`` is set) and what it does with the bytes. Here: ``start()`` / ``stop()`` (idempotent; stop joins
the thread and closes the port), ``with reader:``, ``close()`` of a port that may already be gone, and
``health``: unknown (shown as offline) until the first change, then the last :class:`DeviceHealth`;
``_change_health`` returns the new health only when it differs, so a reader emits each change once (through
its own signals: a reader's ``health_changed`` and what else it announces are its own).
"""
from __future__ import annotations

import logging
import threading
from typing import Any

import serial

from hardware.health import DeviceHealth, Health

log = logging.getLogger(__name__)


class SerialReaderThread:
    """One serial device read by one daemon thread named ``<device>-reader``."""

    offline_message: tuple[str, str] = ("设备未连接，请联系工作人员。", "Device not connected; please contact staff.")

    def __init__(self, url: str, baudrate: int, device: str) -> None:
        self.url, self.baudrate, self.device = url, baudrate, device
        self._port: serial.SerialBase | None = None
        self._health: DeviceHealth | None = None
        self._state_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def health(self) -> DeviceHealth:
        with self._state_lock:
            return self._health or DeviceHealth(self.device, Health.OFFLINE, *self.offline_message)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"{self.device}-reader", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.close()

    def close(self) -> None:
        """Close the port (a vanished device may fail to close: it is gone either way)."""
        if self._port is not None:
            try:
                self._port.close()
            except Exception as exc:  # noqa: BLE001 - a vanished device may fail to close; it is gone either way
                log.debug("closing the %s: %s", self.device, exc)
            self._port = None

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        raise NotImplementedError

    def _change_health(self, status: Health, reason_zh: str = "", reason_en: str = "") -> DeviceHealth | None:
        """Record the health; the new :class:`DeviceHealth` when it changed, else None."""
        health = DeviceHealth(self.device, status, reason_zh, reason_en)
        with self._state_lock:
            if health == self._health:
                return None
            self._health = health
        return health
