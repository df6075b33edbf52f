"""Area under the ROC curve: DeLong and bootstrap confidence intervals, DeLong tests.

Every function here treats a *higher* score as evidence for the positive class
and never flips that direction to make an AUC exceed 0.5 (R's pROC does by
default, with ``direction="auto"``). A model that ranks backwards therefore
shows an AUC below 0.5, which is what a validation study must report.

Ties count one half, exactly as in pROC and the Mann-Whitney U statistic.
The DeLong placement values come from mid-ranks computed with one
``argsort`` per score column (Sun & Xu, 2014), so a paired test on a million
cases takes a fraction of a second.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from scipy import stats
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._validation import check_binary_target, check_same_cases, check_scores
from ._inference import wald_test
from ._params import ALPHA, POS_LABEL, RANDOM_STATE
from ._result import StatResult

# Bootstrap replicates are ranked in blocks holding at most this many scores,
# so memory stays bounded whatever n_boot and the sample size are.
_BOOTSTRAP_BLOCK_SIZE = 4_000_000


@dataclass(frozen=True, repr=False)
class AUCResult(StatResult):
    """AUC with its standard error and confidence interval (see :func:`auc_ci`).

    ``estimate`` is the AUC, ``ci_lower``/``ci_upper`` its interval and
    ``method`` ``"delong"`` or ``"bootstrap"``; no test is done
    (``statistic`` and ``pvalue`` are NaN).
    """

    se: float
    n_positive: int
    n_negative: int
    n_boot: int | None = None


@dataclass(frozen=True, repr=False)
class DeLongTestResult(StatResult):
    """Paired DeLong comparison of two AUCs (see :func:`delong_test`).

    ``estimate`` is the difference ``auc_a - auc_b`` with its interval,
    ``statistic`` the z statistic; ``method`` is ``"delong paired"``.
    """

    auc_a: float
    auc_b: float
    se: float
    n_positive: int
    n_negative: int


@dataclass(frozen=True, repr=False)
class UnpairedDeLongTestResult(StatResult):
    """DeLong comparison of two AUCs on independent samples (see :func:`delong_test_unpaired`).

    ``estimate`` is the difference ``auc_a - auc_b`` with its interval,
    ``statistic`` the D statistic on ``df`` degrees of freedom; ``method`` is
    ``"delong unpaired"``.
    """

    auc_a: float
    auc_b: float
    se: float
    df: float
    n_a: int
    n_b: int


def _sorted_midranks(sorted_values: np.ndarray) -> np.ndarray:
    """1-based mid-ranks of each row of an array whose rows are sorted ascending.

    A run of tied values shares the mean of the positions it occupies, the
    ``ties.method="average"`` of R's ``rank``.
    """
    n = sorted_values.shape[1]
    position = np.arange(n)
    differs = sorted_values[:, 1:] != sorted_values[:, :-1]
    run_starts = np.ones(sorted_values.shape, dtype=bool)
    run_starts[:, 1:] = differs
    run_ends = np.ones(sorted_values.shape, dtype=bool)
    run_ends[:, :-1] = differs
    first = np.maximum.accumulate(np.where(run_starts, position, 0), axis=1)
    last = np.minimum.accumulate(np.where(run_ends, position, n - 1)[:, ::-1], axis=1)[:, ::-1]
    return (first + last) / 2 + 1


def _delong_placements(scores: np.ndarray, positive: np.ndarray):
    """AUCs and DeLong placement values of k score columns on the same cases.

    Sun & Xu (2014): with :math:`T_Z` the mid-ranks among all cases and
    :math:`T_X`, :math:`T_Y` those within positives and negatives,

    .. math::

        V_{10}(x_i) = \\frac{T_Z(x_i) - T_X(x_i)}{n}, \\qquad
        V_{01}(y_j) = 1 - \\frac{T_Z(y_j) - T_Y(y_j)}{m}.

    Both mid-ranks are read off the combined sort: their difference counts
    the cases of the other class ranked below, ties counting one half, which
    is the number of other-class cases before the run of tied scores plus
    half of those inside it. Each column costs a single ``argsort`` and a
    few passes over the sorted cases.

    Parameters
    ----------
    scores : ndarray of shape (k, n_samples)
    positive : boolean ndarray of shape (n_samples,)

    Returns
    -------
    auc : ndarray of shape (k,)
    v10 : ndarray of shape (k, m), one row per column, positives in input order
    v01 : ndarray of shape (k, n), negatives in input order
    """
    k, n_samples = scores.shape
    m = int(positive.sum())
    n = n_samples - m
    # Positives first, each class in input order: a sorted case is positive
    # when its index is below m, and the placements split into v10 and v01
    # without copying.
    by_class = np.concatenate([np.flatnonzero(positive), np.flatnonzero(~positive)])
    scores = scores[:, by_class]
    order = np.argsort(scores, axis=1)
    # Row by row: np.take on one row is about twice as fast as take_along_axis
    # on the (k, n_samples) table, and k is small (one or two score columns).
    sorted_scores = np.stack([row.take(row_order) for row, row_order in zip(scores, order)])
    del scores
    negative_sorted = order >= m
    run_starts = np.empty((k, n_samples), dtype=bool)
    run_starts[:, 0] = True
    np.not_equal(sorted_scores[:, 1:], sorted_scores[:, :-1], out=run_starts[:, 1:])
    del sorted_scores
    # Negatives sorted strictly before each position, row by row.
    negatives_before = np.cumsum(negative_sorted, axis=1, dtype=np.int32)
    negatives_before -= negative_sorted
    if run_starts.all():
        # No ties: each run is one case, so the placements are plain counts.
        placement_sorted = negatives_before / n
        positives_before = np.arange(n_samples, dtype=np.int32) - negatives_before
        np.subtract(1, positives_before / m, out=placement_sorted, where=negative_sorted)
    else:
        placement_sorted = _tied_placements(run_starts, negative_sorted, negatives_before, m, n)
    placements = np.empty((k, n_samples))
    for row, row_order, row_values in zip(placements, order, placement_sorted):
        row[row_order] = row_values
    # Column-major copies, the layout boolean indexing gave before: sums over
    # them then run in the same order, so results stay bit-identical.
    v10, v01 = np.asfortranarray(placements[:, :m]), np.asfortranarray(placements[:, m:])
    return v10.mean(axis=1), v10, v01


def _tied_placements(run_starts, negative_sorted, negatives_before, m: int, n: int):
    """DeLong placements in sorted order when scores tie: per run of tied scores."""
    k, n_samples = run_starts.shape
    # Runs are numbered over the flattened rows (every row starts a run).
    start_index = np.flatnonzero(run_starts)
    negatives_before_run = negatives_before.ravel()[start_index]
    run_size = np.diff(start_index, append=k * n_samples)
    negatives_in_run = np.add.reduceat(negative_sorted.ravel(), start_index, dtype=np.int64)
    positives_before_run = start_index % n_samples - negatives_before_run
    positives_in_run = run_size - negatives_in_run
    run_v10 = (negatives_before_run + negatives_in_run / 2) / n
    run_v01 = 1 - (positives_before_run + positives_in_run / 2) / m
    run_of = (np.cumsum(run_starts.ravel()) - 1).reshape(k, n_samples)
    return np.where(negative_sorted, run_v01[run_of], run_v10[run_of])


def _delong_variance(v10: np.ndarray, v01: np.ndarray) -> float:
    """DeLong variance :math:`S_{10}/m + S_{01}/n` of an AUC or of a difference of AUCs."""
    if np.ptp(v10) == 0 and np.ptp(v01) == 0:
        # Constant placements have exactly zero variance; floating-point
        # averaging would otherwise leave a spurious 1e-34.
        return 0.0
    return float(v10.var(ddof=1) / v10.size + v01.var(ddof=1) / v01.size)


def _rowwise_auc(positive_scores: np.ndarray, negative_scores: np.ndarray) -> np.ndarray:
    """AUC of every row: positives ``(B, m)`` against negatives ``(B, n)``.

    Mann-Whitney form :math:`(R_+ - m(m+1)/2) / (mn)` with :math:`R_+` the
    mid-rank sum of the positives within the row.
    """
    m = positive_scores.shape[1]
    n = negative_scores.shape[1]
    combined = np.concatenate([positive_scores, negative_scores], axis=1)
    order = np.argsort(combined, axis=1)
    midranks = _sorted_midranks(np.take_along_axis(combined, order, axis=1))
    rank_sum = np.where(order < m, midranks, 0.0).sum(axis=1)
    return (rank_sum - m * (m + 1) / 2) / (m * n)


def _bootstrap_aucs(positive_scores, negative_scores, n_boot: int, rng) -> np.ndarray:
    """AUCs of ``n_boot`` stratified resamples (positives and negatives drawn separately)."""
    m, n = positive_scores.size, negative_scores.size
    block = max(1, _BOOTSTRAP_BLOCK_SIZE // (m + n))
    aucs = []
    for start in range(0, n_boot, block):
        size = min(block, n_boot - start)
        aucs.append(
            _rowwise_auc(
                positive_scores[rng.integers(0, m, size=(size, m))],
                negative_scores[rng.integers(0, n, size=(size, n))],
            )
        )
    return np.concatenate(aucs)


def _warn_zero_variance(difference: float, step: str) -> None:
    """Say why a comparison's DeLong variance is exactly zero (see ``wald_test``)."""
    if difference == 0:
        warnings.warn(
            f"{step}: the two scores place every case identically (for instance a "
            "model compared with itself); the AUC difference is 0, reported as "
            "statistic 0 and p-value 1 as R's pROC does.",
            RuntimeWarning,
            stacklevel=3,
        )
    else:
        warnings.warn(
            f"{step}: the DeLong variance of the AUC difference is zero although the "
            f"difference is {difference:.4g} (e.g. a perfectly separating score against "
            "an all-tied one); the statistic is infinite and the p-value 0.",
            RuntimeWarning,
            stacklevel=3,
        )


