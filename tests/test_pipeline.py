import warnings

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.preprocessing import StandardScaler

from radfuse.models import make_classifier
from radfuse.pipeline import (
    PROTOCOL_STEPS,
    CheckedSMOTE,
    CheckedStandardScaler,
    feature_counts,
    fit_resample_transform,
    make_radiomics_pipeline,
)
from radfuse.select import MRMRSelector

FAST = dict(mrmr={"n_features": 12}, lasso={"cv": StratifiedKFold(5)}, random_state=0)


@pytest.fixture(scope="module")
def wdbc():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    # radiomics convention: 1 = malignant (scikit-learn codes malignant as 0)
    return X, (1 - y).rename("malignant")


def test_default_pipeline_follows_the_protocol_order():
    pipeline = make_radiomics_pipeline("svm", random_state=0)
    names = [name for name, _ in pipeline.steps]
    assert names == [s for s in PROTOCOL_STEPS if s not in ("combat", "icc")] + ["clf"]
    smote = pipeline.named_steps["smote"]
    assert isinstance(smote, SMOTE) and smote.k_neighbors == 5
    assert pipeline.named_steps["spearman"].threshold == 0.9
    assert pipeline.named_steps["univariate"].alpha == 0.05
    lasso_cv = pipeline.named_steps["lasso"].cv
    assert lasso_cv.get_n_splits() == 200  # 20 repeats x 10 folds


def test_the_registry_lists_every_step_of_make_radiomics_pipeline_in_order():
    import inspect

    keywords = [
        name for name, parameter in inspect.signature(make_radiomics_pipeline).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY and name not in ("random_state", "n_jobs")
    ]
    assert keywords == list(PROTOCOL_STEPS) == [
        "combat", "icc", "smote", "zscore", "univariate", "spearman", "mrmr", "lasso"
    ]
    for name, step in PROTOCOL_STEPS.items():
        # Every default names a parameter of the class, so a renamed parameter fails here.
        assert set(step.defaults) | set(step.managed_params()) <= set(step.estimator._get_param_names()), name


def test_steps_switch_off_take_parameters_or_estimators():
    pipeline = make_radiomics_pipeline(
        LogisticRegression(C=0.3),
        smote=False,
        univariate={"alpha": 0.01},
        mrmr=MRMRSelector(n_features=7),
        lasso=False,
    )
    assert [n for n, _ in pipeline.steps] == ["zscore", "univariate", "spearman", "mrmr", "clf"]
    assert pipeline.named_steps["univariate"].alpha == 0.01
    assert pipeline.named_steps["mrmr"].n_features == 7
    assert pipeline.named_steps["clf"].C == 0.3


def test_bad_step_configuration_names_the_step():
    with pytest.raises(ValueError, match="'icc' step needs the repeated delineations"):
        make_radiomics_pipeline(icc=True)
    with pytest.raises(ValueError, match="step 'mrmr'.*n_feature"):
        make_radiomics_pipeline(mrmr={"n_feature": 3})
    with pytest.raises(TypeError, match="step 'spearman' must be True, False"):
        make_radiomics_pipeline(spearman=0.9)


def test_pipeline_is_fitted_inside_each_fold(wdbc):
    X, y = wdbc
    pipeline = make_radiomics_pipeline("lr", **FAST)
    proba = cross_val_predict(pipeline, X, y, cv=StratifiedKFold(3), method="predict_proba")
    manual = np.empty(len(y))
    for train, test in StratifiedKFold(3).split(X, y):
        fold_model = clone(pipeline).fit(X.iloc[train], y.iloc[train])
        manual[test] = fold_model.predict_proba(X.iloc[test])[:, 1]
    np.testing.assert_array_equal(proba[:, 1], manual)


