"""Upgrading: a database written by the previous release opens in this one, migrates, and keeps every visit."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

from caller.testing import DEMO_TOKENS, REPO, free_port, run_service_process, wait_healthy
from client.http import CallerClient

PREVIOUS_RELEASE = "21c7f12"  # the last release hospitals run before this one


def _has_commit(commit: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=REPO,
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not shutil.which("git") or not _has_commit(PREVIOUS_RELEASE),
                    reason=f"needs the git history with {PREVIOUS_RELEASE}")
def test_a_database_of_the_previous_release_opens_migrates_and_keeps_every_visit(tmp_path):
    old = tmp_path / "previous"
    old.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", PREVIOUS_RELEASE], cwd=REPO, capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(old, filter="data")
    db = tmp_path / "hospital.db"
    port = free_port()
    # the previous release used the machine's zone: a machine set up right, in the hospital's zone, as before
    env = {**os.environ, "PYTHONPATH": str(old), "TZ": "Asia/Shanghai"}
    previous = subprocess.Popen([sys.executable, "-m", "caller", "serve", "--config", str(old / "assets" / "demo-hospital.toml"),
                                 "--db", str(db), "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                                cwd=old, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process=previous)
        with CallerClient(f"http://127.0.0.1:{port}", DEMO_TOKENS["kiosk"]) as kiosk:
            visits = [kiosk.register(dept, name=name)["visit"] for dept, name in
                      (("NK", "李四"), ("NK", "王五"), ("WK", "赵六"))]
            kiosk.check_in(visits[0]["visit_id"])
    finally:
        previous.terminate()
        previous.wait(15)
        previous.stderr.close()

    with run_service_process(db_path=db, extra_env={"TZ": "Asia/Shanghai"}) as proc, CallerClient(proc.base_url, DEMO_TOKENS["kiosk"]) as kiosk:
        with CallerClient(proc.base_url, DEMO_TOKENS["admin"]) as admin:  # a visit's status is staff's (or its patient's)
            for visit in visits:
                assert admin.visit_status(visit["visit_id"])["ticket"] == visit["ticket"]
        next_one = kiosk.register("NK", name="钱七")["visit"]  # numbering goes on where the old release stopped
        assert next_one["ticket"] == "A003"
        assert next_one["day"] == visits[0]["day"]
