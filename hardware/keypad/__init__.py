"""Desk keypad (叫号器) on the doctor's desk: pure frame codec (frames.py), a thin serial transport
(transport.py) and a simulator (simulator.py). The protocol is in frames.py and docs/doctor-caller.md."""
from hardware.keypad.frames import KEY_LABELS, KEYS, Ack, Display, FrameDecoder, Hello, KeyPress, decode_all, encode
from hardware.keypad.transport import KeypadPort

__all__ = ["KEY_LABELS", "KEYS", "Ack", "Display", "FrameDecoder", "Hello", "KeyPress", "KeypadPort",
           "decode_all", "encode"]
