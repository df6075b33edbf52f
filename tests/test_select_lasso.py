"""LassoSelector against scikit-learn's LARS-LASSO (lars_path), LassoCV, lasso_path, Lasso
and LogisticRegression, and R's cv.glmnet (tests/r/lasso_glmnet_cv.R)."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LassoCV, LogisticRegression, lasso_path
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
from sklearn import __version__ as sklearn_version
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.fixes import parse_version

from estimator_checks import BINARY_OUTCOME_EXPECTED_FAILURES
from lasso_reference import exact_cv_errors, exact_lasso_path

from radfuse.select import LassoSelector
from radfuse.select import _lasso
from radfuse.select._homotopy import HomotopyFailed
from radfuse.select._lasso import _centred_lasso_path, l1_logistic_path

DATA = Path(__file__).parent / "data"
# scikit-learn >= 1.8 selects the L1 penalty with l1_ratio alone (penalty is
# deprecated); before 1.8 l1_ratio is ignored unless penalty says so.
PURE_L1 = {"l1_ratio": 1.0} if parse_version(sklearn_version) >= parse_version("1.8") else {"penalty": "l1"}


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


def test_single_splitter_follows_the_exact_path(breast_cancer):
    X, y = breast_cancer
    folds = list(KFold(n_splits=5, shuffle=True, random_state=0).split(X, y))
    selector = LassoSelector(cv=folds).fit(X, y)
    assert selector.solver_ == "homotopy"
    grid = LassoCV(cv=folds).fit(X, y).alphas_
    np.testing.assert_allclose(selector.alphas_, grid, rtol=1e-12)
    errors = exact_cv_errors(X, y, folds, selector.alphas_)
    np.testing.assert_allclose(selector.cv_errors_, errors, rtol=1e-10)
    assert selector.alpha_ == selector.alphas_[np.argmin(errors.mean(axis=1))]
    coef = exact_lasso_path(X, y, [selector.alpha_])[:, 0]
    np.testing.assert_allclose(selector.coef_, coef, rtol=1e-10, atol=1e-12)
    assert selector.intercept_ == pytest.approx(y.mean() - X.mean().to_numpy() @ coef, rel=1e-10)
    np.testing.assert_array_equal(selector.get_support(), coef != 0)
    np.testing.assert_allclose(selector.rad_score(X), X @ coef + selector.intercept_, rtol=1e-9, atol=1e-12)
    assert selector.n_iter_ > np.count_nonzero(coef) - 1  # knots passed on the way to alpha_
    assert selector.mse_path_ is selector.cv_errors_
    assert selector.selection_rule_ == "cv"


def test_exact_path_equals_converged_coordinate_descent(breast_cancer):
    """An independent second reference: LassoCV run to convergence (tol=1e-12)."""
    X, y = breast_cancer
    folds = list(KFold(n_splits=5, shuffle=True, random_state=1).split(X, y))
    selector = LassoSelector(cv=folds).fit(X, y)
    reference = LassoCV(cv=folds, alphas=selector.alphas_, tol=1e-12, max_iter=10**6).fit(X, y)
    np.testing.assert_allclose(selector.cv_errors_, reference.mse_path_, rtol=1e-8)
    assert selector.alpha_ == pytest.approx(reference.alpha_, rel=1e-12)
    np.testing.assert_allclose(selector.coef_, reference.coef_, rtol=1e-7, atol=1e-9)


def test_wide_table_uses_coordinate_descent_as_lasso_cv_does():
    X, y = wide_table()
    folds = list(KFold(n_splits=5, shuffle=True, random_state=0).split(X, y))
    selector = LassoSelector(cv=folds).fit(X, y)
    assert selector.solver_ == "coordinate descent"
    reference = LassoCV(cv=folds).fit(X, y)
    assert selector.alpha_ == pytest.approx(reference.alpha_, rel=1e-12)
    np.testing.assert_allclose(selector.cv_errors_, reference.mse_path_, rtol=1e-8)
    np.testing.assert_allclose(selector.coef_, reference.coef_, rtol=1e-10, atol=1e-12)
    assert selector.intercept_ == pytest.approx(reference.intercept_, rel=1e-10)
    np.testing.assert_allclose(selector.rad_score(X), reference.predict(X), rtol=1e-10, atol=1e-12)


def test_many_features_use_coordinate_descent():
    X, y = make_classification(n_samples=400, n_features=_lasso.HOMOTOPY_MAX_FEATURES + 1, random_state=0)
    X = StandardScaler().fit_transform(X)
    folds = list(KFold(n_splits=3, shuffle=True, random_state=0).split(X, y))
    selector = LassoSelector(cv=folds, n_alphas=10).fit(X, y)
    assert selector.solver_ == "coordinate descent"
    reference = LassoCV(cv=folds, alphas=selector.alphas_).fit(X, y)
    np.testing.assert_allclose(selector.cv_errors_, reference.mse_path_, rtol=1e-8)


def test_a_failed_homotopy_falls_back_to_coordinate_descent(breast_cancer, monkeypatch):
    def fail(*args, **kwargs):
        raise HomotopyFailed("singular Gram matrix on an active set")

    X, y = breast_cancer
    folds = list(KFold(n_splits=5, shuffle=True, random_state=0).split(X, y))
    monkeypatch.setattr(_lasso, "lasso_homotopy_path", fail)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        selector = LassoSelector(cv=folds).fit(X, y)
        reference = LassoCV(cv=folds).fit(X, y)
    assert selector.solver_ == "coordinate descent"
    np.testing.assert_allclose(selector.cv_errors_, reference.mse_path_, rtol=1e-8)
    np.testing.assert_allclose(selector.coef_, reference.coef_, rtol=1e-10, atol=1e-12)


def test_repeated_cv_equals_the_exact_path_on_the_pooled_splits(breast_cancer):
    X, y = breast_cancer
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=3, random_state=1)
    selector = LassoSelector(cv=cv).fit(X, y)
    errors = exact_cv_errors(X, y, list(cv.split(X, y)), selector.alphas_)
    assert selector.cv_errors_.shape == (100, 15)
    np.testing.assert_allclose(selector.cv_errors_, errors, rtol=1e-10)
    assert selector.alpha_ == selector.alphas_[np.argmin(errors.mean(axis=1))]


def test_one_standard_error_rule_from_the_exact_cv_path(breast_cancer):
    X, y = breast_cancer
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=2)
    folds = list(cv.split(X, y))
    selector = LassoSelector(cv=folds, rule="1se").fit(X, y)

    alphas = selector.alphas_
    errors = exact_cv_errors(X, y, folds, alphas)
    mean = errors.mean(axis=1)
    se = errors.std(axis=1, ddof=1) / np.sqrt(len(folds))
    best = np.argmin(mean)
    # glmnet: lambda.1se = max(lambda[cvm <= cvm[min] + cvsd[min]])
    expected = alphas[mean <= mean[best] + se[best]].max()
    assert selector.alpha_ == pytest.approx(expected, rel=1e-12)
    assert selector.alpha_ > alphas[best]
    np.testing.assert_allclose(selector.cv_se_, se, rtol=1e-8)
    assert selector.get_support().sum() < np.count_nonzero(exact_lasso_path(X, y, [alphas[best]]))


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
            C=1 / (alphas[k] * n), **PURE_L1, solver="saga", tol=1e-12, max_iter=100_000
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
                C=1 / (alpha * len(train)), **PURE_L1, solver="saga", tol=1e-12, max_iter=100_000
            ).fit(X[train], y[train])
            expected = log_loss(y[test], reference.predict_proba(X[test]))
            assert selector.cv_errors_[i, j] == pytest.approx(expected, rel=1e-6)
    reference = LogisticRegression(
        C=1 / (selector.alpha_ * len(y)), **PURE_L1, solver="saga", tol=1e-12, max_iter=100_000
    ).fit(X, y)
    np.testing.assert_allclose(selector.rad_score(X), reference.decision_function(X), atol=1e-5)


def test_zero_surviving_features_raise_naming_rule_and_alpha(breast_cancer):
    X, y = breast_cancer
    # every penalty zeroes all coefficients; the tie goes to the largest penalty
    message = r"LassoSelector: at the cross-validated alpha_=20 \(rule='min'\) 0 feature.*min_features=1"
    with pytest.raises(ValueError, match=message):
        LassoSelector(cv=3, alphas=[10.0, 20.0]).fit(X, y)
    message = r"LassoSelector: no feature passes .*alpha_=20 \(rule='min', min_features=0\)"
    with pytest.raises(ValueError, match=message):
        LassoSelector(cv=3, alphas=[10.0, 20.0], min_features=0).fit(X, y)


def noise_table():
    """Features unrelated to the outcome: the 1-SE penalty keeps nothing."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    y = rng.permutation(np.repeat([0, 1], 30))
    return X, y, RepeatedStratifiedKFold(n_splits=5, n_repeats=4, random_state=0)


