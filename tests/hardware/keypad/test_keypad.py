"""The desk keypad (叫号器): its frames (pure), and the real serial transport against the simulator on a pty and on
TCP: each press handed on once and acknowledged, repeats and garbage dropped, the display line kept across an
unplug."""
from __future__ import annotations

import queue

import pytest

from hardware.health import Health
from hardware.keypad import KeypadPort
from hardware.keypad.frames import (
    Ack,
    Display,
    FrameDecoder,
    Hello,
    KeyPress,
    decode_all,
    encode,
    fit_display,
)
from hardware.keypad.simulator import KeypadSimulator


@pytest.mark.parametrize("frame", [KeyPress("call_next", 0), KeyPress("pause", 9), Ack(7), Display("A015 王*明  候诊3"),
                                   Display(""), Hello("KP4 2.1")])
def test_every_frame_reads_back_as_sent_even_byte_by_byte(frame):
    wire = encode(frame)
    assert wire[0] == 0x02 and wire[-3] == 0x03
    assert decode_all(wire) == [frame]
    decoder = FrameDecoder()
    got = [f for byte in wire for f in decoder.feed(bytes([byte]))]
    assert got == [frame] and decoder.dropped == 0


def test_the_documented_call_key_frame():
    assert encode(KeyPress("call_next", 0)) == b"\x02K10\x034A"  # STX K 1 0 ETX, BCC = 'K'^'1'^'0' = 0x4A


def test_garbage_wrong_checks_and_unknown_keys_are_dropped_not_guessed():
    good = encode(KeyPress("missed", 3))
    decoder = FrameDecoder()
    assert decoder.feed(b"\xff\x00noise" + good) == [KeyPress("missed", 3)]  # bytes before STX skipped
    assert decoder.feed(good[:-1] + b"0") == [] and decoder.dropped == 1  # wrong BCC
    assert decoder.feed(b"\x02K90\x03" + b"%02X" % (ord("K") ^ ord("9") ^ ord("0"))) == []  # no key 9
    assert decoder.feed(b"\x02" + b"K" * 80) == [] and decoder.feed(good) == [KeyPress("missed", 3)]  # no ETX


def test_the_display_line_is_cut_to_32_bytes_at_a_whole_character():
    line = fit_display("A015 欧阳娜娜 候诊12 内科1诊室张建国主任医师")
    assert len(line) <= 32
    assert line.decode("gb18030")  # never half a character
    assert decode_all(encode(Display("𠮷" * 20)))[0].text == "𠮷" * 8  # four bytes each in GB18030


@pytest.fixture(params=["pty", "tcp"])
def keypad(request):
    sim = KeypadSimulator(request.param).start()
    keys: queue.Queue[str] = queue.Queue()
    healths: queue.Queue = queue.Queue()
    port = KeypadPort(sim.url, on_key=keys.put, on_health=healths.put, reopen_interval=0.1)
    port.start()
    while healths.get(timeout=5).status is not Health.OK:
        pass
    yield sim, port, keys, healths
    port.stop()
    sim.stop()


def test_each_press_is_acknowledged_and_handed_on_once(keypad):
    sim, port, keys, _ = keypad
    assert sim.press("call_next") and keys.get(timeout=5) == "call_next"
    sim.send_raw(sim.sent[-1])  # the keypad did not see the ack and sends the same press again
    assert sim.wait(lambda: sim.acked.count(0) == 2, 5)
    assert sim.press("call_again") and keys.get(timeout=5) == "call_again"
    with pytest.raises(queue.Empty):
        keys.get(timeout=0.5)  # the repeat was never handed on
    sim.hello()  # switched on again: it counts from 0 again, and the host takes its first press
    assert sim.press("call_next") and keys.get(timeout=5) == "call_next"


def test_the_display_line_and_a_garbled_frame(keypad):
    sim, port, keys, healths = keypad
    assert port.show("A015 王*明  候诊3")
    assert sim.wait_display(lambda line: line == "A015 王*明  候诊3")
    sim.send_raw(b"\x02K10\x03FF")
    assert healths.get(timeout=5).status is Health.DEGRADED  # told to the staff, never acted on
    assert keys.empty()


def test_unplugged_keypad_goes_offline_and_gets_its_line_back(tmp_path):
    sim = KeypadSimulator(link_path=str(tmp_path / "ttyKP0")).start()
    healths: queue.Queue = queue.Queue()
    port = KeypadPort(sim.port_path, on_health=healths.put, reopen_interval=0.1)
    port.start()
    try:
        assert healths.get(timeout=5).status is Health.OK
        port.show("A001 张*  候诊2")
        assert sim.wait_display(lambda line: line == "A001 张*  候诊2")
        sim.unplug()
        offline = healths.get(timeout=5)
        assert offline.status is Health.OFFLINE and "叫号器未连接" in offline.reason_zh
        sim.display = ""
        sim.replug()
        assert healths.get(timeout=5).status is Health.OK
        assert sim.wait_display(lambda line: line == "A001 张*  候诊2")  # shown again without being asked
    finally:
        port.stop()
        sim.stop()
