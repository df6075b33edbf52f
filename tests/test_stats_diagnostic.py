"""Diagnostic metrics, Youden threshold and McNemar's test against pROC, sklearn and statsmodels."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_curve,
)
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from radfuse.stats import (
    diagnostic_metrics,
    mcnemar_test,
    wilson_ci,
    youden_threshold,
)


@pytest.fixture(scope="module")
def asah(data_dir):
    frame = pd.read_csv(data_dir / "aSAH.csv")
    frame["poor"] = (frame.outcome == "Poor").astype(int)
    return frame


def synthetic(seed, n=120):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, rng.normal(size=n) + 1.2 * y


# ------------------------------------------------------------ pROC reference


def test_youden_threshold_matches_proc_best_coords(asah):
    """pROC test-coords.R: coords(r.s100b, "best") is threshold 0.205 with
    tp = 26, fp = 14, tn = 58, fn = 15. pROC reports the midpoint between two
    observed scores; radfuse the observed score just above it."""
    best = youden_threshold(asah.outcome, asah.s100b, pos_label="Poor")
    below = asah.s100b[asah.s100b < best.threshold].max()
    assert (below + best.threshold) / 2 == pytest.approx(0.205, abs=1e-12)
    assert best.sensitivity == pytest.approx(26 / 41, abs=1e-15)
    assert best.specificity == pytest.approx(58 / 72, abs=1e-15)
    assert best.youden_j == pytest.approx(26 / 41 + 58 / 72 - 1, abs=1e-15)

    metrics = diagnostic_metrics(
        asah.outcome, asah.s100b, best.threshold, pos_label="Poor", random_state=0
    )
    assert (metrics.tp, metrics.fp, metrics.tn, metrics.fn) == (26, 14, 58, 15)
    assert metrics.accuracy == pytest.approx((26 + 58) / 113, abs=1e-15)
    assert metrics.npv == pytest.approx(58 / 73, abs=1e-15)
    assert metrics.ppv == pytest.approx(26 / 40, abs=1e-15)


# ------------------------------------------------------ sklearn and statsmodels


@pytest.mark.parametrize("seed, threshold", [(0, 0.5), (1, 0.0), (2, 1.3)])
def test_counts_and_estimates_equal_sklearn(seed, threshold):
    y, score = synthetic(seed)
    predicted = (score >= threshold).astype(int)
    result = diagnostic_metrics(y, score, threshold, random_state=0)
    np.testing.assert_array_equal(result.confusion_matrix, confusion_matrix(y, predicted))
    assert result.accuracy == pytest.approx(accuracy_score(y, predicted), abs=1e-12)
    assert result.sensitivity == pytest.approx(recall_score(y, predicted), abs=1e-12)
    assert result.specificity == pytest.approx(recall_score(y, predicted, pos_label=0), abs=1e-12)
    assert result.ppv == pytest.approx(precision_score(y, predicted), abs=1e-12)
    assert result.npv == pytest.approx(precision_score(y, predicted, pos_label=0), abs=1e-12)
    assert result.f1 == pytest.approx(f1_score(y, predicted), abs=1e-12)


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_wilson_intervals_equal_statsmodels(alpha):
    y, score = synthetic(4)
    result = diagnostic_metrics(y, score, 0.4, alpha=alpha, random_state=0)
    table = result.to_frame().set_index("metric")
    for metric in ("accuracy", "sensitivity", "specificity", "ppv", "npv"):
        row = table.loc[metric]
        expected = proportion_confint(row.numerator, row.denominator, alpha, method="wilson")
        assert getattr(result, f"{metric}_ci") == pytest.approx(expected, abs=1e-12)
        assert (row.ci_lower, row.ci_upper) == pytest.approx(expected, abs=1e-12)
        assert row.ci_method == "wilson"
    assert table.loc["f1", "ci_method"] == "bootstrap"


@pytest.mark.parametrize("successes, trials", [(0, 7), (7, 7), (1, 1), (13, 40)])
def test_wilson_interval_edges_equal_statsmodels(successes, trials):
    expected = proportion_confint(successes, trials, 0.05, method="wilson")
    assert wilson_ci(successes, trials) == pytest.approx(expected, abs=1e-12)


def resampled_f1_interval(y, predicted, n_boot, seed, alpha=0.05):
    """Independent reference: stratified resampling of case indices, F1 from counts."""
    rng = np.random.default_rng(seed)
    cases, controls = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    case_draw = rng.choice(cases, size=(n_boot, cases.size))
    control_draw = rng.choice(controls, size=(n_boot, controls.size))
    tp = predicted[case_draw].sum(axis=1)
    fn = cases.size - tp
    fp = predicted[control_draw].sum(axis=1)
    return np.quantile(2 * tp / (2 * tp + fp + fn), [alpha / 2, 1 - alpha / 2])


def test_f1_bootstrap_interval_agrees_with_index_resampling():
    y, score = synthetic(5, n=150)
    result = diagnostic_metrics(y, score, 0.6, n_boot=4000, random_state=1)
    reference = resampled_f1_interval(y, (score >= 0.6).astype(int), 20000, seed=2)
    # Monte-Carlo error of a 2.5% quantile with 4000 replicates is about 0.005.
    assert result.f1_ci == pytest.approx(tuple(reference), abs=0.02)
    assert result.f1_ci[0] < result.f1 < result.f1_ci[1]


def test_bootstrap_sensitivity_interval_equals_binomial_quantiles():
    """A stratified bootstrap of the positives makes TP* ~ Binomial(m, sensitivity)."""
    y, score = synthetic(6, n=200)
    result = diagnostic_metrics(y, score, 0.5, method="bootstrap", n_boot=20000, random_state=3)
    m = int(y.sum())
    expected = stats.binom.ppf([0.025, 0.975], m, result.tp / m) / m
    assert result.sensitivity_ci == pytest.approx(tuple(expected), abs=1.5 / m)
    assert result.to_frame().ci_method.eq("bootstrap").all()


def test_bootstrap_is_deterministic_under_random_state():
    y, score = synthetic(7)
    first = diagnostic_metrics(y, score, 0.5, method="bootstrap", random_state=9)
    again = diagnostic_metrics(y, score, 0.5, method="bootstrap", random_state=9)
    other = diagnostic_metrics(y, score, 0.5, method="bootstrap", random_state=10)
    assert first.to_frame().equals(again.to_frame())
    assert first.f1_ci != other.f1_ci


# ---------------------------------------------------------- undefined metrics


def test_no_predicted_positives_make_ppv_undefined_with_reason():
    with pytest.warns(RuntimeWarning, match="ppv undefined"):
        result = diagnostic_metrics([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], threshold=0.9)
    assert np.isnan(result.ppv) and np.isnan(result.ppv_ci).all()
    assert result.sensitivity == 0.0 and result.f1 == 0.0
    table = result.to_frame().set_index("metric")
    assert "no predicted positives" in table.loc["ppv", "note"]
    assert table.loc["npv", "note"] == ""
    assert "ppv undefined" in result.note


def test_no_predicted_negatives_make_npv_undefined_with_reason():
    with pytest.warns(RuntimeWarning, match="npv undefined"):
        result = diagnostic_metrics([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], threshold=0.1)
    assert np.isnan(result.npv)
    assert result.sensitivity == 1.0 and result.specificity == 0.0


# ------------------------------------------------------------------- Youden


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_youden_threshold_equals_sklearn_roc_curve_argmax(seed):
    y, score = synthetic(seed)
    fpr, tpr, thresholds = roc_curve(y, score, drop_intermediate=False)
    best = youden_threshold(y, score)
    assert best.threshold == thresholds[np.argmax(tpr - fpr)]
    assert best.youden_j == pytest.approx(np.max(tpr - fpr), abs=1e-12)


def test_youden_ties_choose_the_highest_threshold():
    # Thresholds 0.4 and 0.7 both give J = 2/3.
    best = youden_threshold([0, 0, 0, 1, 1, 1], [0.1, 0.6, 0.2, 0.7, 0.4, 0.9])
    assert best.threshold == 0.7
    assert (best.sensitivity, best.specificity) == (2 / 3, 1.0)


# ------------------------------------------------------------------- McNemar


def paired_predictions(seed, n=200):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pred_a = np.where(rng.random(n) < 0.8, y, 1 - y)
    pred_b = np.where(rng.random(n) < 0.7, y, 1 - y)
    return y, pred_a, pred_b


@pytest.mark.parametrize("subset", ["all", "positives", "negatives"])
@pytest.mark.parametrize("exact, correction", [(True, True), (False, True), (False, False)])
def test_mcnemar_equals_statsmodels(subset, exact, correction):
    y, pred_a, pred_b = paired_predictions(0)
    result = mcnemar_test(y, pred_a, pred_b, subset=subset, exact=exact, correction=correction)
    keep = {"all": y >= 0, "positives": y == 1, "negatives": y == 0}[subset]
    table = pd.crosstab(pred_a[keep] == y[keep], pred_b[keep] == y[keep]).reindex(
        index=[True, False], columns=[True, False], fill_value=0
    )
    expected = mcnemar(table.to_numpy(), exact=exact, correction=correction)
    if not exact and correction and result.only_a_correct == result.only_b_correct:
        # statsmodels corrects even a zero difference; R does not (see test_mcnemar_chi_square_equals_r).
        assert (result.statistic, result.pvalue) == (0.0, 1.0)
        return
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert result.pvalue == pytest.approx(expected.pvalue, abs=1e-12)
    assert result.n_cases == keep.sum()


@pytest.mark.parametrize("row", pd.read_csv(Path(__file__).parent / "data" / "r_mcnemar.csv").to_dict("records"))
def test_mcnemar_chi_square_equals_r(row):
    # Cases built from the table: A right on the first two groups, B on the first and third.
    counts = [row["both_correct"], row["only_a_correct"], row["only_b_correct"], row["both_wrong"]]
    a_right = np.repeat([True, True, False, False], counts)
    b_right = np.repeat([True, False, True, False], counts)
    y = np.arange(a_right.size) % 2
    pred_a, pred_b = np.where(a_right, y, 1 - y), np.where(b_right, y, 1 - y)
    result = mcnemar_test(y, pred_a, pred_b, exact=False, correction=row["correct"])
    # R's csv holds 15 significant digits.
    assert result.statistic == pytest.approx(row["statistic"], rel=1e-12, abs=1e-12)
    assert result.pvalue == pytest.approx(row["pvalue"], rel=1e-12)


def test_mcnemar_on_positives_compares_sensitivities():
    y, pred_a, pred_b = paired_predictions(1)
    result = mcnemar_test(y, pred_a, pred_b, subset="positives")
    assert result.proportion_a == pytest.approx(recall_score(y, pred_a), abs=1e-12)
    assert result.proportion_b == pytest.approx(recall_score(y, pred_b), abs=1e-12)
    specificity = mcnemar_test(y, pred_a, pred_b, subset="negatives")
    assert specificity.proportion_a == pytest.approx(recall_score(y, pred_a, pos_label=0))


def test_mcnemar_without_discordant_pairs_gives_p_one_with_warning():
    with pytest.warns(RuntimeWarning, match="no discordant"):
        result = mcnemar_test([0, 1, 1, 0], [0, 1, 0, 0], [0, 1, 0, 0], exact=False)
    assert (result.statistic, result.pvalue) == (0.0, 1.0)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: diagnostic_metrics([1, 1], [0.1, 0.2], 0.5), "exactly two classes"),
        (lambda: diagnostic_metrics([0, 1], [0.1, np.nan], 0.5), "NaN or inf"),
        (lambda: diagnostic_metrics([0, 1, 0], [0.1, 0.2], 0.5), "2 values but y_true has 3"),
        (lambda: diagnostic_metrics([0, 1], [0.1, 0.2], np.nan), "threshold"),
        (lambda: diagnostic_metrics([0, 1], [0.1, 0.2], 0.5, method="exact"), "method"),
        (lambda: diagnostic_metrics([0, 1], [0.1, 0.2], 0.5, alpha=0), "alpha"),
        (lambda: mcnemar_test([0, 1], [0, 2], [0, 1]), r"pred_a must hold 0/1 predictions.*\[2\]"),
        (lambda: mcnemar_test([0, 1], [0, 1], [0.3, 0.9]), "pred_b"),
        (lambda: mcnemar_test([0, 1], [0, 1], [0, 1, 1]), "pred_b has 3 values"),
        (lambda: mcnemar_test([0, 1], [0, 1], [0, 1], subset="cases"), "subset"),
        (lambda: youden_threshold([0, 1, 0], [0.1, 0.2]), "2 values but y_true has 3"),
        (lambda: wilson_ci(3, 2), "successes"),
    ],
)
def test_bad_input_raises_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------- hypothesis invariants


@settings(max_examples=80, deadline=None)
@given(
    st.integers(min_value=1, max_value=60).flatmap(
        lambda trials: st.tuples(st.integers(0, trials), st.just(trials))
    ),
    st.sampled_from([0.01, 0.05, 0.2]),
)
def test_wilson_interval_contains_the_proportion(counts, alpha):
    successes, trials = counts
    lower, upper = wilson_ci(successes, trials, alpha)
    assert 0 <= lower <= successes / trials <= upper <= 1


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 9)), min_size=4, max_size=60).filter(
        lambda pairs: len({label for label, _ in pairs}) == 2
    ),
    st.integers(0, 10),
)
def test_metric_intervals_contain_defined_estimates(pairs, threshold):
    y, score = map(np.asarray, zip(*pairs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = diagnostic_metrics(y, score, threshold, n_boot=200, random_state=0)
    assert result.tn + result.fp + result.fn + result.tp == y.size
    for metric in ("accuracy", "sensitivity", "specificity", "ppv", "npv"):
        estimate = getattr(result, metric)
        if not np.isnan(estimate):
            lower, upper = getattr(result, f"{metric}_ci")
            assert lower <= estimate <= upper
