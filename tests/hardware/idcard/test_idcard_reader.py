"""The reader thread against the simulator through a real pty (and a TCP socket)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hardware.health import Health
from hardware.idcard.card import CardKind
from hardware.idcard.codec import Command
from hardware.idcard.demo_cards import demo_card
from hardware.idcard.reader import CardReader, DeviceFault, NoResponse, PortError
from hardware.idcard.simulator import CardReaderSimulator

ok = lambda h: h.status is Health.OK  # noqa: E731


def test_read_once_through_the_pty(sim):
    reader = CardReader(sim.port_path)
    try:
        assert reader.read_once() is None
        for kind in CardKind:
            card = sim.place_card(demo_card(kind, seed=7))
            got = reader.read_once()
            assert got == card and got.photo == card.photo and got.raw_text == card.raw_text
    finally:
        reader.close()


def test_card_read_once_while_it_stays_then_removed(sim, reader, recorder):
    card = sim.place_card(demo_card(seed=11))
    reader.start()
    assert recorder.wait_for("card_read") == card
    reads_before = sim.request_count(Command.READ_TEXT_PHOTO)
    assert reader.wait_cycles(5)
    assert sim.request_count(Command.READ_TEXT_PHOTO) > reads_before  # it kept looking ...
    assert recorder.count("card_read") == 1                           # ... but told us once
    assert reader.health.status is Health.OK and reader.current_card == card

    sim.remove_card()
    recorder.wait_for("card_removed")
    assert reader.current_card is None
    second = sim.place_card(demo_card(CardKind.HMT_RESIDENT, seed=2))
    assert recorder.wait_for("card_read", lambda c: c.kind is CardKind.HMT_RESIDENT) == second
    assert recorder.names().count("card_read") == 2


def test_swapped_card_is_reported_as_removed_then_read(sim, reader, recorder):
    sim.place_card(demo_card(seed=1))
    reader.start()
    recorder.wait_for("card_read")
    mark = recorder.mark()
    other = sim.place_card(demo_card(seed=2))
    assert recorder.wait_for("card_read", after=mark) == other
    assert recorder.names()[mark:mark + 2] == ["card_removed", "card_read"]


def test_sam_that_goes_quiet_after_a_read_still_gives_one_card_read(recorder_for):
    with CardReaderSimulator(halt_after_read=True) as sim:
        reader = CardReader(sim.port_path, poll_interval=0.02, response_timeout=0.2)
        recorder = recorder_for(reader, ("card_read", "card_removed"))
        card = sim.place_card()
        with reader:
            assert recorder.wait_for("card_read") == card
            assert reader.wait_cycles(5)
            assert recorder.names() == ["card_read"]
            sim.remove_card()
            recorder.wait_for("card_removed")


def test_sam_fault_makes_health_degraded_with_the_reason(sim, reader, recorder):
    reader.start()
    recorder.wait_for("health_changed", ok)
    sim.set_status(0x60)
    bad = recorder.wait_for("health_changed", lambda h: h.status is Health.DEGRADED)
    assert "安全模块自检失败" in bad.reason_zh and "请联系工作人员" in bad.reason_zh
    assert "SAM self-test failed" in bad.reason_en
    mark = recorder.mark()
    sim.set_status(None)
    recorder.wait_for("health_changed", ok, after=mark)


def test_sam_not_authorised_is_a_device_fault(sim):
    reader = CardReader(sim.port_path)
    sim.set_status(0x66)
    try:
        with pytest.raises(DeviceFault) as err:
            reader.read_once()
        assert err.value.status.code == 0x66 and "未经授权" in err.value.reason_zh
    finally:
        reader.close()


def test_unreadable_card_is_reported_once(sim, reader, recorder):
    sim.set_status(0x41, Command.READ_TEXT_PHOTO)
    sim.place_card()
    reader.start()
    status = recorder.wait_for("read_failed")
    assert status.code == 0x41
    assert reader.wait_cycles(4)
    assert recorder.count("read_failed") == 1 and recorder.count("card_read") == 0
    sim.set_status(None)
    recorder.wait_for("card_read")


def test_unplug_goes_offline_and_replug_comes_back(sim, reader, recorder):
    card = sim.place_card()
    reader.start()
    recorder.wait_for("card_read")
    mark = recorder.mark()
    sim.unplug()
    assert not os.path.exists(sim.port_path)
    offline = recorder.wait_for("health_changed", lambda h: h.status is Health.OFFLINE, after=mark)
    assert "读卡器未连接" in offline.reason_zh
    recorder.wait_for("card_removed", after=mark)
    assert reader.wait_cycles(3)  # keeps trying to re-open while the device is away
    assert reader.health.status is Health.OFFLINE

    sim.replug()
    recorder.wait_for("health_changed", ok, after=mark)
    assert recorder.wait_for("card_read", after=mark) == card


def test_noise_fragments_and_one_corrupt_reply_still_read(sim):
    reader = CardReader(sim.port_path)
    card = sim.place_card(demo_card(CardKind.FOREIGN_2023, seed=3))
    sim.set_noise(b"\x00\x13\xAA\x96")
    sim.set_fragments(7, gap=0.0005)
    sim.corrupt_next(1)
    try:
        assert reader.read_once() == card
    finally:
        reader.close()


def test_every_reply_corrupt_is_no_response(sim):
    reader = CardReader(sim.port_path, response_timeout=0.1)
    sim.place_card()
    sim.corrupt_next(10)
    try:
        with pytest.raises(NoResponse) as err:
            reader.read_once()
        assert "无响应" in err.value.reason_zh and "bad_checksum" in err.value.reason_en
    finally:
        reader.close()


def test_silent_reader_turns_degraded_then_recovers(sim, recorder, reader):
    reader.start()
    recorder.wait_for("health_changed", ok)
    sim.set_silent(True)
    bad = recorder.wait_for("health_changed", lambda h: h.status is Health.DEGRADED)
    assert "读卡器无响应" in bad.reason_zh
    mark = recorder.mark()
    sim.set_silent(False)
    recorder.wait_for("health_changed", ok, after=mark)


def test_slow_reply_within_the_timeout_is_fine(sim):
    reader = CardReader(sim.port_path, response_timeout=0.5)
    card = sim.place_card()
    sim.set_delay(0.1)
    try:
        assert reader.read_once() == card
    finally:
        reader.close()


def test_missing_port_is_offline_and_said_once_at_start():
    reader = CardReader("/nonexistent/ttyUSB9")
    with pytest.raises(PortError) as err:
        reader.read_once()
    assert "读卡器未连接" in err.value.reason_zh
    assert reader.health.status is Health.OFFLINE
    healths = []
    polling = CardReader("/nonexistent/ttyUSB9", reopen_interval=0.01, on_health=healths.append)
    with polling:
        assert polling.wait_cycles(3)
    assert [h.status for h in healths] == [Health.OFFLINE]


def test_fingerprint_read_through_30_10(sim):
    reader = CardReader(sim.port_path, fingerprint=True)
    card = sim.place_card(fingerprint=bytes(1024))
    try:
        assert reader.read_once() == card
        assert sim.request_count(Command.READ_TEXT_PHOTO_FINGERPRINT) == 1
    finally:
        reader.close()


def test_socket_url_and_tcp_unplug(recorder_for):
    with CardReaderSimulator("tcp") as sim:
        assert sim.url.startswith("socket://127.0.0.1:")
        reader = CardReader(sim.url, poll_interval=0.02, reopen_interval=0.05)
        recorder = recorder_for(reader, ("card_read", "health_changed"))
        card = sim.place_card(demo_card(CardKind.FOREIGN_2017, seed=4))
        with reader:
            assert recorder.wait_for("card_read") == card
            mark = recorder.mark()
            sim.unplug()
            recorder.wait_for("health_changed", lambda h: h.status is Health.OFFLINE, after=mark)
            sim.replug()
            recorder.wait_for("health_changed", ok, after=mark)


def test_simulator_runs_standalone_and_prints_its_port():
    repo = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen([sys.executable, "-m", "hardware.idcard.simulator", "--kind", "J"],
                            stdout=subprocess.PIPE, text=True, cwd=repo)
    try:
        assert "港澳台居民居住证" in proc.stdout.readline()
        path = proc.stdout.readline().strip()
        reader = CardReader(path)
        card = reader.read_once()
        reader.close()
        assert card is not None and card.kind is CardKind.HMT_RESIDENT
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_sam_commands_address_and_baud(sim):
    reader = CardReader(sim.port_path)
    sim.model.newest_address = "北京市海淀区中关村南大街5号"
    sim.place_card()
    try:
        assert reader.sam_status().code == 0x90
        assert reader.sam_id() == sim.model.sam_id
        reader.reset_sam()
        assert reader.read_once() is not None
        assert reader.read_newest_address() == "北京市海淀区中关村南大街5号"
        reader.set_baud(9600)
        assert sim.model.baud == 9600 and reader.baudrate == 9600
        assert reader.read_once() is not None  # re-opened at the new rate
        with pytest.raises(ValueError):
            reader.set_baud(4800)
    finally:
        reader.close()


def test_a_callback_may_hand_work_on_the_reader_to_another_thread(sim, reader):
    """Callbacks run with the port released: a GUI thread asking the reader something does not freeze."""
    answers = []
    done = threading.Event()

    def on_card(_card):
        worker = threading.Thread(target=lambda: answers.append(reader.sam_status().code))
        worker.start()
        worker.join(timeout=3)
        done.set()

    reader.card_read.connect(on_card)
    sim.place_card()
    reader.start()
    assert done.wait(5)
    assert answers == [0x90]


def test_simulator_answers_a_corrupt_request_with_checksum_error(sim):
    import serial

    from hardware.idcard.codec import FrameParser, build_request

    port = serial.serial_for_url(sim.port_path, baudrate=115200, timeout=2)
    try:
        bad = bytearray(build_request(Command.FIND_CARD))
        bad[-1] ^= 0x55
        port.write(bytes(bad))
        parser = FrameParser()
        frames = []
        while not frames:
            chunk = port.read(port.in_waiting or 1)
            assert chunk, "no reply"
            frames = [e for e in parser.feed(chunk) if hasattr(e, "sw3")]
        assert frames[0].sw3 == 0x10 and frames[0].status.en == "checksum error in the command"
    finally:
        port.close()
