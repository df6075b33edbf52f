"""NRI and IDI against hand-derived values, R's Hmisc::improveProb (stored output of
tests/r/reclassification_calibration.R) and scipy/statsmodels two-sample computations."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from radfuse.stats import idi, nri

# Six cases worked by hand (see test_hand_example_* for the derivations).
Y_HAND = [1, 1, 1, 0, 0, 0]
OLD_HAND = [0.2, 0.3, 0.7, 0.5, 0.4, 0.3]
NEW_HAND = [0.4, 0.35, 0.6, 0.2, 0.1, 0.3]


@pytest.fixture(scope="module")
def asah_models(data_dir):
    """Old (age) and new (+ WFNS grade + S100B) logistic risks of a poor outcome."""
    data = pd.read_csv(data_dir / "aSAH.csv")
    y = (data["outcome"] == "Poor").to_numpy(int)
    old_design = sm.add_constant(data[["age"]].astype(float))
    new_design = sm.add_constant(data[["age", "wfns", "s100b"]].astype(float))
    p_old = sm.Logit(y, old_design).fit(disp=0).predict(old_design).to_numpy()
    p_new = sm.Logit(y, new_design).fit(disp=0).predict(new_design).to_numpy()
    return y, p_new, p_old


@pytest.fixture(scope="module")
def r_risks(data_dir):
    """The same two models fitted by R's glm, as written by tests/r/reclassification_calibration.R."""
    risks = pd.read_csv(data_dir / "r_asah_risks.csv")
    return risks["y"].to_numpy(), risks["p_new"].to_numpy(), risks["p_old"].to_numpy()


@pytest.fixture(scope="module")
def improve_prob(data_dir):
    """Hmisc 4.8.0 improveProb on those risks, one row per set of cut-offs."""
    return pd.read_csv(data_dir / "hmisc_improveprob.csv", index_col="cutoffs", keep_default_na=False)


def test_hand_example_category_free():
    # Events: 0.2->0.4 up, 0.3->0.35 up, 0.7->0.6 down: u=2, d=1, n=3.
    #   NRI_ev = 1/3; Hmisc var = 3/9 - 1/27 = 8/27; Pencina var = 3/9.
    # Non-events: 0.5->0.2 down, 0.4->0.1 down, 0.3->0.3 tie: u=0, d=2, n=3.
    #   NRI_ne = 2/3; Hmisc var = 2/9 - 4/27 = 2/27; Pencina var = 2/9.
    # NRI = 1, SE = sqrt(10/27) (Hmisc) or sqrt(5/9) (Pencina).
    result = nri(Y_HAND, NEW_HAND, OLD_HAND)
    assert result.nri_events == pytest.approx(1 / 3, abs=1e-15)
    assert result.nri_nonevents == pytest.approx(2 / 3, abs=1e-15)
    assert result.estimate == pytest.approx(1.0, abs=1e-15)
    assert result.se == pytest.approx(math.sqrt(10 / 27), abs=1e-15)
    assert result.se_events == pytest.approx(math.sqrt(8 / 27), abs=1e-15)
    assert (result.up_events, result.down_events) == pytest.approx((2 / 3, 1 / 3))
    assert (result.up_nonevents, result.down_nonevents) == pytest.approx((0.0, 2 / 3))
    assert result.statistic == pytest.approx(1 / math.sqrt(10 / 27), abs=1e-12)
    assert result.pvalue == pytest.approx(2 * stats.norm.sf(1 / math.sqrt(10 / 27)), abs=1e-12)
    pencina = nri(Y_HAND, NEW_HAND, OLD_HAND, variance="pencina")
    assert pencina.estimate == result.estimate
    assert pencina.se == pytest.approx(math.sqrt(5 / 9), abs=1e-15)


def test_hand_example_categorical():
    # Categories [0, .25), [.25, .5), [.5, 1]; a risk of exactly 0.5 is "high".
    # Events: 0->1 up, 1->1, 2->2: u=1, d=0 -> NRI_ev = 1/3, var = 1/9 - 1/27 = 2/27.
    # Non-events: 2->0 down, 1->0 down, 1->1: NRI_ne = 2/3, var = 2/9 - 4/27 = 2/27.
    result = nri(Y_HAND, NEW_HAND, OLD_HAND, cutoffs=[0.25, 0.5])
    assert result.nri_events == pytest.approx(1 / 3, abs=1e-15)
    assert result.nri_nonevents == pytest.approx(2 / 3, abs=1e-15)
    assert result.se == pytest.approx(math.sqrt(4 / 27), abs=1e-15)
    assert result.kind == "categorical (cut-offs 0.25, 0.5)"
    # An event moving from 0.4 to exactly the cut-off 0.5 moves up a category.
    assert nri([1, 0], [0.5, 0.2], [0.4, 0.2], cutoffs=[0.5]).up_events == 1


