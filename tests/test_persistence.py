import errno
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

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
from radfuse.persistence import ModelVersionError, load_model, model_file_sha256, save_model
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.select import CorrelationPruner, ICCFilter, UnivariateFilter


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


@pytest.mark.parametrize("kind", ["protocol with ComBat", "LogisticMLE"])
def test_every_radfuse_estimator_is_on_the_allow_list(tmp_path, data, kind):
    """The protocol pipeline's own classes, ComBat and LogisticMLE save and load."""
    from radfuse.stats import LogisticMLE

    X, y = data
    if kind == "LogisticMLE":
        X = X[["mean radius", "mean texture"]]
        model = LogisticMLE().fit(X, y)
    else:
        X = X.assign(site=np.arange(len(X)) % 3)
        model = make_radiomics_pipeline("lr", combat={"batch": "site"}, mrmr={"n_features": 5},
                                        lasso=False, random_state=0).fit(X, y)
    loaded = load_model(save_model(model, tmp_path / "m.skops"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


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


# --- Crafted payloads: every one must be refused before anything is constructed. ---
#
# Each forged file keeps a valid integrity hash (recomputed after the edit, as an
# attacker would), so only the allow-list can stop it. Payloads that would run a
# command create a marker file; the spy on skops' loaders proves the refusal
# came before construction.

_NODE_IDS = iter(range(10**9, 2 * 10**9))


def _json(value):
    return {"__class__": type(value).__name__, "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True, "__id__": next(_NODE_IDS)}


def _str_type():
    return {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode", "__id__": next(_NODE_IDS)}


def _dict(content):
    return {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "content": content,
            "key_types": _container("list", [_str_type() for _ in content]), "__id__": next(_NODE_IDS)}


def _container(kind, items):
    return {"__class__": kind, "__module__": "builtins", "__loader__": f"{kind.title()}Node",
            "content": list(items), "__id__": next(_NODE_IDS)}


def _call(module, name, *args):
    """A node whose construction calls ``module.name(*args)``."""
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "content": _container("tuple", args), "__id__": next(_NODE_IDS)}


def _reference(loader, module, name):
    return {"__class__": name, "__module__": module, "__loader__": loader, "__id__": next(_NODE_IDS)}


def _tree_reduce(module, name, *args):
    """scikit-learn's Tree loader (a reduce node) pointed at another callable."""
    return {"__class__": name, "__module__": module, "__loader__": "TreeNode",
            "__reduce__": {"args": _container("tuple", args)},
            "content": _dict({}), "__id__": next(_NODE_IDS)}


def _object(module, name, **state):
    return {"__class__": name, "__module__": module, "__loader__": "ObjectNode",
            "content": _dict({k: _json(v) for k, v in state.items()}), "__id__": next(_NODE_IDS)}


def _nested(node):
    """``node`` buried in a dict of a list of a tuple, as an attribute deep inside a model."""
    return _dict({"hook": _container("list", [_container("tuple", [node])])})


def _rewrite_schema(archive_bytes, node):
    """The skops archive with ``node`` added as attribute ``injected`` of its root object."""
    source = zipfile.ZipFile(io.BytesIO(archive_bytes))
    schema = json.loads(source.read("schema.json"))
    # The envelope's root is a dict; a model's root is an object whose state is a dict.
    state = schema if schema["__loader__"] == "DictNode" else schema["content"]
    state["content"]["injected"] = node
    state["key_types"]["content"].append(_str_type())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = json.dumps(schema).encode() if name == "schema.json" else source.read(name)
            target.writestr(name, data)
    return out.getvalue()


def forge(path, node, where="model"):
    """Inject ``node`` into the model payload (hash recomputed) or into the file's envelope."""
    if where == "envelope":
        path.write_bytes(_rewrite_schema(path.read_bytes(), node))
        return
    bundle = sio.load(path)
    bundle["estimator"] = _rewrite_schema(bundle["estimator"], node)
    bundle["sha256"] = hashlib.sha256(bundle["estimator"]).hexdigest()
    sio.dump(bundle, path)


MARKER = "radfuse-pwned"


def _payloads(marker):
    touch = _container("list", [_json("touch"), _json(str(marker))])
    return {
        "re-exported check_output (subprocess)": ("model", _call("sklearn.utils._testing", "check_output", touch)),
        "re-exported makedirs (os)": ("model", _call("sklearn.datasets._base", "makedirs", _json(str(marker)))),
        "reduce node via the Tree loader": ("model", _tree_reduce("sklearn.utils._testing", "check_output", touch)),
        "subprocess.check_output": ("model", _call("subprocess", "check_output", touch)),
        "os.system": ("model", _call("os", "system", _json(f"touch {marker}"))),
        "builtins.exec": ("model", _call("builtins", "exec", _json(f"open({str(marker)!r}, 'w')"))),
        "builtins.eval": ("model", _call("builtins", "eval", _json(f"open({str(marker)!r}, 'w')"))),
        "function reference os.system": ("model", _reference("FunctionNode", "os", "system")),
        "function reference builtins.__import__": ("model", _reference("FunctionNode", "builtins", "__import__")),
        "type reference subprocess.Popen": ("model", _reference("TypeNode", "subprocess", "Popen")),
        "object of type subprocess.Popen": ("model", _object("subprocess", "Popen", args="id")),
        "a radfuse function, not a type": ("model", _call("radfuse.persistence", "load_model", _json(str(marker)))),
        "nested check_output": ("model", _nested(_call("sklearn.utils._testing", "check_output", touch))),
        "nested os.system reference": ("model", _nested(_reference("FunctionNode", "os", "system"))),
        "envelope check_output": ("envelope", _call("sklearn.utils._testing", "check_output", touch)),
        "envelope builtins.exec": ("envelope", _call("builtins", "exec", _json(f"open({str(marker)!r}, 'w')"))),
    }


PAYLOADS = list(_payloads(MARKER))


@pytest.fixture(scope="module")
def small_model(data):
    X, y = data
    return Pipeline([("zscore", StandardScaler()), ("clf", make_classifier("lr"))]).fit(X, y)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_crafted_payload_is_refused_before_construction(tmp_path, small_model, monkeypatch, payload):
    marker = tmp_path / MARKER
    where, node = _payloads(marker)[payload]
    path = save_model(small_model, tmp_path / "evil.skops")
    forge(path, node, where)
    constructed = []
    real_loads, real_load = sio.loads, sio.load
    monkeypatch.setattr(sio, "loads", lambda *a, **k: constructed.append("payload") or real_loads(*a, **k))
    if where == "envelope":
        monkeypatch.setattr(sio, "load", lambda *a, **k: constructed.append("envelope") or real_load(*a, **k))
    with pytest.raises(ValueError, match=r"load_model: refusing to load .*evil\.skops.*allow-list"):
        load_model(path)
    assert constructed == []
    assert not marker.exists()


def test_allow_list_holds_exact_names_only():
    from radfuse.persistence import TRUSTED_TYPES

    assert all(not name.endswith(".") and name.count(".") >= 1 for name in TRUSTED_TYPES)
    assert "sklearn.utils._testing.check_output" not in TRUSTED_TYPES


@pytest.mark.parametrize("name", ["lr", "nb", "svm", "knn", "xgboost", "lightgbm", "adaboost", "mlp", "rf"])
def test_every_protocol_classifier_round_trips(tmp_path, data, name):
    X, y = data
    model = make_radiomics_pipeline(name, mrmr={"n_features": 5}, lasso=False, random_state=0)
    model.fit(X.iloc[:150], y.iloc[:150])
    loaded = load_model(save_model(model, tmp_path / "m.skops"))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))


def test_study_and_fusion_models_round_trip(tmp_path, data):
    from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

    from radfuse.fusion import StackingFusion, WeightedEnsemble
    from radfuse.study import example_study_result

    models = list(example_study_result().models_.values())
    X, y = data
    blocks = {"mean": X.filter(like="mean").columns, "worst": X.filter(like="worst").columns}
    X = X.rename(columns=lambda c: f"{'mean' if c in blocks['mean'] else 'worst' if c in blocks['worst'] else 'se'}__{c}")
    per_block = {name: make_classifier("lr", max_iter=5000) for name in blocks}
    models += [
        WeightedEnsemble(per_block, cv=StratifiedKFold(3)).fit(X, y),
        StackingFusion(per_block, cv=RepeatedStratifiedKFold(n_splits=2, n_repeats=1, random_state=0)).fit(X, y),
    ]
    for i, model in enumerate(models):
        names = getattr(model, "feature_names_in_", None)
        path = save_model(model, tmp_path / f"m{i}.skops", feature_names=names if names is not None else ["x"])
        assert type(load_model(path).estimator) is type(model)


# --- Authenticity and versions ---

def test_pinned_file_hash_rejects_a_rehashed_forgery(tmp_path, small_model):
    path = save_model(small_model, tmp_path / "m.skops")
    pinned = model_file_sha256(path)
    assert load_model(path, expected_sha256=pinned).estimator is not None
    bundle = sio.load(path)
    bundle["metadata"] = {"auc": 0.99}  # the embedded hash still matches: only the pin notices
    sio.dump(bundle, path)
    load_model(path)
    with pytest.raises(ValueError, match=r"load_model: .*m\.skops has SHA-256 [0-9a-f]{64}, not the expected"):
        load_model(path, expected_sha256=pinned)


def _with_saved_versions(path, **versions):
    bundle = sio.load(path)
    bundle["library_versions"] = {**bundle["library_versions"], **versions}
    sio.dump(bundle, path)


def test_versions_of_every_library_held_are_recorded(tmp_path, fitted):
    saved = load_model(save_model(fitted, tmp_path / "m.skops"))
    assert set(saved.library_versions) >= {"scikit-learn", "imbalanced-learn", "xgboost", "numpy"}
    assert "lightgbm" not in saved.library_versions


def test_other_library_versions_give_one_error_naming_both(tmp_path, small_model):
    import sklearn

    path = save_model(small_model, tmp_path / "m.skops")
    _with_saved_versions(path, **{"scikit-learn": "1.0.2"})
    with pytest.raises(ModelVersionError, match=(
        rf"saved under other library versions: scikit-learn 1\.0\.2 \(saved\) vs "
        rf"{re.escape(sklearn.__version__)} \(installed\)\..*allow_version_mismatch=True"
    )):
        load_model(path)
    loaded = load_model(path, allow_version_mismatch=True)
    assert loaded.library_versions["scikit-learn"] == "1.0.2"


def test_legacy_file_without_versions_needs_the_opt_in(tmp_path, small_model):
    path = save_model(small_model, tmp_path / "m.skops")
    bundle = sio.load(path)
    bundle["format"] = "radfuse-model/1"
    del bundle["library_versions"]
    sio.dump(bundle, path)
    with pytest.raises(ModelVersionError, match="records no library versions"):
        load_model(path)
    assert load_model(path, allow_version_mismatch=True).library_versions == {}


# --- Atomic writing ---

def test_disk_full_while_saving_keeps_the_previous_model(tmp_path, small_model, data, monkeypatch):
    X, _ = data
    path = save_model(small_model, tmp_path / "m.skops")
    before = path.read_bytes()

    def full_disk(obj, file, **kwargs):
        Path(file).write_bytes(b"PK\x03\x04partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sio, "dump", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_model(small_model, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.skops"]
    load_model(path).predict_proba(X)
