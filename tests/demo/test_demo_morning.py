"""A short scripted morning (9 patients: every fault case, a bill paid with 医保, a patient identified by e-health
card) end to end: service process, platform simulators, kiosks, nurses, wall/door screens, speaker; then what a
person would check in out/demo."""
from __future__ import annotations

import json
import wave

import pytest

from demo.morning import MorningPlan, run_morning


# a whole morning in one test: the service process, two kiosks, the platform simulators, the screens and the web
# wall's and cockpit's browser screenshots; about a minute on a quiet machine, several on a loaded one
@pytest.mark.timeout(420)
def test_short_morning_serves_everyone_and_handles_every_fault(tmp_path, qapp):
    out = tmp_path / "demo"
    summary, code = run_morning(out, MorningPlan(patients=9, start="08:25", minutes=12, speed=60, drain_timeout=40,
                                                 journey_timeout=40))

    assert code == 0, summary["problems"]
    on_disk = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["patients_arrived"] == 9 and on_disk["ok"] is True
    # everyone who got a ticket was seen; the patient who walked away at the payment QR got none
    assert summary["visits_queued"] == 7 and summary["patients_served"] == 7
    faults = {f["case"]: f for f in summary["failures_handled"]}
    assert set(faults) == {"paper_out", "payment_timeout", "late", "missed"}
    assert all(f["handled"] for f in faults.values())
    assert "charged 0 fen" in faults["payment_timeout"]["how"]
    assert "reprint code R" in faults["paper_out"]["how"]
    assert summary["no_shows"]["missed"] == summary["no_shows"]["recalled"] != []
    # every call of the internal-medicine area reached its wall screen
    assert summary["call_to_wall_ms"]["count"] == summary["calls_by_area"]["NK"] > 0
    assert summary["wait_minutes_simulated"]["count"] >= 7

    # slips: tickets printed by both kiosks' printers, rendered as PNG with a transcript
    slips = sorted((out / "printed").rglob("job-*.txt"))
    assert len(slips) >= 4
    assert any("排队凭条" in s.read_text(encoding="utf-8") for s in slips)
    assert len(list((out / "printed").rglob("job-*.png"))) == len(slips)
    # announcements: real audio, one file per call at least
    wavs = sorted((out / "speech").glob("*.wav"))
    assert wavs
    with wave.open(str(wavs[0])) as clip:
        assert clip.getnframes() > clip.getframerate() // 2  # more than half a second of sound
    # screenshots of every app
    for app in ("console", "wall", "door"):
        assert (out / "screens" / app / "end.png").stat().st_size > 10_000
    assert list((out / "screens" / "kiosk").rglob("*-ticket.png"))

    # journeys: every patient seen was ordered for, paid, and went through the pharmacy, the lab and imaging
    journeys = summary["journeys"]
    assert journeys["visits_with_orders"] == journeys["visits_seen"] == 7
    assert journeys["steps_per_visit"] >= 3
    assert journeys["in_progress_at_end"] == []
    for kind, states in journeys["by_kind_and_state"].items():
        assert set(states) == {"done"}, (kind, states)
    assert {"pharmacy", "lab", "imaging"} <= set(journeys["by_kind_and_state"])
    assert journeys["bills_paid_at_kiosk"] > 0  # the kiosk's patients paid the doctor's orders there
    # the lab's tube labels went to the TSPL printer, which decoded each and drew it
    labels = sorted((out / "labels").glob("label-*.png"))
    assert len(labels) == journeys["labels_printed"] > 0
    transcript = (out / "labels" / "label-001.txt").read_text(encoding="utf-8")
    assert transcript.startswith("barcode ") and "帽管" in transcript
    # one kiosk patient took a 导诊单 after paying: drawn by the receipt printer's simulator, with the steps to go
    guides = [s for s in slips if "导诊单" in s.read_text(encoding="utf-8")]
    assert len(guides) == journeys["guide_slips_printed"] == 1, guides
    guide = guides[0].read_text(encoding="utf-8")
    assert "1. " in guide and "2. " in guide and "/t/" in guide, guide
    assert guides[0].with_suffix(".png").stat().st_size > 5_000
    for app in ("console-pharmacy", "console-lab", "wall-pharmacy", "wall-lab", "wall-cashier"):
        assert (out / "screens" / app / "end.png").stat().st_size > 10_000
    # the bill paid with 医保: the split on the kiosk, one settlement, the receipt with the split and its e-invoice
    insurance = on_disk["insurance"]
    assert insurance["settlements"] == 1 and insurance["split"]["fund"].endswith("元") and insurance["einvoices"]
    receipt = next(s.read_text(encoding="utf-8") for s in slips if "统筹支付" in s.read_text(encoding="utf-8"))
    assert "个人账户" in receipt and "自付" in receipt and insurance["einvoices"][0]["bill_no"] in receipt
    assert list((out / "screens" / "kiosk").rglob("*-insurance_split.png"))
    # the returning patient who showed the national e-health card: verified once by its platform, then queued
    ehealth = on_disk["ehealth"]
    assert ehealth["verified"] == 1 and ehealth["ticket"] and ehealth["terminal"], ehealth
