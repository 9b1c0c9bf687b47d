# Two commands matter: `make demo` runs the whole system, `make test` runs the tests.
# Both set themselves up first (scripts/setup.sh).
SHELL := /bin/bash
PY := .venv/bin/python
# Tests and screenshots always render offscreen; `make demo` opens windows when there is a screen
# and runs headless (offscreen) when there is none.
OFFSCREEN := QT_QPA_PLATFORM=offscreen

.PHONY: setup demo test bench screenshots serve clean lock bundle

setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) -m demo

serve: setup
	$(PY) -m demo.serve --db out/serve/hospital.db

# Lint and import order first (ruff, configured in pyproject.toml), then the tests.
test: setup
	$(PY) -m ruff check .
	$(OFFSCREEN) $(PY) -m pytest -q -n 2   # pytest-xdist: one worker per core (tests take free ports and their own temp dirs)

bench: setup
	bench/run

screenshots: setup
	$(OFFSCREEN) $(PY) -m demo.screenshots

# Pin every Python package (with hashes) after changing a dependency in pyproject.toml; commit both files.
lock:
	@test -x .venv/bin/python || python3 -m venv .venv
	.venv/bin/pip install -q pip-tools
	.venv/bin/pip-compile -q --generate-hashes --extra test --all-build-deps --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links $(LOCK_ARGS) -o requirements.lock pyproject.toml
	.venv/bin/pip-compile -q --generate-hashes --all-build-deps --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links -c requirements.lock -o requirements-runtime.lock pyproject.toml
	python3 scripts/lockcheck.py --stamp

# One archive for machines without network: code, every wheel (PySide6 included), the .deb files (docs/operations.md).
bundle: setup
	bash scripts/bundle.sh $(BUNDLE_ARGS)

clean:
	rm -rf out .venv
