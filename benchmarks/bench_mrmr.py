"""MRMRSelector against mrmr-selection's ``mrmr_classif`` (n=270, p=3000, K=30)."""

from __future__ import annotations

import pandas as pd
from mrmr import mrmr_classif
from sklearn.datasets import make_classification

from benchmarks import interleaved, print_rows, timing_row
from radfuse.select import MRMRSelector

N_SAMPLES, N_FEATURES, K = 270, 3000, 30


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
    expected = mrmr_classif(X=X, y=y, K=K, show_progress=False)
    selector = MRMRSelector(n_features=K).fit(X, y)
    same = selector.selected_features_.tolist() == expected
    radfuse_s, peer_s = interleaved(
        lambda: MRMRSelector(n_features=K).fit(X, y),
        lambda: mrmr_classif(X=X, y=y, K=K, show_progress=False),
    )
    return [
        timing_row(f"mRMR n={N_SAMPLES} p={N_FEATURES} K={K} vs mrmr_classif", radfuse_s,
                   peer_s, f"same {K} features in the same order: {same}; peer with its "
                   "defaults (n_jobs=-1)")
    ]


if __name__ == "__main__":
    print_rows(run())