def test_shared_selection_equals_the_full_pipeline(wdbc):
    X, y = wdbc
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=1)
    full = make_radiomics_pipeline("knn", **FAST).fit(X_train, y_train)
    selection = clone(full[:-1])
    Xt, yt = fit_resample_transform(selection, X_train, y_train)
    assert len(yt) > len(y_train)  # SMOTE balanced the training data
    classifier = make_classifier("knn").fit(Xt, yt)
    np.testing.assert_array_equal(
        classifier.predict_proba(selection.transform(X_test)), full.predict_proba(X_test)
    )


def test_feature_counts_track_every_selection_step(wdbc):
    X, y = wdbc
    fitted = make_radiomics_pipeline("lr", **FAST).fit(X, y)
    counts = feature_counts(fitted, X.shape[1])
    assert list(counts.index) == ["input", "univariate", "spearman", "mrmr", "lasso"]
    assert counts["input"] == 30 and counts["mrmr"] == 12
    assert (np.diff(counts.to_numpy()) <= 0).all()
    assert counts["lasso"] == len(fitted[:-1].get_feature_names_out())


def test_pandas_output_keeps_feature_names(wdbc):
    X, y = wdbc
    fitted = make_radiomics_pipeline("lr", **FAST).fit(X, y)
    selected = fitted[:-1].transform(X)
    assert isinstance(selected, pd.DataFrame)
    assert set(selected.columns) <= set(X.columns)


@pytest.mark.parametrize("y_as", ["series", "array"])
def test_checked_smote_frame_output_is_identical_to_imblearn(wdbc, y_as):
    """Issue 16: the float-frame fast path gives imbalanced-learn's frame bit for bit."""
    X, y = wdbc
    X = X.set_axis([f"case{i}" for i in range(len(X))])
    y = pd.Series(y.to_numpy(), index=X.index, name="malignant")
    y = y if y_as == "series" else y.to_numpy()
    sampler = CheckedSMOTE(random_state=3)
    ours_X, ours_y = sampler.fit_resample(X, y)
    expected_X, expected_y = SMOTE(random_state=3).fit_resample(X, y)
    # Same values; the rows are labelled with the case ids of the cases they come from.
    expected_X.index = X.index[sampler.parent_indices_]
    assert ours_X.index[:len(X)].equals(X.index) and len(ours_X) > len(X)
    pd.testing.assert_frame_equal(ours_X, expected_X, check_exact=True)
    assert ours_X.to_numpy().flags.f_contiguous == expected_X.to_numpy().flags.f_contiguous
    # The fitted sampler records the column names as imbalanced-learn's does.
    fitted_ours, fitted_expected = CheckedSMOTE(), SMOTE()
    fitted_ours.fit_resample(X, y)
    fitted_expected.fit_resample(X, y)
    assert fitted_ours.feature_names_in_.tolist() == fitted_expected.feature_names_in_.tolist()
    assert fitted_ours.n_features_in_ == fitted_expected.n_features_in_
    if y_as == "series":
        pd.testing.assert_series_equal(ours_y, expected_y.set_axis(expected_X.index), check_exact=True)
    else:
        np.testing.assert_array_equal(ours_y, expected_y)
        assert type(ours_y) is type(expected_y)


def test_checked_smote_mixed_dtype_frame_is_resampled_by_imblearn(wdbc):
    X, y = wdbc
    X = X.assign(grade=(X.iloc[:, 0] > X.iloc[:, 0].median()).astype(np.int64))
    sampler = CheckedSMOTE(random_state=0)
    ours_X, _ = sampler.fit_resample(X, y)
    expected_X, _ = SMOTE(random_state=0).fit_resample(X, y)
    pd.testing.assert_frame_equal(ours_X, expected_X.set_axis(X.index[sampler.parent_indices_]), check_exact=True)


