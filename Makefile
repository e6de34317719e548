# One-command entry points. `make run` sets up and runs the default scenario
# comparison; `make test` sets up and runs the test suite.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
# Python >= 3.12 is needed by Mesa 3.5. Use python3.12 from PATH, else the newest
# 3.12.x that pyenv has installed (the .python-version file asks pyenv for it too).
PYTHON312 ?= $(shell command -v python3.12 2>/dev/null || \
	ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12.*/bin/python3.12 2>/dev/null | sort -V | tail -n 1)
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
EXPERIMENT ?= compare_scenarios

.PHONY: setup run test test-all lint bench validate clean

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON312)" ]; then \
	  echo "error: Python 3.12 not found (looked for python3.12 on PATH and under pyenv)."; \
	  echo "       Install it, e.g. 'pyenv install 3.12', or run 'make PYTHON312=/path/to/python3.12'."; \
	  exit 1; fi
	@test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m sim.kernels
	@touch $@

setup: $(VENV)/.installed  ## Create .venv (Python 3.12) and install the project with dev extras

run: setup  ## Run the default scenario comparison and build its report
	$(PY) -m sim.run +experiment=$(EXPERIMENT) hydra.launcher.n_jobs=$(JOBS)
	$(PY) -m sim.report results/$(EXPERIMENT)

test: setup  ## Run the fast test suite (what CI runs)
	$(PY) -m pytest -q -n $(JOBS)

test-all: setup  ## Run every test including slow statistical ones
	$(PY) -m pytest -q -n $(JOBS) -m "slow or not slow"

lint: setup
	$(PY) -m ruff check sim tests benchmarks experiments hydra_plugins
	$(PY) -m ruff format --check sim tests benchmarks experiments hydra_plugins

bench: setup  ## Performance benchmarks (prints a table, writes benchmarks/results/*.json)
	$(PY) -m benchmarks.run

validate: setup  ## Stylised-fact validation suite
	$(PY) -m sim.validate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
