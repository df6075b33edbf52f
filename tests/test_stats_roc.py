"""AUC, DeLong CIs and tests checked against R's pROC, scikit-learn and a naive O(m*n) DeLong.

pROC references: the documented output of ``roc.test`` / ``ci.auc`` on the
aSAH data (issue 3), and the expected values of pROC's own test suite
(tests/testthat/test-roc.test.R, which compares with tolerance 1.5e-8).
pROC is called there as ``roc.test(r.wfns, r.s100b)`` etc., with
``r.x <- roc(aSAH$outcome, aSAH$x)``; every curve has direction "<", the same
as radfuse's fixed "higher score = positive" rule.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import roc_auc_score

from radfuse.stats import auc_ci, delong_test, delong_test_unpaired
from radfuse.stats._roc import _delong_placements, _rowwise_auc

PROC_TOL = 1.5e-8  # testthat::expect_equal's default relative tolerance


@pytest.fixture(scope="module")
def asah(data_dir):
    return pd.read_csv(data_dir / "aSAH.csv")


def naive_delong(y, *scores):
    """Textbook DeLong (1988): the full m x n Heaviside kernel, ties count 1/2."""
    y = np.asarray(y)
    placements10, placements01, aucs = [], [], []
    for score in scores:
        score = np.asarray(score, dtype=float)
        cases, controls = score[y == 1], score[y == 0]
        psi = (cases[:, None] > controls[None, :]) + 0.5 * (cases[:, None] == controls[None, :])
        aucs.append(psi.mean())
        placements10.append(psi.mean(axis=1))
        placements01.append(psi.mean(axis=0))
    m, n = (y == 1).sum(), (y == 0).sum()
    covariance = np.atleast_2d(np.cov(placements10)) / m + np.atleast_2d(np.cov(placements01)) / n
    return np.array(aucs), covariance


# ----------------------------------------------------------------- pROC references


def test_paired_delong_matches_documented_proc_output(asah):
    result = delong_test(asah.outcome, asah.s100b, asah.wfns, pos_label="Poor")
    # Printed by pROC: Z = -2.209, p-value = 0.02718, CI -0.17421442 -0.01040618,
    # AUC of roc1 0.7313686, AUC of roc2 0.8236789.
    assert result.statistic == pytest.approx(-2.209, abs=5e-4)
    assert result.pvalue == pytest.approx(0.02718, abs=5e-6)
    assert result.ci[0] == pytest.approx(-0.17421442, abs=5e-9)
    assert result.ci[1] == pytest.approx(-0.01040618, abs=5e-9)
    assert result.auc_a == pytest.approx(0.7313686, abs=5e-8)
    assert result.auc_b == pytest.approx(0.8236789, abs=5e-8)
    assert result.estimate == pytest.approx(0.7313686 - 0.8236789, abs=1e-7)


def test_s100b_versus_ndka_matches_documented_proc_output(asah):
    result = delong_test(asah.outcome, asah.s100b, asah.ndka, pos_label="Poor")
    assert result.statistic == pytest.approx(1.3908, abs=5e-5)
    assert result.pvalue == pytest.approx(0.1643, abs=5e-5)


@pytest.mark.parametrize(
    "first, second, z, p",
    [  # pROC test-roc.test.R: t1, t2, t3
        ("wfns", "s100b", 2.20898359144091, 0.0271757822291882),
        ("wfns", "ndka", 2.79777591868904, 0.00514557970691098),
        ("ndka", "s100b", -1.39077002573558, 0.164295175223054),
    ],
)
def test_paired_delong_matches_proc_test_suite(asah, first, second, z, p):
    result = delong_test(asah.outcome, asah[first], asah[second], pos_label="Poor")
    assert result.statistic == pytest.approx(z, rel=PROC_TOL)
    assert result.pvalue == pytest.approx(p, rel=PROC_TOL)
    swapped = delong_test(asah.outcome, asah[second], asah[first], pos_label="Poor")
    assert swapped.statistic == pytest.approx(-z, rel=PROC_TOL)
    assert swapped.pvalue == pytest.approx(p, rel=PROC_TOL)


@pytest.mark.parametrize(
    "first, second, d, p",
    [  # pROC test-roc.test.R: t1up, t2up, t3up (paired = FALSE on the same cases)
        ("wfns", "s100b", 1.43490640926908, 0.152825378808796),
        ("wfns", "ndka", 3.10125096778969, 0.00220950791756457),
        ("ndka", "s100b", -1.55995743389685, 0.120192832430845),
    ],
)
def test_unpaired_delong_matches_proc_test_suite(asah, first, second, d, p):
    y = asah.outcome
    result = delong_test_unpaired(y, asah[first], y, asah[second], pos_label="Poor")
    assert result.statistic == pytest.approx(d, rel=PROC_TOL)
    assert result.pvalue == pytest.approx(p, rel=PROC_TOL)


def test_auc_ci_matches_documented_proc_output(asah):
    result = auc_ci(asah.outcome, asah.s100b, pos_label="Poor")
    # ci.auc(roc(outcome, s100b)): "95% CI: 0.6301-0.8326 (DeLong)"; var() = 0.002668682.
    assert result.estimate == pytest.approx(0.7313686, abs=5e-8)
    assert result.ci[0] == pytest.approx(0.6301, abs=5e-5)
    assert result.ci[1] == pytest.approx(0.8326, abs=5e-5)
    assert result.se**2 == pytest.approx(0.002668682, abs=5e-10)
    assert (result.n_positive, result.n_negative) == (41, 72)


# ------------------------------------------------- scikit-learn and naive DeLong


def tied_sample(seed, n=150, levels=12):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    first = rng.integers(0, levels, n) + y * rng.integers(0, 4, n)
    second = first + rng.integers(-3, 4, n)
    return y, first.astype(float), second.astype(float)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_equals_sklearn_with_ties(seed):
    y, first, second = tied_sample(seed)
    assert auc_ci(y, first).estimate == pytest.approx(roc_auc_score(y, first), abs=1e-12)
    result = delong_test(y, first, second)
    assert result.auc_b == pytest.approx(roc_auc_score(y, second), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delong_variance_and_covariance_equal_naive_implementation(seed):
    y, first, second = tied_sample(seed)
    aucs, covariance = naive_delong(y, first, second)
    assert auc_ci(y, first).se ** 2 == pytest.approx(covariance[0, 0], abs=1e-12)
    result = delong_test(y, first, second)
    variance_of_difference = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    assert result.se**2 == pytest.approx(variance_of_difference, abs=1e-12)
    assert result.statistic == pytest.approx(
        (aucs[0] - aucs[1]) / math.sqrt(variance_of_difference), rel=1e-10
    )


def test_placements_of_many_columns_equal_naive_kernel():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 400)
    scores = np.vstack([rng.integers(0, 30, 400), rng.normal(size=400) + y, -y + 0.0])
    aucs, v10, v01 = _delong_placements(scores.astype(float), y == 1)
    for row, score in enumerate(scores):
        cases, controls = score[y == 1], score[y == 0]
        psi = (cases[:, None] > controls) + 0.5 * (cases[:, None] == controls)
        np.testing.assert_allclose(v10[row], psi.mean(axis=1), atol=1e-12)
        np.testing.assert_allclose(v01[row], psi.mean(axis=0), atol=1e-12)
        assert aucs[row] == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_unpaired_test_equals_independent_welch_calculation(asah):
    """Two independent samples (the two halves of aSAH), recomputed from naive DeLong variances."""
    half = len(asah) // 2
    first, second = asah.iloc[:half], asah.iloc[half:]
    result = delong_test_unpaired(
        first.outcome, first.s100b, second.outcome, second.wfns, pos_label="Poor", alpha=0.1
    )
    (auc_a,), var_a = naive_delong((first.outcome == "Poor").to_numpy(), first.s100b)
    (auc_b,), var_b = naive_delong((second.outcome == "Poor").to_numpy(), second.wfns)
    var_a, var_b = var_a[0, 0], var_b[0, 0]
    d = (auc_a - auc_b) / math.sqrt(var_a + var_b)
    df = (var_a + var_b) ** 2 / (var_a**2 / (len(first) - 1) + var_b**2 / (len(second) - 1))
    assert result.statistic == pytest.approx(d, rel=1e-10)
    assert result.df == pytest.approx(df, rel=1e-10)
    assert result.pvalue == pytest.approx(2 * stats.t.sf(abs(d), df), rel=1e-10)
    half_width = stats.t.ppf(0.95, df) * math.sqrt(var_a + var_b)
    assert result.ci == pytest.approx((auc_a - auc_b - half_width, auc_a - auc_b + half_width))
    assert (result.n_a, result.n_b) == (half, len(asah) - half)


# ------------------------------------------------------------------- bootstrap


def test_rowwise_auc_equals_sklearn_on_every_row():
    rng = np.random.default_rng(3)
    positives = rng.integers(0, 8, size=(25, 30)).astype(float)
    negatives = rng.integers(0, 6, size=(25, 40)).astype(float)
    labels = np.r_[np.ones(30), np.zeros(40)]
    expected = [roc_auc_score(labels, np.r_[p, q]) for p, q in zip(positives, negatives)]
    np.testing.assert_allclose(_rowwise_auc(positives, negatives), expected, atol=1e-12)


def test_bootstrap_ci_is_close_to_delong_and_deterministic(asah):
    kwargs = dict(pos_label="Poor", method="bootstrap", n_boot=2000)
    boot = auc_ci(asah.outcome, asah.s100b, random_state=42, **kwargs)
    delong = auc_ci(asah.outcome, asah.s100b, pos_label="Poor")
    assert boot.estimate == delong.estimate
    # Percentile and normal intervals agree to Monte-Carlo and skewness error.
    assert boot.ci == pytest.approx(delong.ci, abs=0.03)
    assert boot.se == pytest.approx(delong.se, rel=0.15)
    assert boot.n_boot == 2000 and boot.method == "bootstrap"
    # Compared as frames: the fields that do not apply are NaN, and Python 3.13's dataclass == finds NaN != NaN.
    pd.testing.assert_frame_equal(auc_ci(asah.outcome, asah.s100b, random_state=42, **kwargs).to_frame(), boot.to_frame())
    assert auc_ci(asah.outcome, asah.s100b, random_state=43, **kwargs).ci != boot.ci


def test_bootstrap_percentiles_equal_loop_over_same_resamples():
    """Stratified resampling reproduced with an explicit loop over sklearn's AUC."""
    rng = np.random.default_rng(11)
    y = np.r_[np.ones(20, int), np.zeros(30, int)]
    score = rng.normal(size=50) + y
    result = auc_ci(y, score, method="bootstrap", n_boot=300, random_state=5)
    draw = np.random.default_rng(5)
    cases, controls = score[y == 1], score[y == 0]
    case_index = draw.integers(0, 20, size=(300, 20))
    control_index = draw.integers(0, 30, size=(300, 30))
    labels = np.r_[np.ones(20), np.zeros(30)]
    aucs = [
        roc_auc_score(labels, np.r_[cases[i], controls[j]])
        for i, j in zip(case_index, control_index)
    ]
    assert result.ci == pytest.approx(tuple(np.quantile(aucs, [0.025, 0.975])), abs=1e-12)
    assert result.se == pytest.approx(np.std(aucs, ddof=1), abs=1e-12)


