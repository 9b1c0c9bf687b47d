"""What a person would notice at the end of the scripted morning, and the short summary printed for them."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from demo.ledger import Ledger
from demo.script import APPOINTMENT, EMERGENCY, NEW, PAYMENT_TIMEOUT, RETURNING, Arrival

FAULT_CASES = ("paper_out", "payment_timeout", "late", "missed")


def check_morning(led: Ledger, out: Path, arrivals: list[Arrival], kiosk_results: dict[int, dict[str, Any]],
                  door_seen: set[str], visit_state: Callable[[str], str | None]) -> list[str]:
    """Add a problem to the ledger for everything that went wrong; return visits registered for later slots."""
    printed = sorted((out / "printed").rglob("*.png"))
    wavs = sorted((out / "speech").glob("*.wav"))
    kiosk_tickets = [r for r in kiosk_results.values() if r.get("ticket")]
    if len(printed) < len(kiosk_tickets) - 1:  # the paper-out ticket is the one not printed
        led.problem(f"only {len(printed)} slips printed for {len(kiosk_tickets)} kiosk tickets")
    expected_queued = sum(1 for a in arrivals if a.kind in (NEW, RETURNING, APPOINTMENT, EMERGENCY)
                          and a.fault != PAYMENT_TIMEOUT)
    if len(led.queued) != expected_queued:
        led.problem(f"{len(led.queued)} visits in the queue, expected {expected_queued}")
    unseen = led.unseen_calls("NK")
    if unseen:
        led.problem(f"calls never shown on the NK wall screen: {unseen}")
    door_missing = sorted({c.ticket for c in led.calls if c.room == "NK1" and c.visit_id not in door_seen})
    if door_missing:
        led.problem(f"calls to 内科1诊室 never shown on its door screen: {door_missing}")
    nk_calls = [c for c in led.calls if c.area == "NK"]
    empty = [w.name for w in wavs if w.stat().st_size <= 44]
    if empty or len(wavs) < len(nk_calls):
        led.problem(f"{len(wavs)} WAV files for {len(nk_calls)} NK calls; empty: {empty}")
    later: list[str] = []
    for visit_id in sorted(set(led.queued) - led.served):
        state = visit_state(visit_id)
        if state == "registered":  # slot later in the day: not checked in yet, as the area's rule says
            later.append(visit_id)
        else:
            led.problem(f"visit {visit_id} not seen by a doctor by the end (state {state})")
    cases = {f.case for f in led.faults}
    for case in FAULT_CASES:
        if case not in cases:
            led.problem(f"fault case {case} did not happen")
    return later


def human_summary(summary: dict[str, Any], out: Path) -> str:
    waits, lat = summary["wait_minutes_simulated"], summary["call_to_wall_ms"]
    lines = [
        f"早上好 — 演示上午结束 / scripted morning done in {summary['timing']['real_seconds']} s "
        f"(simulated {summary['timing']['simulated_from']}–{summary['timing']['simulated_to']}, x{summary['timing']['speed']:g})",
        f"  patients arrived {summary['patients_arrived']} {summary['patients_by_channel']}, visits queued "
        f"{summary['visits_queued']}, served {summary['patients_served']}, calls {summary['calls']}",
        f"  wait check-in -> call (simulated min): median {waits.get('median')} p90 {waits.get('p90')} max {waits.get('max')}",
        f"  call -> wall screen (real ms): median {lat.get('median')} p90 {lat.get('p90')} max {lat.get('max')} "
        f"over {lat.get('count')} calls",
        f"  missed {len(summary['no_shows']['missed'])}, recalled {len(summary['no_shows']['recalled'])}",
    ]
    insurance = summary.get("insurance") or {}
    if insurance.get("split"):
        split = insurance["split"]
        lines.append(f"  医保 paid at a kiosk: 统筹支付 {split.get('fund')}, 个人账户 {split.get('account')}, 自付 "
                     f"{split.get('own')}; e-invoices issued {len(insurance.get('einvoices', []))}")
    for f in summary["failures_handled"]:
        lines.append(f"  [{'ok' if f['handled'] else 'FAILED'}] {f['case']}: {f['how']}")
    for p in summary["problems"]:
        lines.append(f"  PROBLEM: {p}")
    lines += [f"  look at: {out}/summary.json, {out}/screens/ (kiosk, console, wall, door), {out}/printed/ "
              f"({len(summary['artefacts']['printed'])} slips), {out}/speech/ ({summary['artefacts']['speech_wav']} WAV)",
              "  RESULT: " + ("OK" if summary["ok"] else "SOMETHING WENT WRONG (see PROBLEM lines)")]
    return "\n".join(lines)
