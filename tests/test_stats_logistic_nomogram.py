"""Nomogram points arithmetic against R's rms::nomogram (tests/r/rms_reference.R,
rms_nomogram_*.csv), and the nomogram / calibration figures."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

from radfuse.plots import nomogram_points, plot_bootstrap_calibration, plot_nomogram
from radfuse.stats import LogisticMLE, bootstrap_calibration, logistic_model

RTOL = 1e-6


@pytest.fixture(scope="module")
def fit(data_dir):
    return logistic_model(pd.read_csv(data_dir / "rms_clinical.csv"), "y",
                          ["rad_score", "age", "grade"])


def test_points_match_rms_nomogram(fit, data_dir):
    scales = nomogram_points(fit, values={"rad_score": [-2, -1, 0, 1, 2, 3],
                                          "age": [30, 40, 50, 60, 70, 80, 90]})
    reference = pd.read_csv(data_dir / "rms_nomogram_points.csv")
    for name, expected in reference.groupby("predictor", sort=False):
        ours = scales.predictors[name]
        assert [str(v) if isinstance(v, str) else f"{v:g}" for v in ours["value"]] == \
            expected["value"].astype(str).tolist()
        np.testing.assert_allclose(ours["linear_predictor"], expected["linear_predictor"],
                                   rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(ours["points"], expected["points"], rtol=RTOL, atol=1e-12)
    scale = pd.read_csv(data_dir / "rms_nomogram_scale.csv", index_col="name")["value"]
    assert scales.points_per_unit == pytest.approx(scale["points_per_unit"], rel=RTOL)
    assert scales.intercept == pytest.approx(scale["intercept"], rel=RTOL)
    axes = pd.read_csv(data_dir / "rms_nomogram_axes.csv")
    lp = axes[axes["axis"] == "lp"]
    np.testing.assert_allclose(scales.total_points(lp["value"]), lp["points"], rtol=RTOL)
    risk = axes[axes["axis"] == "probability"]
    # rms places probability ticks by linear interpolation of plogis on a 1000-point lp
    # grid (approx()), which is off by up to 7e-7 here; radfuse inverts exactly.
    np.testing.assert_allclose(scales.total_points(special.logit(risk["value"])), risk["points"],
                               rtol=1e-5)


def test_total_points_give_the_model_prediction(fit, data_dir):
    data = pd.read_csv(data_dir / "rms_clinical.csv").head(5)
    scales = nomogram_points(fit, values={"rad_score": data["rad_score"].tolist(),
                                          "age": data["age"].tolist()})
    totals = sum(
        table["points"].to_numpy()[[table["value"].tolist().index(v) for v in data[name]]]
        for name, table in scales.predictors.items()
    )
    np.testing.assert_allclose(scales.linear_predictor(totals), fit.linear_predictor(data), rtol=1e-10)


def test_nomogram_figure_rows_and_default_axes(fit):
    fig = plot_nomogram(fit)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels == ["Points", "rad_score", "age", "grade", "Total points", "Linear predictor",
                      "Predicted probability"]
    grade_ticks = [t.get_text() for t in fig.axes[3].get_xticklabels()]
    assert grade_ticks == ["G1", "G2", "G3"]
    low, high = fit.ranges["rad_score"]
    shown = [float(t.get_text().replace("\u2212", "-")) for t in fig.axes[1].get_xticklabels()]
    assert low <= min(shown) and max(shown) <= high


def test_bad_nomogram_values_are_named(fit):
    with pytest.raises(ValueError, match=r"\['G9'\] are not levels of 'grade'"):
        nomogram_points(fit, values={"grade": ["G1", "G9"]})
    with pytest.raises(ValueError, match=r"\['stage'\] are not predictors"):
        nomogram_points(fit, values={"stage": [1]})


def test_calibration_figure(data_dir):
    data = pd.read_csv(data_dir / "rms_clinical.csv")
    X = pd.get_dummies(data.drop(columns="y"), drop_first=True, dtype=float)
    result = bootstrap_calibration(LogisticMLE(), X, data["y"], n_boot=10, random_state=0)
    fig = plot_bootstrap_calibration(result)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["Bias-corrected"].get_ydata(), result.table["corrected"])
    assert f"{result.mean_absolute_error:.3f}" in fig.axes[0].texts[0].get_text()