# ------------------------------------------------------- direction, degenerate cases


def test_direction_is_never_flipped(asah):
    result = auc_ci(asah.outcome, -asah.s100b, pos_label="Poor")
    assert result.estimate == pytest.approx(1 - 0.7313686, abs=5e-8)


def test_self_comparison_is_zero_with_a_warning(asah):
    with pytest.warns(RuntimeWarning, match="identically"):
        result = delong_test(asah.outcome, asah.s100b, np.log(asah.s100b), pos_label="Poor")
    assert (result.estimate, result.statistic, result.pvalue) == (0.0, 0.0, 1.0)
    assert result.ci == (0.0, 0.0)


def test_all_tied_scores_give_half_with_zero_width_interval():
    with pytest.warns(RuntimeWarning, match="variance is zero"):
        result = auc_ci([0, 1, 0, 1, 1], [3.0] * 5)
    assert (result.estimate, result.se, result.ci) == (0.5, 0.0, (0.5, 0.5))


def test_zero_variance_with_a_real_difference_gives_infinite_statistic():
    y = [0, 0, 0, 1, 1, 1]
    with pytest.warns(RuntimeWarning, match="infinite"):
        result = delong_test(y, [1, 2, 3, 4, 5, 6], [1] * 6)
    assert result.estimate == 0.5
    assert result.statistic == math.inf and result.pvalue == 0.0


