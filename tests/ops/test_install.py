"""Installing: only the supported platforms, and only the locked (hashed) versions of every Python package."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import lockcheck  # noqa: E402  (scripts/ is not a package: setup runs it before any venv exists)


def test_the_lock_belongs_to_pyproject_so_a_merge_cannot_install_something_unlocked():
    assert lockcheck.stamped() == lockcheck.fingerprint(), (
        "pyproject.toml's dependencies changed without a new requirements.lock: run `make lock` and commit it")


def test_every_locked_package_has_an_exact_version_and_hashes():
    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1].strip())
    pins = [e for e in entries if not e.startswith("#")]
    assert len(pins) > 50
    for entry in pins:
        assert re.match(r"^[A-Za-z0-9_.-]+==[^\s;]+", entry), entry.splitlines()[0]
        assert "--hash=sha256:" in entry, entry.splitlines()[0]
    names = {e.split("==")[0].lower() for e in pins}
    assert {"pyside6-essentials", "fastapi", "uvicorn", "prometheus-client", "pytest", "setuptools"} <= names


def test_a_new_dependency_without_a_new_lock_stops_setup_with_what_to_do(tmp_path):
    for name in ("pyproject.toml", "requirements.lock", "requirements-runtime.lock"):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "lockcheck.py", tmp_path / "scripts" / "lockcheck.py")
    check = [sys.executable, str(tmp_path / "scripts" / "lockcheck.py")]
    assert subprocess.run(check, capture_output=True).returncode == 0
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"pillow>=10",', '"pillow>=10",\n  "left-pad>=1",'))
    result = subprocess.run(check, capture_output=True, text=True)
    assert result.returncode == 1
    assert "make lock" in result.stderr and "requirements.lock and requirements-runtime.lock do not match" in result.stderr
    pyproject.write_text(pyproject.read_text().replace('timeout = 120', 'timeout = 90'))  # not a dependency
    subprocess.run([*check, "--stamp"], check=True)
    assert subprocess.run(check, capture_output=True).returncode == 0


@pytest.mark.parametrize("os_id, version, supported", [
    ("debian", "12", True), ("ubuntu", "24.04", True), ("ubuntu", "22.04", False), ("centos", "7", False),
])
def test_setup_runs_only_on_debian_12_and_ubuntu_24_04(tmp_path, os_id, version, supported):
    release = tmp_path / "os-release"
    release.write_text(f'ID={os_id}\nVERSION_ID="{version}"\nPRETTY_NAME="{os_id} {version}"\n')
    result = subprocess.run(["bash", str(REPO / "scripts" / "setup.sh"), "--check-platform"], capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "OS_RELEASE": str(release),
                                            "PYTHON": sys.executable})
    if supported:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 3
        assert f"unsupported platform: {os_id} {version}" in result.stderr
        assert "Debian 12" in result.stderr and "Ubuntu 24.04" in result.stderr



def test_every_package_of_the_product_is_installed_and_the_tools_are_not():
    """A package missing from pyproject's list works from the checkout but not where setup installed it; the tools
    (the demo, the benchmarks) and the tests run from the checkout and are not packages of the product."""
    import fnmatch
    import tomllib

    tools = ("bench", "demo", "tests")
    include = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = [p.name for p in REPO.iterdir() if (p / "__init__.py").exists() and p.name not in tools]
    missing = [name for name in packages if not any(fnmatch.fnmatch(name, pattern) for pattern in include)]
    assert missing == [], f"add {missing} to [tool.setuptools.packages.find] include in pyproject.toml"
    installed = [name for name in tools if any(fnmatch.fnmatch(name, pattern) for pattern in include)]
    assert installed == [], f"{installed} are tools, not packages of the product: keep them out of pyproject.toml"
