"""Printing through the real transports to the simulators: serial on a pty, TCP 9100, faults."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image

from common.printer_profiles import GENERIC_58_GBK, RASTER_QR_58_GBK
from hardware.health import Health
from hardware.printer import (
    EscposTransport,
    Printer,
    PrinterError,
    SerialTransport,
    TcpTransport,
    render_receipt,
    render_ticket,
)
from hardware.printer.decode import QRCode, RasterImage, text_lines
from hardware.printer.simulator import SimulatedPrinter, TcpPrinterSimulator

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def serial_printer(pty_sim):
    printer = Printer(SerialTransport(pty_sim.device_path, baudrate=9600), GENERIC_58_GBK)
    yield printer
    printer.close()


@pytest.fixture
def tcp_printer(tcp_sim):
    printer = Printer(TcpTransport(tcp_sim.host, tcp_sim.port), GENERIC_58_GBK)
    yield printer
    printer.close()


def test_ticket_over_serial_pty_arrives_intact(serial_printer, core, docs):
    assert serial_printer.check_ready().status is Health.OK
    serial_printer.print_ticket(docs.ticket)
    assert core.wait_for_jobs(1)
    (job,) = core.jobs
    assert job.data == render_ticket(docs.ticket, GENERIC_58_GBK)
    assert not job.interrupted
    assert "A015" in text_lines(job.elements)
    assert [e.payload.decode() for e in job.elements if isinstance(e, QRCode)] == [docs.ticket.status_url]
    assert job.png.exists() and "祝您早日康复" in job.txt.read_text(encoding="utf-8")


def test_two_jobs_over_tcp_are_split_at_the_cut(tcp_printer, core, docs):
    tcp_printer.print_ticket(docs.ticket)
    tcp_printer.print_receipt(docs.receipt)
    assert core.wait_for_jobs(2)
    assert [job.number for job in core.jobs] == [1, 2]
    assert core.jobs[1].data == render_receipt(docs.receipt, GENERIC_58_GBK)
    assert sorted(p.name for p in core.out_dir.iterdir()) == ["job-001.png", "job-001.txt", "job-002.png",
                                                             "job-002.txt"]
    assert Image.open(core.jobs[0].png).width == 384


def test_raster_qr_on_the_simulated_slip_scans(tmp_path, docs):
    core = SimulatedPrinter(tmp_path, RASTER_QR_58_GBK)
    with TcpPrinterSimulator(core) as sim, Printer(TcpTransport(sim.host, sim.port), RASTER_QR_58_GBK) as printer:
        printer.print_ticket(docs.ticket)
    (job,) = core.jobs
    assert any(isinstance(e, RasterImage) for e in job.elements)
    found = zxingcpp.read_barcodes(Image.open(job.png))
    assert [f.text for f in found] == [docs.ticket.status_url]


def test_paper_out_before_a_job(tcp_printer, core, docs):
    core.set_state(paper_out=True)
    ready = tcp_printer.check_ready()
    assert ready.status is Health.OFFLINE and ready.reason_zh == "打印纸已用完"
    with pytest.raises(PrinterError) as raised:
        tcp_printer.print_ticket(docs.ticket)
    assert not raised.value.partial and "打印纸已用完" in raised.value.message_zh
    assert core.jobs == [] and core.dropped_bytes == 0  # nothing was sent


def test_near_end_still_prints_but_warns(serial_printer, core, docs):
    core.set_state(near_end=True)
    ready = serial_printer.check_ready()
    assert ready.status is Health.DEGRADED and "纸将用完" in ready.reason_zh
    serial_printer.print_ticket(docs.ticket)
    assert core.wait_for_jobs(1)


@pytest.mark.parametrize("transport", ["serial", "tcp"])
def test_cover_opened_mid_job_raises(transport, request, core, docs):
    printer = request.getfixturevalue(f"{transport}_printer")
    core.open_cover_after(200)
    with pytest.raises(PrinterError) as raised:
        printer.print_report(docs.report)
    assert raised.value.partial
    assert raised.value.reason_zh == "打印机盖未关好"
    assert "补打" in raised.value.message_zh
    (job,) = core.jobs
    assert job.interrupted and core.dropped_bytes > 0
    assert printer.check_ready().reason_zh == "打印机盖未关好"


@pytest.mark.parametrize("transport", ["serial", "tcp"])
def test_silent_printer_is_unknown_never_ok(transport, request, core, docs):
    printer = request.getfixturevalue(f"{transport}_printer")
    printer.status_timeout = 0.2
    core.set_state(silent=True)
    status = printer.status()
    assert not status.responded and not status.can_print
    ready = printer.check_ready()
    assert ready.status is not Health.OK and ready.reason_zh == "打印机无响应"
    with pytest.raises(PrinterError, match="打印机无响应"):
        printer.print_ticket(docs.ticket)


def test_nothing_listening_is_unknown(docs):
    with TcpPrinterSimulator(SimulatedPrinter()) as sim:
        port = sim.port
    printer = Printer(TcpTransport("127.0.0.1", port, connect_timeout=0.5), GENERIC_58_GBK)
    assert printer.check_ready().reason_zh == "打印机无响应"
    with pytest.raises(PrinterError):
        printer.print_ticket(docs.ticket)


def test_loop_echo_is_not_taken_for_a_status():
    transport = SerialTransport("loop://", timeout=0.2)
    assert not transport.status().responded


def test_escpos_adapter_passes_bytes_unchanged_and_reports_unknown(docs):
    device = Dummy()
    transport = EscposTransport(device)
    data = render_ticket(docs.ticket, GENERIC_58_GBK)
    transport.write(data)
    assert device.output == data
    assert not transport.status().responded


def test_standalone_simulator_stores_jobs(tmp_path, docs):
    proc = subprocess.Popen([sys.executable, "-m", "hardware.printer.simulator", "--tcp", "0", "--out", str(tmp_path),
                             "--profile", "generic-58-gbk"], cwd=ROOT, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                            env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    try:
        banner = proc.stdout.readline()
        port = int(banner.split(":")[-1].split()[0])
        with Printer(TcpTransport("127.0.0.1", port), GENERIC_58_GBK) as printer:
            printer.print_ticket(docs.ticket)  # returns after the printer answered the status following the cut
        assert (tmp_path / "job-001.png").exists()
        assert "A015" in (tmp_path / "job-001.txt").read_text(encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_serial_transport_over_a_socket_url(tcp_sim, core, docs):
    """pyserial's socket:// URL reaches a network printer through the same serial transport."""
    with Printer(SerialTransport(f"socket://{tcp_sim.host}:{tcp_sim.port}"), GENERIC_58_GBK) as printer:
        assert printer.check_ready().status is Health.OK
        printer.print_ticket(docs.ticket)
    assert core.jobs[0].data == render_ticket(docs.ticket, GENERIC_58_GBK)


def test_health_polling_during_a_job_does_not_corrupt_it(tmp_path, docs):
    """A health poll from another thread waits for the job instead of slipping queries into its bytes."""
    import threading

    core = SimulatedPrinter(None, RASTER_QR_58_GBK)
    done = threading.Event()
    polls = []
    with TcpPrinterSimulator(core) as sim, Printer(TcpTransport(sim.host, sim.port), RASTER_QR_58_GBK) as printer:
        def poll():
            while not done.is_set():
                polls.append(printer.check_ready().status)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            for _ in range(3):
                printer.print_ticket(docs.ticket)
        finally:
            done.set()
            poller.join(timeout=5)
    assert [job.data for job in core.jobs] == [render_ticket(docs.ticket, RASTER_QR_58_GBK)] * 3
    assert polls and set(polls) == {Health.OK}
