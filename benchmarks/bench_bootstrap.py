"""Stratified bootstrap CI of the AUC: vectorised ranking against a loop over roc_auc_score.

B = 2000 resamples of n = 200 cases (100 positive, 100 negative). The peer
resamples positives and negatives separately, like radfuse and pROC's
``boot.stratified=TRUE``, and calls scikit-learn once per resample.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from benchmarks import interleaved, print_rows, timing_row
from radfuse.stats import auc_ci

N_BOOT = 2000



def looped_bootstrap_ci(y, score, n_boot: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    cases, controls = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    aucs = []
    for _ in range(n_boot):
        resample = np.r_[rng.choice(cases, cases.size), rng.choice(controls, controls.size)]
        aucs.append(roc_auc_score(y[resample], score[resample]))
    lower, upper = np.quantile(aucs, [0.025, 0.975])
    return float(lower), float(upper)


def run() -> list[dict]:
    rng = np.random.default_rng(0)
    y = np.repeat([1, 0], 100)
    score = rng.normal(size=200) + y
    radfuse_s, peer_s = interleaved(
        lambda: auc_ci(y, score, method="bootstrap", n_boot=N_BOOT, random_state=0),
        lambda: looped_bootstrap_ci(y, score, N_BOOT, seed=0),
    )
    peer_ci = looped_bootstrap_ci(y, score, N_BOOT, seed=0)
    ours = auc_ci(y, score, method="bootstrap", n_boot=N_BOOT, random_state=0).ci
    return [
        timing_row(f"bootstrap AUC CI, B={N_BOOT}, n=200 vs roc_auc_score loop", radfuse_s,
                   peer_s, f"CI radfuse ({ours[0]:.3f}, {ours[1]:.3f}) vs loop "
                   f"({peer_ci[0]:.3f}, {peer_ci[1]:.3f}); different random draws")
    ]


if __name__ == "__main__":
    print_rows(run())
