"""The TV as a speaker: a broadcast said by a web screen (the clip the service renders through the speaker agent's
voice path), only after the one tap that allows sound, in its place between calls, never over one."""
from __future__ import annotations

import io
import wave

import pytest
from screen_helpers import expert_visit, hospital_file, nurse, pair

from caller.testing import run_service

SPEAKING_WALL = ('kind = "wall", rooms = ["NK1", "NK2", "NK3", "NK4"], next_count = 3, last_calls = 5, '
                 'flash_seconds = 1, speak = true, media = "none"')


def clip_seconds(context, url: str, clip_id: str) -> float:
    """The clip as the page fetches it (the screen's cookie), read back as a WAV: its length in seconds."""
    answer = context.request.get(f"{url}/screen/api/clips/{clip_id}")
    assert answer.ok, answer.status
    with wave.open(io.BytesIO(answer.body())) as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.mark.timeout(180)  # two calls and two broadcasts rendered by espeak-ng and played to their end
def test_a_broadcast_is_said_on_the_tv_after_the_tap_and_between_calls(browser, tmp_path):
    with run_service(hospital_file(tmp_path, wall=SPEAKING_WALL), tmp_path / "h.db") as url:
        console = nurse(url)
        tickets = [expert_visit(console, n) for n in ("王小明", "欧阳娜娜")]
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
        page = context.new_page()
        pair(page, url, client=console)

        # before anyone taps: the clip is made and the banner shows, but nothing is played and the hint asks for it
        assert page.is_visible("#tap") and "开启叫号声音" in page.text_content("#tap")
        console.broadcast("NK", "各位患者请注意，内科3诊室医生临时外出，预计十点回来，请耐心等候，谢谢。")
        page.wait_for_function("window.__screen.clips.some(function (c) { return c.id.charAt(0) === 'b' && "
                               "c.arrived; })", timeout=30000)
        assert page.evaluate("window.__screen.played.length") == 0

        page.mouse.click(960, 540)  # the one tap that allows sound
        page.wait_for_function("window.__screen.state.sound === true")
        assert page.is_hidden("#tap")

        console.call_next("NK1")
        console.broadcast("NK", "请就诊患者提前准备好医保卡和导诊单，谢谢配合。")
        console.call_next("NK1")
        page.wait_for_function("window.__screen.ended.length >= 3", timeout=90000)
        played = page.evaluate("window.__screen.played")
        ended = page.evaluate("window.__screen.ended")
        seqs = page.evaluate("window.__screen.painted.map(function (p) { return p.seq; })")
        assert page.evaluate("window.__screen.painted.map(function (p) { return p.ticket; })") == tickets

        ids = [p["id"] for p in played]
        assert ids[0] == f"c{seqs[0]}" and ids[2] == f"c{seqs[1]}"
        assert ids[1].startswith("b") and seqs[0] < int(ids[1][1:]) < seqs[1]  # in its place, between the calls
        assert [e["id"] for e in ended] == ids and [e["how"] for e in ended] == ["ended"] * 3  # each to its end
        for before, after in zip(ended, played[1:]):
            assert after["t"] >= before["t"]  # one at a time: never over the call before it
        # the broadcast as the speaker agent says it: once, a real clip of some seconds
        said = clip_seconds(context, url, ids[1])
        assert said > 2.0 and abs(ended[1]["duration"] - said) < 0.2
        context.close()
