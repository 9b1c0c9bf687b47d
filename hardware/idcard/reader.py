"""The ID card reader on a serial port: a polling thread with plain callbacks.

    reader = CardReader("/dev/ttyUSB0")          # or a pty path, or "socket://host:port"
    reader.card_read.connect(on_card)            # IdCard, once per card placed
    reader.card_removed.connect(on_removed)
    reader.health_changed.connect(on_health)     # DeviceHealth
    reader.read_failed.connect(on_failed)        # StatusInfo, once per failed placement
    reader.start() ... reader.stop()

or pass the same callbacks as on_card= / on_removed= / on_health= / on_read_failed=.

Callbacks run in the reader thread. read_once() does one synchronous find/select/read.
"""
from __future__ import annotations

import logging
import termios
import threading
import time
from typing import Any, Callable

import serial

from hardware.health import DeviceHealth, Health
from hardware.idcard.card import IdCard
from hardware.idcard.codec import (
    BAUD_COMMANDS,
    Command,
    Frame,
    FrameParser,
    Rejected,
    RejectReason,
    build_request,
    card_from_reply,
    decode_address,
)
from hardware.idcard.signals import Signal
from hardware.idcard.tables import (
    DEVICE_FAULTS,
    SW_CARD_FOUND,
    SW_READ_FAILED,
    SW_SUCCESS,
    StatusInfo,
    status_info,
)
from hardware.reader_thread import SerialReaderThread

log = logging.getLogger(__name__)

DEVICE = "idcard"
MSG_OFFLINE = ("读卡器未连接，请联系工作人员。", "ID card reader not connected; please contact staff.")
MSG_NO_RESPONSE = ("读卡器无响应，请联系工作人员。", "ID card reader does not respond; please contact staff.")
MSG_READ_FAILED_ZH = "对不起，身份证读取失败，请将身份证取下后重新放在读卡区。"
NO_RESPONSE_LIMIT = 3            # consecutive silent polls before health turns degraded
_BIG_REPLY = 2400                # bytes of the longest reply, for the timeout at low baud rates


class ReaderError(Exception):
    """A read that did not give a card. reason_zh / reason_en are for people."""

    def __init__(self, reason_zh: str, reason_en: str, status: StatusInfo | None = None) -> None:
        super().__init__(reason_en)
        self.reason_zh, self.reason_en, self.status = reason_zh, reason_en, status


class PortError(ReaderError):
    """The serial port is missing or failed (reader unplugged)."""


class NoResponse(ReaderError):
    """No valid reply in time (silent, or only corrupt frames)."""


class DeviceFault(ReaderError):
    """The SAM reported a fault of its own (self-test, authorisation, protocol)."""


class CardReadError(ReaderError):
    """The card is there but could not be read (badly placed, damaged, unknown data)."""


def _fault(status: StatusInfo) -> DeviceFault:
    return DeviceFault(f"读卡器故障（{status.zh}），请联系工作人员。",
                       f"ID card reader fault ({status.en}); please contact staff.", status)


def _card_error(status: StatusInfo) -> CardReadError:
    return CardReadError(MSG_READ_FAILED_ZH, f"card could not be read ({status.en})", status)


