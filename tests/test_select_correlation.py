"""CorrelationPruner: correlations against scipy/pandas, pruning against a pairwise reference."""

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from scipy import stats
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from estimator_checks import BINARY_OUTCOME_EXPECTED_FAILURES

import radfuse.select._correlation as correlation_module
from radfuse.select import CorrelationPruner, correlation_matrix

SAME = 1e-12
SCIPY_CORRELATION = {"spearman": stats.spearmanr, "pearson": stats.pearsonr}


def reference_prune(X, y, threshold, method="spearman", keep="relevance", random_state=None):
    """The published loop, literally: while some kept pair exceeds the threshold, take the
    most correlated one (earliest pair on ties) and remove one member. Correlations come
    from one scipy call per pair, compared after rounding to 12 decimals as documented."""
    X, y = np.asarray(X, float), np.asarray(y)
    correlate = SCIPY_CORRELATION[method]
    n_features = X.shape[1]
    rho = {
        (i, j): round(correlate(X[:, i], X[:, j]).statistic, 12)
        for i in range(n_features)
        for j in range(i + 1, n_features)
    }
    relevance = [round(abs(correlate(X[:, i], y).statistic), 12) for i in range(n_features)]
    rng = np.random.RandomState(random_state)
    kept = list(range(n_features))
    while True:
        pairs = [
            (abs(r), i, j)
            for (i, j), r in rho.items()
            if i in kept and j in kept and abs(r) > threshold
        ]
        if not pairs:
            return np.isin(np.arange(n_features), kept)
        _, i, j = max(pairs, key=lambda pair: (pair[0], -pair[1], -pair[2]))
        if keep == "random":
            kept.remove(i if rng.random_sample() < 0.5 else j)
        else:
            kept.remove(i if relevance[i] < relevance[j] else j)


@pytest.fixture(scope="module")
def breast():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[:150], y.iloc[:150]


@pytest.mark.parametrize("with_ties", [False, True])
def test_spearman_matrix_equals_scipy_and_pandas(breast, with_ties):
    X, _ = breast
    if with_ties:
        X = np.floor(X.rank(pct=True) * 5)
    ours = correlation_matrix(X.to_numpy(), "spearman")
    np.testing.assert_allclose(ours, stats.spearmanr(X).statistic, rtol=0, atol=SAME)
    np.testing.assert_allclose(ours, X.corr("spearman").to_numpy(), rtol=0, atol=SAME)


def test_pearson_matrix_equals_numpy_and_pandas(breast):
    X, _ = breast
    ours = correlation_matrix(X.to_numpy(), "pearson")
    np.testing.assert_allclose(ours, np.corrcoef(X.to_numpy(), rowvar=False), rtol=0, atol=SAME)
    np.testing.assert_allclose(ours, X.corr("pearson").to_numpy(), rtol=0, atol=SAME)


def test_constant_column_has_undefined_correlation_like_pandas():
    X = pd.DataFrame({"a": [1.0, 2, 3, 4], "flat": 0.1, "b": [2.0, 1, 4, 3]})
    ours = correlation_matrix(X.to_numpy(), "pearson")
    np.testing.assert_array_equal(np.isnan(ours), X.corr().isna().to_numpy())


@pytest.mark.parametrize("method", ["spearman", "pearson"])
@pytest.mark.parametrize("threshold", [0.8, 0.9, 0.95])
def test_selection_equals_pairwise_reference(breast, method, threshold):
    X, y = breast
    pruner = CorrelationPruner(threshold=threshold, method=method).fit(X, y)
    expected = reference_prune(X, y, threshold, method)
    assert 0 < expected.sum() < X.shape[1]
    np.testing.assert_array_equal(pruner.get_support(), expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_keep_equals_reference_with_the_same_seed(breast, seed):
    X, y = breast
    pruner = CorrelationPruner(keep="random", random_state=seed).fit(X, y)
    np.testing.assert_array_equal(
        pruner.get_support(), reference_prune(X, y, 0.9, keep="random", random_state=seed)
    )


def test_random_keep_is_reproducible_and_depends_on_the_seed(breast):
    X, y = breast
    supports = {
        seed: CorrelationPruner(keep="random", random_state=seed).fit(X, y).get_support()
        for seed in range(5)
    }
    again = CorrelationPruner(keep="random", random_state=3).fit(X, y).get_support()
    np.testing.assert_array_equal(again, supports[3])
    assert len({mask.tobytes() for mask in supports.values()}) > 1


@pytest.mark.parametrize("keep", ["relevance", "random"])
def test_no_kept_pair_exceeds_threshold(breast, keep):
    X, y = breast
    kept = CorrelationPruner(threshold=0.85, keep=keep, random_state=0).fit_transform(X, y)
    upper = np.triu(np.abs(pd.DataFrame(kept).corr("spearman").to_numpy()), k=1)
    assert upper.max() <= 0.85


def test_relevance_is_absolute_correlation_with_outcome(breast):
    X, y = breast
    for method, correlate in SCIPY_CORRELATION.items():
        pruner = CorrelationPruner(method=method).fit(X, y)
        expected = [abs(correlate(X[c], y).statistic) for c in X.columns]
        np.testing.assert_allclose(pruner.relevance_, expected, rtol=0, atol=SAME)


def test_spearman_relevance_is_proportional_to_auc_distance_from_half():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 80)
    X = rng.normal(size=(80, 6)) + np.outer(y, [0, 0.2, -0.5, 1, -1.5, 3])
    relevance = CorrelationPruner().fit(X, y).relevance_.to_numpy()
    u = stats.mannwhitneyu(X[y == 1], X[y == 0]).statistic
    auc_distance = np.abs(u / ((y == 1).sum() * (y == 0).sum()) - 0.5)
    ratio = relevance / auc_distance
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-10)


