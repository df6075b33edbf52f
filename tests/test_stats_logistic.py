"""logistic_model and LogisticMLE against R's rms::lrm (tests/r/rms_reference.R; outputs in
tests/data/rms_lrm_*.csv, fitted with lrm.fit's stopping rule tightened to the ML optimum)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.utils.estimator_checks import parametrize_with_checks

from radfuse.stats import LogisticMLE, SeparationError, logistic_model

RTOL = 1e-6  # the tolerance; observed differences are below 1e-12


@pytest.fixture(scope="module")
def clinical(data_dir):
    return pd.read_csv(data_dir / "rms_clinical.csv")


@pytest.fixture(scope="module")
def separation(data_dir):
    return pd.read_csv(data_dir / "rms_separation.csv")


def _r_stats(data_dir, name):
    return pd.read_csv(data_dir / name, index_col="name")["value"]


@pytest.mark.parametrize(
    "dataset, predictors",
    [("clinical", ["rad_score", "age", "grade"]), ("separation", ["score", "noise"])],
)
def test_matches_rms_lrm(request, data_dir, dataset, predictors):
    data = request.getfixturevalue(dataset)
    fit = logistic_model(data, "y", predictors)
    reference = pd.read_csv(data_dir / f"rms_lrm_{dataset}.csv", index_col="term")
    assert fit.table.index.tolist() == reference.index.tolist()
    for column in ["coef", "se", "z", "pvalue"]:
        np.testing.assert_allclose(fit.table[column], reference[column], rtol=RTOL)
    r_stats = _r_stats(data_dir, f"rms_lrm_{dataset}_stats.csv")
    assert fit.lr_test.statistic == pytest.approx(r_stats["lr_chi2"], rel=RTOL)
    assert fit.lr_test.df == r_stats["df"]
    # R computes 1 - pchisq(), which is 0 below about 1e-16.
    assert fit.lr_test.pvalue == pytest.approx(r_stats["pvalue"], rel=RTOL, abs=1e-16)
    assert -2 * fit.log_likelihood == pytest.approx(r_stats["deviance"], rel=RTOL)
    assert -2 * fit.null_log_likelihood == pytest.approx(r_stats["deviance_null"], rel=RTOL)


def test_odds_ratios_are_wald_intervals_of_rms_coefficients(clinical, data_dir):
    fit = logistic_model(clinical, "y", ["rad_score", "age", "grade"], alpha=0.1)
    reference = pd.read_csv(data_dir / "rms_lrm_clinical.csv", index_col="term").iloc[1:]
    z = stats.norm.ppf(0.95)
    table = fit.table.iloc[1:]
    np.testing.assert_allclose(table["odds_ratio"], np.exp(reference["coef"]), rtol=RTOL)
    np.testing.assert_allclose(
        table["or_ci_lower"], np.exp(reference["coef"] - z * reference["se"]), rtol=RTOL
    )
    np.testing.assert_allclose(
        table["or_ci_upper"], np.exp(reference["coef"] + z * reference["se"]), rtol=RTOL
    )
    assert fit.table.loc["Intercept", ["odds_ratio", "or_ci_lower", "or_ci_upper"]].isna().all()


def test_categorical_levels_follow_category_order_and_predict(clinical):
    data = clinical.assign(grade=pd.Categorical(clinical["grade"], categories=["G3", "G1", "G2"]))
    fit = logistic_model(data, "y", ["rad_score", "grade"])
    assert fit.table.index.tolist() == ["Intercept", "rad_score", "grade=G1", "grade=G2"]
    reordered = logistic_model(clinical, "y", ["rad_score", "grade"])
    # Same model, another reference level: identical likelihood and predictions.
    assert fit.log_likelihood == pytest.approx(reordered.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(fit.predict_proba(clinical), reordered.predict_proba(clinical), rtol=1e-9)


def test_string_outcome_of_new_levels_is_rejected(clinical):
    fit = logistic_model(clinical, "y", ["rad_score", "grade"])
    with pytest.raises(ValueError, match=r"'grade' has level\(s\) \['G4'\] not seen"):
        fit.linear_predictor(clinical.assign(grade="G4"))


def test_complete_separation_says_the_mle_does_not_exist():
    data = pd.DataFrame({"x": [-3.0, -2, -1, -0.5, 0.5, 1, 2, 3], "z": [1.0, 0, 1, 0, 1, 0, 1, 0]})
    data["y"] = (data["x"] > 0).astype(int)
    with pytest.raises(SeparationError, match=r"maximum-likelihood estimate does not exist.*'x'"):
        logistic_model(data, "y", ["x", "z"])


def test_quasi_complete_separation_by_a_level_is_detected():
    data = pd.DataFrame({
        "x": [0.1, -0.4, 1.2, 0.3, -1.0, 0.8, -0.2, 0.5, 1.5, -0.7],
        "group": ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b"],
        "y": [0, 1, 1, 0, 0, 1, 1, 1, 1, 1],
    })
    with pytest.raises(SeparationError, match="group=b"):
        logistic_model(data, "y", ["x", "group"])


def test_bad_input_names_the_problem(clinical):
    with pytest.raises(ValueError, match=r"missing values in column\(s\) \['age'\]"):
        logistic_model(clinical.assign(age=clinical["age"].where(clinical.index != 3)), "y", ["age"])
    with pytest.raises(ValueError, match=r"not found in data"):
        logistic_model(clinical, "y", ["stage"])
    with pytest.raises(ValueError, match=r"\['age_copy'\] are linear combinations"):
        logistic_model(clinical.assign(age_copy=2 * clinical["age"]), "y", ["age", "age_copy"])


def test_logistic_mle_equals_logistic_model(clinical):
    X = pd.get_dummies(clinical[["rad_score", "age", "grade"]], drop_first=True, dtype=float)
    model = LogisticMLE().fit(X, clinical["y"])
    fit = logistic_model(clinical, "y", ["rad_score", "age", "grade"])
    np.testing.assert_allclose(model.intercept_[0], fit.coef.iloc[0], rtol=1e-12)
    np.testing.assert_allclose(model.coef_[0], fit.coef.iloc[1:], rtol=1e-12)
    np.testing.assert_allclose(model.decision_function(X), fit.linear_predictor(clinical), rtol=1e-12)


# These checks fit on linearly separable blobs, where the MLE does not exist and
# LogisticMLE refuses to fit by design (SeparationError).
_SEPARABLE_DATA = "the check's data are linearly separable: the MLE does not exist"
_CHECKS_ON_SEPARABLE_DATA = [
    "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self", "check_readonly_memmap_input",
    "check_positive_only_tag_during_fit", "check_pipeline_consistency",
    "check_estimators_pickle", "check_f_contiguous_array_estimator",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_fit2d_1feature", "check_dict_unchanged", "check_fit2d_predict1d",
    "check_classifiers_classes",
]


def _expected_failures(estimator):
    return dict.fromkeys(_CHECKS_ON_SEPARABLE_DATA, _SEPARABLE_DATA)


@parametrize_with_checks([LogisticMLE()], expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
