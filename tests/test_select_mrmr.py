"""MRMRSelector against the mrmr-selection package and scikit-learn's f_classif."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from mrmr import mrmr_classif
from sklearn.datasets import load_breast_cancer
from sklearn.feature_selection import f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from estimator_checks import BINARY_OUTCOME_EXPECTED_FAILURES

from radfuse.select import MRMRSelector


@parametrize_with_checks(
    [MRMRSelector(n_features=2)],
    expected_failed_checks=lambda estimator: BINARY_OUTCOME_EXPECTED_FAILURES,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def breast_cancer():
    return load_breast_cancer(return_X_y=True, as_frame=True)


def reference_mrmr(X, y, K, **options):
    """mrmr-selection's own answer (serial, no progress bar).

    Its per-column f_classif warns about constant columns, which it then
    scores 0; the tests put such columns in on purpose.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return mrmr_classif(X=X, y=pd.Series(y), K=K, show_progress=False, n_jobs=1, **options)


def correlated_groups(n_samples=120, n_groups=50, group_size=10, seed=0):
    """p = 500 features in groups of 10 noisy copies of one latent factor;
    the outcome depends on five of the factors."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n_samples, n_groups))
    loadings = rng.uniform(0.5, 2.0, size=(n_groups, group_size))
    noise_sd = rng.uniform(0.2, 1.5, size=(n_groups, group_size))
    X = np.concatenate(
        [
            factors[:, [g]] * loadings[g] + rng.normal(size=(n_samples, group_size)) * noise_sd[g]
            for g in range(n_groups)
        ],
        axis=1,
    )
    logit = factors[:, :5] @ np.array([1.5, -1.0, 1.0, 0.7, -0.5])
    y = (rng.uniform(size=n_samples) < 1 / (1 + np.exp(-logit))).astype(int)
    columns = [f"g{g:02d}_f{j}" for g in range(n_groups) for j in range(group_size)]
    return pd.DataFrame(X, columns=columns), pd.Series(y, name="outcome")


@pytest.mark.parametrize("K", [1, 2, 7, 15, 30])
def test_same_features_same_order_as_mrmr_classif_on_breast_cancer(breast_cancer, K):
    X, y = breast_cancer
    selector = MRMRSelector(n_features=K).fit(X, y)
    assert selector.selected_features_.tolist() == reference_mrmr(X, y, K)


def test_same_features_same_order_as_mrmr_classif_on_correlated_groups():
    X, y = correlated_groups()
    X["constant"] = 0.0  # zero relevance: neither implementation may pick it
    selector = MRMRSelector(n_features=20).fit(X, y)
    expected, relevance, _ = reference_mrmr(X, y, 20, return_scores=True)
    assert selector.selected_features_.tolist() == expected
    assert "constant" not in selector.selected_features_
    # mrmr-selection's relevance: per-column f_classif, positive ones only
    np.testing.assert_allclose(
        selector.relevance_[relevance.index], relevance, rtol=1e-10
    )


def test_relevance_is_f_classif(breast_cancer):
    X, y = breast_cancer
    selector = MRMRSelector(n_features=5).fit(X, y)
    expected, _ = f_classif(X, y)
    np.testing.assert_allclose(selector.relevance_.to_numpy(), expected, rtol=1e-10)
    assert selector.relevance_.index.tolist() == X.columns.tolist()


def test_scores_are_relevance_over_mean_floored_abs_pearson(breast_cancer):
    X, y = breast_cancer
    selector = MRMRSelector(n_features=8).fit(X, y)
    chosen = selector.selected_features_
    f_values = pd.Series(f_classif(X, y)[0], index=X.columns)
    correlation = X[chosen].corr(method="pearson").abs().clip(lower=0.001)
    expected = [f_values[chosen[0]]] + [
        f_values[chosen[k]] / correlation.loc[chosen[k], chosen[:k]].mean()
        for k in range(1, len(chosen))
    ]
    np.testing.assert_allclose(selector.scores_.to_numpy(), expected, rtol=1e-9)
    assert selector.scores_.index.tolist() == chosen.tolist()


def test_too_many_features_requested_selects_all_candidates_with_warning(breast_cancer):
    X, y = breast_cancer
    X = X.iloc[:, :5].assign(flat=1.0)
    with pytest.warns(UserWarning, match=r"n_features=10 exceeds the 5 feature\(s\)"):
        selector = MRMRSelector(n_features=10).fit(X, y)
    assert selector.selected_features_.tolist() == reference_mrmr(X, y, 10)
    assert selector.get_support().tolist() == [True] * 5 + [False]


def test_constant_features_only_raise_naming_the_step():
    X = np.ones((20, 3))
    y = np.repeat([0, 1], 10)
    with pytest.raises(ValueError, match=r"MRMRSelector: no feature passes F-statistic relevance"):
        MRMRSelector(n_features=2).fit(X, y)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", None])
def test_invalid_n_features_is_rejected_by_name(bad, breast_cancer):
    X, y = breast_cancer
    with pytest.raises(InvalidParameterError, match="The 'n_features' parameter of MRMRSelector"):
        MRMRSelector(n_features=bad).fit(X, y)


@pytest.mark.parametrize(
    ("kept_range", "fewer"),
    [
        (None, ""),
        ((7, 7), ""),
        ((3, 7), " (fewer features reached this step in some fits, which kept 3-7)"),
        ((4, 4), " (fewer features reached this step in some fits, which kept 4)"),
    ],
)
def test_describe_method_states_n_features_and_fewer_kept(kept_range, fewer):
    sentence = MRMRSelector(n_features=7).describe_method(kept_range=kept_range)
    assert sentence == (
        "Relevance and redundancy: up to the 7 top-ranked features by minimum redundancy maximum "
        f"relevance (mRMR) were kept{fewer}."
    )


def test_nan_column_is_named(breast_cancer):
    X, y = breast_cancer
    X = X.copy()
    X.loc[3, "mean area"] = np.nan
    with pytest.raises(ValueError, match=r"MRMRSelector: .*'mean area'"):
        MRMRSelector(n_features=3).fit(X, y)


def test_output_keeps_input_column_order_and_names(breast_cancer):
    X, y = breast_cancer
    selector = MRMRSelector(n_features=4).set_output(transform="pandas").fit(X, y)
    out = selector.transform(X)
    input_order = [c for c in X.columns if c in set(selector.selected_features_)]
    assert out.columns.tolist() == input_order == selector.get_feature_names_out().tolist()
    pd.testing.assert_frame_equal(out, X[input_order])

    numpy_selector = MRMRSelector(n_features=4).fit(X.to_numpy(), y.to_numpy())
    positions = [X.columns.get_loc(name) for name in selector.selected_features_]
    assert numpy_selector.selected_features_.tolist() == [f"x{i}" for i in positions]


def test_tuned_inside_imblearn_pipeline_with_smote(breast_cancer):
    X, y = breast_cancer
    X = X.iloc[::3]
    y = y.iloc[::3]
    pipeline = Pipeline(
        [
            ("smote", SMOTE(k_neighbors=5, random_state=0)),
            ("zscore", StandardScaler()),
            ("mrmr", MRMRSelector(n_features=3)),
            ("clf", LogisticRegression()),
        ]
    ).set_output(transform="pandas")
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    search = GridSearchCV(pipeline, {"mrmr__n_features": [2, 6]}, cv=cv, scoring="roc_auc")
    search.fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert len(best[:-1].get_feature_names_out()) == search.best_params_["mrmr__n_features"]

    scores = cross_validate(pipeline, X, y, cv=cv, scoring="roc_auc", error_score="raise")
    assert scores["test_score"].min() > 0.8


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_features=st.integers(2, 12),
    K=st.integers(1, 6),
)
def test_matches_mrmr_classif_on_random_tables(seed, n_features, K):
    rng = np.random.default_rng(seed)
    n_samples = 40
    mixing = rng.normal(size=(n_features, n_features))
    X = pd.DataFrame(rng.normal(size=(n_samples, n_features)) @ mixing,
                     columns=[f"c{i}" for i in range(n_features)])
    y = np.repeat([0, 1], n_samples // 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        selector = MRMRSelector(n_features=K).fit(X, y)
    assert selector.selected_features_.tolist() == reference_mrmr(X, y, K)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_selection_invariant_to_affine_rescaling_and_column_order(seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(50, 10)) @ rng.normal(size=(10, 10)),
                     columns=[f"c{i}" for i in range(10)])
    y = rng.permutation(np.repeat([0, 1], 25))
    reference = MRMRSelector(n_features=5).fit(X, y).selected_features_
    rescaled = X * rng.uniform(0.1, 10, size=10) + rng.normal(size=10)
    shuffled = rescaled[rng.permutation(X.columns)]
    selected = MRMRSelector(n_features=5).fit(shuffled, y).selected_features_
    assert selected.tolist() == reference.tolist()


@pytest.mark.parametrize("power", [-300, -250, -200, -154, -100, -50, 50, 100, 154, 200, 250, 300])
def test_decisions_and_relevance_do_not_depend_on_a_features_units(breast_cancer, power):
    # Before: at 10^-300 (and from 10^154 on) the squares under- or overflowed and the
    # relevance became NaN. The F statistic is scale-free; the tolerance covers the
    # rounding of multiplying by 10^power.
    X, y = breast_cancer
    reference = MRMRSelector(n_features=10).fit(X, y)
    scaled = X.assign(**{"worst perimeter": X["worst perimeter"] * 10.0**power,
                         "mean texture": X["mean texture"] * 10.0**-power})
    selector = MRMRSelector(n_features=10).fit(scaled, y)
    assert np.isfinite(selector.relevance_).all()
    np.testing.assert_allclose(selector.relevance_, reference.relevance_, rtol=1e-12)
    np.testing.assert_allclose(selector.scores_, reference.scores_, rtol=1e-12)
    assert selector.selected_features_.tolist() == reference.selected_features_.tolist()
