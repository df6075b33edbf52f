# One command each: `make demo` runs the demo study, `make test` the test suite.
# Both create .venv/ and install everything on first use, and are idempotent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.radfuse-installed

.PHONY: setup demo test bench docs clean

setup: $(STAMP)

# PyRadiomics 3.x imports numpy and versioneer in its setup.py without declaring
# them, so it is built against the venv's own numpy with --no-build-isolation.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel
	$(PIP) install --quiet numpy versioneer
	$(PIP) install --quiet --no-build-isolation "pyradiomics>=3.0.1"
	$(PIP) install --quiet -e ".[extract,dask,parquet,test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/radfuse demo --out radfuse-demo

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m benchmarks

# The Sphinx site (user guide, API reference, examples gallery run in quick mode;
# RADFUSE_DOCS_FULL=1 for the published settings), warnings as errors.
docs: $(STAMP)
	$(PIP) install --quiet -e ".[docs]"
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache docs/_build docs/auto_examples docs/api/generated