def test_noise_with_one_se_rule_and_no_fallback_keeps_nothing_and_says_so():
    X, y, cv = noise_table()
    with pytest.raises(ValueError, match=r"LassoSelector: .*rule='1se', min_features=0"):
        LassoSelector(cv=cv, rule="1se", min_features=0).fit(X, y)


@pytest.mark.parametrize("model", ["linear", "logistic"])
@pytest.mark.parametrize("more", [1, 3])
def test_min_features_takes_the_largest_penalty_of_the_path_that_keeps_them(model, more):
    X, y, cv = noise_table()
    cross_validated = LassoSelector(cv=cv, rule="1se", model=model, min_features=0)
    try:
        kept_by_cv = cross_validated.fit(X, y).get_support().sum()
    except ValueError:  # the CV penalty keeps nothing (the usual case on noise)
        kept_by_cv = 0
    min_features = kept_by_cv + more
    selector = LassoSelector(cv=cv, rule="1se", model=model, min_features=min_features).fit(X, y)
    assert selector.selection_rule_ == "min_features"
    if model == "linear":
        path = exact_lasso_path(X, y, selector.alphas_)
        np.testing.assert_allclose(selector.coef_path_, path, rtol=1e-10, atol=1e-14)
    else:
        _, path, _ = l1_logistic_path(X, y.astype(float), selector.alphas_)
    kept = np.count_nonzero(path, axis=0)
    expected = selector.alphas_[np.argmax(kept >= min_features)]
    assert selector.alpha_ == expected
    assert selector.alpha_ < cross_validated.alpha_
    assert selector.get_support().sum() >= min_features
    if model == "linear":
        reference = Lasso(alpha=selector.alpha_, tol=1e-14, max_iter=10**6).fit(X, y)
        np.testing.assert_allclose(selector.coef_, reference.coef_, rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(selector.coef_, selector.coef_path_[:, np.argmax(kept >= min_features)])
    assert selector.transform(X).shape == (60, selector.get_support().sum())


def test_min_features_above_the_feature_count_is_rejected():
    X, y, cv = noise_table()
    with pytest.raises(ValueError, match="LassoSelector: min_features=6 exceeds the 5 input features"):
        LassoSelector(cv=cv, min_features=6).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"alphas": [0.1, -1.0]}, "alphas must be a non-empty 1-D sequence"),
        ({"cv": ShuffleSplit(n_splits=1, random_state=0)}, "cv yields 1 split"),
    ],
)
def test_invalid_parameters(params, message, breast_cancer):
    X, y = breast_cancer
    with pytest.raises(ValueError, match=f"LassoSelector: {message}"):
        LassoSelector(**params).fit(X, y)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("cv", 1),
        ("cv", "10"),
        ("rule", "best"),
        ("model", "cox"),
        ("alphas", 0.1),
        ("n_alphas", 0),
        ("eps", 0.0),
        ("eps", 1.0),
        ("max_iter", -5),
        ("max_iter", 0),
        ("tol", -1e-4),
        ("min_features", -1),
        ("min_features", 1.5),
        ("cv_weights", "size"),
        ("n_jobs", "2"),
    ],
)
def test_invalid_parameters_are_rejected_by_name(param, value, breast_cancer):
    with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of LassoSelector"):
        LassoSelector(**{param: value}).fit(*breast_cancer)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "a Gaussian (least-squares) LASSO was fitted, its penalty lambda chosen as the "
             "value minimising the cross-validated error over stratified 10-fold "
             "cross-validation"),
        ({"model": "logistic", "rule": "1se",
          "cv": RepeatedStratifiedKFold(n_splits=5, n_repeats=20, random_state=0)},
         "a L1-penalised logistic LASSO was fitted, its penalty lambda chosen as the value "
         "within one standard error of the minimum of the cross-validated error over 20 "
         "repeats of stratified 5-fold cross-validation"),
    ],
)
def test_describe_method_states_the_parameters(params, expected):
    sentence = LassoSelector(**params).describe_method(class_counts=(30, 20), kept_range=(3, 9))
    assert sentence == (
        f"LASSO: {expected}, and features with a non-zero coefficient at that penalty were kept."
    )


