"""Calibration against scikit-learn (table, Brier), statsmodels/scipy fits
written differently (intercept, slope) and the Hosmer-Lemeshow test computed by R
(stored output of tests/r/reclassification_calibration.R)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from radfuse.stats import calibration


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(2024)
    linear = rng.normal(-0.5, 1.2, 400)
    y = rng.binomial(1, special.expit(0.3 + 0.7 * linear))
    return y, special.expit(linear)


def test_brier_matches_sklearn(simulated):
    y, p = simulated
    assert calibration(y, p).brier == pytest.approx(brier_score_loss(y, p), rel=1e-12)


@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
@pytest.mark.parametrize("n_bins", [5, 10])
def test_table_matches_sklearn_calibration_curve(simulated, strategy, n_bins):
    y, p = simulated
    table = calibration(y, p, n_bins=n_bins, strategy=strategy).table
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    np.testing.assert_allclose(table["observed_fraction"], prob_true, rtol=1e-12)
    np.testing.assert_allclose(table["mean_predicted"], prob_pred, rtol=1e-12)
    assert table["n"].sum() == len(y)


def test_table_with_ties_matches_sklearn_and_merges_bins(simulated):
    y, p = simulated
    tied = np.round(p, 1).clip(0.05, 0.95)
    table = calibration(y, tied, n_bins=10).table
    prob_true, prob_pred = calibration_curve(y, tied, n_bins=10, strategy="quantile")
    np.testing.assert_allclose(table["observed_fraction"], prob_true, rtol=1e-12)
    np.testing.assert_allclose(table["mean_predicted"], prob_pred, rtol=1e-12)
    assert len(table) < 10


def test_table_columns_and_edges():
    # Four cases, two uniform bins (0, .5] closed at 0 and (.5, 1]: 0.5 falls low.
    with pytest.warns(RuntimeWarning, match="Hosmer-Lemeshow"):
        result = calibration([0, 1, 0, 1], [0.1, 0.5, 0.6, 0.9], n_bins=2, strategy="uniform")
    table = result.table
    assert list(table.columns) == [
        "lower", "upper", "n", "n_events", "expected_events", "mean_predicted", "observed_fraction"
    ]
    assert table["n"].tolist() == [2, 2]
    assert table["lower"].tolist() == [0.0, 0.5] and table["upper"].tolist() == [0.5, 1.0]
    assert table["mean_predicted"].tolist() == pytest.approx([0.3, 0.75])
    assert table["observed_fraction"].tolist() == [0.5, 0.5]


def test_slope_matches_statsmodels_logit(simulated):
    y, p = simulated
    logit = special.logit(p)
    fit = sm.Logit(y, sm.add_constant(logit)).fit(disp=0, method="bfgs", gtol=1e-10)
    # The data were simulated with true slope 0.7.
    assert calibration(y, p).slope == pytest.approx(fit.params[1], rel=1e-6)


def test_intercept_solves_the_offset_score_equation(simulated):
    # Calibration-in-the-large a: sum(y - expit(a + logit p)) = 0.
    y, p = simulated
    logit = special.logit(p)
    root = optimize.brentq(lambda a: np.sum(y - special.expit(a + logit)), -5, 5, xtol=1e-14)
    assert calibration(y, p).intercept == pytest.approx(root, abs=1e-8)


def test_perfect_recalibration_fixed_point(simulated):
    # Risks refitted by logistic recalibration are calibrated: a = 0, b = 1.
    y, p = simulated
    logit = special.logit(p)
    refit = sm.Logit(y, sm.add_constant(logit)).fit(disp=0).predict(sm.add_constant(logit))
    result = calibration(y, refit)
    assert result.slope == pytest.approx(1.0, abs=1e-6)
    assert result.intercept == pytest.approx(0.0, abs=1e-6)


@pytest.fixture(scope="module")
def r_hosmer_lemeshow(data_dir):
    """Inputs and Hosmer-Lemeshow output of tests/r/reclassification_calibration.R (R 4.2.2,
    ResourceSelection::hoslem.test's grouping: type-7 quantile breaks, cut(include.lowest))."""
    return (pd.read_csv(data_dir / "r_hosmer_lemeshow_input.csv"),
            pd.read_csv(data_dir / "r_hosmer_lemeshow.csv"))


def test_hosmer_lemeshow_matches_r(r_hosmer_lemeshow):
    data, expected = r_hosmer_lemeshow
    assert len(expected) == 9
    for row in expected.itertuples():
        result = calibration(data["y"], data[row.prediction], n_bins=row.g)
        assert result.hl_df == row.df, (row.prediction, row.g)
        # R's p-value is 1 - pchisq(): absolute error about 1e-16.
        assert result.statistic == pytest.approx(row.statistic, rel=1e-12), (row.prediction, row.g)
        assert result.pvalue == pytest.approx(row.pvalue, rel=1e-10, abs=1e-15)
    # Rounded predictions tie quantile breaks, so R forms fewer groups than asked.
    assert (expected["df"] < expected["g"] - 2).any()


def test_hosmer_lemeshow_ignores_table_strategy(simulated):
    y, p = simulated
    quantile, uniform = calibration(y, p), calibration(y, p, strategy="uniform")
    assert uniform.statistic == quantile.statistic and uniform.hl_df == quantile.hl_df


def test_hosmer_lemeshow_tied_predictions_give_fewer_groups():
    # Four distinct predictions, 10 requested groups: the unique quantile
    # breaks are .1, .3, .6, .8, and the lowest interval [.1, .3] is closed
    # on both sides, so .1 and .3 share a group: 3 groups, df = 3 - 2 = 1.
    p = np.repeat([0.1, 0.3, 0.6, 0.8], 10)
    y = np.concatenate([[1] + [0] * 9, [1] * 3 + [0] * 7, [1] * 6 + [0] * 4, [1] * 8 + [0] * 2])
    result = calibration(y, p)
    # Observed equals expected in every group: statistic 0, p-value 1.
    assert result.hl_df == 1
    assert result.statistic == pytest.approx(0, abs=1e-12)
    assert result.pvalue == pytest.approx(1.0)
    assert result.table["n"].tolist() == [20, 10, 10]


def test_hosmer_lemeshow_hand_example():
    # Groups {0.2, 0.2} with 1 event and {0.6, 0.6} with 0 events, plus {0.9} x2
    # with 2 events; per group (o - e)^2/e over events and non-events:
    # g1: (1-.4)^2/.4 + (1-1.6)^2/1.6 = .9 + .225; g2: 1.2^2/1.2 + 1.2^2/.8 = 1.2 + 1.8;
    # g3: .2^2/1.8 + .2^2/.2 = .0222... + .2.
    p = [0.2, 0.2, 0.6, 0.6, 0.9, 0.9]
    y = [1, 0, 0, 0, 1, 1]
    result = calibration(y, p, n_bins=3)
    expected = 0.9 + 0.225 + 1.2 + 1.8 + 0.04 / 1.8 + 0.2
    assert result.hl_df == 1
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert result.pvalue == pytest.approx(stats.chi2.sf(expected, 1), rel=1e-12)


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.PerfectSeparationWarning")
def test_hosmer_lemeshow_empty_interpolated_group_is_dropped():
    # Breaks .1, .15, .2, .55, .9: the group (.2, .55] holds no case. R's xtabs
    # keeps it and returns NaN; it has no observations, so it is left out.
    result = calibration([0, 1, 1], [0.1, 0.2, 0.9], n_bins=4)
    assert result.hl_df == 1
    assert np.isfinite(result.statistic)
    assert len(result.table) == 3


def test_fewer_than_three_groups_warns_and_gives_nan_pvalue():
    with pytest.warns(RuntimeWarning, match="only 2 Hosmer-Lemeshow group"):
        result = calibration([0, 1, 0, 1], [0.2, 0.2, 0.7, 0.7])
    assert result.hl_df == 0 and np.isnan(result.pvalue)


def test_constant_predictions_warn_for_slope():
    with pytest.warns(RuntimeWarning) as record:
        result = calibration([0, 1, 0, 1, 0], [0.4] * 5)
    messages = " ".join(str(w.message) for w in record)
    assert "slope is NaN" in messages and "only 1 Hosmer-Lemeshow group" in messages
    assert np.isnan(result.slope)
    # Intercept: logit(2/5) - logit(0.4) = 0.
    assert result.intercept == pytest.approx(0.0, abs=1e-8)


def test_probabilities_of_zero_or_one_are_left_out_of_the_fits(simulated):
    y, p = simulated
    with pytest.warns(RuntimeWarning, match="2 prediction"):
        result = calibration(np.r_[y, 0, 1], np.r_[p, 0.0, 1.0])
    clean = calibration(y, p)
    assert result.slope == pytest.approx(clean.slope, rel=1e-8)
    assert result.brier == pytest.approx(brier_score_loss(np.r_[y, 0, 1], np.r_[p, 0.0, 1.0]))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0.01, 0.99), min_size=12, max_size=60),
    st.integers(3, 10),
    st.integers(0, 2**32 - 1),
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
def test_invariants(probabilities, n_bins, seed):
    p = np.round(np.array(probabilities), 2)
    assume(np.unique(p).size > 1)
    y = np.random.default_rng(seed).binomial(1, p)
    y[:2] = [0, 1]
    result = calibration(y, p, n_bins=n_bins)
    assert result.table["n"].sum() == len(p)
    assert result.table["n_events"].sum() == y.sum()
    assert 0 <= result.brier <= 1
    # At most n_bins groups, fewer when quantile breaks tie.
    assert result.hl_df <= n_bins - 2
    assert np.isnan(result.statistic) or result.statistic >= 0


@pytest.mark.parametrize(
    ("y", "p", "kwargs", "message"),
    [
        ([1, 1, 1], [0.2, 0.3, 0.4], {}, "exactly two classes"),
        ([0, 1, 0], [0.2, np.nan, 0.4], {}, "NaN"),
        ([0, 1, 0], [0.2, 0.4], {}, "same cases"),
        ([0, 1, 0], [0.2, 1.4, 0.4], {}, r"\[0, 1\]"),
        ([0, 1, 0], [0.2, 0.3, 0.4], {"n_bins": 1}, "n_bins"),
        ([0, 1, 0], [0.2, 0.3, 0.4], {"strategy": "kmeans"}, "strategy"),
    ],
)
def test_rejects_bad_input(y, p, kwargs, message):
    with pytest.raises(ValueError, match=message):
        calibration(y, p, **kwargs)


def test_result_summary_row(simulated):
    result = calibration(*simulated)
    frame = result.to_frame()
    summary = {"brier", "intercept", "slope", "statistic", "hl_df", "pvalue"}
    assert summary <= set(frame.columns)
    assert "table" not in frame.columns
    assert "table=<DataFrame shape=(10, 7)>" in repr(result)