def test_checked_smote_records_names_as_imblearn_for_integer_names_and_boolean_columns(wdbc):
    """The names and dtypes are handled on whole indexes, not column by column:
    integer names are not recorded (scikit-learn records string names only), and
    boolean columns are resampled as floats; the values equal imbalanced-learn's."""
    X, y = wdbc
    numbered = X.set_axis(range(X.shape[1]), axis=1)
    sampler, reference = CheckedSMOTE(random_state=1), SMOTE(random_state=1)
    ours_X, _ = sampler.fit_resample(numbered, y)
    expected_X, _ = reference.fit_resample(numbered, y)
    pd.testing.assert_frame_equal(ours_X, expected_X.set_axis(ours_X.index), check_exact=True)
    assert not hasattr(sampler, "feature_names_in_") and not hasattr(reference, "feature_names_in_")
    assert sampler.n_features_in_ == reference.n_features_in_ == X.shape[1]

    flagged = X.assign(large=X.iloc[:, 0] > X.iloc[:, 0].median())
    ours_X, _ = CheckedSMOTE(random_state=1).fit_resample(flagged, y)
    expected_X, _ = SMOTE(random_state=1).fit_resample(flagged.astype({"large": np.float64}), y)
    pd.testing.assert_frame_equal(ours_X, expected_X.set_axis(ours_X.index), check_exact=True)


def test_checked_smote_keeps_no_training_rows(wdbc):
    """Issue 12.6: a saved protocol model carried the minority class's rows (148 MB)."""
    X, y = wdbc
    sampler = CheckedSMOTE(random_state=0)
    sampler.fit_resample(X, y)
    assert not hasattr(sampler.nn_k_, "_fit_X")
    assert sampler.nn_k_.get_params()["n_neighbors"] == sampler.k_neighbors + 1


def test_an_overflow_in_the_zscore_names_that_step_and_column(wdbc):
    # Before: StandardScaler returned NaN and the next step (UnivariateFilter) was blamed.
    X, y = wdbc
    X = X.assign(**{"mean radius": X["mean radius"] * 1e200})
    with pytest.raises(ValueError, match=r"z-score \(StandardScaler\): the variance of column\(s\) \['mean radius'\] "
                                         r"overflows float64"):
        make_radiomics_pipeline("lr", **FAST).fit(X, y)
    # A scale that survives standardisation leaves the selection unchanged (without
    # SMOTE, whose nearest neighbours are scale-dependent by design).
    reference = make_radiomics_pipeline("lr", smote=False, **FAST).fit(*wdbc)
    large = wdbc[0].assign(**{"mean radius": wdbc[0]["mean radius"] * 1e150})
    scaled = make_radiomics_pipeline("lr", smote=False, **FAST).fit(large, y)
    assert list(scaled[:-1].get_feature_names_out()) == list(reference[:-1].get_feature_names_out())


@pytest.mark.parametrize("with_mean", [True, False])
def test_zscore_of_a_float_frame_equals_standard_scaler_exactly(wdbc, with_mean):
    """The float-frame shortcut (no column-by-column inspection) changes nothing."""
    X, _ = wdbc
    ours = CheckedStandardScaler(with_mean=with_mean).set_output(transform="pandas")
    theirs = StandardScaler(with_mean=with_mean).set_output(transform="pandas")
    pd.testing.assert_frame_equal(ours.fit_transform(X), theirs.fit_transform(X), check_exact=True)
    pd.testing.assert_frame_equal(ours.transform(X.iloc[:7]), theirs.transform(X.iloc[:7]), check_exact=True)
    np.testing.assert_array_equal(ours.feature_names_in_, theirs.feature_names_in_)
    # Columns out of order or a NaN take the checked route and its messages.
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        ours.transform(X[X.columns[::-1]])
    with_nan = X.iloc[:3].copy()
    with_nan.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"z-score \(StandardScaler\) of new cases: .*\['mean radius'\]"):
        ours.transform(with_nan)


def test_selector_transform_of_a_float_frame_equals_scikit_learns_route(wdbc):
    X, y = wdbc
    selector = MRMRSelector(n_features=5).set_output(transform="pandas").fit(X, y)
    shortcut = selector.transform(X)
    pd.testing.assert_frame_equal(shortcut, X[selector.get_feature_names_out()], check_exact=True)
    with pytest.raises(ValueError, match="MRMRSelector"):
        selector.transform(X[X.columns[::-1]])