class CardReader(SerialReaderThread):
    """Polls a GA 467 reader: find -> select -> read, one card_read per card placed."""

    offline_message = MSG_OFFLINE

    def __init__(self, url: str, baudrate: int = 115200, *, poll_interval: float = 0.2,
                 response_timeout: float = 0.5, reopen_interval: float = 0.5,
                 fingerprint: bool = False, device: str = DEVICE,
                 on_card: Callable[[IdCard], Any] | None = None, on_removed: Callable[[], Any] | None = None,
                 on_health: Callable[[DeviceHealth], Any] | None = None,
                 on_read_failed: Callable[[StatusInfo], Any] | None = None) -> None:
        super().__init__(url, baudrate, device)
        self.poll_interval, self.response_timeout, self.reopen_interval = poll_interval, response_timeout, reopen_interval
        self.fingerprint = fingerprint
        self.card_read = Signal("card_read")
        self.card_removed = Signal("card_removed")
        self.health_changed = Signal("health_changed")
        self.read_failed = Signal("read_failed")
        for signal, slot in ((self.card_read, on_card), (self.card_removed, on_removed),
                             (self.health_changed, on_health), (self.read_failed, on_read_failed)):
            if slot is not None:
                signal.connect(slot)
        self._io_lock = threading.RLock()
        self._parser = FrameParser()
        self._current: IdCard | None = None
        self._failed_shown = False
        self._silent_polls = 0
        self._cycles = 0
        self._cycle_done = threading.Condition()
        self._outbox: list[tuple[Signal, tuple[Any, ...]]] = []  # callbacks run after the port is released

    # ---------------------------------------------------------------- public state
    @property
    def current_card(self) -> IdCard | None:
        """The card lying on the reader (as far as the last poll knows)."""
        with self._state_lock:
            return self._current

    @property
    def cycles(self) -> int:
        """Poll cycles completed so far."""
        with self._cycle_done:
            return self._cycles

    def wait_cycles(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until `count` more poll cycles have finished; False on timeout."""
        with self._cycle_done:
            target = self._cycles + count
            return self._cycle_done.wait_for(lambda: self._cycles >= target, timeout)

    # ---------------------------------------------------------------- thread (start/stop: SerialReaderThread)
    def close(self) -> None:
        with self._io_lock:
            super().close()

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = self.poll_interval
            try:
                self._poll()
                self._silent_polls = 0
            except PortError:
                self._went_offline()
                wait = self.reopen_interval
            except NoResponse as exc:
                self._silent_polls += 1
                if self._silent_polls >= NO_RESPONSE_LIMIT:
                    self._set_health(Health.DEGRADED, exc.reason_zh, exc.reason_en)
            except DeviceFault as exc:
                self._set_health(Health.DEGRADED, exc.reason_zh, exc.reason_en)
            except Exception:  # never let the device thread die
                log.exception("ID card poll failed")
            self._flush_outbox()
            with self._cycle_done:
                self._cycles += 1
                self._cycle_done.notify_all()
            self._stop.wait(wait)

    def _poll(self) -> None:
        with self._io_lock:
            if self._port is None:
                self._open()
                status = self.transact(Command.SAM_STATUS).status
                if status.code in DEVICE_FAULTS:
                    raise _fault(status)
            found = self._find()
            self._set_health(Health.OK)
            current = self.current_card
            if found:
                try:
                    card = self._select_and_read()
                except CardReadError as exc:
                    self._read_failed(exc)
                    return
                if card != current:
                    self._replace_card(card)
            elif current is not None and self._direct_read() != current:
                # some SAMs answer "no card" to a card already read; a direct read tells them apart
                self._replace_card(None)
            else:
                self._failed_shown = False

    def _flush_outbox(self) -> None:
        """Run the callbacks of this cycle, outside the I/O lock (a callback may use the reader)."""
        outbox, self._outbox = self._outbox, []
        for signal, args in outbox:
            signal.emit(*args)

    def _replace_card(self, card: IdCard | None) -> None:
        with self._state_lock:
            previous, self._current = self._current, card
        self._failed_shown = False
        if previous is not None:
            self._outbox.append((self.card_removed, ()))
        if card is not None:
            log.info("ID card read: %s", card)
            self._outbox.append((self.card_read, (card,)))

    def _read_failed(self, exc: CardReadError) -> None:
        if not self._failed_shown:
            self._failed_shown = True
            log.info("ID card read failed: %s", exc.reason_en)
            self._outbox.append((self.read_failed, (exc.status or status_info(SW_READ_FAILED),)))

    def _went_offline(self) -> None:
        self.close()
        self._set_health(Health.OFFLINE, *MSG_OFFLINE)
        if self.current_card is not None:
            self._replace_card(None)

    def _set_health(self, status: Health, reason_zh: str = "", reason_en: str = "") -> None:
        health = self._change_health(status, reason_zh, reason_en)
        if health is None:
            return
        log.info("ID card reader health: %s %s", status.value, reason_en)
        self._outbox.append((self.health_changed, (health,)))

    # ---------------------------------------------------------------- synchronous I/O
    def _open(self) -> serial.SerialBase:
        if self._port is None:
            try:
                self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.05, write_timeout=1.0)
            except (serial.SerialException, OSError, termios.error, ValueError) as exc:
                raise PortError(*MSG_OFFLINE) from exc
        return self._port

    def transact(self, command: Command, data: bytes = b"") -> Frame:
        """Send one request and return the checked reply frame.

        Raises PortError (port missing or failed) or NoResponse (silence or only corrupt frames).
        """
        timeout = self.response_timeout + _BIG_REPLY * 10 / self.baudrate
        with self._io_lock:
            port = self._open()
            try:
                port.reset_input_buffer()
                self._parser.reset()
                port.write(build_request(command, data))
                deadline = time.monotonic() + timeout
                rejected: Rejected | None = None
                while time.monotonic() < deadline:
                    chunk = port.read(port.in_waiting or 1)
                    for event in self._parser.feed(chunk):
                        if isinstance(event, Frame):
                            return event
                        if event.reason is not RejectReason.NOISE:
                            rejected = event
                    if rejected is not None and not self._parser.pending:
                        break
            except (serial.SerialException, OSError, termios.error) as exc:
                self.close()
                raise PortError(*MSG_OFFLINE) from exc
        detail = f"corrupt reply ({rejected.reason.value})" if rejected else "no reply"
        raise NoResponse(MSG_NO_RESPONSE[0], f"{MSG_NO_RESPONSE[1]} [{command.name}: {detail}]")

    def _find(self) -> bool:
        status = self.transact(Command.FIND_CARD).status
        if status.code in DEVICE_FAULTS:
            raise _fault(status)
        return status.code == SW_CARD_FOUND

    def _read_command(self) -> Command:
        return Command.READ_TEXT_PHOTO_FINGERPRINT if self.fingerprint else Command.READ_TEXT_PHOTO

    def _read_card(self) -> IdCard:
        frame = self.transact(self._read_command())
        if frame.sw3 != SW_SUCCESS:
            raise _fault(frame.status) if frame.sw3 in DEVICE_FAULTS else _card_error(frame.status)
        try:
            return card_from_reply(frame, self.fingerprint)
        except ValueError as exc:
            log.warning("ID card data refused: %s", exc)
            raise _card_error(status_info(SW_READ_FAILED)) from exc

    def _select_and_read(self) -> IdCard:
        status = self.transact(Command.SELECT_CARD).status
        if status.code != SW_SUCCESS:
            raise _fault(status) if status.code in DEVICE_FAULTS else _card_error(status)
        return self._read_card()

    def _direct_read(self) -> IdCard | None:
        try:
            return self._read_card()
        except CardReadError:
            return None

    def read_once(self, attempts: int = 2) -> IdCard | None:
        """One synchronous find/select/read: the card, or None when no card is on the reader.

        Corrupt or missing replies are retried (`attempts` in all). Raises PortError, NoResponse,
        DeviceFault or CardReadError.
        """
        for attempt in range(attempts):
            try:
                with self._io_lock:
                    if not self._find():
                        return None
                    return self._select_and_read()
            except NoResponse:
                if attempt == attempts - 1:
                    raise
        return None

    def sam_status(self) -> StatusInfo:
        """SW3 of the SAM status command (11 FF)."""
        return self.transact(Command.SAM_STATUS).status

    def _checked(self, command: Command) -> Frame:
        frame = self.transact(command)
        if frame.sw3 != SW_SUCCESS:
            raise _fault(frame.status) if frame.sw3 in DEVICE_FAULTS else _card_error(frame.status)
        return frame

    def sam_id(self) -> bytes:
        """The SAM's id (12 FF), raw bytes as the module sends them."""
        return self._checked(Command.READ_SAM_ID).data

    def reset_sam(self) -> None:
        """Reset the SAM (10 FF)."""
        self._checked(Command.RESET_SAM)

    def read_newest_address(self) -> str:
        """The newest address added to the card (30 03), after a find/select."""
        return decode_address(self._checked(Command.READ_NEWEST_ADDRESS))

    def set_baud(self, baud: int) -> None:
        """Switch the reader to another baud rate (60 00..60 04) and re-open the port at that rate."""
        command = BAUD_COMMANDS.get(baud)
        if command is None:
            raise ValueError(f"unsupported baud rate {baud}; use one of {sorted(BAUD_COMMANDS)}")
        with self._io_lock:
            self._checked(command)
            self.close()
            self.baudrate = baud
