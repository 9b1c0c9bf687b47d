"""A desk keypad (叫号器) on a pty (default) or TCP: ``press("call_next")`` sends the key as the keypad does,
repeating it with the same press number until the host acknowledges it (0.5 s, up to 3 times); ``display`` is
the line the host last showed; ``acked`` the press numbers acknowledged.

Run standalone: python -m hardware.keypad.simulator   (prints the port path; type 1-4 and Enter to press
呼叫, 重呼, 过号, 暂停; the display line is printed as it changes).
"""
from __future__ import annotations

import argparse
import sys
import threading

from hardware.idcard.sim_ports import SimulatedDevice
from hardware.keypad.frames import KEYS, Ack, Display, FrameDecoder, Hello, KeyPress, encode

REPEAT_S = 0.5
REPEATS = 3


class KeypadSimulator(SimulatedDevice):
    def __init__(self, transport: str = "pty", *, link_path: str | None = None, tcp_port: int = 0,
                 firmware: str = "SIM-KP4 1.0") -> None:
        self.firmware = firmware
        self.display = ""
        self.displays: list[str] = []
        self.acked: list[int] = []
        self.sent: list[bytes] = []
        self._number = -1
        self._decoder = FrameDecoder()
        self._changed = threading.Condition()
        super().__init__(self._received, transport, link_path=link_path, tcp_port=tcp_port)

    def _received(self, data: bytes) -> None:
        for frame in self._decoder.feed(data):
            with self._changed:
                if isinstance(frame, Ack):
                    self.acked.append(frame.number)
                elif isinstance(frame, Display):
                    self.display = frame.text
                    self.displays.append(frame.text)
                self._changed.notify_all()

    def send_raw(self, data: bytes) -> bool:
        self.sent.append(data)
        return self._port.write(data)

    def hello(self) -> bool:
        """Switched on again (or reset): says hello and counts its presses from 0 again."""
        self._number = -1
        return self.send_raw(encode(Hello(self.firmware)))

    def press(self, key: str, *, repeats: int = REPEATS) -> bool:
        """Press a key (call_next, call_again, missed, pause) as the keypad's firmware does; True once the host
        acknowledged it, False when it never did (the keypad then beeps)."""
        self._number = (self._number + 1) % 10
        frame = encode(KeyPress(key, self._number))
        for _ in range(1 + repeats):
            with self._changed:
                seen = len(self.acked)
            self.send_raw(frame)
            if self.wait(lambda seen=seen: self._number in self.acked[seen:], REPEAT_S):
                return True
        return False

    def wait(self, condition, timeout: float) -> bool:
        """Wait until ``condition()`` holds for what the host sent (display, acks)."""
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    def wait_display(self, predicate, timeout: float = 5.0) -> bool:
        return self.wait(lambda: predicate(self.display), timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Simulated desk keypad (叫号器)")
    parser.add_argument("--tcp", type=int, metavar="PORT", help="serve socket://127.0.0.1:PORT instead of a pty")
    args = parser.parse_args(argv)
    sim = KeypadSimulator("tcp" if args.tcp is not None else "pty", tcp_port=args.tcp or 0)
    sim.start()
    print(sim.port_path, flush=True)
    try:
        for line in sys.stdin:
            key = KEYS.get(line.strip())
            if key:
                print("acknowledged" if sim.press(key) else "not acknowledged", "|", sim.display, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
