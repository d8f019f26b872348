# Director Coach. `make run` and `make test` work on a fresh machine: they set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup run test test-fast lint format browser llm test-llm bench eval clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0  # CPU build, first, so nothing pulls CUDA
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) app.py

browser:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium chromium-driver; }

test: setup llm browser
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not browser and not llm"

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

eval: setup
	$(PY) -m bot eval

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
