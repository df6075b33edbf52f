"""Vectorised Shapiro–Wilk, t-tests, Mann–Whitney and ranks against scipy, column by column."""

import numpy as np
import pytest
from scipy import stats

from reference_versions import SHAPIRO_ATOL, SHAPIRO_RTOL

from radfuse.select._column_tests import (
    levene_pvalues,
    mann_whitney_pvalues,
    shapiro_pvalues,
    sorted_columns,
    t_test_pvalues,
)
from radfuse.select._ranks import column_ranks

# Relative tolerance against scipy; the ports follow scipy's floating-point
# order, so the observed deviation is 0.
SAME = 1e-12


def samples(rng, n, n_columns=60):
    """Normal, skewed, tied and constant columns in one table."""
    table = np.column_stack([
        rng.normal(size=(n, n_columns // 3)),
        rng.lognormal(size=(n, n_columns // 3)),
        np.round(rng.normal(size=(n, n_columns // 3)), 1),
    ])
    table[:, 0] = 2.5
    return table


def scipy_shapiro(table):
    return np.array([
        stats.shapiro(column).pvalue if np.ptp(column) > 0 else np.nan for column in table.T
    ])


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 11, 12, 20, 57, 270, 1001])
@pytest.mark.parametrize("order", ["C", "F"])
def test_shapiro_equals_scipy_per_column(n, order):
    table = np.asarray(samples(np.random.default_rng(n), n), order=order)
    ours, expected = shapiro_pvalues(table), scipy_shapiro(table)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    np.testing.assert_allclose(ours, expected, rtol=SHAPIRO_RTOL, atol=SHAPIRO_ATOL)


def test_shapiro_is_undefined_below_three_cases():
    assert np.isnan(shapiro_pvalues(np.ones((2, 4)))).all()


@pytest.mark.parametrize("sizes", [(3, 5), (8, 40), (9, 9), (30, 45), (120, 150)])
def test_mann_whitney_equals_scipy_per_column(sizes):
    rng = np.random.default_rng(sum(sizes))
    a = samples(rng, sizes[0])
    b = samples(rng, sizes[1]) + 0.4
    expected = [
        stats.mannwhitneyu(a[:, j], b[:, j], alternative="two-sided").pvalue
        for j in range(a.shape[1])
    ]
    np.testing.assert_allclose(mann_whitney_pvalues(a, b), expected, rtol=SAME, atol=0)


def test_small_groups_use_the_exact_test_only_without_ties():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(5, 2)), rng.normal(size=(12, 2))
    a[:2, 1] = b[0, 1]
    ours = mann_whitney_pvalues(a, b)
    exact = stats.mannwhitneyu(a[:, 0], b[:, 0], method="exact").pvalue
    asymptotic = stats.mannwhitneyu(a[:, 1], b[:, 1], method="asymptotic").pvalue
    np.testing.assert_allclose(ours, [exact, asymptotic], rtol=SAME, atol=0)


def test_ranks_and_tie_term_equal_scipy():
    table = np.random.default_rng(4).integers(0, 6, size=(41, 30)).astype(float)
    ranks, tie_term = column_ranks(table)
    np.testing.assert_array_equal(ranks, stats.rankdata(table, axis=0))
    expected = [sum(t**3 - t for t in np.unique(c, return_counts=True)[1]) for c in table.T]
    np.testing.assert_array_equal(tie_term, expected)


@pytest.mark.parametrize("sizes", [(3, 4), (10, 11), (57, 80), (135, 135)])
def test_levene_equals_scipy(sizes):
    rng = np.random.default_rng(sizes[1])
    a, b = samples(rng, sizes[0]), samples(rng, sizes[1]) * 1.5
    a[:, 0] += 1.0
    ours = levene_pvalues([sorted_columns(a), sorted_columns(b)])
    expected = [stats.levene(a[:, j], b[:, j]).pvalue for j in range(a.shape[1])]
    np.testing.assert_allclose(ours, expected, rtol=SAME, atol=0)


@pytest.mark.parametrize("equal_var", [True, False])
@pytest.mark.parametrize("sizes", [(2, 3), (10, 11), (57, 80), (135, 135)])
def test_t_tests_equal_scipy_per_column(sizes, equal_var):
    """Student's and Welch's p-values from column summaries: scipy squares no
    standard deviation back, so the last bits may differ (observed <= 4e-14)."""
    rng = np.random.default_rng(sizes[0])
    a, b = samples(rng, sizes[0])[:, 1:], samples(rng, sizes[1])[:, 1:] * 2.0 + 0.3
    expected = [stats.ttest_ind(a[:, j], b[:, j], equal_var=equal_var).pvalue for j in range(a.shape[1])]
    np.testing.assert_allclose(t_test_pvalues(a, b, equal_var=equal_var), expected, rtol=SAME, atol=0)


def test_mann_whitney_on_presorted_groups_is_the_same():
    rng = np.random.default_rng(5)
    a, b = samples(rng, 40), samples(rng, 33) + 0.2
    expected = mann_whitney_pvalues(a, b)
    ours = mann_whitney_pvalues(sorted_columns(a), sorted_columns(b), presorted=True)
    np.testing.assert_array_equal(ours, expected)