def test_protocol_fit_on_wdbc_raises_no_warning(wdbc):
    # Before: an mRMR UserWarning on every fit (the spearman step leaves fewer than 30 features).
    from radfuse.datasets.wdbc import load_wdbc_blocks

    X, y = load_wdbc_blocks(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_radiomics_pipeline("lr", lasso={"cv": 3}, random_state=0).fit(X, y)


class _NoisyStep(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Passes X through and warns three times per fit."""

    def fit(self, X, y=None):
        for i in range(3):
            warnings.warn(f"NoisyStep: warning {i}", UserWarning)
        warnings.warn("a library warning", RuntimeWarning)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X):
        return X



def test_warnings_of_a_fit_are_issued_once_per_step(wdbc):
    X, y = wdbc
    model = make_radiomics_pipeline("lr", univariate=_NoisyStep(), spearman=False, mrmr=False, lasso=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    messages = sorted(str(w.message) for w in caught)
    assert messages == ["NoisyStep: 3 warnings in this fit; the first: warning 0", "a library warning"]


@pytest.mark.parametrize(
    ("value", "message"),
    [("n/a", r"column 'mean radius' holds text 'n/a' in case\(s\) \[7\]"),
     (np.nan, r"column 'mean radius' is NaN or inf in case\(s\) \[7\]")],
    ids=["text", "nan"],
)
def test_predict_names_the_case_and_column_of_a_bad_value(wdbc, value, message):
    X, y = wdbc
    model = make_radiomics_pipeline("lr", **FAST).fit(X, y)
    new = X.iloc[5:9].astype(object)
    new.loc[7, "mean radius"] = value
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(ValueError, match=rf"RadiomicsPipeline.{method}: .*{message}"):
            getattr(model, method)(new)


_SMOTE_SETTING = "SMOTE (k = 3 nearest neighbours, sampling strategy 'minority')"


@pytest.mark.parametrize(
    ("class_counts", "sentence"),
    [
        (None, f"Class balancing: the minority class of each training part was oversampled with {_SMOTE_SETTING}; "
               "validation and test cases were never resampled."),
        ((50, 50), f"Class balancing: {_SMOTE_SETTING} was part of the pipeline, but the training set was balanced "
                   "(50 positive, 50 negative cases), so it added no synthetic case to the final models and at most "
                   "a few to the training parts of the cross-validation folds; validation and test cases were never "
                   "resampled."),
        ((120, 40), "Class balancing: the positive class of the training data (40 versus 120 cases) was oversampled "
                    f"with {_SMOTE_SETTING} within each training part; validation and test cases were never resampled."),
        ((30, 90), "Class balancing: the negative class of the training data (30 versus 90 cases) was oversampled "
                   f"with {_SMOTE_SETTING} within each training part; validation and test cases were never resampled."),
    ],
)
def test_smote_states_its_setting_and_the_training_balance(class_counts, sentence):
    # The sentences of radfuse.report's methods text before the steps described themselves.
    smote = CheckedSMOTE(k_neighbors=3, sampling_strategy="minority")
    assert smote.describe_method(class_counts=class_counts, kept_range=(5, 5)) == sentence


def test_zscore_states_its_method():
    from radfuse.pipeline import CheckedStandardScaler

    assert CheckedStandardScaler().describe_method(class_counts=(10, 20)) == (
        "Standardisation: each feature was z-scored with the mean and standard deviation of the training data."
    )


def test_smote_validates_its_parameters_before_its_own_checks():
    X = np.arange(20.0).reshape(10, 2)
    y = np.array([0] * 7 + [1] * 3)
    with pytest.raises(ValueError, match="The 'sampling_strategy' parameter of CheckedSMOTE must be"):
        CheckedSMOTE(k_neighbors=2, sampling_strategy="most").fit_resample(X, y)
