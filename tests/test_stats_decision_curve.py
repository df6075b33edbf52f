"""Decision curves against the dcurves package's output (stored by
data/make_dcurves_mskcc.py) and R dcurves' published output for the MSKCC tutorial data; biopsy impact against sklearn's confusion matrix
and the counts of a published clinical-impact table."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix

from radfuse._files import read_csv_exact
from radfuse.stats import biopsy_impact, decision_curve


@pytest.fixture(scope="module")
def mskcc(data_dir):
    return pd.read_csv(data_dir / "dca_mskcc_tutorial.csv")


def test_matches_python_dcurves(mskcc, data_dir):
    models = ["famhistory", "cancerpredmarker"]
    thresholds = np.arange(100) / 100
    ours = decision_curve(mskcc["cancer"], {m: mskcc[m] for m in models}, thresholds)
    # dcurves 1.1.7's dca() output; its lifelines dependency caps pandas < 3,
    # so it is stored rather than installed with the tests.
    theirs = read_csv_exact(data_dir / "dcurves_mskcc.csv")
    assert ours["model"].tolist() == theirs["model"].tolist()
    np.testing.assert_array_equal(ours["threshold"], theirs["threshold"])
    for column in ["n", "prevalence", "test_pos_rate", "tp_rate", "fp_rate", "net_benefit"]:
        np.testing.assert_allclose(
            ours[column].to_numpy(float), theirs[column].to_numpy(float),
            rtol=1e-12, atol=1e-14, err_msg=column,
        )


def test_matches_r_dcurves_famhistory(mskcc, data_dir):
    # R dcurves' binary-outcome DCA of famhistory (treat-all, treat-none and
    # the model at thresholds 0-0.99), from shared/data/references.
    reference = pd.read_csv(data_dir / "r_dca_famhistory.csv")
    thresholds = np.sort(reference["threshold"].unique())
    ours = decision_curve(mskcc["cancer"], {"famhistory": mskcc["famhistory"]}, thresholds)
    merged = reference.merge(
        ours, left_on=["variable", "threshold"], right_on=["model", "threshold"],
        validate="one_to_one",
    )
    assert len(merged) == len(reference) == 300
    np.testing.assert_allclose(
        merged["net_benefit_x"], merged["net_benefit_y"], rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(merged["tp_rate_x"], merged["tp_rate_y"], rtol=1e-12)
    np.testing.assert_allclose(merged["fp_rate_x"], merged["fp_rate_y"], rtol=1e-12)
    np.testing.assert_allclose(merged["pos_rate"], merged["prevalence"], rtol=1e-12)
    assert (merged["n_x"] == merged["n_y"]).all()


def test_hand_example_net_benefit():
    # 5 patients, 2 events; at p_t = 0.25 (odds 1/3) the model treats
    # risks .8, .3 (events) and .5 (non-event): NB = 2/5 - (1/5)(1/3) = 1/3.
    # Treat all: 2/5 - (3/5)(1/3) = 1/5. At p_t = 0 a risk of 0 is not treated.
    curve = decision_curve([1, 1, 0, 0, 0], {"m": [0.8, 0.3, 0.5, 0.1, 0.0]}, [0.0, 0.25])
    by_row = curve.set_index(["model", "threshold"])["net_benefit"]
    assert by_row[("m", 0.25)] == pytest.approx(1 / 3, abs=1e-15)
    assert by_row[("all", 0.25)] == pytest.approx(1 / 5, abs=1e-15)
    assert by_row[("none", 0.25)] == 0
    assert curve.set_index(["model", "threshold"]).loc[("m", 0.0), "test_pos_rate"] == 0.8
    # A risk equal to the threshold is treated.
    tied = decision_curve([1, 0], {"m": [0.5, 0.2]}, [0.5]).set_index("model")
    assert tied.loc["m", "tp_rate"] == 0.5


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=4, max_size=50), st.floats(0.001, 0.99))
def test_perfect_model_earns_the_prevalence(outcomes, threshold):
    y = np.array(outcomes)
    y[:2] = [0, 1]
    curve = decision_curve(y, {"oracle": y.astype(float)}, [threshold]).set_index("model")
    assert curve.loc["oracle", "net_benefit"] == pytest.approx(y.mean(), abs=1e-12)
    assert curve.loc["all", "net_benefit"] <= curve.loc["oracle", "net_benefit"] + 1e-12
    assert curve.loc["none", "net_benefit"] == 0


def test_default_thresholds_and_order(mskcc):
    probs = {"b": mskcc["cancerpredmarker"], "a": mskcc["famhistory"]}
    curve = decision_curve(mskcc["cancer"], probs)
    assert curve["model"].unique().tolist() == ["b", "a", "all", "none"]
    assert curve.groupby("model").size().tolist() == [100] * 4


@pytest.mark.parametrize(
    ("probs", "thresholds", "error", "message"),
    [
        ({"m": [0.1, 0.2, 0.3]}, None, ValueError, "same cases"),
        ({"m": [0.1, 0.2, np.nan, 0.3]}, None, ValueError, "NaN"),
        ({"m": [0.1, 1.2, 0.3, 0.4]}, None, ValueError, r"\[0, 1\]"),
        ({"all": [0.1, 0.2, 0.3, 0.4]}, None, ValueError, "reserved"),
        ([0.1, 0.2, 0.3, 0.4], None, TypeError, "'probs' parameter of decision_curve"),
        ({}, None, ValueError, "probs is empty"),
        ({"m": [0.1, 0.2, 0.3, 0.4]}, [0.5, 1.0], ValueError, r"\[0, 1\)"),
    ],
)
def test_decision_curve_rejects_bad_input(probs, thresholds, error, message):
    with pytest.raises(error, match=message):
        decision_curve([0, 1, 0, 1], probs, thresholds)


def test_decision_curve_rejects_single_class():
    with pytest.raises(ValueError, match="exactly two classes"):
        decision_curve([1, 1, 1], {"m": [0.2, 0.3, 0.4]})


def test_biopsy_impact_matches_confusion_matrix(data_dir):
    data = pd.read_csv(data_dir / "aSAH.csv")
    y, score = (data["outcome"] == "Poor").to_numpy(int), data["s100b"].to_numpy()
    impact = biopsy_impact(y, score, threshold=0.205)
    tn, fp, fn, tp = confusion_matrix(y, score >= 0.205).ravel()
    assert impact.recommended_biopsies == tp + fp
    assert impact.unnecessary_biopsies == fp
    assert impact.missed_malignancies == fn
    assert (impact.n_malignant, impact.n_benign) == (tp + fn, tn + fp)
    assert impact.biopsy_rate == pytest.approx((tp + fp) / len(y))
    assert impact.unnecessary_rate_among_biopsies == pytest.approx(fp / (tp + fp))
    assert impact.unnecessary_rate_among_benign == pytest.approx(fp / (fp + tn))
    assert impact.missed_rate_among_malignant == pytest.approx(fn / (fn + tp))
    assert impact.missed_rate_among_deferred == pytest.approx(fn / (fn + tn))


@pytest.mark.parametrize(
    ("tp", "fp", "biopsy_pct", "unnecessary_pct", "sensitivity_pct", "specificity_pct"),
    [(70, 34, 66.2, 32.7, 89.7, 57.0), (74, 12, 54.8, 14.0, 94.9, 84.8)],
)
def test_reproduces_published_clinical_impact_rows(
    tp, fp, biopsy_pct, unnecessary_pct, sensitivity_pct, specificity_pct
):
    # Table 2, reader R7 without / with AI assistance, of the US + mammography
    # study (shared/papers/004): 157 lesions, 78 malignant and 79 benign;
    # "Recommended biopsy" 104/157 and 86/157, "Unnecessary biopsies" 34/104
    # and 12/86 (biopsies in benign lesions, per recommended biopsy).
    malignant, benign = 78, 79
    y = np.r_[np.ones(malignant), np.zeros(benign)]
    score = np.r_[np.ones(tp), np.zeros(malignant - tp), np.ones(fp), np.zeros(benign - fp)]
    impact = biopsy_impact(y, score, threshold=0.5)
    assert impact.recommended_biopsies == tp + fp and impact.unnecessary_biopsies == fp
    assert round(100 * impact.biopsy_rate, 1) == biopsy_pct
    assert round(100 * impact.unnecessary_rate_among_biopsies, 1) == unnecessary_pct
    assert round(100 * (1 - impact.missed_rate_among_malignant), 1) == sensitivity_pct
    assert round(100 * (1 - impact.unnecessary_rate_among_benign), 1) == specificity_pct


def test_biopsy_impact_empty_denominator_warns():
    with pytest.warns(RuntimeWarning, match="recommended for biopsy"):
        impact = biopsy_impact([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], threshold=0.9)
    assert impact.recommended_biopsies == 0 and np.isnan(impact.unnecessary_rate_among_biopsies)
    assert impact.missed_rate_among_deferred == 0.5


def test_biopsy_impact_string_labels_and_errors():
    labels = ["benign", "malignant", "benign", "malignant"]
    impact = biopsy_impact(labels, [0.1, 0.9, 0.6, 0.3], 0.5, pos_label="malignant")
    assert (impact.unnecessary_biopsies, impact.missed_malignancies) == (1, 1)
    with pytest.raises(ValueError, match="pos_label"):
        biopsy_impact(labels, [0.1, 0.9, 0.6, 0.3], 0.5)
    with pytest.raises(ValueError, match="same cases"):
        biopsy_impact([0, 1, 0, 1], [0.1, 0.9], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        biopsy_impact([0, 1, 0, 1], [0.1, np.nan, 0.2, 0.3], 0.5)
    with pytest.raises(ValueError, match="threshold"):
        biopsy_impact([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.3], np.nan)
    assert "recommended_biopsies" in impact.to_frame().columns