def test_perfect_separation_interval_is_clipped_to_one():
    with pytest.warns(RuntimeWarning):
        result = auc_ci([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert result.ci == (1.0, 1.0)


def test_result_repr_and_frame(asah):
    result = delong_test(asah.outcome, asah.s100b, asah.wfns, pos_label="Poor")
    frame = result.to_frame()
    assert frame.loc["DeLongTestResult", "ci_lower"] == result.ci[0]
    assert frame.loc["DeLongTestResult", "pvalue"] == result.pvalue
    assert repr(result).startswith("DeLongTestResult(estimate=-0.09231")


# -------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: auc_ci([1, 1, 1], [0.1, 0.2, 0.3]), "exactly two classes"),
        (lambda: auc_ci([0, 1, 0, 1], [0.1, np.nan, 0.3, 0.4]), "NaN or inf at position"),
        (lambda: auc_ci([0, 1, 0, 1], [0.1, 0.2, 0.3]), "3 values but y_true has 4"),
        (lambda: auc_ci(["a", "b", "a", "b"], [1, 2, 3, 4]), "pass pos_label"),
        (lambda: auc_ci([0, 1, 0, 1], [1, 2, 3, 4], alpha=1.5), "alpha"),
        (lambda: auc_ci([0, 1, 0, 1], [1, 2, 3, 4], method="wald"), "method"),
        (lambda: auc_ci([0, 1, 0, 0], [1, 2, 3, 4]), "at least two positive"),
        (lambda: auc_ci([0, 1, 0, 1], [1, 2, 3, 4], method="bootstrap", n_boot=1), "n_boot"),
        (lambda: delong_test([0, 1, 0, 1], [1, 2, 3, 4], [1, 2, 3]), "score_b has 3"),
        (lambda: delong_test_unpaired([0, 1, 0, 1], [1, 2, 3, 4], [1, 1, 0], [1, 2, 3]), "y_b"),
    ],
)
def test_bad_input_raises_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------ hypothesis invariants

