"""Speech latency: from a call being queued to its audio written, median over 20 calls."""
from __future__ import annotations

import statistics
import tempfile
import threading
import time

from common.speech_text import DEFAULT_CALL_TEMPLATE, call_text
from hardware.speech.worker import SpeechEvent, SpeechWorker

CALLS = 20


def _latencies(backend: str) -> tuple[list[float], list[float]]:
    """Per call: ms to 'started' (clip ready, writing begins) and to 'finished' (WAV on disk)."""
    started: dict[str, float] = {}
    finished: dict[str, float] = {}
    done = threading.Event()

    def on_event(event: SpeechEvent) -> None:
        if event.kind == "started":
            started[event.item_id] = event.at
        else:
            finished[event.item_id] = event.at
            done.set()

    with tempfile.TemporaryDirectory() as out_dir, SpeechWorker(out_dir, backend=backend, on_event=on_event) as worker:
        worker.wait_idle(30)
        queued: dict[str, float] = {}
        for i in range(CALLS):
            text = call_text(DEFAULT_CALL_TEMPLATE, f"A{i + 1:03d}", "张*", f"{i % 9 + 1}诊室")
            done.clear()
            item = f"c{i}"
            queued[item] = time.monotonic()
            worker.announce_call(text, repeat=2, item_id=item)
            if not done.wait(30):
                raise RuntimeError(f"call {item} not spoken within 30 s")
            if item not in started:
                raise RuntimeError(f"call {item} failed: {worker.health().reason_en}")
    return (
        [1000 * (started[k] - queued[k]) for k in queued],
        [1000 * (finished[k] - queued[k]) for k in queued],
    )


def speech_latency() -> dict:
    to_start, to_written = _latencies("pyttsx3")
    cli_start, cli_written = _latencies("espeak-ng")
    return {
        "backend": "pyttsx3",
        "calls": CALLS,
        "median_ms": round(statistics.median(to_written), 1),
        "max_ms": round(max(to_written), 1),
        "median_started_ms": round(statistics.median(to_start), 1),
        "espeak_ng_median_ms": round(statistics.median(cli_written), 1),
        "espeak_ng_max_ms": round(max(cli_written), 1),
        "target_ms": 300,
    }


BENCHES = {"speech_latency": speech_latency}
