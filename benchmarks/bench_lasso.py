"""LassoSelector's 20 x 10-fold CV against the same computation through scikit-learn's public API.

The protocol's LASSO on the ~30 features that reach it (n=270, p=30, 100
penalties, RepeatedStratifiedKFold 10 x 20 = 200 splits). LassoSelector
follows every split's exact path at once (homotopy, ``solver_``); the peers
run coordinate descent:

(a) against the computation ``LassoCV`` makes, as ``LassoSelector.fit`` made
    it before issue 16: per split ``lasso_path`` of the centred training part
    on its Gram matrix, with scikit-learn's input and parameter validation
    switched off (``check_input=False``, ``skip_parameter_validation``),
    scored by held-out MSE, then the minimum of the mean error and a
    ``Lasso`` refit;
(b) against ``LassoCV`` itself on the same splits and grid (public API, which
    validates its input at every penalty);
(c) as (a) on a grid above every split's largest useful penalty, where every
    solution is zero: the fixed cost per (split, penalty);
(d) as (a), run to convergence (``tol=1e-12``, ``max_iter=100_000``): the
    reference the exact path must equal.

LassoSelector also fits the all-data path (``coef_path_``), which the
references do not. Each row: median of ``benchmarks.PAIRS`` interleaved runs
of both sides (wall clock, the side that runs first alternating), their
range, the median CPU times of this process (less disturbed by other
processes on a shared machine), the BLAS threads, the load average, and
the largest relative difference of the MSE path and of ``alpha_`` from
the peer's. Against (a) and (b), at scikit-learn's default ``tol=1e-4``,
that difference is how far coordinate descent stops short of the path.
"""

from __future__ import annotations

import statistics

import numpy as np
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.linear_model import Lasso, LassoCV, lasso_path
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.preprocessing import StandardScaler

from benchmarks import interleaved_clocks, print_rows, timing_row
from radfuse.select import LassoSelector

N_SAMPLES, N_FEATURES, N_ALPHAS = 270, 30, 100
CONVERGED = {"tol": 1e-12, "max_iter": 100_000}


def protocol_table():
    """A deterministic z-scored table the size of the LASSO step's input, and its 200 splits."""
    X, y = make_classification(
        n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=8, n_redundant=10,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X)
    splits = list(RepeatedStratifiedKFold(n_splits=10, n_repeats=20, random_state=0).split(X, y))
    return X, y.astype(np.float64), splits


def lasso_cv_by_lasso_path(X, y, splits, alphas, **solver):
    """(alpha, MSE path) as LassoCV computes them, through public scikit-learn calls.

    ``solver``: ``tol`` and ``max_iter`` of ``lasso_path`` (its defaults when empty).
    """
    errors = []
    for train, test in splits:
        X_offset, y_offset = X[train].mean(axis=0), y[train].mean()
        X_centred, y_centred = X[train] - X_offset, y[train] - y_offset
        with config_context(skip_parameter_validation=True):
            _, coefs, _ = lasso_path(
                np.asfortranarray(X_centred), y_centred, alphas=alphas,
                precompute=X_centred.T @ X_centred, Xy=X_centred.T @ y_centred, check_input=False,
                **solver,
            )
        predictions = (X[test] - X_offset) @ coefs + y_offset
        errors.append(((predictions - y[test][:, None]) ** 2).mean(axis=0))
    mse_path = np.column_stack(errors)
    alpha = alphas[np.argmin(mse_path.mean(axis=1))]
    Lasso(alpha=alpha).fit(X, y)
    return alpha, mse_path


def _row(what, ours, theirs, deviation):
    clocks = interleaved_clocks(ours, theirs)
    ours_cpu, theirs_cpu = (statistics.median(side) for side in clocks["cpu"])
    cpu = f"CPU-time medians {ours_cpu:.4g} vs {theirs_cpu:.4g} s ({theirs_cpu / ours_cpu:.2f}x)"
    return timing_row(what, *clocks["wall"], f"{deviation}; {cpu}")


def _deviation(selector, alpha, mse_path):
    path = np.max(np.abs(selector.mse_path_ - mse_path) / mse_path)
    return f"max rel. diff. MSE path {path:.1e}, alpha_ {abs(selector.alpha_ - alpha) / alpha:.1e}"


def run() -> list[dict]:
    X, y, splits = protocol_table()
    selector = LassoSelector(cv=splits, n_alphas=N_ALPHAS).fit(X, y)
    alphas = selector.alphas_
    rows = []

    alpha, mse_path = lasso_cv_by_lasso_path(X, y, splits, alphas)
    rows.append(_row(
        "LASSO 20x10 CV, n=270 p=30, vs lasso_path per split (before)",
        lambda: LassoSelector(cv=splits, n_alphas=N_ALPHAS).fit(X, y),
        lambda: lasso_cv_by_lasso_path(X, y, splits, alphas),
        _deviation(selector, alpha, mse_path),
    ))

    reference = LassoCV(cv=splits, alphas=alphas).fit(X, y)
    rows.append(_row(
        "LASSO 20x10 CV, n=270 p=30, vs LassoCV",
        lambda: LassoSelector(cv=splits, n_alphas=N_ALPHAS).fit(X, y),
        lambda: LassoCV(cv=splits, alphas=alphas).fit(X, y),
        _deviation(selector, reference.alpha_, reference.mse_path_),
    ))

    # Above every split's largest useful penalty (alpha_max of a split stays
    # within a few per cent of the all-data one): every solution is zero.
    zero_grid = alphas[0] * np.geomspace(10.0, 2.0, N_ALPHAS)
    zero = LassoSelector(cv=splits, alphas=zero_grid, min_features=0)
    alpha, mse_path = lasso_cv_by_lasso_path(X, y, splits, zero_grid)
    _fit_keeping_nothing(zero, X, y)
    rows.append(_row(
        "LASSO 20x10 CV, every solution zero (fixed cost)",
        lambda: _fit_keeping_nothing(zero, X, y),
        lambda: lasso_cv_by_lasso_path(X, y, splits, zero_grid),
        _deviation(zero, alpha, mse_path),
    ))

    alpha, mse_path = lasso_cv_by_lasso_path(X, y, splits, alphas, **CONVERGED)
    rows.append(_row(
        "LASSO 20x10 CV vs the converged reference (tol=1e-12)",
        lambda: LassoSelector(cv=splits, n_alphas=N_ALPHAS).fit(X, y),
        lambda: lasso_cv_by_lasso_path(X, y, splits, alphas, **CONVERGED),
        f"solver_={selector.solver_!r}; " + _deviation(selector, alpha, mse_path),
    ))
    return rows


def _fit_keeping_nothing(selector, X, y):
    """Fit a selector whose grid keeps no feature: it raises by design, after
    setting the CV errors and ``alpha_``."""
    try:
        selector.fit(X, y)
    except ValueError:
        pass


if __name__ == "__main__":
    print_rows(run())
