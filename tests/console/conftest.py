import pytest
from console_helpers import NK_CONSOLE, PASSWORD

from caller.testing import run_service
from client.http import CallerClient
from common.fonts import load_cjk_font


@pytest.fixture(autouse=True)
def cjk_font(qapp):
    load_cjk_font(qapp)


@pytest.fixture
def service(tmp_path):
    with run_service(db_path=tmp_path / "hospital.db") as url:
        yield url


@pytest.fixture
def front_desk(service):
    """A second console of the same area, used to register patients and to act at the same time."""
    client = CallerClient(service, NK_CONSOLE)
    client.login("wanghs", PASSWORD)
    yield client
    client.close()