def test_dropped_because_names_a_correlated_partner(breast):
    X, y = breast
    pruner = CorrelationPruner(threshold=0.9).fit(X, y)
    log = pruner.dropped_because_
    kept = set(pruner.get_feature_names_out())
    assert set(log.index) == set(X.columns) - kept
    for feature, row in log.iterrows():
        expected = stats.spearmanr(X[feature], X[row["kept"]]).statistic
        assert row["rho"] == pytest.approx(expected, abs=SAME)
        assert abs(row["rho"]) > 0.9
        assert pruner.relevance_[feature] <= pruner.relevance_[row["kept"]]
    assert log["rho"].abs().is_monotonic_decreasing


@settings(max_examples=25, deadline=None)
@given(
    n_samples=st.integers(6, 40),
    n_features=st.integers(2, 8),
    threshold=st.floats(0.3, 0.95),
    keep=st.sampled_from(["relevance", "random"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_correlated_blocks_match_reference(n_samples, n_features, threshold, keep, seed):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n_samples, 2))
    noise = rng.normal(scale=0.4, size=(n_samples, n_features))
    X = latent[:, rng.integers(0, 2, n_features)] + noise
    y = np.resize([0, 1], n_samples)[rng.permutation(n_samples)]
    pruner = CorrelationPruner(threshold=threshold, keep=keep, random_state=seed).fit(X, y)
    expected = reference_prune(X, y, threshold, keep=keep, random_state=seed)
    np.testing.assert_array_equal(pruner.get_support(), expected)


def test_identical_columns_leave_exactly_one():
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    X = pd.DataFrame({"a": x, "a_copy": x, "a_scaled": 3 * x + 1})
    y = (x + rng.normal(size=30) > 0).astype(int)
    assert CorrelationPruner().fit(X, y).get_feature_names_out().tolist() == ["a"]


def test_constant_feature_is_never_pruned(breast):
    X, y = breast
    pruner = CorrelationPruner().fit(X.assign(flat=1.0), y)
    assert "flat" in pruner.get_feature_names_out()
    assert np.isnan(pruner.relevance_["flat"])
    assert "flat" not in pruner.dropped_because_.index


def test_invariant_to_row_order(breast):
    X, y = breast
    order = np.random.default_rng(0).permutation(len(X))
    forward = CorrelationPruner().fit(X, y)
    shuffled = CorrelationPruner().fit(X.iloc[order], y.iloc[order])
    np.testing.assert_array_equal(forward.get_support(), shuffled.get_support())


def test_numpy_input_and_pandas_output(breast):
    X, y = breast
    from_numpy = CorrelationPruner().fit(X.to_numpy(), y.to_numpy())
    assert from_numpy.relevance_.index[:2].tolist() == ["x0", "x1"]
    out = CorrelationPruner().set_output(transform="pandas").fit_transform(X, y)
    assert out.columns.tolist() == [X.columns[i] for i in np.flatnonzero(from_numpy.get_support())]


def test_nan_column_is_named(breast):
    X, y = breast
    X = X.assign(**{"worst area": X["worst area"].where(X.index != 5)})
    message = r"CorrelationPruner: input contains NaN.*\['worst area'\]"
    with pytest.raises(ValueError, match=message):
        CorrelationPruner().fit(X, y)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("threshold", -1),
        ("threshold", 1.5),
        ("threshold", "0.9"),
        ("method", "kendall"),
        ("keep", "first"),
        ("random_state", "seed"),
    ],
)
def test_invalid_parameters_are_rejected_by_name(breast, param, value):
    if param == "method":
        with pytest.raises(InvalidParameterError, match="The 'method' parameter of correlation_matrix"):
            correlation_matrix(breast[0], method=value)
    with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of CorrelationPruner"):
        CorrelationPruner(**{param: value}).fit(*breast)


