"""Saving and loading fitted models safely, with the context to use them.

Models are stored with skops (no pickle) together with the feature names
they were trained on, the extraction settings that produced those features
and the versions of every library whose objects the model holds. Loading
refuses, before constructing anything, every type and function that is not
on an explicit allow-list of exact, fully qualified names (never a module
prefix: scikit-learn re-exports ``subprocess.check_output`` and
``os.makedirs`` under its own module names). A loaded model refuses a feature
table whose columns do not match.

The SHA-256 stored inside the file detects corruption (a truncated or
bit-flipped payload); it cannot prove who wrote the file, since anyone who
edits the file can recompute it. For authenticity, record the hash of the
whole file where an attacker cannot change it (a signed release note, a
database) and pass it to ``load_model(path, expected_sha256=...)``, or sign
the file with an external tool (e.g. ``gpg --detach-sign``).
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.base import BaseEstimator

from . import __version__
from ._files import atomic_path, sha256_of_file
from ._validation import preview
from ._versions import installed_versions
from .fusion import StackingFusion, WeightedEnsemble
from .harmonize import ComBat
from .model_selection import CaseGroupSplitter, RepeatedStratifiedGroupKFold
from .pipeline import CheckedSMOTE, CheckedStandardScaler, RadiomicsPipeline
from .select import CorrelationPruner, ICCFilter, LassoSelector, MRMRSelector, UnivariateFilter
from .stats import LogisticMLE

__all__ = [
    "TRUSTED_TYPES",
    "ModelVersionError",
    "SavedModel",
    "load_model",
    "model_file_sha256",
    "save_model",
]

#: Every type a radfuse model file may hold beyond skops' own safe defaults
#: (builtins containers, NumPy arrays and dtypes, SciPy sparse matrices and
#: the scikit-learn estimators skops vets): exact, fully qualified names of the
#: classes radfuse's pipelines, selectors, fusion estimators and classifiers
#: store. Anything else, however it is spelled, is refused. radfuse's own
#: classes are named from the classes themselves, so the list follows them
#: wherever they are defined.
TRUSTED_TYPES = frozenset({
    *(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in (
            CheckedSMOTE, CheckedStandardScaler, ComBat, CorrelationPruner, ICCFilter, LassoSelector, LogisticMLE,
            MRMRSelector, RadiomicsPipeline, RepeatedStratifiedGroupKFold, StackingFusion, UnivariateFilter,
            WeightedEnsemble,
        )
    ),
    "collections.OrderedDict",
    "imblearn.over_sampling._smote.base.SMOTE",
    "imblearn.pipeline.Pipeline",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "radfuse.persistence._PandasState",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    # Cross-validation splitters held as parameters (LassoSelector.cv, fusion cv):
    # plain settings, no callables.
    "sklearn.model_selection._split.GroupKFold",
    "sklearn.model_selection._split.KFold",
    "sklearn.model_selection._split.LeaveOneGroupOut",
    "sklearn.model_selection._split.LeaveOneOut",
    "sklearn.model_selection._split.RepeatedKFold",
    "sklearn.model_selection._split.RepeatedStratifiedKFold",
    "sklearn.model_selection._split.ShuffleSplit",
    "sklearn.model_selection._split.StratifiedGroupKFold",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.model_selection._split.StratifiedShuffleSplit",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.tree._tree.Tree",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
})

_FORMAT = "radfuse-model/2"
_FORMATS_WITHOUT_VERSIONS = ("radfuse-model/1",)

#: Top-level module -> distribution whose version a model file records.
_VERSIONED_LIBRARIES = {
    "numpy": "numpy",
    "scipy": "scipy",
    "sklearn": "scikit-learn",
    "imblearn": "imbalanced-learn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "radfuse": "radfuse",
}


class ModelVersionError(ValueError):
    """A model file was saved under other versions of the libraries it holds."""


def _strip_training_data(model):
    """Drop parameters that hold training tables (not needed to predict).

    ``ICCFilter.reliability`` holds the readers' feature tables; they are
    training data, not model state, and pandas objects cannot be stored by
    skops, so saved models carry ``reliability=None``.
    """
    model = copy.deepcopy(model)
    for name, value in model.get_params(deep=True).items():
        if name == "reliability" or name.endswith("__reliability"):
            if value is not None:
                model.set_params(**{name: None})
    return model


class _PandasState:
    """A pandas Series or DataFrame as plain arrays and lists skops can store.

    radfuse's selectors keep per-feature diagnostics (``pvalues_``, ``icc_``)
    as pandas objects indexed by feature name; skops has no safe loader for
    pandas internals, so model files carry this lossless plain form instead.
    """

    def __init__(self, obj):
        self.is_frame = isinstance(obj, pd.DataFrame)
        values = obj.to_numpy()
        # skops stores numeric arrays natively but refuses object arrays.
        self.values = values if values.dtype.kind in "biuf" else values.tolist()
        self.index = obj.index.tolist()
        self.index_name = obj.index.name
        self.columns = obj.columns.tolist() if self.is_frame else None
        self.name = None if self.is_frame else obj.name

    def restore(self):
        if self.is_frame:
            frame = pd.DataFrame(self.values, index=self.index, columns=self.columns)
        else:
            frame = pd.Series(self.values, index=self.index, name=self.name)
        frame.index.name = self.index_name
        return frame


def _map_model_state(obj, convert):
    """Apply ``convert`` to every value inside estimators and their containers."""
    converted = convert(obj)
    if converted is not obj:
        return converted
    if isinstance(obj, BaseEstimator):
        for key, value in vars(obj).items():
            setattr(obj, key, _map_model_state(value, convert))
        return obj
    if isinstance(obj, list):
        return [_map_model_state(item, convert) for item in obj]
    if isinstance(obj, tuple):
        return tuple(_map_model_state(item, convert) for item in obj)
    if isinstance(obj, dict):
        return {key: _map_model_state(value, convert) for key, value in obj.items()}
    return obj


def _encode_for_file(obj):
    if isinstance(obj, (pd.Series, pd.DataFrame)):
        return _PandasState(obj)
    if isinstance(obj, CaseGroupSplitter):
        # Its groups are the training cases' patients or centres: training
        # data, not model state. The file keeps the grouped splitter itself.
        return obj.cv
    return obj


def _decode_pandas(obj):
    return obj.restore() if isinstance(obj, _PandasState) else obj


@dataclass(frozen=True)
class SavedModel:
    """A fitted model with the column contract it was trained under.

    Returned by :func:`load_model`; ``predict`` and ``predict_proba`` first
    pass ``X`` through :meth:`check_features`.

    Attributes
    ----------
    estimator : fitted estimator
    feature_names : tuple of str
        The training columns, in training order.
    radfuse_version : str
        radfuse version that saved the model.
    created : str
        UTC time of saving (ISO 8601).
    extraction_settings : dict or None
        Extraction settings stored by :func:`save_model`.
    metadata : dict
        Free-form metadata stored by :func:`save_model`.
    library_versions : dict
        Distribution name to version, for every library whose objects the
        model holds, as installed when it was saved.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.models import make_classifier
    >>> from radfuse.persistence import save_model, load_model
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.skops"
    >>> _ = save_model(make_classifier("nb").fit(X, y), path, metadata={"study": "wdbc"})
    >>> saved = load_model(path)
    >>> len(saved.feature_names), saved.metadata
    (30, {'study': 'wdbc'})
    >>> saved.predict(X.drop(columns="mean radius"))
    Traceback (most recent call last):
    ...
    ValueError: SavedModel: the feature table does not match the model's training columns: missing 1 column(s) ...
    """

    estimator: object
    feature_names: tuple[str, ...]
    radfuse_version: str
    created: str
    extraction_settings: dict | None = None
    metadata: dict = field(default_factory=dict)
    library_versions: dict = field(default_factory=dict)

    def check_features(self, X) -> pd.DataFrame:
        """Return ``X`` with exactly the training columns, in training order.

        Columns in another order are reordered (by name). Missing columns and
        unexpected extra columns are errors that list them.
        """
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                "SavedModel: pass the features as a DataFrame with named columns so "
                f"they can be matched to the {len(self.feature_names)} training columns."
            )
        expected = list(self.feature_names)
        missing = [c for c in expected if c not in X.columns]
        extra = [c for c in X.columns if c not in set(expected)]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} column(s) {preview(missing)}")
            if extra:
                parts.append(f"{len(extra)} unexpected column(s) {preview(extra)}")
            raise ValueError(
                "SavedModel: the feature table does not match the model's training "
                f"columns: {'; '.join(parts)}."
            )
        return X.loc[:, expected]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities for ``X`` after :meth:`check_features`."""
        return self.estimator.predict_proba(self.check_features(X))

    def predict(self, X) -> np.ndarray:
        """Predicted classes for ``X`` after :meth:`check_features`."""
        return self.estimator.predict(self.check_features(X))


