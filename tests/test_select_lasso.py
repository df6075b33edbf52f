"""LassoSelector against scikit-learn's LassoCV, Lasso and LogisticRegression."""

import warnings

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV, LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedKFold,
    cross_validate,
)
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from estimator_checks import BINARY_OUTCOME_EXPECTED_FAILURES

from radfuse.select.lasso import LassoSelector, l1_logistic_path


# A fixed small-penalty grid: on the checks' tiny random tables a
# cross-validated penalty often zeroes every coefficient, which raises by design.
@parametrize_with_checks(
    [
        LassoSelector(cv=3, alphas=[1e-2, 1e-3]),
        LassoSelector(cv=3, model="logistic", alphas=[1e-2, 1e-3]),
    ],
    expected_failed_checks=lambda estimator: BINARY_OUTCOME_EXPECTED_FAILURES,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[::2]
    y = y.iloc[::2]
    return pd.DataFrame(StandardScaler().fit_transform(X), columns=X.columns, index=X.index), y


def wide_table():
    """More features than training cases: the path runs without a Gram matrix."""
    X, y = make_classification(n_samples=50, n_features=80, n_informative=5, random_state=3)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("table", ["breast_cancer", "wide"])
def test_single_splitter_matches_lasso_cv(table, breast_cancer):
    X, y = breast_cancer if table == "breast_cancer" else wide_table()
    folds = list(KFold(n_splits=5, shuffle=True, random_state=0).split(X, y))
    selector = LassoSelector(cv=folds).fit(X, y)
    reference = LassoCV(cv=folds).fit(X, y)
    assert selector.alpha_ == pytest.approx(reference.alpha_, rel=1e-12)
    np.testing.assert_allclose(selector.alphas_, reference.alphas_, rtol=1e-12)
    np.testing.assert_allclose(selector.cv_errors_, reference.mse_path_, rtol=1e-8)
    np.testing.assert_allclose(selector.coef_, reference.coef_, rtol=1e-10, atol=1e-12)
    assert selector.intercept_ == pytest.approx(reference.intercept_, rel=1e-10)
    np.testing.assert_array_equal(selector.get_support(), reference.coef_ != 0)
    np.testing.assert_allclose(selector.radscore(X), reference.predict(X), rtol=1e-10, atol=1e-12)


def test_repeated_cv_equals_lasso_cv_on_the_pooled_splits(breast_cancer):
    X, y = breast_cancer
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=3, random_state=1)
    selector = LassoSelector(cv=cv).fit(X, y)
    reference = LassoCV(cv=list(cv.split(X, y))).fit(X, y)
    assert selector.cv_errors_.shape == (100, 15)
    np.testing.assert_allclose(selector.cv_errors_, reference.mse_path_, rtol=1e-8)
    assert selector.alpha_ == pytest.approx(reference.alpha_, rel=1e-12)


def test_one_standard_error_rule_from_lasso_cv_path(breast_cancer):
    X, y = breast_cancer
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=2)
    folds = list(cv.split(X, y))
    selector = LassoSelector(cv=folds, rule="1se").fit(X, y)

    reference = LassoCV(cv=folds).fit(X, y)
    mean = reference.mse_path_.mean(axis=1)
    se = reference.mse_path_.std(axis=1, ddof=1) / np.sqrt(len(folds))
    best = np.argmin(mean)
    # glmnet: lambda.1se = max(lambda[cvm <= cvm[min] + cvsd[min]])
    expected = reference.alphas_[mean <= mean[best] + se[best]].max()
    assert selector.alpha_ == pytest.approx(expected, rel=1e-12)
    assert selector.alpha_ > reference.alpha_
    np.testing.assert_allclose(selector.cv_se_, se, rtol=1e-8)
    assert selector.get_support().sum() < np.count_nonzero(reference.coef_)


def test_result_does_not_depend_on_n_jobs(breast_cancer):
    X, y = breast_cancer
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0)
    for model in ("linear", "logistic"):
        serial = LassoSelector(cv=cv, model=model, n_alphas=20).fit(X, y)
        parallel = LassoSelector(cv=cv, model=model, n_alphas=20, n_jobs=2).fit(X, y)
        np.testing.assert_array_equal(serial.cv_errors_, parallel.cv_errors_)
        np.testing.assert_array_equal(serial.coef_, parallel.coef_)


def test_l1_logistic_path_matches_sklearn_saga():
    X, y = make_classification(n_samples=150, n_features=6, n_informative=3, random_state=1)
    X = StandardScaler().fit_transform(X)
    n = len(y)
    alpha_max = np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / n
    alphas = np.geomspace(alpha_max, alpha_max * 0.01, 12)
    intercepts, coefs, _ = l1_logistic_path(X, y.astype(float), alphas, tol=1e-10, max_iter=100_000)
    assert np.all(coefs[:, 0] == 0)  # alpha_max zeroes every coefficient
    for k in (1, 6, 11):
        reference = LogisticRegression(
            C=1 / (alphas[k] * n), l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=100_000
        ).fit(X, y)
        np.testing.assert_allclose(coefs[:, k], reference.coef_.ravel(), atol=1e-6)
        assert intercepts[k] == pytest.approx(reference.intercept_[0], abs=1e-6)