@pytest.mark.parametrize("threshold", [0, 1])
def test_threshold_bounds_are_accepted(breast, threshold):
    X, y = breast
    pruner = CorrelationPruner(threshold=threshold).fit(X, y)
    # Every pair of the breast data is correlated above 0 and none reaches 1.
    assert pruner.get_support().sum() == (1 if threshold == 0 else X.shape[1])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "|Spearman rho| > 0.9, the one more strongly associated with the outcome was kept."),
        ({"threshold": 0.8, "method": "pearson", "keep": "random"},
         "|Pearson rho| > 0.8, one, chosen at random, was kept."),
    ],
)
def test_describe_method_states_the_parameters(params, expected):
    sentence = CorrelationPruner(**params).describe_method(class_counts=(30, 20), kept_range=(2, 5))
    assert sentence == f"Redundancy: of every pair of features with {expected}"


def test_pipeline_with_smote_cross_validate_and_grid_search(breast):
    X, y = breast
    pipe = Pipeline(
        [
            ("smote", SMOTE(k_neighbors=5, random_state=0)),
            ("zscore", StandardScaler()),
            ("spearman", CorrelationPruner()),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    ).set_output(transform="pandas")
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    assert cross_validate(pipe, X, y, cv=cv, scoring="roc_auc")["test_score"].min() > 0.9
    grid = {"spearman__threshold": [0.8, 0.9], "spearman__keep": ["relevance", "random"]}
    search = GridSearchCV(pipe, grid, cv=cv, scoring="roc_auc").fit(X, y)
    step = search.best_estimator_.named_steps["spearman"]
    transformed = search.best_estimator_[:-1].transform(X)
    assert transformed.columns.tolist() == step.get_feature_names_out().tolist()


def test_docstring_example_runs():
    assert doctest.testmod(correlation_module).failed == 0


# scikit-learn's generic checks below fit on three- or four-class targets; the radfuse
# selectors require a binary outcome by design and reject them with a clear error.


@parametrize_with_checks(
    [CorrelationPruner(), CorrelationPruner(method="pearson", keep="random", random_state=0)],
    expected_failed_checks=lambda estimator: BINARY_OUTCOME_EXPECTED_FAILURES,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)



@pytest.mark.parametrize("method", ["spearman", "pearson"])
@pytest.mark.parametrize("keep", ["relevance", "random"])
def test_row_blocks_give_the_same_result(breast, method, keep, monkeypatch):
    X, y = breast
    whole = CorrelationPruner(method=method, keep=keep, random_state=0).fit(X, y)
    monkeypatch.setattr(correlation_module, "_BLOCK_VALUES", 3 * len(X))
    blocked = CorrelationPruner(method=method, keep=keep, random_state=0).fit(X, y)
    np.testing.assert_array_equal(blocked.get_support(), whole.get_support())
    pd.testing.assert_frame_equal(blocked.dropped_because_, whole.dropped_because_)


def test_fitted_pruner_holds_no_feature_by_feature_array(breast):
    """Issue 12.6: the p x p correlation_ was copied into every saved model."""
    X, y = breast
    pruner = CorrelationPruner().fit(X, y)
    sizes = {
        name: np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value).size
        for name, value in vars(pruner).items()
    }
    assert max(sizes.values()) < X.shape[1] ** 2 / 4, sizes


def test_dropped_rho_is_the_pair_correlation(breast):
    X, y = breast
    pruner = CorrelationPruner().fit(X, y)
    full = correlation_matrix(X.to_numpy())
    position = {name: i for i, name in enumerate(X.columns)}
    for dropped, row in pruner.dropped_because_.iterrows():
        assert row["rho"] == pytest.approx(full[position[dropped], position[row["kept"]]],
                                           abs=1e-12)


@pytest.mark.parametrize("method", ["spearman", "pearson"])
@pytest.mark.parametrize("exponent", [-300, -154, -50, 50, 154, 300])
def test_decisions_do_not_depend_on_the_unit_of_a_feature(breast, method, exponent):
    """Issue 12.5: Pearson correlations of features near 1e154 overflowed."""
    X, y = breast
    reference = CorrelationPruner(method=method).fit(X, y)
    scaled = X.copy()
    scaled[X.columns[::2]] = X[X.columns[::2]].to_numpy() * 10.0**exponent
    pruner = CorrelationPruner(method=method).fit(scaled, y)
    np.testing.assert_array_equal(pruner.get_support(), reference.get_support())
    np.testing.assert_allclose(pruner.relevance_, reference.relevance_, rtol=1e-9)