def save_model(model, path, *, feature_names=None, extraction_settings=None, metadata=None) -> Path:
    """Write a fitted model to a ``.skops`` file.

    Parameters
    ----------
    model : fitted estimator
    path : str or Path
    feature_names : list of str, optional
        The training columns; defaults to ``model.feature_names_in_``.
    extraction_settings : dict, optional
        The PyRadiomics settings (and preprocessing) that produced the
        features, so new images can be processed identically.
    metadata : dict, optional
        Anything else JSON-like to keep with the model (study name, AUCs).

    Returns
    -------
    Path
        ``path``, with missing parent folders created. The file is written
        to a temporary name and renamed, so a failure (a full disk) leaves
        any earlier file at ``path`` intact. The versions of every library
        whose objects the model holds are recorded in it.

    Raises
    ------
    ValueError
        When ``feature_names`` is not given and the model has no
        ``feature_names_in_``.

    References
    ----------
    skops secure persistence: https://skops.readthedocs.io/en/stable/persistence.html

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.models import make_classifier
    >>> from radfuse.persistence import save_model, load_model
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.skops"
    >>> _ = save_model(make_classifier("lr").fit(X, y), path)
    >>> load_model(path).predict_proba(X.iloc[:, ::-1]).shape  # reordered by name
    (569, 2)
    """
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
        if feature_names is None:
            raise ValueError(
                "save_model: the model was not fitted on a DataFrame, so its feature "
                "names are unknown; pass feature_names=[...]."
            )
    payload = sio.dumps(
        _map_model_state(_strip_training_data(model), _encode_for_file),
        compression=zipfile.ZIP_DEFLATED,
    )
    bundle = {
        "format": _FORMAT,
        "estimator": payload,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "library_versions": _installed_versions(_libraries_in(payload)),
        "feature_names": [str(name) for name in feature_names],
        "radfuse_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "extraction_settings": extraction_settings,
        "metadata": metadata or {},
    }
    path = Path(path)
    with atomic_path(path) as temporary:
        sio.dump(bundle, temporary, compression=zipfile.ZIP_DEFLATED)
    return path


