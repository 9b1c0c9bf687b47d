"""The scanner reader against the simulated scanner through a real pty (and TCP)."""
from __future__ import annotations

import os
import queue

import pytest

from hardware.health import Health
from hardware.scanner import ScannerSimulator as LazySimulator
from hardware.scanner.reader import ScannerReader
from hardware.scanner.simulator import ScannerSimulator


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
def test_codes_arrive_whatever_the_terminator(scanner_sim, listen, end):
    listener = listen(ScannerReader(scanner_sim.port_path, repeat_window=0))
    for code in ("MC:00012345", "134567890123456789", "就诊卡 张三"):
        assert scanner_sim.scan(code, terminator=end)
        assert listener.next_code() == code


def test_fragmented_delivery(scanner_sim, listen):
    listener = listen(ScannerReader(scanner_sim.port_path))
    scanner_sim.scan("EHC:" + "AB" * 32, fragment=3)
    assert listener.next_code() == "EHC:" + "AB" * 32


def test_same_code_twice_in_the_window_counts_once(scanner_sim, listen):
    listener = listen(ScannerReader(scanner_sim.port_path, repeat_window=30))
    for code in ("JZK0001234", "JZK0001234", "MC:99990000", "JZK0001234"):
        scanner_sim.scan(code)
    assert [listener.next_code() for _ in range(3)] == ["JZK0001234", "MC:99990000", "JZK0001234"]
    with pytest.raises(queue.Empty):
        listener.codes.get(timeout=0.3)


def test_unplug_offline_replug_ok(scanner_sim, listen):
    listener = listen(ScannerReader(scanner_sim.port_path, reopen_interval=0.05))
    scanner_sim.unplug()
    assert not os.path.exists(scanner_sim.port_path)
    offline = listener.wait_health(Health.OFFLINE)
    assert "扫码器未连接" in offline.reason_zh
    assert not scanner_sim.scan("LOST0001")
    scanner_sim.replug()
    listener.wait_health(Health.OK)
    scanner_sim.scan("BACK0002")
    assert listener.next_code() == "BACK0002"


def test_missing_port_reports_offline_once():
    healths: queue.Queue = queue.Queue()
    reader = ScannerReader("/nonexistent/ttyACM9", reopen_interval=0.01, on_health=healths.put)
    with reader:
        assert healths.get(timeout=5).status is Health.OFFLINE
        with pytest.raises(queue.Empty):
            healths.get(timeout=0.2)


def test_socket_url(listen):
    with ScannerSimulator("tcp", terminator="\n") as sim:
        codes: queue.Queue = queue.Queue()
        listener = listen(ScannerReader(sim.url, on_code=codes.put))
        sim.scan("2812345678901234567")
        assert listener.next_code() == "2812345678901234567" == codes.get(timeout=5)


def test_package_exposes_the_simulator():
    assert LazySimulator is ScannerSimulator


def test_partial_line_dropped_after_the_gap_with_a_warning_then_the_next_scan_arrives_alone(scanner_sim, listen):
    listener = listen(ScannerReader(scanner_sim.port_path, idle_gap_s=0.3))
    assert scanner_sim.send_raw(b"MC2600")  # the scanner lost the rest of this code
    warning = listener.wait_health(Health.DEGRADED)
    assert "不完整" in warning.reason_zh and "incomplete" in warning.reason_en
    assert scanner_sim.scan("MC26000128")
    assert listener.next_code() == "MC26000128"
    listener.wait_health(Health.OK)


def test_undecodable_scan_is_reported_not_passed_on(scanner_sim, listen):
    listener = listen(ScannerReader(scanner_sim.port_path))
    assert scanner_sim.send_raw(b"\xff\xfe\x80\r")
    assert "无法识别" in listener.wait_health(Health.DEGRADED).reason_zh
    assert scanner_sim.scan("MC:00012345")
    assert listener.next_code() == "MC:00012345"