def test_fitted_linear_lasso_names_its_solver_in_the_methods_sentence(breast_cancer):
    exact = LassoSelector(cv=3, n_alphas=10).fit(*breast_cancer)
    assert "LASSO was fitted along its exact solution path (LARS-LASSO homotopy), its penalty" in (
        exact.describe_method()
    )
    wide = LassoSelector(cv=3, n_alphas=10).fit(*wide_table())
    assert "LASSO was fitted by coordinate descent (tolerance 0.0001), its penalty" in wide.describe_method()
    logistic = LassoSelector(cv=3, n_alphas=5, model="logistic").fit(*breast_cancer)
    assert "logistic LASSO was fitted, its penalty" in logistic.describe_method()


def test_nan_column_and_constant_table_are_rejected(breast_cancer):
    X, y = breast_cancer
    X = X.copy()
    X.iloc[5, 2] = np.inf
    with pytest.raises(ValueError, match=r"LassoSelector: .*'mean perimeter'"):
        LassoSelector().fit(X, y)
    with pytest.raises(ValueError, match="LassoSelector: every feature is constant"):
        LassoSelector().fit(np.ones((30, 3)), np.repeat([0, 1], 15))


def test_convergence_warnings_are_summarised_once():
    X, y = wide_table()  # coordinate descent: the homotopy has no iterations to run out of
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LassoSelector(cv=3, n_alphas=10, max_iter=2).fit(X, y)
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    summaries = [w for w in convergence if "LassoSelector" in str(w.message)]
    assert len(summaries) == 1
    assert "of 40 (penalty, data) fits (3 splits and the full data)" in str(summaries[0].message)
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