def _schema_modules(node) -> set[str]:
    """Every ``__module__`` named anywhere in a skops schema."""
    found = set()
    if isinstance(node, dict):
        module = node.get("__module__")
        if isinstance(module, str):
            found.add(module)
        for value in node.values():
            found |= _schema_modules(value)
    elif isinstance(node, list):
        for value in node:
            found |= _schema_modules(value)
    return found


def _libraries_in(payload: bytes) -> list[str]:
    """The versioned libraries (top-level modules) whose objects ``payload`` holds."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        schema = json.loads(archive.read("schema.json"))
    top_level = {module.split(".")[0] for module in _schema_modules(schema)}
    # Arrays are NumPy objects even when the schema names only builtins.
    return sorted(top_level.intersection(_VERSIONED_LIBRARIES) | {"numpy"})


def _installed_versions(libraries) -> dict[str, str]:
    """Distribution name -> installed version of the given top-level modules."""
    versions = installed_versions(_VERSIONED_LIBRARIES[module] for module in libraries)
    return {name: version or "not installed" for name, version in versions.items()}


def _check_versions(path: Path, bundle: dict, allow_version_mismatch: bool) -> None:
    """One error naming every library whose saved and installed versions differ."""
    if bundle["format"] in _FORMATS_WITHOUT_VERSIONS:
        if not allow_version_mismatch:
            raise ModelVersionError(
                f"load_model: {path} was saved by radfuse {bundle.get('radfuse_version')} in a "
                "format that records no library versions, so it cannot be checked against the "
                "installed ones; pass allow_version_mismatch=True to try loading it anyway."
            )
        return
    saved = bundle["library_versions"]
    installed = _installed_versions(
        module for module, name in _VERSIONED_LIBRARIES.items() if name in saved
    )
    differ = [
        f"{name} {saved[name]} (saved) vs {installed.get(name, 'unknown')} (installed)"
        for name in saved
        if saved[name] != installed.get(name)
    ]
    if differ and not allow_version_mismatch:
        raise ModelVersionError(
            f"load_model: {path} was saved under other library versions: {'; '.join(differ)}. "
            "Predictions may differ or loading may fail; install the saved versions, or pass "
            "allow_version_mismatch=True to try anyway."
        )


def model_file_sha256(path) -> str:
    """SHA-256 of a whole model file, to pin with ``load_model(expected_sha256=...)``.

    Equals the output of ``sha256sum <file>``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.models import make_classifier
    >>> from radfuse.persistence import save_model, load_model, model_file_sha256
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> path = save_model(make_classifier("nb").fit(X, y),
    ...                   pathlib.Path(tempfile.mkdtemp()) / "model.skops")
    >>> pinned = model_file_sha256(path)  # publish this where it cannot be changed
    >>> load_model(path, expected_sha256=pinned).feature_names[0]
    'mean radius'
    """
    return sha256_of_file(path)


def _refuse_untrusted(path: Path, types: list[str], where: str) -> None:
    refused = sorted(set(types) - TRUSTED_TYPES)
    if refused:
        raise ValueError(
            f"load_model: refusing to load {path}: {where} holds types or functions outside "
            f"radfuse's allow-list {preview(refused)}; nothing was constructed."
        )


def load_model(path, *, expected_sha256=None, allow_version_mismatch=False) -> SavedModel:
    """Load a model written by :func:`save_model`, refusing anything unsafe.

    Every type and function named in the file is compared, before anything
    is constructed, with the exact fully qualified names of
    :data:`TRUSTED_TYPES` (plus skops' vetted defaults); one outside the list
    refuses the whole file.

    Parameters
    ----------
    path : str or Path
    expected_sha256 : str, optional
        SHA-256 of the whole file (``sha256sum``, :func:`model_file_sha256`)
        obtained from a source an attacker cannot change. The hash stored
        *inside* the file only detects corruption: whoever edits the file can
        recompute it, so it says nothing about who wrote the file. Pin the
        file's hash here (or verify a detached signature before loading) when
        authenticity matters.
    allow_version_mismatch : bool, default False
        Load even though the file was saved under other versions of the
        libraries whose objects it holds (scikit-learn, imbalanced-learn,
        XGBoost, LightGBM, NumPy, SciPy, radfuse); the result may fail or
        predict differently.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ModelVersionError
        The file records library versions that differ from the installed
        ones (the message names each library and both versions).
    ValueError
        The file is not a radfuse model, is corrupt, fails its integrity
        check or ``expected_sha256``, or contains types outside radfuse's
        allow-list (the message names them).

    References
    ----------
    skops secure persistence (``skops.io.get_untrusted_types`` and trusted
    loading): https://skops.readthedocs.io/en/stable/persistence.html

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.pipeline import make_radiomics_pipeline
    >>> from radfuse.persistence import save_model, load_model
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = make_radiomics_pipeline(mrmr={"n_features": 5}, lasso=False,
    ...                                 random_state=0).fit(X, y)
    >>> path = save_model(model, pathlib.Path(tempfile.mkdtemp()) / "m.skops")
    >>> saved = load_model(path)
    >>> saved.predict_proba(X.iloc[:2]).shape
    (2, 2)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_model: no model file at {path}.")
    if expected_sha256 is not None:
        actual = model_file_sha256(path)
        if actual != str(expected_sha256).strip().lower():
            raise ValueError(
                f"load_model: {path} has SHA-256 {actual}, not the expected {expected_sha256}; "
                "it is not the file you pinned."
            )
    try:
        envelope_types = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError, OSError) as error:
        raise ValueError(f"load_model: {path} is not a readable radfuse model file ({error}).") from error
    _refuse_untrusted(path, envelope_types, "the file's envelope")
    bundle = sio.load(path)
    formats = (_FORMAT, *_FORMATS_WITHOUT_VERSIONS)
    if not isinstance(bundle, dict) or bundle.get("format") not in formats:
        raise ValueError(f"load_model: {path} is not a radfuse model file.")
    payload = bundle["estimator"]
    if hashlib.sha256(payload).hexdigest() != bundle["sha256"]:
        raise ValueError(
            f"load_model: {path} failed its integrity check (the model bytes do not match "
            "the hash recorded when it was saved); the file was corrupted."
        )
    try:
        payload_types = sio.get_untrusted_types(data=payload)
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"load_model: {path} holds an unreadable model payload ({error}).") from error
    _refuse_untrusted(path, payload_types, "the model")
    _check_versions(path, bundle, allow_version_mismatch)
    estimator = sio.loads(payload, trusted=payload_types)
    estimator = _map_model_state(estimator, _decode_pandas)
    return SavedModel(
        estimator=estimator,
        feature_names=tuple(bundle["feature_names"]),
        radfuse_version=bundle["radfuse_version"],
        created=bundle["created"],
        extraction_settings=bundle["extraction_settings"],
        metadata=bundle["metadata"],
        library_versions=bundle.get("library_versions", {}),
    )
