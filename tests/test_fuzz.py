"""Fuzzing the feature-table entry points: random shapes, dtypes and NaN/inf patterns.

The invariant: an entry point either succeeds with a well-formed result, or
raises one of its documented exceptions (``ValueError``/``TypeError``) with a
message that names the step -- never an ``IndexError``, ``ZeroDivisionError``,
a bare numpy/scikit-learn complaint or a silent NaN in the result.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radfuse.fusion import StackingFusion
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.select import CorrelationPruner
from radfuse.select import LassoSelector
from radfuse.select import MRMRSelector
from radfuse.select import UnivariateFilter
from radfuse.stats import auc_ci
from radfuse.study import Study

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = ("float64", "float32", "int64", "bool", "text", "category")


@st.composite
def feature_tables(draw, max_rows=30, max_columns=6):
    """A case-indexed table of random dtypes with NaN/inf sprinkled in, and an outcome."""
    n_rows = draw(st.integers(0, max_rows))
    n_columns = draw(st.integers(1, max_columns))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns = {}
    for j in range(n_columns):
        dtype = draw(st.sampled_from(DTYPES))
        values = rng.normal(size=n_rows)
        if draw(st.booleans()):
            values = np.round(values)  # ties and constant stretches
        if dtype in ("float64", "float32"):
            special = rng.random(n_rows) < draw(st.sampled_from([0.0, 0.0, 0.05, 0.5]))
            values[special] = rng.choice([np.nan, np.inf, -np.inf], size=special.sum())
            column = values.astype(dtype)
        elif dtype == "int64":
            column = values.astype(np.int64)
        elif dtype == "bool":
            column = values > 0
        elif dtype == "text":
            column = np.where(values > 0, "high", "low")
        else:
            column = pd.Categorical(np.where(values > 0, "a", "b"))
        columns[f"{'US' if j % 2 else 'MG'}__f{j}"] = column
    ids = pd.Index([f"c{i}" for i in range(n_rows)], name="case_id")
    X = pd.DataFrame(columns, index=ids)
    labels = draw(st.sampled_from(["binary", "binary", "binary", "single", "three", "text"]))
    codes = rng.integers(0, 3 if labels == "three" else 2, size=n_rows)
    if labels == "single":
        codes[:] = 1
    y = pd.Series(np.array(["benign", "malignant"])[codes % 2] if labels == "text" else codes, index=ids)
    return X, y


def assert_documented(error: Exception, step: str):
    assert isinstance(error, (ValueError, TypeError)), f"{type(error).__name__}: {error}"
    assert step in str(error), f"message does not name {step}: {error}"


SELECTORS = [
    UnivariateFilter(),
    CorrelationPruner(),
    MRMRSelector(n_features=2),
    LassoSelector(cv=3, n_alphas=10),
]


@pytest.mark.parametrize("selector", SELECTORS, ids=lambda s: type(s).__name__)
@FUZZ
@given(data=feature_tables())
def test_selectors_fail_only_with_documented_errors(selector, data):
    X, y = data
    step = type(selector).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = selector.fit(X, y)
        except Exception as error:  # noqa: BLE001 -- the invariant is about every exception
            assert_documented(error, step)
            return
        out = fitted.set_output(transform="pandas").transform(X)
    kept = list(out.columns)
    assert kept and set(kept) <= set(X.columns)
    assert fitted.support_.shape == (X.shape[1],) and fitted.support_.sum() == len(kept)


@FUZZ
@given(data=feature_tables(max_rows=40))
def test_stacking_fusion_fails_only_with_documented_errors(data):
    X, y = data
    blocks = {"US": make_radiomics_pipeline("nb", mrmr=False, lasso=False, spearman=False, univariate=False),
              "MG": make_radiomics_pipeline("nb", mrmr=False, lasso=False, spearman=False, univariate=False)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            probabilities = StackingFusion(blocks, cv=3).fit(X, y).predict_proba(X)
        except Exception as error:  # noqa: BLE001
            assert_documented(error, "StackingFusion")
            return
    assert probabilities.shape == (len(X), 2) and np.isfinite(probabilities).all()


def fast_pipeline(classifier, random_state):
    return make_radiomics_pipeline(
        classifier, smote={"k_neighbors": 2}, mrmr={"n_features": 2}, lasso=False, random_state=random_state
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=feature_tables(max_rows=40))
def test_study_fails_only_with_documented_errors(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = Study(
                X, y, {"all": ["US", "MG"]}, pipeline=fast_pipeline, classifiers=["lr"], cv=2,
                pos_label="malignant" if y.dtype == object else None, progress=False,
            ).run()
        except Exception as error:  # noqa: BLE001
            assert_documented(error, "Study")
            return
    probabilities = result.predictions["probability"]
    assert probabilities.between(0, 1).all()
    assert set(result.predictions.query("split == 'test'")["case_id"]) == set(result.y_test.index)


@FUZZ
@given(
    y=st.lists(st.sampled_from([0, 1, 2, "a", None]), min_size=0, max_size=20),
    score=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=20),
)
def test_auc_ci_fails_only_with_documented_errors(y, score):
    try:
        result = auc_ci(y, score)
    except Exception as error:  # noqa: BLE001
        assert_documented(error, "auc_ci")
        return
    assert 0 <= result.estimate <= 1 and result.ci[0] <= result.estimate <= result.ci[1]
