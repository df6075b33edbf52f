import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

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
