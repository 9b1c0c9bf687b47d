import pytest

from uikit.fonts import load_cjk_font


@pytest.fixture(autouse=True)
def cjk_font(qapp):
    load_cjk_font(qapp)
