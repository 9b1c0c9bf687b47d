"""Serial QR/barcode scanner: a thread that reads lines and calls back scanned(str) and health.

    scanner = ScannerReader("/dev/ttyACM0", on_code=print, on_health=print)   # or pty path, socket://
    scanner.start() ... scanner.stop()
"""
from __future__ import annotations

import logging
import termios
import time
from typing import Any, Callable

import serial

from hardware.health import DeviceHealth, Health
from hardware.idcard.signals import Signal
from hardware.reader_thread import SerialReaderThread
from hardware.scanner.lines import IDLE_GAP_S, LineDecoder

log = logging.getLogger(__name__)

DEVICE = "scanner"
MSG_OFFLINE = ("扫码器未连接，请联系工作人员。", "Code scanner not connected; please contact staff.")


class RepeatGuard:
    """Drops the same code seen again within `window` seconds (a scanner re-reading a held code)."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window, self._clock = window, clock
        self._last: tuple[str, float] | None = None

    def accept(self, code: str) -> bool:
        now = self._clock()
        repeated = self._last is not None and self._last[0] == code and now - self._last[1] < self.window
        self._last = (code, now)
        return not repeated


class ScannerReader(SerialReaderThread):
    """Reads codes from a serial scanner; re-opens the port by itself when the device comes back."""

    offline_message = MSG_OFFLINE

    def __init__(self, url: str, baudrate: int = 9600, *, reopen_interval: float = 0.5,
                 repeat_window: float = 1.0, idle_gap_s: float = IDLE_GAP_S, device: str = DEVICE,
                 on_code: Callable[[str], Any] | None = None,
                 on_health: Callable[[DeviceHealth], Any] | None = None) -> None:
        super().__init__(url, baudrate, device)
        self.reopen_interval = reopen_interval
        self.scanned = Signal("scanned")
        self.health_changed = Signal("health_changed")
        if on_code is not None:
            self.scanned.connect(on_code)
        if on_health is not None:
            self.health_changed.connect(on_health)
        self._guard = RepeatGuard(repeat_window)
        self._decoder = LineDecoder(idle_gap_s=idle_gap_s)

    def close(self) -> None:
        super().close()
        self._decoder.reset()

    def _set_health(self, status: Health, reason_zh: str = "", reason_en: str = "") -> None:
        health = self._change_health(status, reason_zh, reason_en)
        if health is not None:
            self.health_changed.emit(health)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._port is None:
                try:
                    self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.1)
                    self._port.reset_input_buffer()
                except (serial.SerialException, OSError, termios.error, ValueError):
                    self._port = None
                    self._set_health(Health.OFFLINE, *MSG_OFFLINE)
                    self._stop.wait(self.reopen_interval)
                    continue
                self._set_health(Health.OK)
            try:
                data = self._port.read(self._port.in_waiting or 1)
            except (serial.SerialException, OSError, termios.error):
                self.close()
                self._set_health(Health.OFFLINE, *MSG_OFFLINE)
                continue
            codes = self._decoder.feed(data)
            for dropped in self._decoder.take_dropped():  # never passed on as a code: a warning for the staff
                log.warning("scanner: %s scan dropped (%d bytes)", dropped.reason, dropped.size)
                self._set_health(Health.DEGRADED, *dropped.message)
            for code in codes:
                self._set_health(Health.OK)  # a good scan again
                if self._guard.accept(code):
                    log.info("code scanned (%d characters)", len(code))
                    self.scanned.emit(code)