def _check_delong_sizes(m: int, n: int, step: str, name: str = "y_true") -> None:
    if m < 2 or n < 2:
        raise ValueError(
            f"{step}: the DeLong variance needs at least two positive and two negative "
            f"cases; {name} has {m} positive and {n} negative case(s). Collect more "
            "cases of the rare class."
        )


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "alpha": ALPHA,
        "method": [StrOptions({"delong", "bootstrap"})],
        "n_boot": [Interval(Integral, 2, None, closed="left")],
        "random_state": RANDOM_STATE,
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def auc_ci(
    y_true,
    y_score,
    alpha: float = 0.05,
    method: str = "delong",
    n_boot: int = 2000,
    random_state=None,
    *,
    pos_label=None,
) -> AUCResult:
    r"""Area under the ROC curve with a DeLong or stratified-bootstrap confidence interval.

    With :math:`m` positive scores :math:`X_i` and :math:`n` negative scores
    :math:`Y_j`, the AUC is the Mann-Whitney statistic

    .. math::

        \hat\theta = \frac{1}{mn} \sum_{i=1}^{m} \sum_{j=1}^{n} \psi(X_i, Y_j),
        \qquad \psi(x, y) = \begin{cases} 1 & x > y \\ 1/2 & x = y \\ 0 & x < y \end{cases}

    DeLong et al. (1988) estimate its variance from the placement values
    :math:`V_{10}(X_i) = \frac{1}{n} \sum_j \psi(X_i, Y_j)` and
    :math:`V_{01}(Y_j) = \frac{1}{m} \sum_i \psi(X_i, Y_j)`:

    .. math::

        \widehat{\mathrm{Var}}(\hat\theta) = \frac{S_{10}}{m} + \frac{S_{01}}{n},

    with :math:`S_{10}`, :math:`S_{01}` their sample variances, and the interval
    is :math:`\hat\theta \pm z_{1-\alpha/2} \, \mathrm{SE}` clipped to [0, 1],
    as in pROC's ``ci.auc``. Placement values come from mid-ranks in
    :math:`O(N \log N)` (Sun & Xu, 2014).

    ``method="bootstrap"`` draws ``n_boot`` stratified resamples (positives and
    negatives resampled separately, pROC's ``boot.stratified=TRUE``) and
    returns the percentile interval; ``se`` is then the standard deviation of
    the bootstrap AUCs.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome.
    y_score : array-like of shape (n_samples,)
        Scores; a higher score means "more likely positive". The direction is
        never flipped.
    alpha : float
        1 - confidence level.
    method : {"delong", "bootstrap"}
    n_boot : int
        Bootstrap resamples (``method="bootstrap"`` only).
    random_state : int, numpy Generator or None
        Seed of the bootstrap (``method="bootstrap"`` only).
    pos_label : label, optional
        The positive class; required when ``y_true`` holds strings.

    Returns
    -------
    AUCResult
        ``estimate`` (the AUC), ``se``, ``ci_lower``, ``ci_upper``, ``alpha``,
        ``method``, ``n_positive``, ``n_negative`` and ``n_boot`` (None for
        DeLong).

    Notes
    -----
    When the DeLong variance is zero (complete separation, or every score
    tied) the interval collapses onto the AUC and a ``RuntimeWarning`` says
    so; the bootstrap interval collapses too. The DeLong variance needs at
    least two cases of each class, otherwise a ``ValueError`` is raised.

    References
    ----------
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing the
    areas under two or more correlated receiver operating characteristic
    curves: a nonparametric approach. Biometrics, 44(3), 837-845.
    Sun, X., & Xu, W. (2014). Fast implementation of DeLong's algorithm for
    comparing the areas under correlated receiver operating characteristic
    curves. IEEE Signal Processing Letters, 21(11), 1389-1393.
    Robin, X., et al. (2011). pROC: an open-source package for R and S+ to
    analyze and compare ROC curves. BMC Bioinformatics, 12, 77.

    Examples
    --------
    >>> from radfuse.stats import auc_ci
    >>> result = auc_ci([0, 0, 0, 1, 1, 1], [0.1, 0.4, 0.35, 0.8, 0.3, 0.9])
    >>> round(result.estimate, 4), round(result.se, 4)
    (0.7778, 0.2485)
    """
    check_same_cases("auc_ci", y_true=y_true, y_score=y_score)
    step = "auc_ci"
    y01, _ = check_binary_target(y_true, step=step, pos_label=pos_label, name="y_true")
    score = check_scores(y_score, step=step, name="y_score", n_samples=y01.size)
    positive = y01 == 1
    m, n = int(positive.sum()), int((~positive).sum())

    if method == "bootstrap":
        auc = float(_delong_placements(score[None, :], positive)[0][0])
        aucs = _bootstrap_aucs(
            score[positive], score[~positive], n_boot, np.random.default_rng(random_state)
        )
        lower, upper = np.quantile(aucs, [alpha / 2, 1 - alpha / 2])
        return AUCResult(
            estimate=auc, se=float(aucs.std(ddof=1)), ci_lower=float(lower),
            ci_upper=float(upper), alpha=alpha, method="bootstrap", n_positive=m, n_negative=n,
            n_boot=n_boot,
        )

    _check_delong_sizes(m, n, step)
    aucs, v10, v01 = _delong_placements(score[None, :], positive)
    auc = float(aucs[0])
    se = math.sqrt(_delong_variance(v10[0], v01[0]))
    if se == 0:
        warnings.warn(
            f"{step}: the DeLong variance is zero (AUC = {auc:.4g}: complete separation "
            "or all scores tied); the confidence interval collapses onto the AUC.",
            RuntimeWarning,
            stacklevel=2,
        )
    half_width = stats.norm.ppf(1 - alpha / 2) * se
    return AUCResult(
        estimate=auc, se=se, ci_lower=max(0.0, auc - half_width),
        ci_upper=min(1.0, auc + half_width), alpha=alpha, method="delong", n_positive=m,
        n_negative=n,
    )


@validate_params(
    {
        "y_true": ["array-like"],
        "score_a": ["array-like"],
        "score_b": ["array-like"],
        "alpha": ALPHA,
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def delong_test(
    y_true, score_a, score_b, alpha: float = 0.05, *, pos_label=None
) -> DeLongTestResult:
    r"""DeLong's test for two correlated AUCs measured on the same cases.

    With :math:`S_{10}` and :math:`S_{01}` now the 2 x 2 sample covariance
    matrices of the placement values of both scores (see :func:`auc_ci`) and
    :math:`L = (1, -1)`,

    .. math::

        z = \frac{\hat\theta_a - \hat\theta_b}
                 {\sqrt{L \left(S_{10}/m + S_{01}/n\right) L^\top}},

    compared with the standard normal distribution (two-sided). The interval
    of the difference is :math:`\hat\theta_a - \hat\theta_b \pm z_{1-\alpha/2}
    \mathrm{SE}`, as in pROC's ``roc.test``. Both score columns are ranked
    together, one ``argsort`` each (Sun & Xu, 2014).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    score_a, score_b : array-like of shape (n_samples,)
        Scores of the two models on the same cases; higher means positive.
    alpha : float
        1 - confidence level of the interval of the difference.
    pos_label : label, optional
        The positive class; required when ``y_true`` holds strings.

    Returns
    -------
    DeLongTestResult
        ``estimate`` (the difference a - b), ``auc_a``, ``auc_b``, ``se`` of
        the difference, ``statistic`` (z), ``pvalue``, ``ci_lower`` and
        ``ci_upper`` of the difference.

    Notes
    -----
    When the two scores place every case identically (a model compared with
    itself, or with a monotone transform of itself) the difference and its
    variance are both zero: the result is ``statistic=0``, ``pvalue=1`` and
    an interval (0, 0), pROC's convention, with a ``RuntimeWarning``. A non-zero
    difference with zero variance gives an infinite statistic and p-value 0,
    also with a warning.

    References
    ----------
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing the
    areas under two or more correlated receiver operating characteristic
    curves: a nonparametric approach. Biometrics, 44(3), 837-845.
    Sun, X., & Xu, W. (2014). Fast implementation of DeLong's algorithm for
    comparing the areas under correlated receiver operating characteristic
    curves. IEEE Signal Processing Letters, 21(11), 1389-1393.

    Examples
    --------
    >>> from radfuse.stats import delong_test
    >>> y = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> result = delong_test(y, [1, 2, 3, 6, 4, 5, 7, 8], [1, 5, 3, 6, 4, 2, 7, 8])
    >>> round(result.estimate, 4), round(result.statistic, 3)
    (0.1875, 1.108)
    """
    check_same_cases("delong_test", y_true=y_true, score_a=score_a, score_b=score_b)
    step = "delong_test"
    y01, _ = check_binary_target(y_true, step=step, pos_label=pos_label, name="y_true")
    first = check_scores(score_a, step=step, name="score_a", n_samples=y01.size)
    second = check_scores(score_b, step=step, name="score_b", n_samples=y01.size)
    positive = y01 == 1
    m, n = int(positive.sum()), int((~positive).sum())
    _check_delong_sizes(m, n, step)

    aucs, v10, v01 = _delong_placements(np.vstack([first, second]), positive)
    difference = float(aucs[0] - aucs[1])
    se = math.sqrt(_delong_variance(v10[0] - v10[1], v01[0] - v01[1]))
    if se == 0:
        _warn_zero_variance(difference, step)
    statistic, pvalue, (lower, upper) = wald_test(difference, se, alpha)
    return DeLongTestResult(
        estimate=difference, ci_lower=lower, ci_upper=upper, statistic=statistic,
        pvalue=pvalue, alpha=alpha, method="delong paired", auc_a=float(aucs[0]),
        auc_b=float(aucs[1]), se=se, n_positive=m, n_negative=n,
    )


@validate_params(
    {
        "y_a": ["array-like"],
        "score_a": ["array-like"],
        "y_b": ["array-like"],
        "score_b": ["array-like"],
        "alpha": ALPHA,
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def delong_test_unpaired(
    y_a, score_a, y_b, score_b, alpha: float = 0.05, *, pos_label=None
) -> UnpairedDeLongTestResult:
    r"""DeLong-based test for two AUCs measured on independent samples.

    Each AUC gets its own DeLong variance :math:`V_a`, :math:`V_b` (see
    :func:`auc_ci`); with no cases shared the covariance is zero and

    .. math::

        D = \frac{\hat\theta_a - \hat\theta_b}{\sqrt{V_a + V_b}}, \qquad
        \nu = \frac{(V_a + V_b)^2}{V_a^2/(N_a - 1) + V_b^2/(N_b - 1)},

    with :math:`N_a`, :math:`N_b` the sample sizes. As in pROC's
    ``roc.test(..., paired=FALSE)``, :math:`D` is referred to Student's t
    distribution with the Welch-Satterthwaite-type :math:`\nu` degrees of
    freedom. The interval of the difference uses the same t quantile,
    :math:`\hat\theta_a - \hat\theta_b \pm t_{\nu, 1-\alpha/2} \sqrt{V_a + V_b}`,
    so it excludes 0 exactly when :math:`p < \alpha`.

    Parameters
    ----------
    y_a, score_a : array-like
        Outcome and scores of the first sample.
    y_b, score_b : array-like
        Outcome and scores of the second, independent sample.
    alpha : float
        1 - confidence level.
    pos_label : label, optional
        The positive class of both outcomes; required for string labels.

    Returns
    -------
    UnpairedDeLongTestResult
        ``estimate`` (the difference a - b), ``auc_a``, ``auc_b``, ``se``,
        ``statistic`` (D), ``df``, ``pvalue``, ``ci_lower``, ``ci_upper``,
        ``n_a``, ``n_b``.

    Notes
    -----
    If both variances are zero, the statistic and p-value follow the
    conventions of :func:`delong_test` (with a ``RuntimeWarning``) and ``df``
    is reported as ``inf``.

    References
    ----------
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing the
    areas under two or more correlated receiver operating characteristic
    curves: a nonparametric approach. Biometrics, 44(3), 837-845.
    Robin, X., et al. (2011). pROC: an open-source package for R and S+ to
    analyze and compare ROC curves. BMC Bioinformatics, 12, 77.

    Examples
    --------
    >>> from radfuse.stats import delong_test_unpaired
    >>> result = delong_test_unpaired([0, 0, 0, 1, 1, 1], [1, 2, 4, 3, 5, 6],
    ...                               [0, 0, 1, 1, 0, 1], [2, 1, 3, 5, 6, 4])
    >>> round(result.auc_a, 4), round(result.auc_b, 4)
    (0.8889, 0.6667)
    """
    check_same_cases("delong_test_unpaired", y_a=y_a, score_a=score_a)
    check_same_cases("delong_test_unpaired", y_b=y_b, score_b=score_b)
    step = "delong_test_unpaired"
    variances, aucs, sizes = [], [], []
    for suffix, outcome, score in (("a", y_a, score_a), ("b", y_b, score_b)):
        y01, _ = check_binary_target(outcome, step=step, pos_label=pos_label, name=f"y_{suffix}")
        values = check_scores(score, step=step, name=f"score_{suffix}", n_samples=y01.size)
        positive = y01 == 1
        _check_delong_sizes(int(positive.sum()), int((~positive).sum()), step, name=f"y_{suffix}")
        auc, v10, v01 = _delong_placements(values[None, :], positive)
        aucs.append(float(auc[0]))
        variances.append(_delong_variance(v10[0], v01[0]))
        sizes.append(y01.size)

    difference = aucs[0] - aucs[1]
    total_variance = variances[0] + variances[1]
    se = math.sqrt(total_variance)
    if se == 0:
        _warn_zero_variance(difference, step)
        df = math.inf
    else:
        # Welch-Satterthwaite degrees of freedom, as pROC's unpaired test.
        df = total_variance**2 / (
            variances[0] ** 2 / (sizes[0] - 1) + variances[1] ** 2 / (sizes[1] - 1)
        )
    statistic, pvalue, (lower, upper) = wald_test(difference, se, alpha, df)
    return UnpairedDeLongTestResult(
        estimate=difference, ci_lower=lower, ci_upper=upper, statistic=statistic,
        pvalue=pvalue, alpha=alpha, method="delong unpaired", auc_a=aucs[0], auc_b=aucs[1],
        se=se, df=df, n_a=sizes[0], n_b=sizes[1],
    )