@pytest.mark.parametrize("table", ["breast_cancer", "wide"])
def test_direct_kernel_path_equals_lasso_path_bit_for_bit(table, breast_cancer):
    X, y = breast_cancer if table == "breast_cancer" else wide_table()
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    X, y = X - X.mean(axis=0), y - y.mean()
    alpha_max = np.abs(X.T @ y).max() / len(y)
    # above alpha_max too, where the Gram kernel's call is skipped
    alphas = np.geomspace(4 * alpha_max, alpha_max * 1e-3, 60)
    _, expected, _ = lasso_path(X, y, alphas=alphas)
    state = np.random.get_state()[1].copy()
    np.testing.assert_array_equal(_centred_lasso_path(X, y, alphas, max_iter=1000, tol=1e-4), expected)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global RNG untouched
    start = expected[:, 30].copy()
    _, warm, _ = lasso_path(X, y, alphas=alphas[31:], coef_init=expected[:, 30].copy())
    np.testing.assert_array_equal(
        _centred_lasso_path(X, y, alphas[31:], coef_init=start, max_iter=1000, tol=1e-4), warm
    )
    np.testing.assert_array_equal(start, expected[:, 30])  # coef_init is not modified


@pytest.mark.parametrize("model", ["linear", "logistic"])
def test_coefficient_path_is_the_all_data_path(model, breast_cancer):
    X, y = breast_cancer
    selector = LassoSelector(cv=5, model=model, n_alphas=30).fit(X, y)
    Xa, ya = X.to_numpy(), y.to_numpy().astype(float)
    if model == "linear":
        path = exact_lasso_path(Xa, ya, selector.alphas_)
        intercepts = ya.mean() - Xa.mean(axis=0) @ path
        tolerance = {"rtol": 1e-10, "atol": 1e-13}
    else:
        intercepts, path, _ = l1_logistic_path(Xa, ya, selector.alphas_)
        tolerance = {"rtol": 1e-12, "atol": 1e-15}
    chosen = int(np.flatnonzero(selector.alphas_ == selector.alpha_)[0])
    np.testing.assert_array_equal(selector.coef_, selector.coef_path_[:, chosen])
    np.testing.assert_allclose(selector.coef_path_, path, **tolerance)
    np.testing.assert_allclose(selector.intercept_path_, intercepts, **tolerance)
    assert selector.coef_path_.shape == (X.shape[1], 30)


