"""Study(groups=...): patients or centres never straddle the hold-out split or any fold.

References: scikit-learn's StratifiedGroupKFold / LeaveOneGroupOut define the
folds; the checks below only read the study's recorded predictions.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, LeaveOneGroupOut, StratifiedGroupKFold

from radfuse.datasets import make_multimodal_table
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.study import Study
from radfuse.study._design import CaseGroupSplitter, RepeatedStratifiedGroupKFold


def _quick(classifier, random_state):
    return make_radiomics_pipeline(classifier, univariate=False, spearman=False,
                                   mrmr={"n_features": 5}, lasso=False, random_state=random_state)


@pytest.fixture(scope="module")
def cohort():
    data = make_multimodal_table(n_cases=120, blocks={"US": 20}, n_embedding=0, centres=4,
                                 random_state=0)
    patients = pd.Series([f"p{i // 3:02d}" for i in range(120)], index=data.data.index)
    return data, patients


def _assert_groups_together(result, groups):
    predictions = result.predictions
    train = predictions.loc[predictions["split"] == "train", "case_id"].unique()
    test = predictions.loc[predictions["split"] == "test", "case_id"].unique()
    assert not set(groups.loc[train]) & set(groups.loc[test])
    cv = predictions[predictions["split"] == "cv"].drop_duplicates(["repeat", "case_id"])
    folds_per_group = cv.assign(group=groups.loc[cv["case_id"]].to_numpy()).groupby(
        ["repeat", "group"])["fold"].nunique()
    assert (folds_per_group == 1).all()


def test_patient_groups_stay_together_in_holdout_and_repeated_cv(cohort):
    data, patients = cohort
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Study(data.data, data.target, {"us": ["US"]}, pipeline=_quick, classifiers=["lr"],
                       groups=patients, progress=False,
                       cv=RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)).run()
    _assert_groups_together(result, patients)
    assert result.settings["n_repeats"] == 2 and result.settings["groups"] == "40 groups"
    assert "stratified group hold-out, 1 of 3 group folds" in result.settings["split"]


def test_leave_one_centre_out(cohort):
    data, _ = cohort
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Study(data.data, data.target, {"us": ["US"]}, pipeline=_quick, classifiers=["lr"],
                       groups=data.centre, split=0.25, cv=LeaveOneGroupOut(), progress=False).run()
    _assert_groups_together(result, data.centre)
    cv = result.predictions[result.predictions["split"] == "cv"]
    centres_per_fold = cv.groupby("fold")["case_id"].agg(lambda ids: data.centre.loc[ids].nunique())
    assert result.settings["n_folds"] == 3 and (centres_per_fold == 1).all()


def test_default_grouped_cv_is_20_by_5():
    cv = RepeatedStratifiedGroupKFold(n_splits=5, n_repeats=20, random_state=0)
    assert cv.get_n_splits() == 100
    from radfuse.study._design import make_outer_cv

    assert repr(make_outer_cv(None, 0, grouped=True)) == repr(cv)
    assert isinstance(make_outer_cv(4, 0, grouped=True), StratifiedGroupKFold)


def test_case_group_splitter_keeps_groups_in_grid_search_inner_folds():
    rng = np.random.default_rng(0)
    index = pd.Index([f"c{i}" for i in range(60)])
    X = pd.DataFrame(rng.normal(size=(60, 3)), index=index)
    y = pd.Series(np.tile([0, 1, 1, 0], 15), index=index)
    groups = pd.Series([f"g{i // 4}" for i in range(60)], index=index)
    splitter = CaseGroupSplitter(StratifiedGroupKFold(3, shuffle=True, random_state=0), groups)
    for train, test in splitter.split(X.iloc[10:], y.iloc[10:]):
        inner = X.index[10:]
        assert not set(groups.loc[inner[train]]) & set(groups.loc[inner[test]])
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=splitter).fit(X, y)
    assert search.n_splits_ == 3
    with pytest.raises(TypeError, match="needs the case-indexed DataFrame"):
        list(splitter.split(X.to_numpy(), y))


def test_grouped_errors_name_the_groups(cohort):
    data, patients = cohort
    straddling = list(data.data.index[:2])  # two of the three cases of patient p00
    study = Study(data.data, data.target, {"us": ["US"]}, pipeline=_quick, classifiers=["lr"],
                  groups=patients, split=straddling, progress=False)
    with pytest.raises(ValueError, match=r"group\(s\) \['p00'\] have cases on both sides"):
        study.run()
    missing = patients.drop(data.data.index[5])
    study = Study(data.data, data.target, {"us": ["US"]}, pipeline=_quick, classifiers=["lr"],
                  groups=missing, progress=False)
    with pytest.raises(ValueError, match=r"groups has no entry for case id\(s\) \['case_0006'\]"):
        study.run()


def test_tuning_and_stacking_inner_folds_are_grouped(cohort):
    data, patients = cohort
    X = data.data.assign(**{f"MG__f{j}": data.data.iloc[:, j] * 2 for j in range(5)})
    study = Study(X, data.target, {"us": ["US"], "mg": ["MG"]}, pipeline=_quick,
                  classifiers=["lr"], groups=patients, cv=2, progress=False,
                  tuning={"cv": 2, "param_grid": {"lr": {"clf__C": [0.1, 1.0]}}},
                  fusion={"stacking": {"blocks": ["us", "mg"]}})
    seed = 0
    inner, _, _ = study._tuning_settings(seed, patients)
    assert isinstance(inner, CaseGroupSplitter) and isinstance(inner.cv, StratifiedGroupKFold)
    feature_sets = {"us": list(data.data.columns), "mg": [f"MG__f{j}" for j in range(5)]}
    _, late = study._resolve_fusion(feature_sets)
    units = study._build_units(feature_sets, late, study._templates(_quick, ["lr"], seed), _quick,
                               seed, None, patients)
    assert isinstance(units[-1].estimators["lr"].cv, CaseGroupSplitter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = study.run()
    _assert_groups_together(result, patients)
    assert "grouped by case" in result.settings["tuning"]
    assert set(result.predictions["feature_set"]) == {"us", "mg", "stacking"}
