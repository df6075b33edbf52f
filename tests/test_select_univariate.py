"""UnivariateFilter: the per-feature test rule against scipy, pingouin and statsmodels."""

import doctest

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from pingouin_compat import pingouin_names
from reference_versions import SHAPIRO_RTOL
from scipy import stats
from sklearn import config_context
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks
from statsmodels.stats.multitest import multipletests

from estimator_checks import BINARY_OUTCOME_EXPECTED_FAILURES

import radfuse.select._univariate as univariate_module
from radfuse.select import UnivariateFilter

SAME = 1e-12


def reference_test(a, b, normality_alpha=0.05, levene_alpha=0.05):
    """The published rule, one feature at a time with plain scipy calls."""
    def normal(sample):
        if len(sample) < 3 or np.ptp(sample) == 0:
            return False
        return stats.shapiro(sample).pvalue > normality_alpha

    if normal(a) and normal(b):
        if stats.levene(a, b).pvalue > levene_alpha:
            return "student", stats.ttest_ind(a, b, equal_var=True).pvalue
        return "welch", stats.ttest_ind(a, b, equal_var=False).pvalue
    if np.ptp(np.r_[a, b]) == 0:
        # All cases tied: the documented p = 1 (scipy < 1.18 gives it, >= 1.18 NaN).
        return "mann-whitney", 1.0
    return "mann-whitney", stats.mannwhitneyu(a, b, alternative="two-sided").pvalue


def reference_table(X, y, **kwargs):
    X, y = np.asarray(X, float), np.asarray(y)
    rows = [reference_test(X[y == 0, j], X[y == 1, j], **kwargs) for j in range(X.shape[1])]
    return pd.DataFrame(rows, columns=["test", "pvalue"])


