"""Setup and the FHIR test peer: Medplum 4.5.2 needs Node.js ^20.19 or >= 22.12 and npm. A machine without them is
told why the peer is not installed and which tests are therefore skipped, and setup goes on."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from records.his.testing import node_fits

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("version", "fits"), [
    ("v18.19.0", False), ("v20.18.3", False), ("v20.19.0", True), ("v20.20.2", True), ("v21.7.3", False),
    ("v22.11.0", False), ("v22.12.0", True), ("v24.1.0", True), ("", False), ("garbage", False)])
def test_node_versions_medplum_runs_on(version, fits):
    assert node_fits(version) is fits


def run_with(tmp_path: Path, node_version: str | None) -> subprocess.CompletedProcess:
    """scripts/fhir-peer.sh on a PATH holding only the tools it uses, a `node` printing ``node_version``, no npm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "sed", "dirname"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    if node_version is not None:
        node = bin_dir / "node"
        node.write_text(f"#!/bin/sh\necho {node_version}\n", encoding="utf-8")
        node.chmod(0o755)
    env = {**os.environ, "PATH": str(bin_dir)}
    env.pop("OFFLINE", None)
    return subprocess.run([str(bin_dir / "bash"), str(ROOT / "scripts" / "fhir-peer.sh")], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("node_version", "why"), [
    (None, "node is not installed"),
    ("v18.19.0", "node 18.19.0 is too old"),
    ("v20.20.2", "npm is not installed")])
def test_setup_says_why_the_peer_is_not_installed_and_what_is_skipped(tmp_path, node_version, why):
    done = run_with(tmp_path, node_version)
    assert done.returncode == 0, done.stderr  # setup goes on
    assert done.stdout == ""
    assert why in done.stderr
    if node_version != "v20.20.2":
        assert "^20.19 or >= 22.12" in done.stderr  # what would fit
    assert "tests/his/test_fhir_driver.py" in done.stderr and "bench/run his_link" in done.stderr


def test_setup_calls_it():
    assert "bash scripts/fhir-peer.sh" in (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")


def peer_copy(tmp_path: Path, installed_version: str, linked: bool) -> tuple[Path, Path]:
    """A repository holding only scripts/fhir-peer.sh and a peer whose lock pins pkg 1.0.0 while ``installed_version``
    is installed (in node_modules, or in a shared directory node_modules links to); an npm that notes its calls."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "fhir-peer.sh", repo / "scripts" / "fhir-peer.sh")
    peer = repo / "tools" / "fhir-peer"
    peer.mkdir(parents=True)
    (peer / "package-lock.json").write_text(
        '{"lockfileVersion": 3, "packages": {"": {"name": "fhir-peer"}, "node_modules/pkg": {"version": "1.0.0"}}}',
        encoding="utf-8")
    modules = tmp_path / "shared" / "node_modules" if linked else peer / "node_modules"
    (modules / "pkg").mkdir(parents=True)
    (modules / "pkg" / "package.json").write_text(f'{{"version": "{installed_version}"}}', encoding="utf-8")
    if linked:
        (peer / "node_modules").symlink_to(modules)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'npm-calls'}\n", encoding="utf-8")
    npm.chmod(0o755)
    return repo, modules


@pytest.mark.skipif(shutil.which("node") is None or not node_fits(
    subprocess.run(["node", "--version"], capture_output=True, text=True).stdout), reason="needs a fitting node")
@pytest.mark.parametrize(("installed", "linked", "npm_ci", "says"), [
    ("1.0.0", False, False, ""),  # installed as locked: nothing to do, whatever the files' times
    ("1.0.0", True, False, ""),
    ("0.9.0", False, True, "installing the FHIR test peer"),
    ("0.9.0", True, False, "npm ci would empty the directory it points to")])
def test_npm_ci_runs_only_when_the_packages_differ_and_never_through_a_link(tmp_path, installed, linked, npm_ci, says):
    repo, modules = peer_copy(tmp_path, installed, linked)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    env.pop("OFFLINE", None)
    done = subprocess.run(["bash", str(repo / "scripts" / "fhir-peer.sh")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "npm-calls").exists() is npm_ci
    assert says in done.stdout + done.stderr and (says or not done.stdout + done.stderr)
    assert (modules / "pkg" / "package.json").exists()  # a shared directory is never emptied
