import os
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

os.environ.setdefault("MPLBACKEND", "Agg")
# radfuse parallelises over folds and cases through joblib; BLAS threads on top
# of that only oversubscribe CI's two cores (about 4x the CPU time in tests).
threadpool_limits(1)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared/`` folder beside the checkout (real images, references)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
