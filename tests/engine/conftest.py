"""Queue engine tests: the hospital builder and clinic helper live in engine_clinic.py."""
from __future__ import annotations

import pytest
from engine_clinic import Clinic


@pytest.fixture
def clinic() -> Clinic:
    """A clinic with the default rules (check-in mode, appointments first, late interleave 2, auto dispatch)."""
    return Clinic()
