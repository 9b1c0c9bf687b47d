"""Write kiosk_en.ts from the English table and compile kiosk_en.qm with pyside6-lrelease.

    python -m kiosk.i18n.build          # also lists source strings that have no English yet
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from kiosk.i18n import CONTEXT, HERE, QM_FILE
from kiosk.i18n.strings_en import EN

KIOSK = HERE.parent
TS_FILE = HERE / "kiosk_en.ts"


def source_strings(root: Path = KIOSK) -> set[str]:
    """Every literal passed to tr("...") in the kiosk's code."""
    found: set[str] = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def ts_text(table: dict[str, str]) -> str:
    rows = [
        f"    <message>\n        <source>{escape(src)}</source>\n        <translation>{escape(dst)}</translation>\n    </message>"
        for src, dst in sorted(table.items())
    ]
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n<TS version="2.1" language="en_US" sourcelanguage="zh_CN">\n'
            f"<context>\n    <name>{CONTEXT}</name>\n" + "\n".join(rows) + "\n</context>\n</TS>\n")


def lrelease() -> str | None:
    here = Path(sys.executable).parent / "pyside6-lrelease"
    return str(here) if here.exists() else shutil.which("pyside6-lrelease")


def build() -> list[str]:
    """Write .ts and .qm; return the source strings still missing an English translation."""
    TS_FILE.write_text(ts_text(EN), encoding="utf-8")
    tool = lrelease()
    if tool:
        subprocess.run([tool, "-silent", str(TS_FILE), "-qm", str(QM_FILE)], check=True)
    return sorted(source_strings() - set(EN))


if __name__ == "__main__":
    missing = build()
    for text in missing:
        print(repr(text))
    sys.exit(1 if missing else 0)