def glmnet_reference():
    data = pd.read_csv(DATA / "lasso_glmnet_input.csv")
    reference = pd.read_csv(DATA / "lasso_glmnet_cv.csv")
    X, y = data.drop(columns=["y", "foldid"]), data["y"]
    folds = [(np.flatnonzero(data["foldid"] != k), np.flatnonzero(data["foldid"] == k)) for k in range(1, 11)]
    return X, y, folds, reference


@pytest.mark.parametrize("rule", ["min", "1se"])
def test_fold_size_weights_match_r_cv_glmnet(rule):
    X, y, folds, reference = glmnet_reference()
    # the exact path against glmnet converged to thresh=1e-16, so only the averaging
    # is compared; the gap left is glmnet's stopping rule (2e-8 on this table)
    params = {"cv": folds, "alphas": reference["lambda"], "rule": rule}
    weighted = LassoSelector(cv_weights="fold_size", **params).fit(X, y)
    assert weighted.solver_ == "homotopy"
    np.testing.assert_allclose(weighted.cv_mean_, reference["cvm"], rtol=1e-7)
    np.testing.assert_allclose(weighted.cv_se_, reference["cvsd"], rtol=1e-7)
    expected = reference.loc[reference[f"lambda_{rule}"], "lambda"].item()
    assert weighted.alpha_ == pytest.approx(expected, rel=1e-12)
    # the unweighted (scikit-learn) average misses glmnet's choice by a grid step
    unweighted = LassoSelector(cv_weights="equal", **params).fit(X, y)
    assert unweighted.alpha_ != pytest.approx(expected, rel=1e-6)
    assert np.max(np.abs(unweighted.cv_mean_ / reference["cvm"] - 1)) > 1e-4


def test_fold_size_weights_from_the_exact_fold_errors():
    X, y, folds, _ = glmnet_reference()
    selector = LassoSelector(cv=folds, cv_weights="fold_size").fit(X, y)
    errors = exact_cv_errors(X, y, folds, selector.alphas_)
    sizes = np.array([len(test) for _, test in folds])
    # cv.glmnet: cvm = weighted.mean(cvraw, w); cvsd = sqrt(weighted.mean((cvraw - cvm)^2, w) / (N - 1))
    mean = np.average(errors, axis=1, weights=sizes)
    sd = np.sqrt(np.average((errors - mean[:, None]) ** 2, axis=1, weights=sizes) / (len(folds) - 1))
    np.testing.assert_allclose(selector.cv_mean_, mean, rtol=1e-8)
    np.testing.assert_allclose(selector.cv_se_, sd, rtol=1e-8)


