"""ICCFilter: ICC values against pingouin, selection rule, reliability-table validation."""

import doctest

import numpy as np
import pandas as pd
import pingouin
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from pingouin_compat import pingouin_names
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import radfuse.select._icc as icc_module
from radfuse.select import ICCFilter, reliability_filter, reliability_summary
from radfuse.stats import ICC_TYPES

EXACT = 1e-8
PINGOUIN_TYPES = ["ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)"]
PINGOUIN_ROW = dict(zip(ICC_TYPES, PINGOUIN_TYPES))


@pytest.fixture(scope="module")
def breast():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="module")
def readers(breast):
    """Three delineations of 40 cases; measurement error grows from 2% to 100% of the SD."""
    X, _ = breast
    rng = np.random.default_rng(0)
    first = X.iloc[:40]
    error_scale = np.linspace(0.02, 1.0, X.shape[1]) * first.std().to_numpy()
    return [first] + [first + rng.normal(size=first.shape) * error_scale for _ in range(2)]


@pytest.fixture(scope="module")
def pingouin_icc(readers):
    """pingouin's six ICCs per feature (rows: pingouin's types, columns: features)."""
    columns = {}
    for feature in readers[0].columns:
        long = pd.DataFrame(
            {
                "case": np.tile(readers[0].index, len(readers)),
                "reader": np.repeat(np.arange(len(readers)), len(readers[0])),
                "value": np.concatenate([r[feature].to_numpy() for r in readers]),
            }
        )
        table = pingouin_names(pingouin.intraclass_corr(long, "case", "reader", "value"))
        columns[feature] = table.set_index("Type")["ICC"]
    return pd.DataFrame(columns)


@pytest.mark.parametrize("icc_type", ICC_TYPES)
def test_icc_equals_pingouin_for_every_feature(breast, readers, pingouin_icc, icc_type):
    X, y = breast
    selector = ICCFilter(readers, threshold=0.5, icc_type=icc_type).fit(X, y)
    expected = pingouin_icc.loc[PINGOUIN_ROW[icc_type]]
    np.testing.assert_allclose(selector.icc_[expected.index], expected, rtol=0, atol=EXACT)
    np.testing.assert_array_equal(selector.get_support(), expected.to_numpy() > 0.5)


def test_shrout_fleiss_judges_as_four_readers(data_dir):
    table = pd.read_csv(data_dir / "shrout_fleiss_1979.csv", index_col="subject")
    judges = [table[[judge]].set_axis(["score"], axis=1) for judge in table.columns]
    X = table[["J1"]].set_axis(["score"], axis=1)
    values = [
        ICCFilter(judges, threshold=0, icc_type=icc_type).fit(X).icc_["score"]
        for icc_type in ICC_TYPES
    ]
    # Shrout & Fleiss (1979), Table 4 (= R psych::ICC): ICC1..ICC3k.
    np.testing.assert_allclose(values, [0.17, 0.29, 0.71, 0.44, 0.62, 0.91], atol=0.005)


def test_default_keeps_icc3_above_0_9(breast, readers, pingouin_icc):
    X, y = breast
    selector = ICCFilter(readers).fit(X, y)
    expected = pingouin_icc.loc["ICC(C,1)"] > 0.9
    assert 0 < expected.sum() < X.shape[1]
    assert selector.get_feature_names_out().tolist() == expected.index[expected].tolist()


def test_unrated_features_pass_through_or_are_dropped(breast, readers):
    X, y = breast
    rng = np.random.default_rng(1)
    embeddings = pd.DataFrame(
        rng.normal(size=(len(X), 3)), index=X.index, columns=["cnn__f0", "cnn__f1", "cnn__f2"]
    )
    X_all = pd.concat([X, embeddings], axis=1)
    keep = ICCFilter(readers).fit(X_all, y)
    drop = ICCFilter(readers, unrated="drop").fit(X_all, y)
    rated_only = ICCFilter(readers).fit(X, y)

    assert keep.rated_.tolist() == [True] * X.shape[1] + [False] * 3
    assert keep.icc_[embeddings.columns].isna().all()
    assert keep.get_feature_names_out().tolist() == (
        rated_only.get_feature_names_out().tolist() + embeddings.columns.tolist()
    )
    assert drop.get_feature_names_out().tolist() == rated_only.get_feature_names_out().tolist()


def test_one_reliability_table_serves_every_feature_set_inside_a_pipeline(breast, readers):
    # The readers rated every radiomic feature; a feature set of a study holds
    # only some of them plus unrated deep features. Before, the ratings of the
    # other features made the step fail ("not columns of X").
    X, y = breast
    subset = X.iloc[:, :10]
    deep = pd.DataFrame(np.random.default_rng(2).normal(size=(len(X), 2)), index=X.index,
                        columns=["cnn__f0", "cnn__f1"])
    mixed = pd.concat([subset, deep], axis=1)
    selector = ICCFilter(readers).fit(mixed, y)
    on_subset = ICCFilter([reader.iloc[:, :10] for reader in readers]).fit(subset, y)
    pd.testing.assert_series_equal(selector.icc_.iloc[:10], on_subset.icc_, rtol=1e-12)
    assert selector.get_feature_names_out().tolist() == (
        on_subset.get_feature_names_out().tolist() + ["cnn__f0", "cnn__f1"]
    )
    only_deep = ICCFilter(readers).fit(deep, y)
    assert only_deep.get_feature_names_out().tolist() == ["cnn__f0", "cnn__f1"]
    assert not only_deep.rated_.any()


