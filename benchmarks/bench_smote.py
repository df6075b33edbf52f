"""CheckedSMOTE on a wide DataFrame against imbalanced-learn's SMOTE (n=270, p=3000).

imbalanced-learn rebuilds a DataFrame output column by column; radfuse
resamples the float array and rebuilds the frame in one call. The values
and labels must be identical (asserted in the tests, reported here); the
rows differ only in their labels, which radfuse sets to the case id each row
was made from where imbalanced-learn numbers them afresh.
"""

from __future__ import annotations

import pandas as pd
from imblearn.over_sampling import SMOTE
from sklearn.datasets import make_classification

from benchmarks import interleaved, print_rows, timing_row
from radfuse.pipeline import CheckedSMOTE

N_SAMPLES, N_FEATURES = 270, 3000


def run() -> list[dict]:
    X, y = make_classification(n_samples=N_SAMPLES, n_features=N_FEATURES, weights=[0.7],
                               random_state=0)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(N_FEATURES)])
    y = pd.Series(y, name="outcome")
    sampler = CheckedSMOTE(random_state=0)
    ours, expected = sampler.fit_resample(X, y), SMOTE(random_state=0).fit_resample(X, y)
    rows = X.index[sampler.parent_indices_]
    same = ours[0].equals(expected[0].set_axis(rows)) and ours[1].equals(expected[1].set_axis(rows))
    radfuse_s, peer_s = interleaved(lambda: CheckedSMOTE(random_state=0).fit_resample(X, y),
                                    lambda: SMOTE(random_state=0).fit_resample(X, y), pairs=5)
    return [timing_row(f"SMOTE on a DataFrame n={N_SAMPLES} p={N_FEATURES} vs imblearn",
                       radfuse_s, peer_s, f"identical values and labels: {same}")]


if __name__ == "__main__":
    print_rows(run())
