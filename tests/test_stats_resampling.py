"""Corrected resampled t statistics against scipy and the Nadeau-Bengio formula."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from radfuse.stats import corrected_resampled_ci, corrected_resampled_t_test

TOL = 1e-12

# 20 x 5-fold CV of 189 training cases: folds of 151.2 / 37.8 cases on average.
N_TRAIN, N_TEST = 151.2, 37.8


def _scores(seed, size=100):
    return np.random.default_rng(seed).normal(0.8, 0.04, size)


def test_ci_matches_formula_written_with_scipy_t():
    scores = _scores(0)
    j = scores.size
    se = np.sqrt((1 / j + N_TEST / N_TRAIN) * np.var(scores, ddof=1))
    expected = stats.t.interval(0.95, df=j - 1, loc=scores.mean(), scale=se)
    result = corrected_resampled_ci(scores, N_TRAIN, N_TEST)
    assert result.ci == pytest.approx(expected, abs=TOL)
    assert result.se == pytest.approx(se, abs=TOL)
    assert result.df == j - 1
    assert result.correction == pytest.approx(1 / 100 + 0.25, abs=TOL)


def test_ci_without_correction_is_the_naive_t_interval_of_scipy():
    scores = _scores(1)
    naive = stats.ttest_1samp(scores, 0.0).confidence_interval(0.9)
    result = corrected_resampled_ci(scores, N_TRAIN, 0, alpha=0.1)
    assert result.ci == pytest.approx((naive.low, naive.high), abs=TOL)
    assert result.se == pytest.approx(stats.sem(scores), abs=TOL)


def test_corrected_interval_is_wider_than_naive_by_the_variance_factor():
    scores = _scores(2)
    corrected = corrected_resampled_ci(scores, N_TRAIN, N_TEST)
    naive = corrected_resampled_ci(scores, N_TRAIN, 0)
    width = np.diff(corrected.ci)[0] / np.diff(naive.ci)[0]
    assert width == pytest.approx(np.sqrt((1 / 100 + 0.25) / (1 / 100)), rel=1e-12)


def test_ttest_matches_formula_written_with_scipy_t():
    a, b = _scores(3), _scores(4)
    d = a - b
    j = d.size
    t = d.mean() / np.sqrt((1 / j + N_TEST / N_TRAIN) * np.var(d, ddof=1))
    result = corrected_resampled_t_test(a, b, N_TRAIN, N_TEST)
    assert result.statistic == pytest.approx(t, abs=TOL)
    assert result.pvalue == pytest.approx(2 * stats.t.sf(abs(t), j - 1), abs=TOL)
    assert result.estimate == pytest.approx(d.mean(), abs=TOL)


def test_ttest_without_correction_is_scipy_paired_ttest():
    a, b = _scores(5, 25), _scores(6, 25) - 0.01
    reference = stats.ttest_rel(a, b)
    interval = reference.confidence_interval(0.95)
    result = corrected_resampled_t_test(a, b, N_TRAIN, 0)
    assert result.statistic == pytest.approx(reference.statistic, abs=1e-10)
    assert result.pvalue == pytest.approx(reference.pvalue, abs=1e-12)
    assert result.ci == pytest.approx((interval.low, interval.high), abs=TOL)


def test_degenerate_differences_have_documented_results():
    a = np.linspace(0.7, 0.8, 10)
    same = corrected_resampled_t_test(a, a, N_TRAIN, N_TEST)
    assert (same.statistic, same.pvalue, same.ci) == (0.0, 1.0, (0.0, 0.0))
    shifted = corrected_resampled_t_test(a + 0.05, a, N_TRAIN, N_TEST)
    assert shifted.statistic == np.inf and shifted.pvalue == 0.0
    constant = corrected_resampled_ci(np.full(5, 0.8), N_TRAIN, N_TEST)
    assert constant.ci == (pytest.approx(0.8), pytest.approx(0.8))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: corrected_resampled_ci([0.8], 10, 2), "at least two resamples"),
        (lambda: corrected_resampled_ci([0.8, np.nan], 10, 2), "NaN or inf at position"),
        (lambda: corrected_resampled_ci([[0.8, 0.7]], 10, 2), "one-dimensional"),
        (lambda: corrected_resampled_ci([0.8, 0.7], 0, 2), "'n_train' parameter"),
        (lambda: corrected_resampled_t_test([0.8, 0.7], [0.8, 0.7, 0.6], 10, 2), "same folds"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_non_numeric_sizes_are_rejected():
    with pytest.raises(TypeError, match="'n_test' parameter of corrected_resampled_ci"):
        corrected_resampled_ci([0.8, 0.7], 10, "2")


@settings(max_examples=40, deadline=None)
@given(
    scores=arrays(np.float64, st.integers(2, 60), elements=st.floats(0, 1)),
    ratio=st.floats(0, 1),
)
def test_interval_contains_mean_and_is_never_narrower_than_naive(scores, ratio):
    corrected = corrected_resampled_ci(scores, 100, 100 * ratio)
    naive = corrected_resampled_ci(scores, 100, 0)
    assert corrected.ci[0] <= corrected.estimate <= corrected.ci[1]
    assert corrected.ci[0] <= naive.ci[0] + 1e-12
    assert corrected.ci[1] >= naive.ci[1] - 1e-12
