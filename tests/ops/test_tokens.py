"""Device tokens come from a file, the environment or a systemd credential: never only from argv, where `ps` shows them."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from caller.testing import DEMO_TOKENS, REPO, run_service
from client.tokens import TokenError, read_token

SPEAKER = DEMO_TOKENS["speaker_nk"]


def test_the_token_file_comes_first_then_the_environment_then_the_systemd_credential(tmp_path):
    token_file = tmp_path / "speaker.token"
    token_file.write_text(SPEAKER + "\n")
    token_file.chmod(0o600)
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "token").write_text("from-systemd-credential\n")
    env = {"HOSPITAL_TOKEN": "from-environment", "CREDENTIALS_DIRECTORY": str(credentials)}
    assert read_token(str(token_file), environ=env) == SPEAKER
    assert read_token(None, environ=env) == "from-environment"
    assert read_token(None, environ={"CREDENTIALS_DIRECTORY": str(credentials)}) == "from-systemd-credential"


def test_a_token_on_the_command_line_still_works_but_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="client.tokens"):
        assert read_token(None, "old-style-token-1234", environ={}) == "old-style-token-1234"
    assert "ps" in caplog.text and "--token-file" in caplog.text


def test_no_token_anywhere_says_where_to_put_one(tmp_path):
    with pytest.raises(TokenError) as missing:
        read_token(None, None, environ={})
    assert "--token-file" in str(missing.value) and "HOSPITAL_TOKEN" in str(missing.value)
    assert "LoadCredential" in str(missing.value)
    with pytest.raises(TokenError) as empty:
        (tmp_path / "empty.token").write_text("\n")
        read_token(str(tmp_path / "empty.token"), environ={})
    assert "is empty" in str(empty.value)


def test_a_token_file_others_can_read_is_warned_about(tmp_path, caplog):
    loose = tmp_path / "loose.token"
    loose.write_text(SPEAKER)
    loose.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="client.tokens"):
        assert read_token(str(loose), environ={}) == SPEAKER
    assert "chmod 600" in caplog.text


@pytest.mark.parametrize("way", ["token_file", "environment", "systemd_credential"])
def test_a_speaker_started_each_way_connects_and_ps_never_shows_its_token(tmp_path, way):
    token_file = tmp_path / "speaker.token"
    token_file.write_text(SPEAKER)
    token_file.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if k not in ("HOSPITAL_TOKEN", "CREDENTIALS_DIRECTORY")}
    env["PYTHONPATH"] = str(REPO)
    with run_service(db_path=tmp_path / "h.db") as live:
        args = [sys.executable, "-m", "display", "speaker", "--service", live, "--wav-dir", str(tmp_path / "wav"),
                "--state-file", str(tmp_path / "state.json")]
        if way == "token_file":
            args += ["--token-file", str(token_file)]
        elif way == "environment":
            env["HOSPITAL_TOKEN"] = SPEAKER
        else:
            env["CREDENTIALS_DIRECTORY"] = str(tmp_path)
            token_file.rename(tmp_path / "token")
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            seen = []  # the agent prints a line once it is subscribed to its area; earlier lines may come first
            for line in proc.stdout:
                seen.append(line)
                if "speaker agent for area NK running" in line:
                    break
            else:
                pytest.fail(f"the speaker exited ({proc.wait(10)}) without connecting: {seen} {proc.stderr.read()}")
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
            assert SPEAKER not in cmdline
        finally:
            proc.terminate()
            try:
                proc.wait(30)  # a loaded machine can take a while to stop the speech worker
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            proc.stdout.close()
            proc.stderr.close()
