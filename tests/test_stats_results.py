"""One interface for statistical results: the core fields and a one-row to_frame."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import special
from sklearn.linear_model import LogisticRegression

import radfuse.stats as rs

CORE = ["estimate", "ci_lower", "ci_upper", "statistic", "pvalue", "alpha", "method"]

RNG = np.random.default_rng(0)
X = RNG.normal(size=(120, 2))
Y = RNG.binomial(1, special.expit(1.5 * X[:, 0]))
P = special.expit(1.5 * X[:, 0] + 0.3 * X[:, 1])
Q = special.expit(X[:, 0])
FRAME = pd.DataFrame({"y": Y, "a": X[:, 0], "b": X[:, 1]})

def _results():
    resamples = [RNG.integers(0, 120, 120) for _ in range(5)]
    return {
        "AUCResult": rs.auc_ci(Y, P),
        "DeLongTestResult": rs.delong_test(Y, P, Q),
        "UnpairedDeLongTestResult": rs.delong_test_unpaired(Y[:60], P[:60], Y[60:], Q[60:]),
        "NRIResult": rs.nri(Y, P, Q),
        "IDIResult": rs.idi(Y, P, Q),
        "KappaResult": rs.cohen_kappa(P > 0.5, Q > 0.5),
        "McNemarTestResult": rs.mcnemar_test(Y, P > 0.5, Q > 0.5),
        "DiagnosticMetrics": rs.diagnostic_metrics(Y, P, 0.5),
        "YoudenThreshold": rs.youden_threshold(Y, P),
        "CalibrationResult": rs.calibration(Y, P),
        "BiopsyImpact": rs.biopsy_impact(Y, P, 0.5),
        "ResampledCIResult": rs.corrected_resampled_ci([0.8, 0.7, 0.75], 80, 20),
        "ResampledTTestResult": rs.corrected_resampled_t_test([0.8, 0.7, 0.75], [0.7, 0.7, 0.7],
                                                              80, 20),
        "LogisticModelResult": rs.logistic_model(FRAME, "y", ["a", "b"]),
        "LikelihoodRatioTest": rs.logistic_model(FRAME, "y", ["a", "b"]).lr_test,
        "ValidationResult": rs.bootstrap_validate(rs.LogisticMLE(), X, Y, resamples=resamples),
        "BootstrapCalibrationResult": rs.bootstrap_calibration(
            LogisticRegression(), X, Y, resamples=resamples
        ),
    }

@pytest.fixture(scope="module")
def results():
    return _results()

def test_every_result_class_is_covered(results):
    classes = {name for name in rs.__all__ if isinstance(getattr(rs, name), type)
               and issubclass(getattr(rs, name), rs.StatResult) and name != "StatResult"}
    assert classes == set(results)


def test_core_fields_first_and_typed(results):
    for name, result in results.items():
        assert [field.name for field in dataclasses.fields(result)][:7] == CORE, name
        for field in ("estimate", "ci_lower", "ci_upper", "statistic", "pvalue"):
            assert isinstance(getattr(result, field), float), (name, field)
        assert result.alpha is None or 0 < result.alpha < 1, name
        assert isinstance(result.method, str) and result.method, name
        assert result.ci == (result.ci_lower, result.ci_upper)
        if not math.isnan(result.ci_lower):
            assert result.ci_lower <= result.estimate <= result.ci_upper, name
            assert result.alpha is not None, name
        if not math.isnan(result.pvalue):
            assert 0 <= result.pvalue <= 1 and not math.isnan(result.statistic), name

def test_one_row_frames_stack_into_one_table(results):
    one_row = {name: r for name, r in results.items() if name != "DiagnosticMetrics"}
    table = pd.concat([result.to_frame() for result in one_row.values()])
    assert list(table.index) == list(one_row)
    assert list(table.columns[:7]) == CORE
    assert table.loc["DeLongTestResult", "estimate"] == results["DeLongTestResult"].estimate
    assert table.loc["AUCResult", "ci_upper"] == results["AUCResult"].ci_upper
    assert np.isnan(table.loc["AUCResult", "pvalue"])

def test_several_estimates_give_several_rows(results):
    # DiagnosticMetrics (plural): one row per metric.
    frame = results["DiagnosticMetrics"].to_frame()
    assert list(frame["metric"]) == ["accuracy", "sensitivity", "specificity", "ppv", "npv", "f1"]
    assert {"estimate", "ci_lower", "ci_upper"} <= set(frame.columns)

def test_estimates_are_what_the_functions_estimate(results):
    assert results["DeLongTestResult"].estimate == pytest.approx(
        results["DeLongTestResult"].auc_a - results["DeLongTestResult"].auc_b, abs=1e-15
    )
    mcnemar = results["McNemarTestResult"]
    assert mcnemar.estimate == mcnemar.proportion_a - mcnemar.proportion_b
    assert results["LogisticModelResult"].statistic == results["LikelihoodRatioTest"].statistic