def test_a_column_no_reader_rated_is_unrated(breast, readers):
    X, y = breast
    X = X.assign(cnn__f0=np.linspace(0, 1, len(X)))
    padded = [reader.assign(cnn__f0=np.nan) for reader in readers]
    keep = ICCFilter(padded).fit(X, y)
    assert not keep.rated_[-1] and np.isnan(keep.icc_["cnn__f0"])
    assert "cnn__f0" in keep.get_feature_names_out()
    assert "cnn__f0" not in ICCFilter(padded, unrated="drop").fit(X, y).get_feature_names_out()


def test_readers_are_aligned_by_case_and_column_labels(breast, readers):
    X, y = breast
    shuffled = readers[1].sample(frac=1, random_state=0)
    shuffled = shuffled[shuffled.columns[::-1]]
    aligned = ICCFilter(readers).fit(X, y).icc_
    realigned = ICCFilter([readers[0], shuffled, readers[2]]).fit(X, y).icc_
    pd.testing.assert_series_equal(realigned, aligned, rtol=1e-12)


def test_numpy_input_uses_x0_names(breast, readers):
    X, y = breast
    renamed = [r.set_axis([f"x{i}" for i in range(X.shape[1])], axis=1) for r in readers]
    from_numpy = ICCFilter(renamed).fit(X.to_numpy(), y.to_numpy())
    from_frame = ICCFilter(readers).fit(X, y)
    np.testing.assert_array_equal(from_numpy.get_support(), from_frame.get_support())
    assert from_numpy.icc_.index[0] == "x0"
    with pytest.raises(ValueError, match=r"not columns of X.*x0, x1"):
        ICCFilter(readers).fit(X.to_numpy(), y)


def test_constant_rated_feature_has_nan_icc_and_is_dropped():
    cases = pd.RangeIndex(6)
    first = pd.DataFrame({"a": np.arange(6.0), "flat": 1.0}, index=cases)
    second = first.assign(a=first["a"] + [0.1, -0.1, 0.05, 0, 0.1, -0.05])
    selector = ICCFilter([first, second]).fit(first)
    assert np.isnan(selector.icc_["flat"])
    assert selector.get_feature_names_out().tolist() == ["a"]


def test_init_stores_reliability_untouched_and_clone_works(readers):
    selector = ICCFilter(readers)
    assert selector.get_params()["reliability"] is readers
    cloned = clone(selector)
    for original, copy in zip(readers, cloned.reliability):
        pd.testing.assert_frame_equal(copy, original)


def test_pipeline_with_smote_cross_validate_and_grid_search(breast, readers):
    X, y = breast
    pipe = Pipeline(
        [
            ("icc", ICCFilter(readers)),
            ("smote", SMOTE(k_neighbors=5, random_state=0)),
            ("zscore", StandardScaler()),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    ).set_output(transform="pandas")
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_validate(pipe, X, y, cv=cv, scoring="roc_auc")
    assert scores["test_score"].min() > 0.9
    search = GridSearchCV(pipe, {"icc__threshold": [0.5, 0.9]}, cv=cv, scoring="roc_auc")
    search.fit(X, y)
    fitted = search.best_estimator_.named_steps["icc"]
    assert fitted.threshold in (0.5, 0.9)
    assert list(search.best_estimator_[:1].transform(X).columns) == list(
        fitted.get_feature_names_out()
    )


def test_set_output_pandas_keeps_names(breast, readers):
    X, y = breast
    out = ICCFilter(readers).set_output(transform="pandas").fit_transform(X, y)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == ICCFilter(readers).fit(X, y).get_feature_names_out().tolist()


def _reader_pair():
    first = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [4.0, 1, 3, 2]}, index=["c1", "c2", "c3", "c4"])
    return first, first + 0.01


