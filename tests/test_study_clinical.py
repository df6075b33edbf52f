"""Study(clinical_model=...): clinical, rad-score and combined logistic models per cohort.

References: statsmodels' unpenalised Logit for the coefficients, scikit-learn's
roc_auc_score for the AUCs; the rad-score is recomputed from the fitted
pipeline's own steps.
"""

import warnings

from centre_cohorts import quick_pipeline, three_centres
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.metrics import roc_auc_score

from radfuse.pipeline import make_radiomics_pipeline, transform_new_cases
from radfuse.select import LassoSelector
from radfuse.stats import LogisticMLE, bootstrap_validate, delong_test
from radfuse.study import Study


@pytest.fixture(scope="module")
def cohort():
    _, parts, clinical = three_centres()
    return parts, clinical


def _run(parts, clinical, split, **kwargs):
    X, y = next(iter(parts.values()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Study(X, y, {"us": ["US"]}, pipeline=quick_pipeline, classifiers=["lr"], cv=3, split=split,
                     clinical=clinical, progress=False,
                     clinical_model={"predictors": ["age", "grade"], "n_boot": 20, **kwargs}).run()


@pytest.fixture(scope="module")
def result(cohort):
    parts, clinical = cohort
    _, (X_b, y_b), (X_c, y_c) = parts.values()
    return _run(parts, clinical, {"internal": 0.3, "centre_B": (X_b, y_b), "centre_C": (X_c, y_c)})


def test_rad_score_is_the_final_lasso_applied_without_refitting(cohort, result):
    parts, _ = cohort
    models = result.clinical_models
    pipeline = result.models_[models.rad_score_model]
    position = next(i for i, (_, step) in enumerate(pipeline.steps) if isinstance(step, LassoSelector))
    lasso = pipeline.steps[position][1]
    X_c, _ = list(parts.values())[2]
    inputs = transform_new_cases(pipeline[:position], X_c)
    expected = lasso.intercept_ + inputs.to_numpy() @ lasso.coef_
    scores = models.data.loc[models.data["split"] == "centre_C", "rad_score"]
    np.testing.assert_allclose(scores.loc[X_c.index], expected, rtol=1e-12)
    assert models.rad_score_formula.startswith("rad_score = ")


def test_models_equal_statsmodels_logit_on_the_training_set(result):
    models = result.clinical_models
    train = models.data[models.data["split"] == "train"]
    design = pd.DataFrame({"rad_score": train["rad_score"], "age": train["age"],
                           "grade=G2": (train["grade"] == "G2").astype(float)})
    reference = sm.Logit(train["y"].to_numpy(), sm.add_constant(design).to_numpy()).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(models.fits["combined"].coef.to_numpy(), reference.params, rtol=1e-6)
    assert list(models.fits) == ["clinical", "radiomics", "combined"]
    assert set(train.index) == set(result.y_train.index)


def test_metrics_and_comparisons_per_cohort(result):
    models = result.clinical_models
    for cohort in result.cohorts:
        y = models.data.loc[models.data["split"] == cohort, "y"]
        table = models.metrics(cohort).query("metric == 'auc'").set_index("model")
        for model in models.fits:
            prob = models.probabilities(model, cohort)
            assert table.loc[model, "estimate"] == pytest.approx(roc_auc_score(y, prob), abs=1e-12)
        expected = delong_test(y, models.probabilities("combined", cohort), models.probabilities("clinical", cohort))
        row = models.comparisons().query("cohort == @cohort and a == 'combined' and b == 'clinical' "
                                         "and test == 'delong'")
        assert row["pvalue"].item() == pytest.approx(expected.pvalue, abs=1e-12)
    assert models.metrics("test").equals(models.metrics("internal"))
    threshold = models.metrics("centre_B").query("metric == 'threshold'").set_index("model")["estimate"]
    pd.testing.assert_series_equal(threshold, models.thresholds.rename_axis("model").rename("estimate"))


def test_validation_is_bootstrap_validate_of_the_combined_model(result):
    models = result.clinical_models
    train = models.data[models.data["split"] == "train"]
    design = models.fits["combined"].design_matrix(train)
    expected = bootstrap_validate(LogisticMLE(), design, train["y"], n_boot=20, random_state=result.settings["seed"])
    pd.testing.assert_frame_equal(models.validation.table, expected.table)
    assert {"clinical_models_validation", "clinical_models_calibration"} <= set(result.to_dict())


def test_test_cohorts_do_not_change_the_training_fits(cohort, result):
    parts, clinical = cohort
    _, (X_b, y_b), _ = parts.values()
    alone = _run(parts, clinical, {"internal": 0.3, "centre_B": (X_b, y_b)}).clinical_models
    for name, fit in result.clinical_models.fits.items():
        pd.testing.assert_frame_equal(fit.table, alone.fits[name].table)
    pd.testing.assert_frame_equal(result.clinical_models.validation.table, alone.validation.table)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"predictors": ["age", "stage"]}, ValueError, r"predictor\(s\) \['stage'\] are not columns"),
        ({"predictors": "age"}, ValueError, "must be a non-empty list"),
        ({"feature_set": "mri"}, ValueError, "'mri' is not a feature set"),
        ({"n_boot": 0}, ValueError, "n_boot"),
        ({"bootstrap": 10}, ValueError, r"unknown clinical_model key\(s\) \['bootstrap'\]"),
    ],
)
def test_bad_clinical_model_settings_are_named(cohort, kwargs, error, message):
    parts, clinical = cohort
    X, y = next(iter(parts.values()))
    spec = {"predictors": ["age"], **kwargs}
    with pytest.raises(error, match=message):
        Study(X, y, {"us": ["US"]}, clinical=clinical, clinical_model=spec, progress=False).run()
    with pytest.raises(TypeError, match="pass clinical="):
        Study(X, y, {"us": ["US"]}, clinical_model={"predictors": ["age"]}, progress=False).run()


def test_a_pipeline_without_lasso_has_no_rad_score(cohort):
    parts, clinical = cohort
    X, y = next(iter(parts.values()))

    def no_lasso(classifier, random_state):
        return make_radiomics_pipeline(classifier, univariate=False, spearman=False, mrmr={"n_features": 5},
                                       lasso=False, random_state=random_state)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="needs a LassoSelector in the final model of feature set 'us'"):
            Study(X, y, {"us": ["US"]}, pipeline=no_lasso, classifiers=["lr"], cv=3, clinical=clinical,
                  clinical_model={"predictors": ["age"]}, progress=False).run()


def test_missing_clinical_values_are_named_before_any_fit(cohort):
    parts, clinical = cohort
    X, y = next(iter(parts.values()))
    gaps = clinical.copy()
    gaps.loc[X.index[3], "age"] = np.nan
    with pytest.raises(ValueError, match=rf"case\(s\) \['{X.index[3]}'\] miss \['age'\]"):
        Study(X, y, {"us": ["US"]}, clinical=gaps, clinical_model={"predictors": ["age", "grade"]},
              progress=False).run()