def test_hand_example_idi():
    # d = new - old: events (.2, .05, -.1), mean .05; non-events (-.3, -.3, 0), mean -.2.
    # IDI = .25; sample variances .0225 and .03, so SE = sqrt(.0225/3 + .03/3).
    result = idi(Y_HAND, NEW_HAND, OLD_HAND)
    assert result.estimate == pytest.approx(0.25, abs=1e-12)
    assert result.se == pytest.approx(math.sqrt(0.0175), abs=1e-12)
    # Slopes: new 0.45 - 0.2 = 0.25, old 0.4 - 0.4 = 0, so IDI = their difference.
    assert result.discrimination_slope_a == pytest.approx(1.35 / 3 - 0.6 / 3, abs=1e-12)
    assert result.discrimination_slope_b == pytest.approx(1.2 / 3 - 1.2 / 3, abs=1e-12)
    assert result.mean_change_events == pytest.approx(0.05, abs=1e-12)
    assert result.mean_change_nonevents == pytest.approx(0.2, abs=1e-12)


# Hmisc::improveProb prints its results to many digits; the differences observed are
# below 1e-15 (sums of the same 113 terms in another order).
R_TOL = 1e-12


@pytest.mark.parametrize("cutoffs", [None, [0.2], [0.1, 0.3, 0.6]])
def test_nri_matches_hmisc_improveprob(r_risks, improve_prob, cutoffs):
    y, p_new, p_old = r_risks
    expected = improve_prob.loc["none" if cutoffs is None else ";".join(map(str, cutoffs))]
    result = nri(y, p_new, p_old, cutoffs=cutoffs)
    for ours, theirs in [
        (("estimate", "nri")), ("se", "se_nri"), ("statistic", "z_nri"),
        ("nri_events", "nri_ev"), ("se_events", "se_nri_ev"),
        ("nri_nonevents", "nri_ne"), ("se_nonevents", "se_nri_ne"),
        ("up_events", "pup_ev"), ("down_events", "pdown_ev"),
        ("up_nonevents", "pup_ne"), ("down_nonevents", "pdown_ne"),
    ]:
        assert getattr(result, ours) == pytest.approx(expected[theirs], rel=R_TOL, abs=1e-15), ours
    assert result.pvalue == pytest.approx(2 * stats.norm.sf(abs(expected["z_nri"])), rel=R_TOL)
    # Pencina's null variance has no reference software installed (nricens and PredictABEL
    # are not packaged for Debian); its estimate is improveProb's and its SE is checked by
    # hand in test_hand_example_category_free.
    pencina = nri(y, p_new, p_old, cutoffs=cutoffs, variance="pencina")
    assert pencina.estimate == result.estimate and pencina.se >= result.se


def test_idi_matches_hmisc_improveprob(r_risks, improve_prob):
    expected = improve_prob.loc["none"]
    result = idi(*r_risks)
    assert result.estimate == pytest.approx(expected["idi"], rel=R_TOL)
    assert result.se == pytest.approx(expected["se_idi"], rel=R_TOL)
    assert result.statistic == pytest.approx(expected["z_idi"], rel=R_TOL)


def test_hmisc_variance_is_population_variance_of_the_moves(asah_models):
    # (u + d)/n^2 - (u - d)^2/n^3 = Var(sign(d)) / n with the 1/n variance.
    y, p_new, p_old = asah_models
    moves = np.sign(p_new - p_old)
    result = nri(y, p_new, p_old)
    events = DescrStatsW(moves[y == 1])
    nonevents = DescrStatsW(-moves[y == 0])
    assert result.nri_events == pytest.approx(events.mean, rel=1e-12)
    assert result.nri_nonevents == pytest.approx(nonevents.mean, rel=1e-12)
    assert result.se_events == pytest.approx(math.sqrt(events.var / events.nobs), rel=1e-12)
    assert result.se_nonevents == pytest.approx(
        math.sqrt(nonevents.var / nonevents.nobs), rel=1e-12
    )


def test_idi_equals_welch_two_sample_comparison(asah_models):
    # IDI and its SE are a two-sample comparison of d between events and
    # non-events with unequal variances (Welch / statsmodels ztest_ind).
    y, p_new, p_old = asah_models
    d = p_new - p_old
    result = idi(y, p_new, p_old, alpha=0.1)
    welch = stats.ttest_ind(d[y == 1], d[y == 0], equal_var=False)
    compare = CompareMeans.from_data(d[y == 1], d[y == 0])
    z, p = compare.ztest_ind(usevar="unequal")
    assert result.statistic == pytest.approx(welch.statistic, rel=1e-10)
    assert result.statistic == pytest.approx(z, rel=1e-10)
    assert result.pvalue == pytest.approx(p, rel=1e-10)
    assert result.ci == pytest.approx(compare.zconfint_diff(alpha=0.1, usevar="unequal"), rel=1e-10)
    assert result.se == pytest.approx(compare.std_meandiff_separatevar, rel=1e-10)