def test_logistic_cv_error_is_held_out_log_loss_of_sklearn_fits():
    X, y = make_classification(n_samples=90, n_features=4, n_informative=2, random_state=4)
    X = StandardScaler().fit_transform(X)
    alphas = [0.05, 0.01]
    folds = list(StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(X, y))
    selector = LassoSelector(cv=folds, model="logistic", alphas=alphas, tol=1e-10, max_iter=100_000)
    selector.fit(X, y)
    for j, (train, test) in enumerate(folds):
        for i, alpha in enumerate(alphas):
            reference = LogisticRegression(
                C=1 / (alpha * len(train)), l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=100_000
            ).fit(X[train], y[train])
            expected = log_loss(y[test], reference.predict_proba(X[test]))
            assert selector.cv_errors_[i, j] == pytest.approx(expected, rel=1e-6)
    reference = LogisticRegression(
        C=1 / (selector.alpha_ * len(y)), l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=100_000
    ).fit(X, y)
    np.testing.assert_allclose(selector.radscore(X), reference.decision_function(X), atol=1e-5)


def test_zero_surviving_features_raise_naming_rule_and_alpha(breast_cancer):
    X, y = breast_cancer
    # every penalty zeroes all coefficients; the tie goes to the largest penalty
    message = r"LassoSelector: no feature passes .*alpha_=20 \(rule='min'\)"
    with pytest.raises(ValueError, match=message):
        LassoSelector(cv=3, alphas=[10.0, 20.0]).fit(X, y)


def test_noise_with_one_se_rule_keeps_nothing_and_says_so():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    y = rng.permutation(np.repeat([0, 1], 30))
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=4, random_state=0)
    with pytest.raises(ValueError, match=r"LassoSelector: .*rule='1se'"):
        LassoSelector(cv=cv, rule="1se").fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"rule": "best"}, "rule must be one of"),
        ({"model": "cox"}, "model must be one of"),
        ({"eps": 0.0}, r"eps must lie in \(0, 1\)"),
        ({"n_alphas": 0}, "n_alphas must be a positive integer"),
        ({"alphas": [0.1, -1.0]}, "alphas must be a non-empty 1-D sequence"),
        ({"cv": ShuffleSplit(n_splits=1, random_state=0)}, "cv yields 1 split"),
    ],
)
def test_invalid_parameters(params, message, breast_cancer):
    X, y = breast_cancer
    with pytest.raises(ValueError, match=f"LassoSelector: {message}"):
        LassoSelector(**params).fit(X, y)


def test_nan_column_and_constant_table_are_rejected(breast_cancer):
    X, y = breast_cancer
    X = X.copy()
    X.iloc[5, 2] = np.inf
    with pytest.raises(ValueError, match=r"LassoSelector: .*'mean perimeter'"):
        LassoSelector().fit(X, y)
    with pytest.raises(ValueError, match="LassoSelector: every feature is constant"):
        LassoSelector().fit(np.ones((30, 3)), np.repeat([0, 1], 15))


def test_convergence_warnings_are_summarised_once(breast_cancer):
    X, y = breast_cancer
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LassoSelector(cv=3, n_alphas=10, max_iter=2).fit(X, y)
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    summaries = [w for w in convergence if "LassoSelector" in str(w.message)]
    assert len(summaries) == 1
    assert "of 30 (penalty, split) fits" in str(summaries[0].message)
    assert len(convergence) <= 2  # the summary, and at most the final refit's own


def test_pandas_output_and_pipeline_with_smote(breast_cancer):
    X, y = breast_cancer
    selector = LassoSelector(cv=5).set_output(transform="pandas").fit(X, y)
    out = selector.transform(X)
    assert out.columns.tolist() == X.columns[selector.coef_ != 0].tolist()
    assert out.columns.tolist() == selector.get_feature_names_out().tolist()

    pipeline = Pipeline(
        [
            ("smote", SMOTE(k_neighbors=5, random_state=0)),
            ("zscore", StandardScaler()),
            ("lasso", LassoSelector(cv=StratifiedKFold(5, shuffle=True, random_state=0))),
            ("clf", LogisticRegression()),
        ]
    ).set_output(transform="pandas")
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_validate(pipeline, X, y, cv=cv, scoring="roc_auc", error_score="raise")
    assert scores["test_score"].min() > 0.9
    search = GridSearchCV(pipeline, {"lasso__rule": ["min", "1se"]}, cv=cv, scoring="roc_auc")
    search.fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert set(search.best_estimator_[:-1].get_feature_names_out()) <= set(X.columns)
