import pytest

from caller.client import CallerClient
from caller.testing import run_service
from uikit.fonts import load_cjk_font

NK_CONSOLE = "demo-console-nk-9c2e47b1d3a6"
JZ_CONSOLE = "demo-console-jz-2a7c5e8b1f40"
PASSWORD = "demo1234"


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


def register(client: CallerClient, name: str, **kwargs) -> dict:
    area_dept = kwargs.pop("department", "NK")
    visit = client.register(area_dept, name=name, **kwargs)["visit"]
    if visit["state"] == "registered":  # areas in check-in mode
        client.check_in(visit["visit_id"])
    return visit
