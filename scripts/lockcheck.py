"""Does requirements.lock belong to pyproject.toml? (stdlib only: runs before any virtual environment exists)

    python3 scripts/lockcheck.py            # exit 0 when they agree, 1 (with what to do) when not
    python3 scripts/lockcheck.py --stamp    # after pip-compile: write the fingerprint line into the locks

Two locks, compiled together by `make lock`: requirements.lock (everything, tests included: CI, development) and
requirements-runtime.lock (what the hospital's machines run, at the same versions: the offline bundle).

The lock's first line is ``# pyproject-dependencies-sha256: <hex>``: a hash of what pyproject.toml asks for
(requires-python, dependencies, optional dependencies, build requirements). Editing anything else in
pyproject.toml does not need a new lock; adding or changing a dependency does, and setup and the tests say so.
"""
from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
LOCKS = (LOCK, ROOT / "requirements-runtime.lock")
MARK = "# pyproject-dependencies-sha256: "


def fingerprint(pyproject: Path = PYPROJECT) -> str:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data.get("project", {})
    wanted = {"requires-python": project.get("requires-python"),
              "dependencies": sorted(project.get("dependencies", [])),
              "optional-dependencies": {k: sorted(v) for k, v in project.get("optional-dependencies", {}).items()},
              "build-system": sorted(data.get("build-system", {}).get("requires", []))}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def stamped(lock: Path = LOCK) -> str | None:
    if not lock.exists():
        return None
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(MARK):
            return line[len(MARK):].strip()
    return None


def stamp(lock: Path = LOCK, pyproject: Path = PYPROJECT) -> None:
    lines = [line for line in lock.read_text(encoding="utf-8").splitlines() if not line.startswith(MARK)]
    lock.write_text("\n".join([MARK + fingerprint(pyproject), *lines]) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if "--stamp" in argv:
        for lock in LOCKS:
            stamp(lock)
        return 0
    wrong = [lock for lock in LOCKS if stamped(lock) != fingerprint()]
    if not wrong:
        return 0
    print(f"setup: {' and '.join(lock.name for lock in wrong)} do not match the dependencies in pyproject.toml "
          f"({'no lock file' if not all(lock.exists() for lock in wrong) else 'a dependency was added or changed'}).\n"
          "setup: run `make lock` (pip-compile --generate-hashes), check the versions it picked and commit "
          "requirements.lock with pyproject.toml.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
