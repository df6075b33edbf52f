"""Every source file compiles without warnings.

An invalid escape in a docstring (``"\\alpha"`` in a non-raw string is a
bell character followed by "lpha") is a DeprecationWarning today, a
SyntaxWarning from Python 3.12 and meant to become an error; it is only
reported when the file is compiled, which a cached ``.pyc`` skips.
"""

import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    path for folder in ("radfuse", "tests", "benchmarks", "examples") for path in (ROOT / folder).rglob("*.py")
)


def test_sources_are_found():
    assert len(SOURCES) > 100


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_compiles_without_warnings(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
