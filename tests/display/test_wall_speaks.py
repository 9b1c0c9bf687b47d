"""A wall screen whose settings say ``speak = true`` (the emergency area's) also speaks its calls."""
from caller.testing import run_service
from client.http import CallerClient
from common.config import DEMO_CONFIG
from display.app import make_wall
from hardware.speech import SpeechWorker

JZ_WALL = "demo-wall-jz-3d8b6e1a4c75"
JZ_CONSOLE = "demo-console-jz-2a7c5e8b1f40"


def test_emergency_wall_shows_and_speaks_the_call(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # the speaker's last-spoken state file goes under ~/.cache
    speech = SpeechWorker(out_dir=tmp_path / "wav", backend="espeak-ng")
    with run_service(db_path=tmp_path / "h.db") as url:
        wall = make_wall(url, JZ_WALL, config=DEMO_CONFIG, speech=speech)
        qtbot.addWidget(wall)
        wall.show()
        try:
            assert wall.speaker is not None
            qtbot.waitUntil(lambda: wall.online and wall.speaker.online, timeout=5000)
            triage = CallerClient(url, JZ_CONSOLE)
            triage.login("zhouhs", "demo1234")
            triage.register("JZ", name="钱建国", kind="emergency", triage_level=2)
            called = triage.call_next("JZ1")["visit"]
            assert called is not None
            qtbot.waitUntil(lambda: wall.call_panel.ticket.text() == called["ticket"], timeout=6000)
            assert wall.speaker.wait_announced(1, timeout=5)
            text = wall.speaker.announced[0].text
            assert "钱某某" in text and "钱建国" not in text
            assert speech.wait_idle(20)
            assert len(list((tmp_path / "wav").glob("*.wav"))) == 1
        finally:
            wall.shutdown()
            speech.stop()
