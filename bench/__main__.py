"""bench/run [NAME...]: run the named benchmarks (all when none named), print JSON lines."""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
import traceback
from pathlib import Path

EXPLICIT_ONLY = {"history_year"}  # builds a multi-GB year once (cached): runs only when named


def discover() -> dict:
    found = {}
    here = Path(__file__).parent
    for mod in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if not mod.name.startswith("bench_"):
            continue
        module = importlib.import_module(f"bench.{mod.name}")
        for name, fn in getattr(module, "BENCHES", {}).items():
            found[name] = fn
    return found


def json_only_stdout():
    """Standard output for the JSON lines alone: whatever else writes to file descriptor 1 (Qt's messages, a
    child process, a C library) goes to standard error from here on."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def main(argv: list[str]) -> int:
    out = json_only_stdout()
    benches = discover()
    names = argv or [n for n in benches if n not in EXPLICIT_ONLY]
    unknown = [n for n in names if n not in benches]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benches)}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        try:
            result = benches[name]()
        except Exception as exc:  # a failing benchmark is reported, the others still run
            traceback.print_exc()
            result = {"error": f"{type(exc).__name__}: {exc}"}
            failed += 1
        for row in result if isinstance(result, list) else [result]:
            print(json.dumps({"bench": name, **row}, ensure_ascii=False), file=out, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
