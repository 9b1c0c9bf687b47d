"""The announcement worker against the real espeak-ng engine, writing WAV files."""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
import wave
from pathlib import Path

import pytest

from common.speech_text import DEFAULT_CALL_TEMPLATE, call_text
from hardware.health import Health
from hardware.speech.pcm import Pcm
from hardware.speech.sounds import DEFAULT_CHIME
from hardware.speech.synth import EspeakCli, SynthesisError
from hardware.speech.worker import GAP_BETWEEN_REPEATS_S, SpeechEvent, SpeechWorker

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")

CALL = call_text(DEFAULT_CALL_TEMPLATE, "A015", "张*", "3诊室")


def duration_s(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


class Recorder:
    """Collects worker events; lets a test wait for a given one."""

    def __init__(self) -> None:
        self.events: list[SpeechEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: SpeechEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def kinds(self) -> list[tuple[str, str]]:
        return [(e.kind, e.item_id) for e in self.events]

    def only(self, kind: str, item_id: str) -> SpeechEvent:
        (event,) = [e for e in self.events if e.kind == kind and e.item_id == item_id]
        return event


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.mark.parametrize("backend", ["espeak-ng", "pyttsx3"])
def test_call_wav_is_chime_then_text_repeated(tmp_path: Path, recorder: Recorder, backend: str) -> None:
    with SpeechWorker(out_dir=tmp_path, backend=backend, on_event=recorder) as worker:
        worker.announce_broadcast(CALL, item_id="once")
        worker.announce_call(CALL, repeat=2, item_id="call-A015")
        assert worker.wait_idle(20)
        assert worker.health().status is Health.OK

    once = recorder.only("finished", "once").path
    call = recorder.only("finished", "call-A015").path
    assert once is not None and call is not None
    assert [p.name for p in sorted(tmp_path.iterdir())] == ["00001-once.wav", "00002-call-A015.wav"]
    # 15 Mandarin syllables at 150 words per minute: a few seconds, not a blip and not a minute.
    said_once = duration_s(once)
    assert 2.0 < said_once < 10.0
    expected = duration_s(DEFAULT_CHIME) + 2 * said_once + GAP_BETWEEN_REPEATS_S
    assert duration_s(call) == pytest.approx(expected, abs=0.01)


def test_sox_hears_sound_in_the_call(tmp_path: Path, recorder: Recorder) -> None:
    if shutil.which("sox") is None:
        pytest.skip("sox not installed")
    with SpeechWorker(out_dir=tmp_path, backend="espeak-ng", on_event=recorder) as worker:
        worker.announce_call(CALL, repeat=1, item_id="c1")
        assert worker.wait_idle(20)
    path = recorder.only("finished", "c1").path
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True).stderr
    figures = dict(re.findall(r"^([A-Za-z ()]+?):\s+(-?[\d.]+)$", stat, re.MULTILINE))
    assert float(figures["Length (seconds)"]) == pytest.approx(duration_s(path), abs=0.01)
    assert float(figures["Maximum amplitude"]) > 0.2
    assert float(figures["RMS     amplitude"]) > 0.02


def test_broadcast_queued_during_a_call_is_spoken_after_it(tmp_path: Path, recorder: Recorder) -> None:
    worker = SpeechWorker(out_dir=tmp_path, backend="espeak-ng", on_event=recorder)

    def queue_broadcast_while_calling(event: SpeechEvent) -> None:
        if event.kind == "started" and event.item_id == "c1":
            worker.announce_broadcast("请保持安静，谢谢", item_id="b1")
            worker.announce_call(call_text(DEFAULT_CALL_TEMPLATE, "A016", None, "5诊室"), 2, item_id="c2")

    worker.add_listener(queue_broadcast_while_calling)
    worker.announce_call(CALL, 2, item_id="c1")
    assert worker.wait_idle(20)
    worker.stop()

    assert recorder.kinds() == [
        ("started", "c1"),
        ("finished", "c1"),
        ("started", "b1"),
        ("finished", "b1"),
        ("started", "c2"),
        ("finished", "c2"),
    ]
    assert [p.name for p in sorted(tmp_path.iterdir())] == ["00001-c1.wav", "00002-b1.wav", "00003-c2.wav"]
    # a broadcast has no chime and is said once: shorter than either call
    sizes = {p.name: duration_s(p) for p in tmp_path.iterdir()}
    assert sizes["00002-b1.wav"] < min(sizes["00001-c1.wav"], sizes["00003-c2.wav"])


class BreaksOnSomeTexts(EspeakCli):
    """The real espeak-ng backend, except that it fails on texts containing 坏 (an engine crash)."""

    def synthesize(self, text: str) -> Pcm:
        if "坏" in text:
            raise SynthesisError("engine crashed on this utterance")
        return super().synthesize(text)


def test_failed_utterance_degrades_health_and_the_worker_keeps_going(tmp_path: Path, recorder: Recorder) -> None:
    health_when_failed = []
    worker = SpeechWorker(out_dir=tmp_path, synthesizer=BreaksOnSomeTexts(), on_event=recorder)
    worker.add_listener(lambda e: health_when_failed.append(worker.health()) if e.kind == "failed" else None)
    worker.announce_call("坏 的 句子", 2, item_id="bad")
    worker.announce_call(CALL, 1, item_id="good")
    assert worker.wait_idle(20)

    assert recorder.kinds() == [("failed", "bad"), ("started", "good"), ("finished", "good")]
    assert "engine crashed" in recorder.only("failed", "bad").reason
    (health,) = health_when_failed
    assert health.status is Health.DEGRADED and "engine crashed" in health.reason_en
    assert health.reason_zh.startswith("语音播报失败")
    assert worker.health().status is Health.OK  # recovered with the next good utterance
    assert [p.name for p in tmp_path.iterdir()] == ["00001-good.wav"]
    worker.stop()
    assert worker.health().status is Health.OFFLINE
    with pytest.raises(RuntimeError, match="stopped"):
        worker.announce_broadcast("还在吗")


def test_missing_sound_device_is_reported_not_fatal(recorder: Recorder) -> None:
    if shutil.which("aplay") is None:
        pytest.skip("aplay not installed")
    with SpeechWorker(backend="espeak-ng", player=("aplay", "-q", "-D", "no-such-device"), on_event=recorder) as worker:
        worker.announce_call(CALL, 1, item_id="c1")
        worker.announce_broadcast("请保持安静", item_id="b1")
        assert worker.wait_idle(20)
        assert [(e.kind, e.item_id) for e in recorder.events if e.kind != "started"] == [
            ("failed", "c1"),
            ("failed", "b1"),
        ]
        assert "aplay" in recorder.only("failed", "b1").reason
        assert worker.health().status is Health.DEGRADED


def test_pyttsx3_failure_falls_back_to_espeak(tmp_path: Path, recorder: Recorder) -> None:
    # A voice neither engine knows: pyttsx3 would silently speak English, so it must refuse,
    # and the espeak-ng fallback refuses too; the item fails with both reasons visible.
    with SpeechWorker(out_dir=tmp_path, voice="no-such-voice", backend="pyttsx3", on_event=recorder) as worker:
        worker.announce_broadcast(CALL, item_id="b1")
        assert worker.wait_idle(30)
        assert recorder.kinds() == [("failed", "b1")]
        reason = recorder.only("failed", "b1").reason
        assert reason.startswith("SynthesisError: pyttsx3: ")
        assert "voice 'no-such-voice' does not exist in espeak-ng" in reason
        assert worker.health().status is Health.DEGRADED


def test_asterisks_never_reach_the_voice(tmp_path: Path, recorder: Recorder) -> None:
    with SpeechWorker(out_dir=tmp_path, backend="espeak-ng", on_event=recorder) as worker:
        worker.announce_broadcast("请 张* 到 服务台", item_id="b1")
        assert worker.wait_idle(20)
    assert recorder.only("finished", "b1").text == "请 张 到 服务台"


def test_empty_or_bad_requests_are_refused_up_front(tmp_path: Path) -> None:
    with SpeechWorker(out_dir=tmp_path, backend="espeak-ng") as worker:
        with pytest.raises(ValueError):
            worker.announce_broadcast(" * ")
        with pytest.raises(ValueError):
            worker.announce_call(CALL, repeat=0)
        assert worker.wait_idle(1)
