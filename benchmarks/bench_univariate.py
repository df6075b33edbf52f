"""UnivariateFilter against the same rule with scipy's per-column calls (n=270, p=3000).

The peer is the rule as radfuse computed it before vectorisation: scipy's
``shapiro(axis=0)`` (a loop over columns), ``levene``/``ttest_ind`` with
``axis=0`` and ``mannwhitneyu`` (ranks by ``rankdata``). Both must give the
same p-values; the row reports the largest relative difference. A second row
compares peak traced memory (``tracemalloc``) with the size of ``X``.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
from scipy import stats
from sklearn.datasets import make_classification

from benchmarks import interleaved, machine_note, print_rows, timing_row
from radfuse.select import UnivariateFilter

N_SAMPLES, N_FEATURES = 270, 3000


def radiomics_sized_table():
    """Skewed, tied and normal features, like a radiomics table."""
    X, y = make_classification(n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=30,
                               n_redundant=120, random_state=0)
    third = N_FEATURES // 3
    X[:, :third] = np.exp(X[:, :third])
    X[:, third:2 * third] = np.round(X[:, third:2 * third], 1)
    return X, y


def per_column_scipy(X, y, alpha=0.05):
    """The filter's rule with scipy's own vectorisation (shapiro loops per column)."""
    groups = (X[y == 0], X[y == 1])

    def shapiro(group):
        pvalues = np.full(group.shape[1], np.nan)
        testable = np.ptp(group, axis=0) > 0
        pvalues[testable] = stats.shapiro(group[:, testable], axis=0).pvalue
        return pvalues

    normal = np.column_stack([shapiro(g) for g in groups])
    normal = (normal > alpha).all(axis=1)
    pvalues = np.empty(X.shape[1])
    levene = np.full(X.shape[1], np.nan)
    levene[normal] = stats.levene(*(g[:, normal] for g in groups), axis=0).pvalue
    equal_var = normal & (levene > alpha)
    for chosen, equal in ((equal_var, True), (normal & ~equal_var, False)):
        pvalues[chosen] = stats.ttest_ind(*(g[:, chosen] for g in groups), equal_var=equal,
                                          axis=0).pvalue
    pooled = np.sort(X[:, ~normal], axis=0)
    tied = np.zeros(X.shape[1], dtype=bool)
    tied[~normal] = (np.diff(pooled, axis=0) == 0).any(axis=0)
    for columns in (~normal & tied, ~normal & ~tied):
        pvalues[columns] = stats.mannwhitneyu(*(g[:, columns] for g in groups),
                                              alternative="two-sided", axis=0).pvalue
    return pvalues


def peak_traced_bytes(function) -> int:
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def run() -> list[dict]:
    X, y = radiomics_sized_table()
    ours = UnivariateFilter().fit(X, y).pvalues_.to_numpy()
    reference = per_column_scipy(X, y)
    gap = float(np.max(np.abs(ours - reference) / reference))

    radfuse_s, peer_s = interleaved(lambda: UnivariateFilter().fit(X, y),
                                    lambda: per_column_scipy(X, y), pairs=5)
    rows = [timing_row(f"UnivariateFilter n={N_SAMPLES} p={N_FEATURES} vs scipy per column",
                       radfuse_s, peer_s, f"max relative p-value gap {gap:.1e}")]

    big = np.random.default_rng(0).lognormal(size=(300, 30_000))
    labels = np.repeat([0, 1], 150)
    ours_peak = peak_traced_bytes(lambda: UnivariateFilter().fit(big, labels))
    peer_peak = peak_traced_bytes(lambda: per_column_scipy(big, labels))
    rows.append({
        "what": "UnivariateFilter 300x30000 peak extra memory / size of X",
        "radfuse_s": ours_peak / big.nbytes,
        "peer_s": peer_peak / big.nbytes,
        "ratio": peer_peak / ours_peak,
        "note": (f"columns are multiples of X ({big.nbytes / 2**20:.0f} MiB), traced by "
                 f"tracemalloc, not seconds; {machine_note()}"),
    })
    return rows


if __name__ == "__main__":
    print_rows(run())