@pytest.fixture(scope="module")
def rad_score_split():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    train, test = np.arange(0, 569, 2), np.arange(1, 569, 2)
    pipeline = Pipeline(
        [("zscore", StandardScaler()), ("lasso", LassoSelector(cv=StratifiedKFold(5, shuffle=True, random_state=0)))]
    ).set_output(transform="pandas")
    pipeline.fit(X.iloc[train], y.iloc[train])
    return X.iloc[train], X.iloc[test], y.iloc[test], pipeline


def test_rad_score_is_the_linear_predictor_of_the_selected_features(rad_score_split):
    _, X_test, _, pipeline = rad_score_split
    scaler, lasso = pipeline["zscore"], pipeline["lasso"]
    Z_test = scaler.transform(X_test)
    score = lasso.rad_score(Z_test)
    assert isinstance(score, pd.Series) and score.name == "rad_score"
    assert score.index.equals(X_test.index)
    selected = lasso.get_feature_names_out()
    direct = Z_test[selected].to_numpy() @ lasso.coef_[lasso.support_] + lasso.intercept_
    np.testing.assert_allclose(score, direct, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(lasso.decision_function(Z_test), score.to_numpy())

    coefficients = lasso.rad_score_coefficients()
    assert coefficients.index.tolist() == ["intercept", *selected]
    # in original units, applied to the unscaled test features
    original = lasso.rad_score_coefficients(scaler=scaler)
    by_hand = X_test[selected].to_numpy() @ original[selected].to_numpy() + original["intercept"]
    np.testing.assert_allclose(by_hand, score, rtol=1e-9, atol=1e-9)
    columns = X_test.columns.get_indexer(selected)
    expected_slopes = lasso.coef_[lasso.support_] / scaler.scale_[columns]
    np.testing.assert_allclose(original[selected], expected_slopes, rtol=1e-12)


def test_rad_score_formula_prints_every_term(rad_score_split):
    _, _, _, pipeline = rad_score_split
    lasso = pipeline["lasso"]
    formula = lasso.rad_score_formula(scaler=pipeline["zscore"], digits=6)
    coefficients = lasso.rad_score_coefficients(scaler=pipeline["zscore"])
    assert formula.startswith(f"rad_score = {coefficients['intercept']:.6g} ")
    for name, value in coefficients.iloc[1:].items():
        assert f"{'-' if value < 0 else '+'} {abs(value):.6g} * {name}" in formula
    assert formula.count(" * ") == lasso.get_support().sum()


def test_rad_score_is_a_column_for_a_clinical_logistic_model(rad_score_split):
    """Fitted on the training cases, the rad-score scores the test cases without a refit."""
    X_train, X_test, y_test, pipeline = rad_score_split
    lasso = pipeline["lasso"]
    before = lasso.coef_.copy()
    test_scores = lasso.rad_score(pipeline["zscore"].transform(X_test))
    np.testing.assert_array_equal(lasso.coef_, before)
    combined = pd.DataFrame({"rad_score": test_scores, "age": np.linspace(40, 80, len(X_test))})
    model = LogisticRegression().fit(combined, y_test)
    assert model.feature_names_in_.tolist() == ["rad_score", "age"]
    assert model.coef_[0, 0] > 0  # a higher rad-score means class 1 (benign) here


@pytest.mark.parametrize(
    "scaler, message",
    [
        (object(), "scaler must be the fitted StandardScaler"),
        (StandardScaler().fit(np.ones((4, 3))), "the scaler was fitted on 3 features"),
    ],
)
def test_rad_score_rejects_a_scaler_of_other_columns(scaler, message, rad_score_split):
    lasso = rad_score_split[3]["lasso"]
    with pytest.raises((TypeError, ValueError), match=f"LassoSelector: {message}"):
        lasso.rad_score_coefficients(scaler=scaler)
    renamed = StandardScaler().fit(rad_score_split[0].rename(columns=lambda c: c.upper()))
    with pytest.raises(ValueError, match="LassoSelector: the scaler's column 0 is 'MEAN RADIUS'"):
        lasso.rad_score_formula(scaler=renamed)