labelled_scores = st.integers(min_value=4, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(
            lambda y: 2 <= sum(y) <= len(y) - 2
        ),
        st.lists(st.integers(-6, 6), min_size=n, max_size=n),
        st.lists(st.integers(-6, 6), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(labelled_scores)
def test_negated_score_mirrors_the_auc(sample):
    y, score, _ = sample
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        forward = auc_ci(y, score)
        backward = auc_ci(y, -np.asarray(score, dtype=float))
    assert backward.estimate == pytest.approx(1 - forward.estimate, abs=1e-12)
    assert backward.se == pytest.approx(forward.se, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(labelled_scores)
def test_intervals_contain_the_estimate(sample):
    y, first, second = sample
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        delong = auc_ci(y, first)
        boot = auc_ci(y, first, method="bootstrap", n_boot=200, random_state=0)
        paired = delong_test(y, first, second)
    assert delong.ci[0] <= delong.estimate <= delong.ci[1]
    assert 0 <= delong.ci[0] and delong.ci[1] <= 1
    assert boot.ci[0] <= boot.ci[1]
    assert paired.ci[0] <= paired.estimate <= paired.ci[1]
    assert 0 <= paired.pvalue <= 1


@settings(max_examples=60, deadline=None)
@given(labelled_scores)
def test_self_comparison_gives_zero_difference(sample):
    y, score, _ = sample
    with pytest.warns(RuntimeWarning):
        result = delong_test(y, score, score)
    assert (result.estimate, result.statistic, result.pvalue) == (0.0, 0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(labelled_scores)
def test_monotone_transforms_change_nothing(sample):
    y, first, second = sample
    first, second = np.asarray(first, float), np.asarray(second, float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        raw = delong_test(y, first, second)
        transformed = delong_test(y, np.exp(first / 3), second**3 + 10 * second)
    assert transformed.auc_a == pytest.approx(raw.auc_a, abs=1e-12)
    assert transformed.se == pytest.approx(raw.se, abs=1e-12)
    assert transformed.statistic == pytest.approx(raw.statistic, abs=1e-9)
