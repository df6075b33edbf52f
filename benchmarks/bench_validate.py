"""Optimism-corrected bootstrap validation (rms::validate.lrm) against a plain scikit-learn loop.

n = 250 cases, a logistic model on 5 terms (rad-score, age, two grade dummies, a
noise column), B = 200 resamples. radfuse: ``bootstrap_validate(LogisticMLE())``,
all twelve indexes, serial and with ``n_jobs=2``. Peer: the same resamples in a
loop of scikit-learn ``LogisticRegression(C=np.inf, solver="newton-cholesky")``
fits scored with ``roc_auc_score`` and ``brier_score_loss`` on the resample and
on the original data, plus the logistic recalibration fit on the original data
(the least a validate loop must do). Median of 3 interleaved runs of each side,
BLAS limited to one thread on both.
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from threadpoolctl import threadpool_limits

from benchmarks import print_rows
from radfuse.stats import LogisticMLE, bootstrap_validate

N, N_BOOT, REPEATS = 250, 200, 3


def _data():
    rng = np.random.default_rng(0)
    rad_score = rng.normal(size=N)
    age = rng.normal(60, 10, N)
    grade = rng.choice(3, N, p=[0.4, 0.35, 0.25])
    X = np.column_stack([rad_score, age, grade == 1, grade == 2, rng.normal(size=N)]).astype(float)
    eta = -1.2 + 1.1 * rad_score + 0.03 * (age - 60) + 0.6 * (grade == 1) + 1.1 * (grade == 2)
    return X, rng.binomial(1, 1 / (1 + np.exp(-eta)))


def sklearn_loop(X, y, resamples) -> float:
    """Mean optimism of the C index from a plain loop."""
    optimism = []
    for rows in resamples:
        model = LogisticRegression(C=np.inf, solver="newton-cholesky").fit(X[rows], y[rows])
        lp_train, lp_test = model.decision_function(X[rows]), model.decision_function(X)
        brier_score_loss(y[rows], 1 / (1 + np.exp(-lp_train)))
        brier_score_loss(y, 1 / (1 + np.exp(-lp_test)))
        LogisticRegression(C=np.inf, solver="newton-cholesky").fit(lp_test[:, None], y)
        optimism.append(roc_auc_score(y[rows], lp_train) - roc_auc_score(y, lp_test))
    return float(np.mean(optimism))


def _timed(function) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds (the latter unaffected by other
    processes competing for the cores; it misses joblib workers' time)."""
    start, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - start, time.process_time() - cpu


def run() -> list[dict]:
    X, y = _data()
    rng = np.random.default_rng(1)
    resamples = [rng.integers(0, N, N) for _ in range(N_BOOT)]
    sides = {
        "serial": lambda: bootstrap_validate(LogisticMLE(), X, y, resamples=resamples),
        "n_jobs=2": lambda: bootstrap_validate(LogisticMLE(), X, y, resamples=resamples, n_jobs=2),
        "peer": lambda: sklearn_loop(X, y, resamples),
    }
    timings = {name: [] for name in sides}
    cpu = {name: [] for name in sides}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for function in sides.values():  # warm-up: imports, joblib workers
            function()
        for _ in range(REPEATS):
            for name, function in sides.items():
                wall, seconds = _timed(function)
                timings[name].append(wall)
                cpu[name].append(seconds)
        ours = bootstrap_validate(LogisticMLE(), X, y, resamples=resamples).table
        peer_optimism = sklearn_loop(X, y, resamples)
    median = {name: statistics.median(values) for name, values in timings.items()}
    cpu_median = {name: statistics.median(values) for name, values in cpu.items()}
    note = (f"CPU s serial {cpu_median['serial']:.2f} vs loop {cpu_median['peer']:.2f}; "
            f"C optimism {ours.at['C', 'optimism']:.5f} vs loop {peer_optimism:.5f}; "
            f"median of {REPEATS} interleaved runs")
    return [
        {"what": f"bootstrap_validate n={N}, B={N_BOOT}, serial vs sklearn loop",
         "radfuse_s": median["serial"], "peer_s": median["peer"],
         "ratio": median["peer"] / median["serial"], "note": note},
        {"what": f"bootstrap_validate n={N}, B={N_BOOT}, n_jobs=2 vs sklearn loop",
         "radfuse_s": median["n_jobs=2"], "peer_s": median["peer"],
         "ratio": median["peer"] / median["n_jobs=2"], "note": note},
    ]


if __name__ == "__main__":
    print_rows(run())
