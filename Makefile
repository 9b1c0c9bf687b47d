# Two commands matter: `make demo` runs the whole system, `make test` runs the tests.
# Both set themselves up first (scripts/setup.sh).
SHELL := /bin/bash
PY := .venv/bin/python
# Tests and screenshots always render offscreen; `make demo` opens windows when there is a screen
# and runs headless (offscreen) when there is none.
OFFSCREEN := QT_QPA_PLATFORM=offscreen

.PHONY: setup demo test bench screenshots serve clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) -m demo

serve: setup
	mkdir -p out
	$(PY) -m caller serve --config assets/demo-hospital.toml --db out/hospital.db

test: setup
	$(OFFSCREEN) $(PY) -m pytest -q

bench: setup
	bench/run

screenshots: setup
	$(OFFSCREEN) $(PY) -m demo.screenshots

clean:
	rm -rf out .venv
