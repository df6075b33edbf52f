"""Study(split={...}): several test cohorts, each scored by the models fitted on training data.

Reference values come from scikit-learn (``roc_auc_score``) applied to the
fitted models' own ``predict_proba`` on each cohort.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import LeaveOneGroupOut

from radfuse.datasets import make_multimodal_table
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.stats import auc_ci, delong_test
from radfuse.study import Study


def _quick(classifier, random_state):
    return make_radiomics_pipeline(classifier, univariate=False, spearman=False,
                                   mrmr={"n_features": 5}, lasso={"cv": 3}, random_state=random_state)


@pytest.fixture(scope="module")
def centres():
    data = make_multimodal_table(n_cases=240, blocks={"US": 20}, n_embedding=0, centres=3,
                                 random_state=0)
    parts = {}
    for centre in data.centre.unique():
        rows = (data.centre == centre).to_numpy()
        parts[centre] = (data.data[rows], data.target[rows])
    return data, parts


def _run(X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Study(X, y, {"us": ["US"]}, pipeline=_quick, classifiers=["lr", "nb"], progress=False,
                     **{"cv": 3, **kwargs}).run()


@pytest.fixture(scope="module")
def cohort_result(centres):
    _, parts = centres
    (X_a, y_a), (X_b, y_b), (X_c, y_c) = parts.values()
    return _run(X_a, y_a, split={"internal": 0.3, "centre_B": (X_b, y_b), "centre_C": (X_c, y_c)})


def test_every_cohort_is_scored_by_the_final_models(centres, cohort_result):
    _, parts = centres
    result = cohort_result
    assert result.cohorts == ["internal", "centre_B", "centre_C"]
    assert list(result.class_balance.index) == ["train", "internal", "centre_B", "centre_C"]
    table = result.cohort_metrics().query("metric == 'auc'").set_index(["cohort", "feature_set", "classifier"])
    for cohort, (X, y) in zip(["centre_B", "centre_C"], list(parts.values())[1:]):
        assert set(result.y_cohorts[cohort].index) == set(X.index)
        for key in result.models:
            model = result.models_[key]
            expected = model.predict_proba(X)[:, 1]
            np.testing.assert_allclose(result.probabilities(key, cohort).loc[X.index], expected, rtol=0, atol=1e-12)
            assert table.loc[(cohort, *key), "estimate"] == pytest.approx(roc_auc_score(y, expected), abs=1e-12)


def test_primary_cohort_is_test_and_thresholds_come_from_training(cohort_result):
    result = cohort_result
    pd.testing.assert_frame_equal(result.metrics("test"), result.metrics("internal"))
    pd.testing.assert_series_equal(result.y_test, result.y_cohorts["internal"])
    thresholds = result.cohort_metrics().query("metric == 'threshold'")
    for key, threshold in result.thresholds.items():
        rows = thresholds[(thresholds["feature_set"] == key[0]) & (thresholds["classifier"] == key[1])]
        assert rows["cohort"].tolist() == result.cohorts
        assert (rows["estimate"] == threshold).all()
    assert result.metrics("cv").query("metric == 'threshold'")["mean"].tolist() == result.thresholds.tolist()


def test_compare_on_an_external_cohort_is_delong_on_its_cases(centres, cohort_result):
    _, parts = centres
    _, y_c = list(parts.values())[2]
    table = cohort_result.compare("us/lr", "us/nb", split="centre_C")
    expected = delong_test(y_c, cohort_result.probabilities("us/lr", "centre_C").loc[y_c.index],
                           cohort_result.probabilities("us/nb", "centre_C").loc[y_c.index])
    assert table.loc["delong", "estimate"] == pytest.approx(expected.estimate, abs=1e-12)
    assert table.loc["delong", "pvalue"] == pytest.approx(expected.pvalue, abs=1e-12)
    assert table.attrs["split"] == "centre_C"
    assert "metrics_cohorts" in cohort_result.to_dict()


def test_external_cohorts_without_internal_hold_out_train_on_every_case(centres):
    _, parts = centres
    (X_a, y_a), (X_b, y_b), _ = parts.values()
    result = _run(X_a, y_a, split={"centre_B": (X_b, y_b)})
    assert result.cohorts == ["centre_B"] and result.y_train.size == y_a.size
    assert result.metrics("test").equals(result.metrics("centre_B"))


def test_single_cohort_forms_keep_the_name_test(centres):
    _, parts = centres
    (X_a, y_a), (X_b, y_b), _ = parts.values()
    result = _run(X_a, y_a, split=(X_b, y_b))
    assert result.cohorts == ["test"] and result.settings["split"] == "external test set"
    assert set(result.predictions["split"]) == {"cv", "train", "test"}


def test_leave_one_centre_out_is_reported_per_held_out_centre(centres):
    data, parts = centres
    (X_a, y_a), (X_b, y_b), (X_c, y_c) = parts.values()
    result = _run(pd.concat([X_a, X_b]), pd.concat([y_a, y_b]), groups=data.centre,
                  split={"centre_C": (X_c, y_c)}, cv=LeaveOneGroupOut())
    scores = result.fold_scores()
    cv = result.predictions[result.predictions["split"] == "cv"]
    for _, row in scores.iterrows():
        part = cv[(cv["fold"] == row["fold"]) & (cv["feature_set"] == row["feature_set"])
                  & (cv["classifier"] == row["classifier"])]
        assert set(data.centre.loc[part["case_id"]]) == {row["held_out"]}
        assert row["auc"] == pytest.approx(roc_auc_score(part["y_true"], part["probability"]), abs=1e-12)
    assert scores["held_out"].nunique() == result.settings["n_folds"]
    table = result.held_out_metrics().query("metric == 'auc'")
    for _, row in table.iterrows():
        part = cv[(cv["fold"] == row["fold"]) & (cv["feature_set"] == row["feature_set"])
                  & (cv["classifier"] == row["classifier"])]
        expected = auc_ci(part["y_true"], part["probability"])
        assert (row["estimate"], row["ci_lower"], row["ci_upper"]) == pytest.approx((expected.estimate, expected.ci_lower, expected.ci_upper))
        assert row["n"] == len(part) and set(data.centre.loc[part["case_id"]]) == {row["held_out"]}
    assert set(table["held_out"]) == set(scores["held_out"])


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({}, "at least one test cohort"),
        ({"a": 0.2, "b": 0.3}, "at most one cohort can be held out"),
        ({"train": 0.3}, "test-cohort names"),
        ({"x/y": 0.3}, "test-cohort names"),
    ],
)
def test_bad_cohort_dicts_are_named(centres, split, message):
    _, parts = centres
    X_a, y_a = parts[next(iter(parts))]
    with pytest.raises(ValueError, match=message):
        Study(X_a, y_a, {"us": ["US"]}, split=split, progress=False).run()


def test_external_cohort_errors_name_the_cohort(centres):
    _, parts = centres
    (X_a, y_a), (X_b, y_b), _ = parts.values()
    with pytest.raises(ValueError, match="external cohort 'B' has 1 class"):
        Study(X_a, y_a, {"us": ["US"]}, split={"B": (X_b, y_b * 0)}, progress=False).run()
    with pytest.raises(ValueError, match="cohort 'C'.*appear in another cohort"):
        Study(X_a, y_a, {"us": ["US"]}, split={"B": (X_b, y_b), "C": (X_b, y_b)}, progress=False).run()
    with pytest.raises(ValueError, match="both the training table and external cohort 'B'"):
        Study(X_a, y_a, {"us": ["US"]}, split={"B": (X_a, y_a)}, progress=False).run()


def test_unknown_split_names_list_the_cohorts(cohort_result):
    for method in (cohort_result.metrics, cohort_result.outcome):
        with pytest.raises(ValueError, match=r"or a test cohort \['internal', 'centre_B', 'centre_C'\]; got 'centre_D'"):
            method("centre_D")
    with pytest.raises(ValueError, match="the Study had no groups"):
        cohort_result.held_out_metrics()
    with pytest.raises(ValueError, match="StudyResult.compare: split must be"):
        cohort_result.compare("us/lr", "us/nb", split="train")
    pd.testing.assert_series_equal(cohort_result.outcome("cv"), cohort_result.y_train)
    pd.testing.assert_series_equal(cohort_result.outcome("centre_B"), cohort_result.y_cohorts["centre_B"])
