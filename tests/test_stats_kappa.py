"""Cohen's kappa checked against SAS (published ASE), statsmodels and scikit-learn."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from radfuse.stats import cohen_kappa

WEIGHTS = [None, "linear", "quadratic"]


def _labels_from_table(table):
    """Expand a rater-a x rater-b count table into the two label vectors."""
    rows, cols = np.indices(table.shape)
    counts = table.ravel().astype(int)
    return np.repeat(rows.ravel(), counts), np.repeat(cols.ravel(), counts)


@pytest.fixture(scope="module")
def sas_table(data_dir):
    frame = pd.read_csv(data_dir / "statsmodels_sas_table10.csv", index_col=0)
    return frame.to_numpy()


@pytest.mark.parametrize(
    "weights, kappa, ase",
    [(None, 0.4842, 0.1380), ("linear", 0.4701, 0.1457)],
)
def test_reproduces_sas_printed_values(sas_table, weights, kappa, ase):
    # SAS PROC FREQ prints four decimals: agreement to half a unit in the last digit.
    result = cohen_kappa(*_labels_from_table(sas_table), weights=weights)
    assert result.estimate == pytest.approx(kappa, abs=5e-5)
    assert result.se == pytest.approx(ase, abs=5e-5)
    assert result.n == 19
    np.testing.assert_array_equal(result.table.to_numpy(), sas_table)


def _assert_matches_statsmodels(table, weights):
    labels_a, labels_b = _labels_from_table(table)
    # statsmodels' CI is kappa -/+ z_{0.975} * ASE, i.e. our alpha = 0.05.
    ours = cohen_kappa(labels_a, labels_b, weights=weights, alpha=0.05)
    # statsmodels' full table must include unused categories, as ours does by index.
    k = int(max(labels_a.max(), labels_b.max())) + 1
    full = np.zeros((k, k))
    np.add.at(full, (labels_a, labels_b), 1)
    ref = sm_cohens_kappa(full, wt=weights)
    tol = dict(rel=1e-10, abs=1e-10)
    assert ours.estimate == pytest.approx(ref.kappa, **tol)
    assert ours.se == pytest.approx(ref.std_kappa, **tol)
    assert ours.se_null == pytest.approx(ref.std_kappa0, **tol)
    assert ours.ci[0] == pytest.approx(ref.kappa_low, **tol)
    assert ours.ci[1] == pytest.approx(ref.kappa_upp, **tol)
    assert ours.statistic == pytest.approx(ref.z_value, **tol)
    assert ours.pvalue == pytest.approx(ref.pvalue_two_sided, **tol)


@pytest.mark.parametrize("weights", WEIGHTS)
def test_matches_statsmodels_on_sas_table(sas_table, weights):
    _assert_matches_statsmodels(sas_table, weights)


@settings(max_examples=40, deadline=None)
@given(
    table=st.integers(3, 5).flatmap(
        lambda k: st.lists(st.integers(0, 12), min_size=k * k, max_size=k * k).map(
            lambda cells: np.array(cells).reshape(k, k)
        )
    ),
    weights=st.sampled_from(WEIGHTS),
)
def test_matches_statsmodels_on_random_tables(table, weights):
    # Each rater must use at least two categories, otherwise statsmodels divides 0 by 0.
    table[0, 0] += 1
    table[-1, -1] += 1
    _assert_matches_statsmodels(table, weights)


labels = st.lists(st.integers(0, 4), min_size=2, max_size=60)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=60),
       weights=st.sampled_from(WEIGHTS))
def test_kappa_matches_sklearn_on_label_vectors(pairs, weights):
    a, b = map(np.array, zip(*pairs))
    if np.unique(np.concatenate([a, b])).size < 2:
        with pytest.raises(ValueError, match="single category"):
            cohen_kappa(a, b, weights=weights)
        return
    expected = cohen_kappa_score(a, b, weights=weights)
    result = cohen_kappa(a, b, weights=weights)
    assert result.estimate == pytest.approx(expected, abs=1e-12)
    assert result.ci[0] <= result.estimate <= result.ci[1]
    assert 0.0 <= result.pvalue <= 1.0
    swapped = cohen_kappa(b, a, weights=weights)
    assert swapped.estimate == pytest.approx(result.estimate, abs=1e-12)
    assert swapped.se == pytest.approx(result.se, abs=1e-12)
    assert swapped.se_null == pytest.approx(result.se_null, abs=1e-12)


def test_string_labels_follow_given_category_order():
    order = ["low", "medium", "high"]
    codes_a = np.array([0, 0, 1, 1, 2, 2, 2, 1, 0, 2])
    codes_b = np.array([0, 1, 1, 2, 2, 2, 1, 1, 0, 0])
    words_a = np.array(order)[codes_a]
    words_b = np.array(order)[codes_b]
    for weights in WEIGHTS:
        result = cohen_kappa(words_a, words_b, weights=weights, categories=order)
        assert result.estimate == pytest.approx(
            cohen_kappa_score(codes_a, codes_b, weights=weights), abs=1e-12
        )
        assert list(result.table.index) == order
    # Unweighted kappa does not depend on the order, so the sorted default is fine.
    assert cohen_kappa(words_a, words_b).estimate == pytest.approx(
        cohen_kappa_score(words_a, words_b), abs=1e-12
    )


def test_weighted_kappa_of_strings_requires_categories():
    with pytest.raises(ValueError, match="ordered categories"):
        cohen_kappa(["low", "high", "low"], ["low", "high", "high"], weights="linear")


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_unused_middle_category_changes_weighted_distances(weights):
    a, b = [1, 2, 2, 4, 4, 1], [1, 2, 4, 4, 2, 2]
    # The reference: sklearn with the same explicit label list.
    expected = cohen_kappa_score(a, b, weights=weights, labels=[1, 2, 3, 4])
    result = cohen_kappa(a, b, weights=weights, categories=[1, 2, 3, 4])
    assert result.estimate == pytest.approx(expected, abs=1e-12)
    assert result.estimate != pytest.approx(cohen_kappa(a, b, weights=weights).estimate)


def test_perfect_agreement_has_zero_se():
    result = cohen_kappa([0, 1, 2, 1, 0], [0, 1, 2, 1, 0])
    assert result.estimate == 1.0
    assert result.se == 0.0
    assert result.ci == (1.0, 1.0)
    assert result.pvalue < 0.05


def test_one_rater_with_single_category_gives_documented_test():
    a, b = [1, 1, 1, 1, 1, 1], [0, 1, 1, 0, 1, 1]
    result = cohen_kappa(a, b)
    assert result.estimate == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert result.estimate == pytest.approx(0.0, abs=1e-12)
    assert (result.statistic, result.pvalue) == (0.0, 1.0)


@pytest.mark.parametrize(
    "a, b, kwargs, error, message",
    [
        ([0, 1, 1], [0, 1], {}, ValueError, "3 labels but b has 2"),
        ([0, np.nan, 1], [0, 1, 1], {}, ValueError, "missing label"),
        (["x", None, "y"], ["x", "y", "y"], {}, ValueError, "missing label"),
        ([2, 2, 2], [2, 2, 2], {}, ValueError, "single category"),
        ([2, 2, 2], [2, 2, 2], {"categories": [1, 2, 3]}, ValueError, "single category"),
        ([0, 1], [1, 0], {"weights": "cubic"}, ValueError, "'weights' parameter"),
        ([0, 1], [1, 0], {"alpha": 1.5}, ValueError, "alpha"),
        ([0, 1, 5], [1, 0, 1], {"categories": [0, 1]}, ValueError, r"\[5\]"),
        ([0, 1], [1, 0], {"categories": [0, 1, 1]}, ValueError, "duplicates"),
        ([0, "a"], ["a", 0], {}, TypeError, "cannot be sorted"),
        ([[0, 1]], [[1, 0]], {}, ValueError, "one-dimensional"),
    ],
)
def test_bad_input_raises_clear_error(a, b, kwargs, error, message):
    with pytest.raises(error, match=message):
        cohen_kappa(a, b, **kwargs)


def test_to_frame_flattens_ci():
    frame = cohen_kappa([0, 1, 1, 0, 1], [0, 1, 0, 0, 1], weights="linear").to_frame()
    assert {"estimate", "se", "ci_lower", "ci_upper", "statistic", "pvalue", "n"} <= set(frame)
    assert frame.loc["KappaResult", "weights"] == "linear"
