"""Saving and loading fitted models safely, with the context to use them.

Models are stored with skops (no pickle: loading never runs arbitrary code)
together with the feature names they were trained on, the extraction
settings that produced those features and the radfuse version. Loading
checks an integrity hash and accepts only types from an allow-list of the
libraries radfuse builds models from; a loaded model refuses a feature table
whose columns do not match.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.base import BaseEstimator

from . import __version__
from ._validation import preview

__all__ = [
    "TRUSTED_MODULES",
    "TRUSTED_TYPES",
    "SavedModel",
    "load_model",
    "save_model",
]

#: Packages whose classes a radfuse model file may contain.
TRUSTED_MODULES = ("sklearn.", "imblearn.", "xgboost.", "lightgbm.", "radfuse.")
#: Individual types outside those packages that fitted models legitimately hold.
TRUSTED_TYPES = ("collections.OrderedDict",)

_FORMAT = "radfuse-model/1"


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


def _encode_pandas(obj):
    return _PandasState(obj) if isinstance(obj, (pd.Series, pd.DataFrame)) else obj


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
        ``path``, with missing parent folders created.

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
        _map_model_state(_strip_training_data(model), _encode_pandas),
        compression=zipfile.ZIP_DEFLATED,
    )
    bundle = {
        "format": _FORMAT,
        "estimator": payload,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "feature_names": [str(name) for name in feature_names],
        "radfuse_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "extraction_settings": extraction_settings,
        "metadata": metadata or {},
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(bundle, path, compression=zipfile.ZIP_DEFLATED)
    return path


def _untrusted(types: list[str]) -> list[str]:
    return [t for t in types if not (t.startswith(TRUSTED_MODULES) or t in TRUSTED_TYPES)]


def load_model(path) -> SavedModel:
    """Load a model written by :func:`save_model`, refusing anything unsafe.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        The file is not a radfuse model, is corrupt, fails its integrity
        check, or contains types outside radfuse's allow-list (the message
        names them).

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
    try:
        outer_types = sio.get_untrusted_types(file=path)
        if outer_types:
            raise ValueError(
                f"load_model: {path} holds unexpected types {preview(outer_types)} "
                "outside the model payload; it may have been tampered with."
            )
        bundle = sio.load(path)
    except (zipfile.BadZipFile, KeyError, TypeError, OSError) as error:
        raise ValueError(f"load_model: {path} is not a readable radfuse model file ({error}).") from error
    if not isinstance(bundle, dict) or bundle.get("format") != _FORMAT:
        raise ValueError(f"load_model: {path} is not a radfuse model file.")
    payload = bundle["estimator"]
    if hashlib.sha256(payload).hexdigest() != bundle["sha256"]:
        raise ValueError(
            f"load_model: {path} failed its integrity check (the model bytes do not match "
            "the hash recorded when it was saved); the file was modified or corrupted."
        )
    refused = _untrusted(sio.get_untrusted_types(data=payload))
    if refused:
        raise ValueError(
            f"load_model: refusing to load {path}: it contains types outside radfuse's "
            f"allow-list {preview(refused)}."
        )
    estimator = sio.loads(payload, trusted=sio.get_untrusted_types(data=payload))
    estimator = _map_model_state(estimator, _decode_pandas)
    return SavedModel(
        estimator=estimator,
        feature_names=tuple(bundle["feature_names"]),
        radfuse_version=bundle["radfuse_version"],
        created=bundle["created"],
        extraction_settings=bundle["extraction_settings"],
        metadata=bundle["metadata"],
    )
