"""`bench/run his_link`'s outage part: its real length can be set (HIS_OUTAGE_REAL_S), and it reports the outage on
the service's clock (`outage_s`, 10 minutes) apart from the machine's (`outage_real_s`)."""
from __future__ import annotations

import pytest

from bench.bench_his import OUTAGE_CLOCK_S, OUTAGE_REAL_S, outage, outage_real_seconds


def test_the_real_length_is_20_s_unless_set(monkeypatch):
    monkeypatch.delenv("HIS_OUTAGE_REAL_S", raising=False)
    assert outage_real_seconds() == OUTAGE_REAL_S == 20.0
    monkeypatch.setenv("HIS_OUTAGE_REAL_S", "600")
    assert outage_real_seconds() == 600.0


@pytest.mark.parametrize("value", ["0", "-5", "ten", "7200"])
def test_a_wrong_length_is_refused_with_what_to_give(monkeypatch, value):
    monkeypatch.setenv("HIS_OUTAGE_REAL_S", value)
    with pytest.raises(ValueError, match="1 to 3600"):
        outage_real_seconds()


def test_a_short_real_outage_is_still_ten_minutes_of_service_time_and_replays_everything(monkeypatch):
    monkeypatch.setenv("HIS_OUTAGE_REAL_S", "1")
    result = outage()
    assert result["outage_s"] == OUTAGE_CLOCK_S == 600.0
    assert 1.0 <= result["outage_real_s"] < 60.0
    assert result["patients_registered"] > 0 and result["replayed"] > 0
    assert (result["lost"], result["duplicates"], result["patients_out_of_order"], result["waiting_after"]) == (0, 0, 0, 0)
