import pytest

from common.printer_profiles import GENERIC_58_GBK, GENERIC_80_GBK
from hardware.printer.documents import sample_documents
from hardware.printer.simulator import PtyPrinterSimulator, SimulatedPrinter, TcpPrinterSimulator


@pytest.fixture
def docs():
    return sample_documents()


@pytest.fixture(params=[GENERIC_58_GBK, GENERIC_80_GBK], ids=["58mm", "80mm"])
def profile(request):
    return request.param


@pytest.fixture
def core(tmp_path):
    return SimulatedPrinter(tmp_path / "jobs", GENERIC_58_GBK)


@pytest.fixture
def tcp_sim(core):
    with TcpPrinterSimulator(core) as sim:
        yield sim


@pytest.fixture
def pty_sim(core):
    with PtyPrinterSimulator(core) as sim:
        yield sim