@pytest.mark.parametrize(
    ("make_reliability", "error", "message"),
    [
        (lambda f, s: [f], ValueError, "at least two readers; got 1"),
        (lambda f, s: [f, s.to_numpy()], TypeError, r"reliability\[1\] must be a DataFrame"),
        (lambda f, s: [f, s.rename(index={"c4": "c9"})], ValueError,
         r"reliability\[1\].*case\(s\) \['c4'\] missing and \['c9'\] extra"),
        (lambda f, s: [f, s.drop(columns="b")], ValueError,
         r"reliability\[1\].*column\(s\) \['b'\] missing"),
        (lambda f, s: [f, s.assign(a=[1.0, np.nan, 3, 4])], ValueError,
         r"reliability\[1\] contains NaN.*\['a'\].*\['c2'\]"),
        (lambda f, s: [f, pd.concat([s, s.iloc[[0]]])], ValueError,
         r"reliability\[1\] lists case\(s\) \['c1'\] more than once"),
        (lambda f, s: [f.iloc[:1], s.iloc[:1]], ValueError, "at least two cases"),
        (lambda f, s: [f, s.assign(b="high")], ValueError, r"non-numeric column\(s\) \['b'\]"),
    ],
    ids=["one-reader", "array", "cases", "columns", "nan", "duplicate-case",
         "one-case", "text"],
)
def test_invalid_reliability_tables_are_named(make_reliability, error, message):
    first, second = _reader_pair()
    with pytest.raises(error, match=f"ICCFilter: .*{message}"):
        ICCFilter(make_reliability(first, second)).fit(first)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("threshold", -5),
        ("threshold", 1.5),
        ("threshold", "0.9"),
        ("icc_type", "ICC(3,1)"),
        ("unrated", "ignore"),
        ("reliability", "frame"),
    ],
)
def test_invalid_parameters_are_rejected_by_name(param, value):
    first, second = _reader_pair()
    value = first if value == "frame" else value
    params = {"reliability": [first, second], param: value}
    with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of ICCFilter"):
        ICCFilter(**params).fit(first)


@pytest.mark.parametrize("threshold", [0, 0.5, 0.9, 1])
def test_threshold_bounds_are_accepted(threshold):
    first, second = _reader_pair()
    selector = ICCFilter([first, second], threshold=threshold)
    selector.fit(first.assign(c=1.0))
    assert selector.get_feature_names_out().tolist()[-1] == "c"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "(ICC(3,1): two-way mixed effects, consistency, single rater; Shrout and Fleiss) "
             "between the repeated delineations exceeded 0.9; features without repeated "
             "measurements were kept."),
        ({"threshold": 0.75, "icc_type": "ICC2k", "unrated": "drop"},
         "(ICC(2,k): two-way random effects, absolute agreement, mean of k raters; Shrout and "
         "Fleiss) between the repeated delineations exceeded 0.75; features without repeated "
         "measurements were dropped."),
    ],
)
def test_describe_method_states_the_parameters(params, expected):
    sentence = ICCFilter(_reader_pair(), **params).describe_method(class_counts=(30, 20))
    assert sentence == (
        "Reproducibility: features were retained when their intraclass correlation coefficient "
        + expected
    )


def test_no_feature_left_names_step_and_threshold():
    first, _ = _reader_pair()
    unreliable = first[::-1].set_axis(first.index)
    with pytest.raises(ValueError, match=r"ICCFilter: no feature passes ICC3 > 0.9"):
        ICCFilter([first, unreliable]).fit(first)


def test_nan_in_x_names_the_column():
    first, second = _reader_pair()
    X = first.assign(b=[1.0, np.inf, 2, 3])
    with pytest.raises(ValueError, match=r"ICCFilter: input contains NaN or inf.*\['b'\]"):
        ICCFilter([first, second]).fit(X)


def test_reliability_filter_keeps_features_with_pingouin_icc_above_threshold():
    rng = np.random.default_rng(3)
    truth = rng.normal(size=(30, 2))
    reader1 = pd.DataFrame(truth, columns=["US__stable", "US__noisy"], index=[f"c{i}" for i in range(30)])
    reader2 = reader1 + rng.normal(0, [0.05, 1.5], size=(30, 2))
    features = reader1.assign(cnn__f000=rng.normal(size=30))
    kept, summary = reliability_filter(features, [reader1, reader2], threshold=0.9)
    assert reliability_summary(features, [reader1, reader2], threshold=0.9) == summary

    long = pd.concat([reader1.assign(reader="R1"), reader2.assign(reader="R2")]).rename_axis("case").reset_index()
    for column in ("US__stable", "US__noisy"):
        reference = pingouin_names(pingouin.intraclass_corr(long, targets="case", raters="reader", ratings=column))
        icc3 = reference.set_index("Type").loc["ICC(C,1)", "ICC"]  # Shrout-Fleiss ICC(3,1)
        assert (column in kept.columns) == (icc3 > 0.9)
    assert list(kept.columns) == ["US__stable", "cnn__f000"]
    assert summary == {"icc_type": "ICC3", "threshold": 0.9, "unrated": "keep", "n_cases": 30,
                       "n_rated": 2, "n_kept": 1, "n_unrated": 1}


def test_docstring_example_runs():
    assert doctest.testmod(icc_module).failed == 0


def _generic_check_reliability():
    """scikit-learn's checks use numpy X, so the reliability table rates column x0."""
    rng = np.random.default_rng(0)
    first = pd.DataFrame({"x0": rng.normal(size=12)})
    return [first, first + rng.normal(scale=0.01, size=(12, 1))]


@parametrize_with_checks(
    [
        ICCFilter(_generic_check_reliability()),
        ICCFilter(_generic_check_reliability(), unrated="drop", icc_type="ICC2k"),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