@pytest.fixture(scope="module")
def breast60():
    """First 60 Wisconsin cases: Student, Welch and Mann-Whitney all occur."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[:60], y.iloc[:60]


@pytest.mark.parametrize("normality_alpha", [0.05, 0.01])
def test_pvalues_and_tests_equal_per_feature_scipy_calls(breast60, normality_alpha):
    X, y = breast60
    selector = UnivariateFilter(normality_alpha=normality_alpha).fit(X, y)
    expected = reference_table(X, y, normality_alpha=normality_alpha)
    assert set(expected["test"]) == {"student", "welch", "mann-whitney"}
    assert selector.tests_.tolist() == expected["test"].tolist()
    np.testing.assert_allclose(selector.pvalues_, expected["pvalue"], rtol=SAME, atol=0)
    np.testing.assert_array_equal(selector.get_support(), expected["pvalue"] < 0.05)


def test_diagnostics_equal_pingouin(breast60):
    X, y = breast60
    selector = UnivariateFilter().fit(X, y)
    for feature in X.columns:
        a, b = X.loc[y == 0, feature], X.loc[y == 1, feature]
        test = selector.tests_[feature]
        if test == "mann-whitney":
            expected = pingouin_names(pingouin.mwu(a, b, alternative="two-sided"))["p_val"].iloc[0]
        else:
            expected = pingouin_names(pingouin.ttest(a, b, correction=test == "welch"))["p_val"].iloc[0]
            levene = pingouin.homoscedasticity([a.to_numpy(), b.to_numpy()], method="levene")
            expected_levene = levene["pval"].iloc[0]
            assert selector.levene_pvalues_[feature] == pytest.approx(expected_levene, rel=1e-10)
        assert selector.pvalues_[feature] == pytest.approx(expected, rel=1e-10)
        normality = [pingouin.normality(s, method="shapiro")["pval"].iloc[0] for s in (a, b)]
        np.testing.assert_allclose(selector.normality_pvalues_.loc[feature], normality,
                                   rtol=max(1e-10, SHAPIRO_RTOL))
    assert selector.levene_pvalues_[selector.tests_ == "mann-whitney"].isna().all()


def test_levene_alpha_moves_features_between_student_and_welch(breast60):
    X, y = breast60
    strict = UnivariateFilter(levene_alpha=1e-12).fit(X, y)
    expected = reference_table(X, y, levene_alpha=1e-12)
    assert strict.tests_.tolist() == expected["test"].tolist()
    assert "welch" not in set(strict.tests_)


def test_benjamini_hochberg_equals_statsmodels(breast60):
    X, y = breast60
    selector = UnivariateFilter(correction="fdr_bh", alpha=1e-9).fit(X, y)
    reject, adjusted, _, _ = multipletests(selector.pvalues_, alpha=1e-9, method="fdr_bh")
    np.testing.assert_allclose(selector.adjusted_pvalues_, adjusted, rtol=SAME)
    np.testing.assert_array_equal(selector.get_support(), reject)
    assert 0 < reject.sum() < UnivariateFilter(alpha=1e-9).fit(X, y).get_support().sum()


def test_small_samples_choose_exact_or_asymptotic_mann_whitney_per_feature():
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1], 6)
    continuous = rng.normal(size=(12, 3)) + y[:, None]
    tied = rng.integers(0, 4, size=(12, 3)).astype(float)
    X = np.column_stack([continuous, tied])
    selector = UnivariateFilter(alpha=1.0, normality_alpha=1.0).fit(X, y)
    expected = [stats.mannwhitneyu(X[y == 0, j], X[y == 1, j]).pvalue for j in range(6)]
    np.testing.assert_allclose(selector.pvalues_, expected, rtol=SAME)
    exact = [
        stats.mannwhitneyu(X[y == 0, j], X[y == 1, j], method="exact").pvalue for j in range(3)
    ]
    np.testing.assert_allclose(selector.pvalues_[:3], exact, rtol=SAME)


@settings(max_examples=40, deadline=None)
@given(
    n0=st.integers(1, 9),
    n1=st.integers(1, 9),
    n_features=st.integers(1, 4),
    levels=st.sampled_from([2, 5, None]),
    seed=st.integers(0, 2**32 - 1),
)
def test_rule_and_pvalues_hold_for_small_tied_and_constant_data(n0, n1, n_features, levels, seed):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], [n0, n1])
    X = rng.normal(size=(n0 + n1, n_features)) + y[:, None]
    if levels is not None:
        X = np.floor(X * levels / 3)
    # alpha above 1 (outside its public range) keeps every feature, so that
    # data where no test can reach significance are still fitted and compared.
    with config_context(skip_parameter_validation=True):
        selector = UnivariateFilter(alpha=1.01).fit(X, y)
    expected = reference_table(X, y)
    assert selector.tests_.tolist() == expected["test"].tolist()
    np.testing.assert_allclose(selector.pvalues_, expected["pvalue"], rtol=SAME)
    assert ((selector.pvalues_ >= 0) & (selector.pvalues_ <= 1)).all()


def test_constant_feature_gets_p_one_and_is_dropped(breast60):
    X, y = breast60
    X = X.assign(flat=3.0)
    selector = UnivariateFilter().fit(X, y)
    assert selector.tests_["flat"] == "mann-whitney"
    assert selector.pvalues_["flat"] == 1.0
    assert selector.normality_pvalues_.loc["flat"].isna().all()
    assert "flat" not in selector.get_feature_names_out()


def test_numpy_input_gets_x_names(breast60):
    X, y = breast60
    selector = UnivariateFilter().fit(X.to_numpy(), y.to_numpy())
    assert selector.pvalues_.index[:2].tolist() == ["x0", "x1"]
    names = UnivariateFilter().fit(X, y).get_feature_names_out()
    assert selector.get_feature_names_out().tolist() == [f"x{X.columns.get_loc(n)}" for n in names]


def test_string_labels_need_pos_label_error(breast60):
    X, y = breast60
    with pytest.raises(ValueError, match="UnivariateFilter: y has string labels"):
        UnivariateFilter().fit(X, y.map({0: "malignant", 1: "benign"}))


def test_nan_column_is_named(breast60):
    X, y = breast60
    X = X.assign(**{"mean area": X["mean area"].where(X.index != 3)})
    with pytest.raises(ValueError, match=r"UnivariateFilter: input contains NaN.*\['mean area'\]"):
        UnivariateFilter().fit(X, y)


def test_no_feature_left_names_step_and_threshold():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.repeat([0, 1], 20)
    message = r"UnivariateFilter: no feature passes p < 1e-09 \(fdr_bh\)"
    with pytest.raises(ValueError, match=message):
        UnivariateFilter(alpha=1e-9, correction="fdr_bh").fit(X, y)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("alpha", 5),
        ("alpha", -0.05),
        ("alpha", "0.05"),
        ("normality_alpha", 1.5),
        ("levene_alpha", -1),
        ("correction", "bonferroni"),
    ],
)
def test_invalid_parameters_are_rejected_by_name(breast60, param, value):
    with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of UnivariateFilter"):
        UnivariateFilter(**{param: value}).fit(*breast60)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "(alpha = 0.05) and Levene's test showed equal variances (alpha = 0.05), Welch's "
             "t-test when variances differed, and the Mann-Whitney U test otherwise; features "
             "with p < 0.05 without adjustment for multiple testing were kept."),
        ({"alpha": 0.1, "normality_alpha": 0.01, "levene_alpha": 0.2, "correction": "fdr_bh"},
         "(alpha = 0.01) and Levene's test showed equal variances (alpha = 0.2), Welch's "
         "t-test when variances differed, and the Mann-Whitney U test otherwise; features "
         "with p < 0.1 after fdr_bh adjustment were kept."),
    ],
)
def test_describe_method_states_the_parameters(params, expected):
    sentence = UnivariateFilter(**params).describe_method(class_counts=(30, 20))
    assert sentence == (
        "Univariate screening: each feature was compared between the classes with Student's "
        "t-test when Shapiro-Wilk normality held in both classes " + expected
    )


def test_pipeline_with_smote_cross_validate_and_grid_search():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:200], y.iloc[:200]
    pipe = Pipeline(
        [
            ("smote", SMOTE(k_neighbors=5, random_state=0)),
            ("zscore", StandardScaler()),
            ("univariate", UnivariateFilter()),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    ).set_output(transform="pandas")
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    assert cross_validate(pipe, X, y, cv=cv, scoring="roc_auc")["test_score"].min() > 0.9
    search = GridSearchCV(pipe, {"univariate__correction": [None, "fdr_bh"]}, cv=cv).fit(X, y)
    step = search.best_estimator_.named_steps["univariate"]
    transformed = search.best_estimator_[:-1].transform(X)
    assert transformed.columns.tolist() == step.get_feature_names_out().tolist()
    assert set(transformed.columns) <= set(X.columns)


def test_docstring_example_runs():
    assert doctest.testmod(univariate_module).failed == 0


# scikit-learn's generic checks below fit on three- or four-class targets; the radfuse
# selectors require a binary outcome by design and reject them with a clear error.


@parametrize_with_checks(
    [UnivariateFilter(alpha=1.0), UnivariateFilter(alpha=1.0, correction="fdr_bh")],
    expected_failed_checks=lambda estimator: BINARY_OUTCOME_EXPECTED_FAILURES,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)



def test_column_blocks_give_the_same_result(breast60, monkeypatch):
    X, y = breast60
    whole = UnivariateFilter().fit(X, y)
    monkeypatch.setattr(univariate_module, "_BLOCK_VALUES", 7 * len(X))
    blocked = UnivariateFilter().fit(X, y)
    pd.testing.assert_series_equal(blocked.pvalues_, whole.pvalues_)
    pd.testing.assert_series_equal(blocked.tests_, whole.tests_)
    pd.testing.assert_frame_equal(blocked.normality_pvalues_, whole.normality_pvalues_)


@pytest.mark.parametrize("exponent", [-300, -200, -100, -10, 10, 100, 154, 200, 300])
def test_decisions_do_not_depend_on_the_unit_of_a_feature(breast60, exponent):
    """Issue 12.5: at 1e154 a feature got p = 1.0 (squares overflowed) and was dropped."""
    X, y = breast60
    reference = UnivariateFilter().fit(X, y)
    scaled = X.copy()
    scaled[X.columns] = X.to_numpy() * 10.0**exponent
    selector = UnivariateFilter().fit(scaled, y)
    assert selector.tests_.tolist() == reference.tests_.tolist()
    np.testing.assert_array_equal(selector.get_support(), reference.get_support())
    # 10**k is not exact in binary, so the data change in the last bits only.
    np.testing.assert_allclose(selector.pvalues_, reference.pvalues_, rtol=1e-9)


def test_power_of_two_rescaling_is_exact(breast60):
    X, y = breast60
    reference = UnivariateFilter().fit(X, y)
    selector = UnivariateFilter().fit(X * 2.0**500, y)
    pd.testing.assert_series_equal(selector.pvalues_, reference.pvalues_)


def test_peak_memory_stays_under_twice_the_input():
    """Issue 16: the filter peaked at about seven copies of X."""
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.lognormal(size=(300, 12_000))
    y = np.repeat([0, 1], 150)
    tracemalloc.start()
    UnivariateFilter().fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes
