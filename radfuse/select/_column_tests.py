"""Shapiro–Wilk, t-test and Mann–Whitney p-values for many columns at once.

scipy runs ``shapiro`` one column at a time, ranks with a general
``rankdata`` and spends most of a vectorised ``ttest_ind`` call on input
handling; here each test is a few array operations over a block of
columns, equal to scipy's per-column results (see the tests).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import special, stats

from ..stats import choose_group_test
from ._ranks import run_bounds, sorted_run_starts, tie_term

# Coefficients of Royston's (1995) algorithm AS R94, in the order scipy's
# translation evaluates them: c[0], then c[nord - 1] ... c[1] by Horner's rule.
_C1 = (0.0, 0.221157, -0.147981, -0.207119e1, 0.4434685e1, -0.2706056e1)
_C2 = (0.0, 0.42981e-1, -0.293762, -0.1752461e1, 0.5682633e1, -0.3582633e1)
_C3 = (0.5440, -0.39978, 0.25054e-1, -0.6714e-3)
_C4 = (0.13822e1, -0.77857, 0.62767e-1, -0.20322e-2)
_C5 = (-0.15861e1, -0.31082, -0.83751e-1, 0.38915e-2)
_C6 = (-0.4803, -0.82676e-1, 0.30302e-2)
_GAMMA = (-0.2273e1, 0.459)
_SMALL_P = 1e-19
# scipy's mannwhitneyu(method="auto") is exact only when a group has at most
# this many cases and the column has no ties.
_MWU_EXACT_MAX_GROUP = 8


def _poly(c: tuple, x: float) -> float:
    """AS R94's ``poly``: c[0] + c[1] x + ... with its evaluation order."""
    result = c[0]
    if len(c) == 1:
        return result
    partial = x * c[-1]
    for coefficient in c[-2:0:-1]:
        partial = (partial + coefficient) * x
    return result + partial


def _normal_quantile(p: float) -> float:
    """Wichura's AS 111 ``ppnd`` as used by AS R94, for 0 < p < 1."""
    q = p - 0.5
    if abs(q) <= 0.42:
        r = q * q
        numerator = q * (((-25.44106049637 * r + 41.39119773534) * r - 18.61500062529) * r
                         + 2.50662823884)
        return numerator / ((((3.13082909833 * r - 21.06224101826) * r + 23.08336743743) * r
                             - 8.47351093090) * r + 1.0)
    r = math.sqrt(-math.log(1 - p if q > 0 else p))
    value = (((2.32121276858 * r + 4.85014127135) * r - 2.29796479134) * r - 2.78718931138)
    value /= (1.63706781897 * r + 3.54388924762) * r + 1.0
    return -value if q < 0 else value


@lru_cache(maxsize=64)
def _shapiro_weights(n: int) -> tuple[np.ndarray, float]:
    """Centred Shapiro–Wilk weights of the sorted sample and their sum of squares.

    They depend only on ``n``; computed once per sample size, in the same
    floating-point order as scipy's ``swilk``.
    """
    half = n // 2
    if n == 3:
        a = [math.sqrt(2) / 2]
    else:
        an25 = n + 0.25
        a = [_normal_quantile((i + 1 - 0.375) / an25) for i in range(half)]
        summ2 = 0.0
        for value in a:
            summ2 += value**2
        summ2 *= 2.0
        ssumm2 = math.sqrt(summ2)
        rsn = 1 / math.sqrt(n)
        a1 = _poly(_C1, rsn) - a[0] / ssumm2
        if n > 5:
            first_scaled = 2
            a2 = -a[1] / ssumm2 + _poly(_C2, rsn)
            fac = math.sqrt((summ2 - (2 * a[0] ** 2) - 2 * a[1] ** 2)
                            / (1 - (2 * a1**2) - 2 * a2**2))
            a[1] = a2
        else:
            first_scaled = 1
            fac = math.sqrt((summ2 - 2 * a[0] ** 2) / (1 - 2 * a1**2))
        a[0] = a1
        for i in range(first_scaled, half):
            a[i] *= -1.0 / fac
    # Antisymmetric weights over the whole sorted sample (0 in the middle).
    half_weights = np.asarray(a, dtype=np.float64)
    middle = [0.0] if n % 2 else []
    weights = np.concatenate([-half_weights, middle, half_weights[::-1]])
    total = 0.0
    for value in weights:
        total += value
    centred = weights - total / n
    squares = 0.0
    for value in centred:
        squares += value * value
    return centred, squares


def _upper_normal_tail(z: np.ndarray) -> np.ndarray:
    """Hill's AS 66 ``alnorm(z, upper=True)`` as AS R94 uses it, elementwise."""
    z = np.asarray(z, dtype=np.float64)
    upper = z > 0
    magnitude = np.where(upper, z, -z)
    y = 0.5 * magnitude * magnitude
    with np.errstate(all="ignore"):
        near = 0.5 - magnitude * (0.398942280444 - 0.399903438504 * y / (
            y + 5.75885480458 - 29.8213557808 / (y + 2.62433121679 + 48.6959930692 / (
                y + 5.92885724438))))
        far = 0.398942280385 * np.exp(-y) / (magnitude - 3.8052e-8 + 1.00000615302 / (
            magnitude + 3.98064794e-4 + 1.98615381364 / (magnitude - 0.151679116635
            + 5.29330324926 / (magnitude + 4.8385912808 - 15.1508972451 / (
                magnitude + 0.742380924027 + 30.789933034 / (magnitude + 3.99019417011))))))
    tail = np.where(magnitude <= 1.28, near, far)
    in_range = (magnitude <= 7.0) | (upper & (magnitude <= 38.0))
    tail = np.where(in_range, tail, 0.0)
    return np.where(upper, tail, 1.0 - tail)


def sorted_columns(group: np.ndarray) -> np.ndarray:
    """Each column sorted, as a C-ordered copy (the layout the tests below sum in)."""
    ordered = np.array(group, dtype=np.float64, order="C")
    ordered.sort(axis=0)
    return ordered


def shapiro_pvalues(group: np.ndarray, ordered: np.ndarray | None = None) -> np.ndarray:
    """Shapiro–Wilk p-value of every column, as ``scipy.stats.shapiro`` per column.

    Royston's algorithm AS R94 in scipy's translation: the weights depend
    only on the number of rows, so all columns share them and the statistic
    is a few column sums. Returns NaN for columns with zero range (scipy
    warns and returns 1) and for fewer than three rows. Unlike scipy, a
    nonzero range below 1e-19 is still tested, as W does not depend on the
    scale of the data.

    Parameters
    ----------
    group : ndarray of shape (n_samples, n_columns)
    ordered : ndarray, optional
        ``sorted_columns(group)`` when the caller has it already.

    References
    ----------
    Royston, P. (1995). Remark AS R94: A remark on algorithm AS 181: The
    W-test for normality. Applied Statistics, 44(4), 547-551.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from radfuse.select._column_tests import shapiro_pvalues
    >>> x = np.random.default_rng(0).normal(size=(40, 3))
    >>> bool(np.allclose(shapiro_pvalues(x), stats.shapiro(x, axis=0).pvalue, rtol=1e-12))
    True
    """
    n, n_columns = group.shape
    pvalues = np.full(n_columns, np.nan)
    if n < 3:
        return pvalues
    # Sums over axis 0 of a C-ordered array run row by row, in the order of
    # swilk's loops (numpy sums a contiguous axis pairwise instead).
    ordered = sorted_columns(group) if ordered is None else ordered.copy()
    # Centre on the middle row of the unsorted column as scipy does (gh-15777).
    ordered -= group[n // 2]
    spread = ordered[-1] - ordered[0]
    testable = spread > 0
    if not testable.all():
        ordered = np.ascontiguousarray(ordered[:, testable])
        spread = spread[testable]
    ordered /= spread
    ordered -= ordered.sum(axis=0) / n
    weights, weight_squares = _shapiro_weights(n)
    squares = (ordered * ordered).sum(axis=0)
    cross = (weights[:, None] * ordered).sum(axis=0)
    root = np.sqrt(weight_squares * squares)
    one_minus_w = (root - cross) * (root + cross) / (weight_squares * squares)
    pvalues[testable] = _shapiro_significance(one_minus_w, n)
    return pvalues


def levene_pvalues(ordered_groups) -> np.ndarray:
    """Brown–Forsythe (median-centred) Levene p-value of every column.

    Equal to ``scipy.stats.levene(*groups, axis=0)``; takes each group's
    columns already sorted (:func:`sorted_columns`), which gives the medians
    without another pass.

    References
    ----------
    Brown, M. B., & Forsythe, A. B. (1974). Robust tests for the equality of
    variances. JASA, 69(346), 364-367.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from radfuse.select._column_tests import levene_pvalues, sorted_columns
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(30, 3)), rng.normal(scale=2, size=(21, 3))
    >>> ours = levene_pvalues([sorted_columns(a), sorted_columns(b)])
    >>> bool(np.allclose(ours, stats.levene(a, b, axis=0).pvalue, rtol=1e-12))
    True
    """
    sizes = [ordered.shape[0] for ordered in ordered_groups]
    deviations = [np.abs(ordered - _sorted_median(ordered)) for ordered in ordered_groups]
    group_means = [deviation.mean(axis=0) for deviation in deviations]
    total = sum(sizes)
    grand_mean = sum(size * mean for size, mean in zip(sizes, group_means)) / total
    k = len(ordered_groups)
    between = (total - k) * sum(size * (mean - grand_mean) ** 2
                                for size, mean in zip(sizes, group_means))
    within = (k - 1.0) * sum(((deviation - mean) ** 2).sum(axis=0)
                             for deviation, mean in zip(deviations, group_means))
    with np.errstate(divide="ignore", invalid="ignore"):
        return special.fdtrc(k - 1.0, float(total - k), between / within)


def t_test_pvalues(x0: np.ndarray, x1: np.ndarray, *, equal_var: bool) -> np.ndarray:
    """Two-sided Student's (``equal_var=True``) or Welch's t-test p-value of every column.

    scipy's own ``ttest_ind_from_stats`` on each group's column means and
    standard deviations: the formulas of ``ttest_ind(x0, x1, axis=0)``
    without its per-call input handling, which costs 8x the arithmetic on a
    few thousand columns. Equal to ``ttest_ind`` to about 1e-14 relative
    (the standard deviation is squared back instead of using the variance).

    References
    ----------
    Student (1908). The probable error of a mean. Biometrika, 6(1), 1-25.
    Welch, B. L. (1947). The generalization of "Student's" problem when
    several different population variances are involved. Biometrika, 34, 28-35.

    Examples
    --------
    Two features of two groups of four cases; the second feature's spread
    differs between the groups, which is where Welch's test departs from
    Student's (scipy's ``ttest_ind`` gives the same p-values):

    >>> import numpy as np
    >>> from radfuse.select._column_tests import t_test_pvalues
    >>> a = np.array([[1.0, 10.0], [2.0, 12.0], [3.0, 11.0], [4.0, 13.0]])
    >>> b = np.array([[2.0, 20.0], [3.0, 25.0], [5.0, 21.0], [6.0, 30.0]])
    >>> t_test_pvalues(a, b, equal_var=True).round(4).tolist()
    [0.2283, 0.0018]
    >>> t_test_pvalues(a, b, equal_var=False).round(4).tolist()
    [0.2334, 0.009]
    """
    summaries = [(x.mean(axis=0), x.std(axis=0, ddof=1), x.shape[0]) for x in (x0, x1)]
    return stats.ttest_ind_from_stats(*summaries[0], *summaries[1], equal_var=equal_var).pvalue


def choose_column_tests(ordered_groups, normality, *, normality_alpha, levene_alpha):
    """Levene p-value and test of every column, by :func:`radfuse.stats.choose_group_test`.

    Levene's test (:func:`levene_pvalues`, median-centred as the rule
    requires) is computed only for the columns the rule finds normal; the
    others keep a NaN Levene p-value.

    Parameters
    ----------
    ordered_groups : list of ndarray of shape (n_group_samples, n_columns)
        Each group's columns sorted (:func:`sorted_columns`).
    normality : ndarray of shape (n_columns, n_groups)
        Shapiro-Wilk p-values (:func:`shapiro_pvalues`) of each group.
    normality_alpha, levene_alpha : float

    Returns
    -------
    levene : ndarray of shape (n_columns,)
    tests : ndarray of str, shape (n_columns,)
        ``"student"``, ``"welch"`` or ``"rank"``.
    """
    levene = np.full(normality.shape[0], np.nan)
    # With no Levene p-value yet, the rule answers "rank" exactly for the
    # columns that are not normal.
    alphas = {"normality_alpha": normality_alpha, "levene_alpha": levene_alpha}
    normal = choose_group_test(normality, levene, **alphas) != "rank"
    if normal.any():
        levene[normal] = levene_pvalues([ordered[:, normal] for ordered in ordered_groups])
    return levene, choose_group_test(normality, levene, **alphas)


def _sorted_median(ordered: np.ndarray) -> np.ndarray:
    n = ordered.shape[0]
    if n % 2:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _shapiro_significance(one_minus_w: np.ndarray, n: int) -> np.ndarray:
    """AS R94's p-value of W from ``1 - W`` and the sample size."""
    if n == 3:
        w = 1 - one_minus_w
        with np.errstate(invalid="ignore"):
            exact = 1.0 - 6 / np.pi * np.arccos(np.sqrt(w))
        return np.where(w < 0.75, 0.0, exact)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(one_minus_w)
        if n <= 11:
            gamma = _poly(_GAMMA, n)
            beyond = y >= gamma
            y = -np.log(gamma - y)
            mean, sd = _poly(_C3, n), math.exp(_poly(_C4, n))
        else:
            beyond = np.zeros(y.shape, dtype=bool)
            log_n = math.log(n)
            mean, sd = _poly(_C5, log_n), math.exp(_poly(_C6, log_n))
        pvalues = _upper_normal_tail((y - mean) / sd)
    return np.where(beyond, _SMALL_P, pvalues)


def mann_whitney_pvalues(x0: np.ndarray, x1: np.ndarray, presorted: bool = False) -> np.ndarray:
    """Two-sided Mann–Whitney U p-value of every column, from one ``argsort``.

    Equal to separate ``scipy.stats.mannwhitneyu(a, b, alternative="two-sided")``
    calls per column, including scipy's ``method="auto"`` rule: the exact
    null distribution when a group has at most 8 cases and the column has
    no ties, otherwise the normal approximation with continuity and tie
    correction. (R's ``wilcox.test`` uses the exact test for groups below 50
    cases without ties, so small-sample p-values differ from R's.)

    With ``presorted=True`` each column of ``x0`` and ``x1`` is already
    sorted (:func:`sorted_columns`); the pooled sort then only merges two
    runs.

    References
    ----------
    Mann, H. B., & Whitney, D. R. (1947). On a test of whether one of two
    random variables is stochastically larger than the other. Annals of
    Mathematical Statistics, 18(1), 50-60.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from radfuse.select._column_tests import mann_whitney_pvalues
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(30, 4)), rng.normal(0.5, size=(25, 4))
    >>> expected = stats.mannwhitneyu(a, b, axis=0).pvalue
    >>> bool(np.allclose(mann_whitney_pvalues(a, b), expected, rtol=1e-12))
    True
    """
    n0, n1 = x0.shape[0], x1.shape[0]
    n = n0 + n1
    order, starts = sorted_run_starts(np.vstack([x0, x1]), "stable" if presorted else None)
    in_first = order < n0
    del order
    # Rank sum of the first group: average ranks at its sorted positions,
    # which are the positions + 1 in a column without ties. Only the tied
    # columns need the runs (half-integer sums: exact either way).
    rank_sum = np.where(in_first, np.arange(1.0, n + 1), 0.0).sum(axis=1)
    ties = np.zeros(rank_sum.shape)
    tied = ~starts.all(axis=1)
    if tied.any():
        first, past_last = run_bounds(starts[tied])
        ties[tied] = tie_term(first, past_last)
        rank_sum[tied] = np.where(in_first[tied], (first + past_last + 1) / 2.0, 0.0).sum(axis=1)
        del first, past_last
    del starts, in_first
    u0 = rank_sum - n0 * (n0 + 1) / 2
    u = np.maximum(u0, n0 * n1 - u0)
    spread = np.sqrt(n0 * n1 / 12 * ((n + 1) - ties / (n * (n - 1))))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (u - n0 * n1 / 2 - 0.5) / spread
    pvalues = np.clip(2 * special.ndtr(-z), 0.0, 1.0)
    if min(n0, n1) <= _MWU_EXACT_MAX_GROUP:
        exact = ties == 0
        if exact.any():
            pvalues[exact] = stats.mannwhitneyu(
                x0[:, exact], x1[:, exact], alternative="two-sided", method="exact", axis=0
            ).pvalue
    return pvalues
