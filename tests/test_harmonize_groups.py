"""Study(groups=...): patients or centres never straddle the hold-out split or any fold.

References: scikit-learn's StratifiedGroupKFold / LeaveOneGroupOut define the
folds; the checks below only read the study's recorded predictions.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    LeaveOneGroupOut,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
)

from radfuse.datasets import make_multimodal_table
from radfuse.persistence import load_model, save_model
from radfuse.pipeline import CheckedSMOTE, fit_resample_transform, make_radiomics_pipeline
from radfuse.select import LassoSelector
from radfuse.model_selection import (
    CaseGroupSplitter,
    RepeatedStratifiedGroupKFold,
    group_inner_cv,
    grouped_cv,
)
from radfuse.study import Study


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


def _lasso_pipeline(classifier, random_state):
    return make_radiomics_pipeline(
        classifier, univariate=False, spearman=False, mrmr={"n_features": 8},
        lasso={"cv": RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=random_state)},
        random_state=random_state)


def _imbalanced(data):
    """Every negative case and every other positive one."""
    keep = (data.target == 0).to_numpy() | (np.arange(len(data.target)) % 2 == 0)
    return data.data[keep], data.target[keep]


def test_smote_labels_synthetic_cases_with_their_parent_case(cohort):
    """The values are imbalanced-learn's; each synthetic row lies on a segment from its labelled parent."""
    data, _ = cohort
    X, y = _imbalanced(data)
    X = X.iloc[:, :6]
    smote = CheckedSMOTE(k_neighbors=3, random_state=0)
    Xr, yr = smote.fit_resample(X, y)
    Xi, yi = SMOTE(k_neighbors=3, random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(Xr.to_numpy(), Xi.to_numpy())
    np.testing.assert_array_equal(yr.to_numpy(), yi.to_numpy())
    n = len(X)
    assert Xr.index[:n].equals(X.index) and yr.index.equals(Xr.index) and len(Xr) > n
    minority = X[y == 1].to_numpy()
    for case, row in zip(Xr.index[n:], Xr.to_numpy()[n:]):
        parent = X.loc[case].to_numpy()
        assert y.loc[case] == 1
        towards = minority - parent
        step = (towards @ (row - parent)) / np.maximum((towards**2).sum(axis=1), 1e-300)
        residual = np.abs(row - parent - step[:, None] * towards).max(axis=1)
        assert np.any((residual < 1e-12) & (step >= 0) & (step < 1))
    # The Study's shared-selection path resamples the array: same rows, same ids.
    Xf, yf = fit_resample_transform(make_pipeline(CheckedSMOTE(k_neighbors=3, random_state=0)), X, y)
    pd.testing.assert_frame_equal(Xf, Xr)
    pd.testing.assert_series_equal(yf, yr)


def test_lasso_inner_cv_keeps_patients_and_their_synthetic_cases_together(cohort):
    data, patients = cohort
    model = group_inner_cv(_lasso_pipeline("lr", 0), patients)
    X, y = _imbalanced(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Xt, yt = fit_resample_transform(model[:-2], X, y)
        model.fit(X, y)
    lasso = model.named_steps["lasso"]
    assert isinstance(lasso.cv, CaseGroupSplitter)
    assert isinstance(lasso.cv.cv, RepeatedStratifiedGroupKFold)
    row_groups = patients.loc[Xt.index].to_numpy()
    assert len(Xt) > len(X)
    splits = list(lasso.cv.split(Xt, yt))
    assert len(splits) == 6
    for inner_train, inner_test in splits:
        assert not set(row_groups[inner_train]) & set(row_groups[inner_test])
    # Independent reference: the same folds from scikit-learn's StratifiedGroupKFold, per repeat.
    rng = np.random.RandomState(0)
    reference = []
    for _ in range(2):
        seed = rng.randint(np.iinfo(np.int32).max)
        reference += StratifiedGroupKFold(3, shuffle=True, random_state=seed).split(Xt, yt, row_groups)
    for (a_train, a_test), (b_train, b_test) in zip(splits, reference):
        np.testing.assert_array_equal(a_test, b_test)
    direct = LassoSelector(cv=reference).fit(Xt, yt)
    np.testing.assert_array_equal(lasso.cv_errors_, direct.cv_errors_)
    assert "with each patient's or centre's cases in one fold" in lasso.describe_method()


def test_study_groups_the_lasso_inner_cv(cohort):
    data, patients = cohort
    X, y = _imbalanced(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Study(X, y, {"us": ["US"]}, pipeline=_lasso_pipeline, classifiers=["lr"],
                       groups=patients.loc[X.index], cv=2, progress=False).run()
    _assert_groups_together(result, patients)
    final = result.models_[("us", "lr")]
    assert isinstance(final.named_steps["lasso"].cv, CaseGroupSplitter)


def test_grouped_cv_converts_stratified_splitters_and_refuses_the_rest():
    converted = grouped_cv(StratifiedKFold(4, shuffle=True, random_state=3), "lasso__cv")
    assert isinstance(converted, StratifiedGroupKFold)
    assert (converted.n_splits, converted.shuffle, converted.random_state) == (4, True, 3)
    logo = LeaveOneGroupOut()
    assert grouped_cv(logo, "cv") is logo
    with pytest.raises(ValueError, match=r"with groups, lasso__cv=ShuffleSplit\("):
        grouped_cv(ShuffleSplit(3), "lasso__cv")
    groups = pd.Series(["p1", "p2"], index=["a", "b"])
    X = pd.DataFrame({"f": [1.0, 2.0, 3.0]}, index=["a", "b", 7])
    with pytest.raises(ValueError, match=r"row id\(s\) \[7\] name no case with a group"):
        list(CaseGroupSplitter(GroupKFold(2), groups).split(X))


def test_too_few_groups_for_the_inner_folds_give_one_fold_per_group_and_say_so():
    index = pd.Index([f"c{i}" for i in range(12)])
    X = pd.DataFrame({"f": np.arange(12.0)}, index=index)
    y = pd.Series([0, 1] * 6, index=index)
    two_centres = pd.Series(["A"] * 6 + ["B"] * 6, index=index)
    splitter = CaseGroupSplitter(StratifiedGroupKFold(3), two_centres)
    with pytest.warns(UserWarning, match=r"hold 2 groups .* fewer than the 3 folds .* using 2 folds"):
        splits = list(splitter.split(X, y))
    assert [sorted(set(two_centres.iloc[test])) for _, test in splits] in ([["A"], ["B"]], [["B"], ["A"]])
    one_centre = pd.Series("A", index=index)
    with pytest.warns(UserWarning, match=r"all 12 cases belong to one group \('A'\)"):
        splits = list(CaseGroupSplitter(StratifiedGroupKFold(3), one_centre).split(X, y))
    assert len(splits) == 3 and sorted(np.concatenate([test for _, test in splits])) == list(range(12))


def test_a_saved_grouped_model_keeps_the_grouped_splitter_but_no_case_ids(cohort, tmp_path):
    data, patients = cohort
    model = group_inner_cv(_lasso_pipeline("lr", 0), patients)
    X, y = _imbalanced(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    save_model(model, tmp_path / "model.skops")
    loaded = load_model(tmp_path / "model.skops")
    cv = loaded.estimator.named_steps["lasso"].cv
    assert repr(cv) == "RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert isinstance(model.named_steps["lasso"].cv, CaseGroupSplitter)  # the fitted model is untouched


def test_a_study_with_groups_refuses_a_sampler_that_drops_the_case_ids(cohort):
    """imbalanced-learn's SMOTE numbers rows 0, 1, ...: with integer case ids the groups would be silently wrong."""
    data, patients = cohort

    def plain_smote(classifier, random_state):
        return make_radiomics_pipeline(classifier, smote=SMOTE(random_state=random_state),
                                       lasso={"cv": 3}, random_state=random_state)

    study = Study(data.data, data.target, {"us": ["US"]}, pipeline=plain_smote, classifiers=["lr"],
                  groups=patients, cv=2, progress=False)
    with pytest.raises(ValueError, match=r"pipeline of classifier 'lr': group_inner_cv: the sampler "
                                         r"SMOTE\(random_state=0\) numbers its output rows afresh"):
        study.run()
