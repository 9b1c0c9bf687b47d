"""The offline bundle: built from the lock, installed with no package index, and every part starts from it."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import time

import pytest

from caller.testing import DEMO_TOKENS, REPO, free_port
from client.http import CallerClient

NO_NETWORK = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "",
              "PIP_CONFIG_FILE": "/dev/null", "PIP_NO_INDEX": "1", "http_proxy": "http://127.0.0.1:9",
              "https_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}


def pins(path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(encoding="utf-8"), flags=re.M))


def test_the_runtime_lock_pins_the_same_versions_as_the_full_lock():
    runtime, full = pins(REPO / "requirements-runtime.lock"), pins(REPO / "requirements.lock")
    assert {"pyside6-essentials", "fastapi", "uvicorn"} <= set(runtime) and "pytest" not in runtime
    assert {name: version for name, version in runtime.items() if full.get(name) != version} == {}


def wait_for(condition, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            proc.log.seek(0)
            raise AssertionError(f"{what}: exited with {proc.returncode}: {proc.log.read()[-2000:]}")
        assert time.monotonic() < deadline, f"{what}: not in {timeout} s"
        time.sleep(0.1)


@pytest.mark.timeout(400)
@pytest.mark.skipif(not shutil.which("git") or not (REPO / ".git").exists(), reason="needs a git checkout")
def test_a_bundle_installs_with_no_network_and_every_part_starts(tmp_path):
    bundle = tmp_path / "hospital-queue-bundle.tar.gz"
    built = subprocess.run(["bash", "scripts/bundle.sh", "--runtime", "--no-debs", "--out", str(bundle)], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    with tarfile.open(bundle) as archive:
        names = archive.getnames()
        archive.extractall(tmp_path / "opt", filter="data")
    assert any(re.search(r"wheels/pyside6_essentials-.*\.whl$", n, re.I) for n in names)
    app = tmp_path / "opt" / "hospital-queue"
    assert (app / "caller" / "service.py").exists() and "lock=requirements-runtime.lock" in (app / "BUNDLE.txt").read_text()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env.update(NO_NETWORK)
    installed = subprocess.run(["bash", "scripts/setup.sh", "--offline", str(bundle)], cwd=app, env=env,
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "no network" in installed.stdout
    python = str(app / ".venv" / "bin" / "python")
    assert subprocess.run([python, "-m", "pip", "check"], capture_output=True, env=env).returncode == 0

    run_env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "pythonpath")}
    run_env["QT_QPA_PLATFORM"] = "offscreen"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = app / "assets" / "demo-hospital.toml"
    parts: list[subprocess.Popen] = []

    def start(*args: str, token: str | None = None) -> subprocess.Popen:
        part_env = {**run_env, **({"HOSPITAL_TOKEN": token} if token else {})}
        log = open(tmp_path / f"{args[0]}-{args[1]}.log", "w+")  # a file, not a pipe nobody drains
        proc = subprocess.Popen([python, "-m", *args], cwd=tmp_path, env=part_env, stdout=log,
                                stderr=subprocess.STDOUT, text=True)
        proc.log = log
        parts.append(proc)
        return proc

    try:
        service = start("caller", "serve", "--config", str(config), "--db", str(tmp_path / "h.db"),
                        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--demo")
        with CallerClient(url, DEMO_TOKENS["admin"], timeout=2) as admin:
            def healthy() -> bool:
                try:
                    return admin.healthz()["status"] == "ok"
                except Exception:
                    return False

            wait_for(healthy, 30, "caller service", service)
            start("display", "speaker", "--service", url, "--wav-dir", str(tmp_path / "wav"),
                  "--state-file", str(tmp_path / "speaker.json"), token=DEMO_TOKENS["speaker_nk"])
            start("display", "wall", "--service", url, "--windowed", token=DEMO_TOKENS["wall_nk"])
            start("display", "door", "--service", url, "--windowed", token=DEMO_TOKENS["door_nk1"])
            start("kiosk", "--service", url, "--reader", str(tmp_path / "no-reader"), token=DEMO_TOKENS["kiosk"])

            def reported() -> set[str]:
                return {d["device"].split("/")[0] for d in admin.devices() if d.get("ts")}

            expected = {"speaker-nk", "wall-nk", "door-nk1", "kiosk-lobby-1"}
            try:
                wait_for(lambda: expected <= reported(), 90, "wall, door, speaker and kiosk reporting")
            except AssertionError:
                for proc in parts:
                    proc.log.seek(0)
                    print(proc.args, proc.poll(), proc.log.read()[-1500:])
                raise AssertionError(f"missing: {expected - reported()}") from None
        console = subprocess.run([python, "-c", "import caller_console.app, PySide6.QtWidgets; print('console ok')"],
                                 env=run_env, capture_output=True, text=True, timeout=60)
        assert console.stdout.strip() == "console ok", console.stderr  # its window waits for a nurse to log in
    finally:
        for proc in parts:
            proc.terminate()
        for proc in parts:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            proc.log.close()
