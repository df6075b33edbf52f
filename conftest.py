"""Collection rules for the docstring examples (``--doctest-modules`` on radfuse/)."""

import importlib.util

import pytest

# Docstring examples that run a PyRadiomics extraction. PyRadiomics does not
# build on Python >= 3.12 (see README), so there they are skipped, not failed;
# the development and minimum environments run them.
NEEDS_PYRADIOMICS = (
    "radfuse/extract/_extractor.py::",
    "radfuse/extract/_result.py::",
    "radfuse/extract/_settings.py::",
)


def pytest_collection_modifyitems(config, items):
    if importlib.util.find_spec("radiomics") is not None:
        return
    skip = pytest.mark.skip(reason="needs PyRadiomics, which is not installed")
    for item in items:
        if item.nodeid.startswith(NEEDS_PYRADIOMICS):
            item.add_marker(skip)
