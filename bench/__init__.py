"""Benchmarks. Each module bench/bench_*.py defines BENCHES: a dict of name -> callable returning a dict
of figures (or a list of dicts). The runner adds the "bench" key and prints one JSON object per line."""
