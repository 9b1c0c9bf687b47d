"""What a newcomer reads first is true: the README's package table names every Debian package setup installs,
and `bench/run` writes nothing but JSON lines to standard output."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_lists_every_debian_package_setup_installs():
    debs = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh"), "--print-debs"], capture_output=True,
                          text=True, check=True, cwd=ROOT).stdout.split()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = " ".join(line for line in readme.splitlines() if line.startswith("| `"))
    listed = set(re.findall(r"`([^`]+)`", table))
    listed = {word for item in listed for word in item.split()}
    assert debs and [d for d in debs if d not in listed] == []


def test_bench_run_prints_only_json_lines_even_when_something_writes_to_stdout(tmp_path):
    """ticket_print is quick; a line written straight to file descriptor 1 (as Qt or a child would) goes to stderr."""
    code = ("import os, sys, runpy; import bench.__main__ as m; "
            "orig = m.discover; m.discover = lambda: {**orig(), 'noisy': lambda: (os.write(1, b'qt.noise: hello\\n'), {'x': 1})[1]}; "
            "sys.exit(m.main(['noisy', 'ticket_print']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert [json.loads(line)["bench"] for line in lines] == ["noisy", "ticket_print"]
    assert "qt.noise: hello" in out.stderr
