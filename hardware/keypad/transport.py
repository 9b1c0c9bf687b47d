"""The desk keypad on a serial port (or ``socket://`` for a keypad behind a serial server): a thread that reads
its frames, acknowledges each press at once, hands each new press on once (a repeated press number is only
acknowledged again) and writes the display line.

    keypad = KeypadPort("/dev/ttyUSB0", on_key=print)      # or a pty path, socket://host:port
    keypad.start(); keypad.show("A015 王*明  候诊3"); ... keypad.stop()
"""
from __future__ import annotations

import logging
import termios
import threading
from typing import Any, Callable

import serial

from hardware.health import DeviceHealth, Health
from hardware.idcard.signals import Signal
from hardware.keypad.frames import Ack, Display, FrameDecoder, Hello, KeyPress, encode
from hardware.reader_thread import SerialReaderThread

log = logging.getLogger(__name__)

DEVICE = "keypad"
BAUDRATE = 9600
MSG_OFFLINE = ("叫号器未连接，请检查串口线，或联系信息科。", "Desk keypad not connected; check its serial cable.")
MSG_GARBLED = ("叫号器数据有误，已忽略，请再按一次。", "A garbled keypad frame was dropped; press the key again.")


class KeypadPort(SerialReaderThread):
    """``pressed(key)`` once per press (call_next, call_again, missed, pause), from the port's thread."""

    offline_message = MSG_OFFLINE

    def __init__(self, url: str, baudrate: int = BAUDRATE, *, reopen_interval: float = 0.5, device: str = DEVICE,
                 on_key: Callable[[str], Any] | None = None,
                 on_health: Callable[[DeviceHealth], Any] | None = None) -> None:
        super().__init__(url, baudrate, device)
        self.reopen_interval = reopen_interval
        self.pressed = Signal("pressed")
        self.health_changed = Signal("health_changed")
        if on_key is not None:
            self.pressed.connect(on_key)
        if on_health is not None:
            self.health_changed.connect(on_health)
        self._decoder = FrameDecoder()
        self._last_number: int | None = None
        self._line = ""
        self._write_lock = threading.Lock()

    def show(self, text: str) -> bool:
        """Put ``text`` on the keypad's display (kept, and sent again when the keypad says hello or comes back)."""
        self._line = text
        return self._write(encode(Display(text)))

    def _write(self, data: bytes) -> bool:
        with self._write_lock:
            port = self._port
            if port is None:
                return False
            try:
                port.write(data)
                port.flush()
                return True
            except (serial.SerialException, OSError, termios.error):
                return False

    def close(self) -> None:
        super().close()
        self._decoder = FrameDecoder()

    def _set_health(self, status: Health, reason_zh: str = "", reason_en: str = "") -> None:
        health = self._change_health(status, reason_zh, reason_en)
        if health is not None:
            self.health_changed.emit(health)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._port is None:
                try:
                    self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, bytesize=8, parity="N",
                                                       stopbits=1, timeout=0.1)
                    self._port.reset_input_buffer()
                except (serial.SerialException, OSError, termios.error, ValueError):
                    self._port = None
                    self._set_health(Health.OFFLINE, *MSG_OFFLINE)
                    self._stop.wait(self.reopen_interval)
                    continue
                self._set_health(Health.OK)
                if self._line:
                    self.show(self._line)
            try:
                data = self._port.read(self._port.in_waiting or 1)
            except (serial.SerialException, OSError, termios.error):
                self.close()
                self._set_health(Health.OFFLINE, *MSG_OFFLINE)
                continue
            before = self._decoder.dropped
            for frame in self._decoder.feed(data):
                self._take(frame)
            if self._decoder.dropped > before:
                log.warning("keypad: %d garbled frame(s) dropped", self._decoder.dropped - before)
                self._set_health(Health.DEGRADED, *MSG_GARBLED)

    def _take(self, frame: object) -> None:
        if isinstance(frame, KeyPress):
            self._write(encode(Ack(frame.number)))  # at once: the keypad stops repeating it
            self._set_health(Health.OK)
            if frame.number == self._last_number:
                log.info("keypad: press %d repeated, acknowledged again", frame.number)
                return
            self._last_number = frame.number
            self.pressed.emit(frame.key)
        elif isinstance(frame, Hello):
            self._last_number = None  # a reset keypad counts its presses from the start again
            if self._line:
                self.show(self._line)
