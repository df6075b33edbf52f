# One command each: `make demo` runs the demo study, `make test` the test suite,
# `make test-matrix` the suite in the development, latest and minimum
# environments (what CI runs). Each environment is built on first use and
# rebuilt only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.radfuse-installed

# The version matrix: `latest` is what `pip install` gives a user today on the
# newest supported Python; `min` pins every lower bound of pyproject.toml
# exactly (.ci/lower_bounds.py) on the oldest supported Python.
PYENV_VERSIONS ?= $(HOME)/.pyenv/versions
PYTHON_LATEST ?= $(firstword $(wildcard $(PYENV_VERSIONS)/3.13*/bin/python) python3.13)
PYTHON_MIN ?= $(firstword $(wildcard $(PYENV_VERSIONS)/3.10*/bin/python) python3.10)
LATEST := .venv-latest
MIN := .venv-min
USER_VENV := .venv-user

.PHONY: setup demo test test-matrix test-latest test-min check-user-install bench docs clean

setup: $(STAMP)

# PyRadiomics 3.x imports numpy and versioneer in its setup.py without declaring
# them, so it is built against the venv's own numpy with --no-build-isolation.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel
	$(PIP) install --quiet numpy versioneer
	$(PIP) install --quiet --no-build-isolation pyradiomics==3.0.1
	$(PIP) install --quiet -e ".[extract,dask,parquet,test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/radfuse demo --out radfuse-demo

test: $(STAMP)
	$(PY) -m pytest -q

# PyRadiomics 3.0.1 does not build on Python >= 3.12 (its vendored versioneer
# uses configparser.SafeConfigParser; the 3.1.0 sdist lacks a C header and
# reports version 3.0.1a1), so `latest` installs SimpleITK without it and the
# extraction tests that need PyRadiomics skip there; `min` and `.venv` run them.
$(LATEST)/.radfuse-installed: pyproject.toml
	rm -rf $(LATEST)
	$(PYTHON_LATEST) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dask,parquet,test]" SimpleITK
	touch $@

$(MIN)/.radfuse-installed: pyproject.toml .ci/lower_bounds.py
	rm -rf $(MIN)
	$(PYTHON_MIN) -m venv $(MIN)
	$(PYTHON) .ci/lower_bounds.py extract dask parquet test > $(MIN)/constraints.txt
	$(MIN)/bin/python -m pip install --quiet --disable-pip-version-check -c $(MIN)/constraints.txt numpy versioneer setuptools wheel
	$(MIN)/bin/python -m pip install --quiet --disable-pip-version-check -c $(MIN)/constraints.txt --no-build-isolation pyradiomics
	$(MIN)/bin/python -m pip install --quiet --disable-pip-version-check -c $(MIN)/constraints.txt -e ".[extract,dask,parquet,test]"
	touch $@

# What a user gets from `pip install radfuse pyarrow`: no test tools, no extras.
$(USER_VENV)/.radfuse-installed: pyproject.toml
	rm -rf $(USER_VENV)
	$(PYTHON_LATEST) -m venv $(USER_VENV)
	$(USER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check . pyarrow
	touch $@

# Each suite keeps the report's browser screenshot in its own folder, so the
# two can run side by side.
test-latest: $(LATEST)/.radfuse-installed
	RADFUSE_TEST_ARTIFACTS=test-artifacts/latest $(LATEST)/bin/python -m pytest -q -p no:cacheprovider

test-min: $(MIN)/.radfuse-installed
	RADFUSE_TEST_ARTIFACTS=test-artifacts/min $(MIN)/bin/python -m pytest -q -p no:cacheprovider

# radfuse itself is reinstalled from the checkout every time (its dependencies
# only with pyproject.toml); the script runs outside the checkout, so the
# installed package, not the source tree, is tested.
check-user-install: $(USER_VENV)/.radfuse-installed
	$(USER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall .
	cd $(USER_VENV) && bin/python ../.ci/check_user_install.py

# The environments are built one at a time; then the suites run two at a time
# (pytest runs mostly in one process and CI has two cores): the development and
# latest suites, then the minimum suite beside the user-install check and
# MATRIX_EXTRA (.ci/run adds `docs`). Each logs to test-artifacts/<target>.log;
# a step fails if any of its targets does.
MATRIX_EXTRA ?=
test-matrix: $(STAMP) $(LATEST)/.radfuse-installed $(MIN)/.radfuse-installed $(USER_VENV)/.radfuse-installed
	.ci/side_by_side test test-latest
	.ci/side_by_side test-min check-user-install $(MATRIX_EXTRA)
	@for env in $(VENV) $(LATEST) $(MIN) $(USER_VENV); do $$env/bin/python -c "import sys, numpy, pandas, sklearn, imblearn; print('$$env: Python', sys.version.split()[0], 'pandas', pandas.__version__, 'numpy', numpy.__version__, 'scikit-learn', sklearn.__version__, 'imbalanced-learn', imblearn.__version__)"; done

bench: $(STAMP)
	$(PY) -m benchmarks

# The Sphinx site (user guide, API reference, examples gallery run in quick mode;
# RADFUSE_DOCS_FULL=1 for the published settings), warnings as errors.
docs: $(STAMP)
	$(PIP) install --quiet -e ".[docs]"
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) $(LATEST) $(MIN) $(USER_VENV) test-artifacts build *.egg-info .pytest_cache docs/_build docs/auto_examples docs/api/generated