def test_idi_is_difference_of_discrimination_slopes(asah_models):
    y, p_new, p_old = asah_models
    result = idi(y, p_new, p_old)
    slope_a = p_new[y == 1].mean() - p_new[y == 0].mean()
    slope_b = p_old[y == 1].mean() - p_old[y == 0].mean()
    assert result.discrimination_slope_a == pytest.approx(slope_a, rel=1e-12)
    assert result.discrimination_slope_b == pytest.approx(slope_b, rel=1e-12)
    assert result.estimate == pytest.approx(slope_a - slope_b, rel=1e-10)
    # WFNS and S100B add much to age alone on the aSAH data.
    assert result.estimate > 0 and result.pvalue < 0.05


def test_self_comparison_is_zero_with_pvalue_one(asah_models):
    y, _, p_old = asah_models
    for result in (nri(y, p_old, p_old), nri(y, p_old, p_old, cutoffs=[0.3]), idi(y, p_old, p_old)):
        assert result.se == 0
        assert result.statistic == 0 and result.pvalue == 1
        estimate = result.estimate if hasattr(result, "nri") else result.estimate
        assert estimate == 0 and result.ci == (0.0, 0.0)


def test_every_case_moving_the_right_way_gives_infinite_z():
    # All events up, all non-events down: NRI = 2 with Hmisc variance 0.
    result = nri([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2], [0.5, 0.5, 0.5, 0.5])
    assert result.estimate == 2 and result.se == 0
    assert result.statistic == math.inf and result.pvalue == 0


probability = st.floats(0, 1, allow_nan=False)


@st.composite
def paired_risks(draw):
    n = draw(st.integers(4, 40))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    y[:4] = [0, 0, 1, 1]
    p_new = draw(st.lists(probability, min_size=n, max_size=n))
    p_old = draw(st.lists(probability, min_size=n, max_size=n))
    return np.array(y), np.array(p_new), np.array(p_old)


@settings(max_examples=60, deadline=None)
@given(paired_risks(), st.sampled_from([None, [0.5], [0.1, 0.2]]))
def test_invariants(data, cutoffs):
    y, p_new, p_old = data
    forward = nri(y, p_new, p_old, cutoffs=cutoffs)
    backward = nri(y, p_old, p_new, cutoffs=cutoffs)
    assert backward.estimate == pytest.approx(-forward.estimate, abs=1e-12)
    assert backward.se == pytest.approx(forward.se, abs=1e-12)
    assert -2 <= forward.estimate <= 2
    assert forward.ci[0] <= forward.estimate <= forward.ci[1]
    assert nri(y, p_new, p_old, cutoffs=cutoffs, variance="pencina").se >= forward.se - 1e-12
    assert nri(y, p_new, p_new, cutoffs=cutoffs).estimate == 0

    forward_idi, backward_idi = idi(y, p_new, p_old), idi(y, p_old, p_new)
    assert backward_idi.estimate == pytest.approx(-forward_idi.estimate, abs=1e-12)
    assert backward_idi.se == pytest.approx(forward_idi.se, abs=1e-12)
    assert forward_idi.ci[0] <= forward_idi.estimate <= forward_idi.ci[1]
    assert idi(y, p_new, p_new).estimate == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_true": [1, 1, 1, 1]}, "exactly two classes"),
        ({"prob_a": [0.1, np.nan, 0.3, 0.4]}, "NaN"),
        ({"prob_b": [0.1, 0.2, 0.3]}, "same cases"),
        ({"prob_a": [0.1, 1.2, 0.3, 0.4]}, r"\[0, 1\]"),
        ({"cutoffs": [0.5, 0.2]}, "strictly increasing"),
        ({"cutoffs": [1.0]}, "strictly between"),
        ({"variance": "bootstrap"}, "'variance' parameter of nri"),
        ({"alpha": 1.5}, "alpha"),
    ],
)
def test_nri_rejects_bad_input(kwargs, message):
    arguments = {
        "y_true": [0, 1, 0, 1], "prob_a": [0.1, 0.6, 0.3, 0.8], "prob_b": [0.2, 0.5, 0.2, 0.7]
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        nri(**arguments)


def test_idi_needs_two_cases_per_class():
    with pytest.raises(ValueError, match="at least two events"):
        idi([0, 0, 1], [0.1, 0.2, 0.9], [0.2, 0.2, 0.8])
    with pytest.raises(ValueError, match="prob_a"):
        idi([0, 1, 0, 1], [0.1, -0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4])


def test_results_render_as_one_row(asah_models):
    frame = nri(*asah_models).to_frame()
    assert {"estimate", "se", "ci_lower", "ci_upper", "pvalue"} <= set(frame.columns)
    assert "NRIResult(estimate=" in repr(nri(*asah_models))
    assert set(idi(*asah_models).to_frame().columns) >= {"estimate", "discrimination_slope_a"}
