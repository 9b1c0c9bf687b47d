"""The speaker agent hands calls to the real speech worker and never repeats one after a restart."""
from datetime import timedelta

import pytest
from display_events import NOON, broadcast, call

from display.speaker import SpeakerAgent, load_last_seq
from hardware.speech import SpeechWorker


@pytest.fixture
def speech(tmp_path):
    worker = SpeechWorker(out_dir=tmp_path / "wav", backend="espeak-ng")
    yield worker
    worker.stop()


def agent(speech, state):
    return SpeakerAgent("http://127.0.0.1:9", "token", "NK", speech, state_file=state, now=lambda: NOON)


def test_calls_and_broadcasts_become_wav_files_in_order(tmp_path, speech):
    speaker = agent(speech, tmp_path / "state.json")
    speaker.handle_event(call(10, "A015", "张*", "NK3", "内科3诊室", NOON, speech="请 A 零 一 五 号 张某某 到 内科3号诊室 就诊"))
    speaker.handle_event(broadcast(11, "王医生临时会诊，请您稍候。", NOON))
    assert speech.wait_idle(20)
    assert [a.text for a in speaker.announced] == ["请 A 零 一 五 号 张某某 到 内科3号诊室 就诊",
                                                  "王医生临时会诊，请您稍候。"]
    wavs = sorted((tmp_path / "wav").glob("*.wav"))
    assert len(wavs) == 2 and all(w.stat().st_size > 10_000 for w in wavs)
    assert wavs[0].stat().st_size > wavs[1].stat().st_size  # chime + the call twice


def test_restarted_agent_skips_what_was_spoken_and_stale_calls(tmp_path, speech):
    state = tmp_path / "state.json"
    first = agent(speech, state)
    assert first.handle_event(call(10, "A001", "张*", "NK3", "内科3诊室", NOON)) is not None
    assert load_last_seq(state) == 10

    again = agent(speech, state)  # the agent (or the service) restarted; the replay starts over
    assert again.handle_event(call(10, "A001", "张*", "NK3", "内科3诊室", NOON)) is None
    assert again.handle_event(call(11, "A002", "李*", "NK3", "内科3诊室", NOON - timedelta(minutes=3))) is None
    fresh = again.handle_event(call(12, "A003", "王*", "NK3", "内科3诊室", NOON - timedelta(seconds=10)))
    assert fresh is not None and fresh.text.startswith("请 A 零 零 三 号")
    assert [a.seq for a in again.announced] == [12]
