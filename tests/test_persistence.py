import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import FunctionTransformer

from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from radfuse.models import make_classifier
from radfuse.persistence import load_model, save_model
from radfuse.select.correlation import CorrelationPruner
from radfuse.select.icc import ICCFilter
from radfuse.select.univariate import UnivariateFilter


@pytest.fixture(scope="module")
def data():
    return load_breast_cancer(return_X_y=True, as_frame=True)


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return Pipeline([
        ("smote", SMOTE(random_state=0)),
        ("zscore", StandardScaler()),
        ("clf", make_classifier("xgboost", random_state=0)),
    ]).fit(X, y)


def test_round_trip_keeps_predictions_and_context(tmp_path, data, fitted):
    X, _ = data
    path = save_model(fitted, tmp_path / "m.skops", extraction_settings={"binWidth": 25},
                      metadata={"study": "demo"})
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert loaded.feature_names == tuple(X.columns)
    assert loaded.extraction_settings == {"binWidth": 25}
    assert loaded.metadata == {"study": "demo"}
    assert loaded.radfuse_version


def test_selector_diagnostics_survive_and_training_tables_are_not_stored(tmp_path, data):
    X, y = data
    readers = [X.iloc[:60], X.iloc[:60] * 1.01 + 0.01]
    model = Pipeline([
        ("icc", ICCFilter(readers)),
        ("univariate", UnivariateFilter()),
        ("spearman", CorrelationPruner()),
        ("clf", make_classifier("lr", max_iter=10000)),
    ]).fit(X, y)
    loaded = load_model(save_model(model, tmp_path / "m.skops")).estimator
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    pd.testing.assert_series_equal(loaded["univariate"].pvalues_, model["univariate"].pvalues_)
    pd.testing.assert_series_equal(loaded["univariate"].tests_, model["univariate"].tests_)
    pd.testing.assert_frame_equal(loaded["spearman"].dropped_because_,
                                  model["spearman"].dropped_because_)
    assert loaded["icc"].reliability is None
    assert model["icc"].reliability is readers


def test_columns_are_matched_by_name(tmp_path, data, fitted):
    X, _ = data
    loaded = load_model(save_model(fitted, tmp_path / "m.skops"))
    shuffled = X[list(reversed(X.columns))]
    np.testing.assert_array_equal(loaded.predict_proba(shuffled), fitted.predict_proba(X))
    with pytest.raises(ValueError, match=r"missing 1 column\(s\) \['mean radius'\]"):
        loaded.predict_proba(X.drop(columns="mean radius"))
    with pytest.raises(ValueError, match=r"1 unexpected column\(s\) \['age'\]"):
        loaded.predict_proba(X.assign(age=1.0))
    with pytest.raises(TypeError, match="DataFrame with named columns"):
        loaded.predict_proba(X.to_numpy())


def test_tampered_payload_fails_the_integrity_check(tmp_path, fitted):
    path = save_model(fitted, tmp_path / "m.skops")
    bundle = sio.load(path)
    forged = bytearray(bundle["estimator"])
    forged[-200] ^= 0xFF
    bundle["estimator"] = bytes(forged)
    sio.dump(bundle, path)
    with pytest.raises(ValueError, match="failed its integrity check"):
        load_model(path)


def arbitrary_user_code(X):
    return X


def test_untrusted_types_are_refused_even_with_a_valid_hash(tmp_path, data):
    X, y = data
    sneaky = Pipeline([("f", FunctionTransformer(arbitrary_user_code)),
                       ("clf", make_classifier("lr"))])
    path = save_model(sneaky.fit(X, y), tmp_path / "m.skops")
    with pytest.raises(ValueError, match=r"allow-list \[.*arbitrary_user_code'\]"):
        load_model(path)


def test_corrupt_or_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load_model(tmp_path / "absent.skops")
    broken = tmp_path / "broken.skops"
    broken.write_bytes(b"not a zip archive")
    with pytest.raises(ValueError, match="broken.skops is not a readable radfuse model"):
        load_model(broken)
    other = tmp_path / "other.skops"
    sio.dump({"a": 1}, other)
    with pytest.raises(ValueError, match="is not a radfuse model file"):
        load_model(other)


def test_model_without_feature_names_needs_them(data):
    X, y = data
    model = make_classifier("lr").fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="pass feature_names"):
        save_model(model, "unused.skops")
