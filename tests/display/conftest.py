import pytest

from common.fonts import load_cjk_font


@pytest.fixture(autouse=True)
def cjk_font(qapp):
    load_cjk_font(qapp)
