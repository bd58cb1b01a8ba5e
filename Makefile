# cscs-eval: `make demo` sets up and runs the sample evaluation; `make test` sets up and runs every test.
# Needs only Python 3.11 and make: everything else is installed into .venv from PyPI. The test tools include
# JupyterLab and Playwright, which drives the system Chromium (.ci/run installs it; no browser is downloaded).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KERNEL := cscs-eval

.PHONY: demo test fuzz lab bench sample-data clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The project's Jupyter kernel, registered inside .venv so papermill and nbval find it.
$(VENV)/.kernel: | $(BIN)/python
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (cscs-eval)" >/dev/null
	touch $@

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	touch $@

demo: $(VENV)/.installed-lab
	$(MAKE) --no-print-directory $(VENV)/.kernel
	$(BIN)/cscs-eval demo

test: $(VENV)/.installed-dev
	$(MAKE) --no-print-directory $(VENV)/.kernel
	$(BIN)/python -m pytest --doctest-modules --nbval-lax --nbval-kernel-name $(KERNEL) \
		--nbval-cell-timeout 600 cscs_eval tests notebooks

# The readers' fuzz tests (tests/fuzz) with 2,000 examples each instead of make test's 100.
fuzz: $(VENV)/.installed-dev
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -m fuzz tests/fuzz

lab: $(VENV)/.installed-lab
	$(MAKE) --no-print-directory $(VENV)/.kernel
	$(BIN)/jupyter lab notebooks

bench: $(VENV)/.installed-dev
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

sample-data: $(VENV)/.installed-lab
	$(BIN)/cscs-eval sample-data

clean:
	rm -rf $(VENV) reports .pytest_cache
