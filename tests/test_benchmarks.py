"""The benchmark scripts stay importable as the package is restructured.

Benchmarks are run by hand (``make bench``), never timed in tests; this only
catches a script that would fail at its first line (it happened once, when
``radfuse.stats.roc`` became private).
"""

import importlib
import pkgutil
from pathlib import Path

import pytest

BENCHMARKS = sorted(
    info.name for info in pkgutil.iter_modules([str(Path(__file__).resolve().parents[1] / "benchmarks")])
    if info.name.startswith("bench_")
)


def test_every_benchmark_is_found():
    assert len(BENCHMARKS) >= 11


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_imports_and_has_a_run_function(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(module.run)
