# Director Coach. `make run` and `make test` work on a fresh machine: they set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup run test test-fast lint format browser redis llm test-llm bench eval figures clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0  # CPU build, first, so nothing pulls CUDA
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) app.py

# Debian's Chromium for the browser tests: installed with sudo when not root, or explained.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then run=; elif command -v sudo >/dev/null; then run=sudo; else \
	    echo "The browser tests need Debian's Chromium. As root, run:" >&2; \
	    echo "  apt-get update && apt-get install -y chromium chromium-driver" >&2; exit 1; fi; \
	  $$run apt-get update -q && $$run apt-get install -y -q chromium chromium-driver; }

# Debian's Redis for the multi-replica tests (they start their own server on a free port).
redis:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then run=; elif command -v sudo >/dev/null; then run=sudo; else \
	    echo "The multi-replica tests need Debian's redis-server. As root, run:" >&2; \
	    echo "  apt-get update && apt-get install -y redis-server" >&2; exit 1; fi; \
	  $$run apt-get update -q && $$run apt-get install -y -q redis-server; }

test: setup llm browser redis
	$(PY) -m pytest -q -n auto

# Unit-level core, under a minute: no browser, no LLM, no end-to-end server, eval or wheel runs.
test-fast: setup
	$(PY) -m pytest -q -m "not browser and not llm and not slow" --durations=5

$(VENV)/.llm-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test,llm]'  # llama-cpp-python compiles once, then pip caches it
	touch $@

llm: $(VENV)/.llm-installed

test-llm: llm
	$(PY) -m pytest -q -m llm

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Measure, write benchmarks/results/*.json, then regenerate the figures in the docs from them.
eval: setup
	$(PY) -m bot eval --json > benchmarks/results/eval.json.tmp
	mv benchmarks/results/eval.json.tmp benchmarks/results/eval.json
	$(PY) benchmarks/calibration.py
	$(PY) benchmarks/interview_practice.py
	$(PY) scripts/figures.py

bench: setup
	$(PY) benchmarks/run.py

# Re-render the figure blocks of README.md, docs/ and benchmarks/RESULTS.md (`--check` in tests).
figures:
	$(PY) scripts/figures.py

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
