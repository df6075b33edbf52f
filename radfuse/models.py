"""The classifiers of the radiomics protocol, with default tuning grids.

Every classifier returns probabilities (``predict_proba``), is deterministic
under ``random_state``, and runs single-threaded by default: radfuse
parallelises over cross-validation folds through joblib, so a model that also
spawns threads would oversubscribe the cores (and escape a Dask cluster).

Examples
--------
>>> from sklearn.datasets import load_breast_cancer
>>> from radfuse.models import make_classifier, search_space
>>> X, y = load_breast_cancer(return_X_y=True)
>>> clf = make_classifier("lightgbm", random_state=0).fit(X, y)
>>> clf.predict_proba(X[:2]).shape
(2, 2)
>>> sorted(search_space("svm", prefix="clf__"))
['clf__estimator__C', 'clf__estimator__gamma']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from lightgbm import LGBMClassifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import AdaBoostClassifier, ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from xgboost import XGBClassifier

from ._validation import preview

__all__ = [
    "CLASSIFIERS",
    "PROTOCOL_CLASSIFIERS",
    "ClassifierSpec",
    "classifier_label",
    "classifier_short_label",
    "make_classifier",
    "positive_class_probability",
    "search_space",
]


@dataclass(frozen=True)
class ClassifierSpec:
    """How to build one classifier and the grid radfuse tunes it over.

    Parameters
    ----------
    label : str
        Human-readable name (see :func:`classifier_label`).
    short_label : str
        The abbreviation papers use, for compact legends (see
        :func:`classifier_short_label`).
    factory : callable
        The estimator class, called with ``defaults`` plus any overrides.
    defaults : dict
        radfuse's default parameters.
    grid : dict
        Default tuning grid (see :func:`search_space`).
    seeded : bool
        Whether the estimator takes a ``random_state``.
    calibrated : bool
        Whether it is wrapped in a sigmoid ``CalibratedClassifierCV`` to
        provide probabilities (the SVM).

    Examples
    --------
    >>> from radfuse.models import CLASSIFIERS
    >>> spec = CLASSIFIERS["svm"]
    >>> spec.label, spec.short_label, spec.calibrated
    ('Support vector machine (RBF)', 'SVM', True)
    """

    label: str
    short_label: str
    factory: Callable[..., Any]
    defaults: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    seeded: bool = True
    calibrated: bool = False


_LOG_C = [0.01, 0.1, 1.0, 10.0, 100.0]

CLASSIFIERS: dict[str, ClassifierSpec] = {
    "lr": ClassifierSpec(
        "Logistic regression",
        "LR",
        LogisticRegression,
        {"max_iter": 5000},
        {"C": _LOG_C},
        seeded=False,
    ),
    "nb": ClassifierSpec(
        "Gaussian naive Bayes",
        "NB",
        GaussianNB,
        {},
        {"var_smoothing": [1e-11, 1e-9, 1e-7, 1e-5]},
        seeded=False,
    ),
    "svm": ClassifierSpec(
        "Support vector machine (RBF)",
        "SVM",
        SVC,
        {"kernel": "rbf"},
        {"C": _LOG_C, "gamma": ["scale", 0.001, 0.01, 0.1]},
        seeded=False,
        calibrated=True,
    ),
    "knn": ClassifierSpec(
        "k-nearest neighbours",
        "KNN",
        KNeighborsClassifier,
        {"n_neighbors": 5},
        {"n_neighbors": [3, 5, 7, 9, 15], "weights": ["uniform", "distance"]},
        seeded=False,
    ),
    "xgboost": ClassifierSpec(
        "XGBoost",
        "XGBoost",
        XGBClassifier,
        {
            "n_estimators": 200,
            "max_depth": 3,
            "learning_rate": 0.1,
            "subsample": 1.0,
            "tree_method": "hist",
            "eval_metric": "logloss",
            "n_jobs": 1,
        },
        {"n_estimators": [100, 200, 400], "max_depth": [2, 3, 5], "learning_rate": [0.03, 0.1, 0.3]},
    ),
    "lightgbm": ClassifierSpec(
        "LightGBM",
        "LightGBM",
        LGBMClassifier,
        {
            "n_estimators": 200,
            "learning_rate": 0.05,
            "num_leaves": 15,
            "min_child_samples": 10,
            "n_jobs": 1,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        },
        {"n_estimators": [100, 200, 400], "num_leaves": [7, 15, 31], "learning_rate": [0.03, 0.1]},
    ),
    "adaboost": ClassifierSpec(
        "AdaBoost",
        "AdaBoost",
        AdaBoostClassifier,
        {"n_estimators": 100},
        {"n_estimators": [50, 100, 200], "learning_rate": [0.1, 0.5, 1.0]},
    ),
    "mlp": ClassifierSpec(
        "Multilayer perceptron",
        "MLP",
        MLPClassifier,
        {"hidden_layer_sizes": (64,), "alpha": 1e-3, "max_iter": 2000},
        {"hidden_layer_sizes": [(32,), (64,), (64, 32)], "alpha": [1e-4, 1e-3, 1e-2]},
    ),
    "rf": ClassifierSpec(
        "Random forest",
        "RF",
        RandomForestClassifier,
        {"n_estimators": 300, "n_jobs": 1},
        {"n_estimators": [200, 500], "max_depth": [None, 5, 10], "max_features": ["sqrt", 0.3]},
    ),
    "extratrees": ClassifierSpec(
        "Extremely randomised trees",
        "ExtraTrees",
        ExtraTreesClassifier,
        {"n_estimators": 300, "n_jobs": 1},
        {"n_estimators": [200, 500], "max_depth": [None, 5, 10], "max_features": ["sqrt", 0.3]},
    ),
}

#: The eight classifiers of the published protocol, in the order papers report them.
PROTOCOL_CLASSIFIERS = ("lr", "nb", "svm", "knn", "xgboost", "lightgbm", "adaboost", "mlp")


def _spec(name: str) -> ClassifierSpec:
    if name not in CLASSIFIERS:
        raise ValueError(
            f"make_classifier: unknown classifier {name!r}; choose one of "
            f"{preview(sorted(CLASSIFIERS))}."
        )
    return CLASSIFIERS[name]


def make_classifier(name: str, *, random_state=None, **overrides):
    """Build one of the protocol's classifiers with radfuse's defaults.

    Parameters
    ----------
    name : str
        ``"lr"``, ``"nb"``, ``"svm"``, ``"knn"``, ``"xgboost"``, ``"lightgbm"``,
        ``"adaboost"``, ``"mlp"``, ``"rf"`` or ``"extratrees"``.
    random_state : int, RandomState or None
        Seed for the stochastic models; ignored by the deterministic ones
        (logistic regression, naive Bayes, KNN).
    **overrides
        Parameters replacing radfuse's defaults, e.g. ``C=0.1``. For ``"svm"``
        they go to the ``SVC`` inside the ``CalibratedClassifierCV`` that
        provides its probabilities.

    Returns
    -------
    An unfitted scikit-learn compatible classifier with ``predict_proba``.

    Raises
    ------
    ValueError
        For an unknown classifier name or a parameter the classifier lacks.

    References
    ----------
    The default set follows the eight classifiers compared in the mammography
    + MRI axillary lymph-node study that radfuse's protocol is modelled on.
    The SVM's probabilities come from Platt scaling: J. Platt, "Probabilistic
    outputs for support vector machines and comparisons to regularized
    likelihood methods", Advances in Large Margin Classifiers, 1999.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.models import make_classifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_classifier("lr", C=0.1).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    >>> type(make_classifier("svm")).__name__
    'CalibratedClassifierCV'
    """
    spec = _spec(name)
    params = {**spec.defaults, **overrides}
    if spec.seeded:
        params.setdefault("random_state", random_state)
    try:
        estimator = spec.factory(**params)
    except TypeError as error:
        raise ValueError(f"make_classifier({name!r}): {error}") from error
    if spec.calibrated:
        # Platt scaling on internal folds, as SVC(probability=True) did before
        # scikit-learn 1.9 deprecated it; deterministic because the folds are.
        estimator = CalibratedClassifierCV(estimator, method="sigmoid", cv=5, ensemble=False)
    return estimator


def search_space(name: str, prefix: str = "") -> dict[str, list]:
    """radfuse's default tuning grid for a classifier.

    Parameters
    ----------
    name : str
        A classifier name accepted by :func:`make_classifier`.
    prefix : str
        Prepended to every parameter name, e.g. ``"clf__"`` to tune the
        classifier step of a pipeline with ``GridSearchCV``.

    Returns
    -------
    dict of str to list
        Parameter name to candidate values; for ``"svm"`` the names address
        the ``SVC`` inside the calibration wrapper (``estimator__``).

    Examples
    --------
    >>> from radfuse.models import search_space
    >>> search_space("lr", prefix="clf__")
    {'clf__C': [0.01, 0.1, 1.0, 10.0, 100.0]}

    The SVM is an ``SVC`` inside a ``CalibratedClassifierCV``, so its
    parameters sit one level deeper -- in a pipeline, ``clf__estimator__C``
    rather than ``clf__C``:

    >>> sorted(search_space("svm", prefix="clf__"))
    ['clf__estimator__C', 'clf__estimator__gamma']
    """
    spec = _spec(name)
    if spec.calibrated:
        prefix += "estimator__"
    return {f"{prefix}{key}": list(values) for key, values in spec.grid.items()}


def classifier_label(name: str) -> str:
    """Human-readable name of a classifier, for tables and figures.

    Parameters
    ----------
    name : str
        A classifier name accepted by :func:`make_classifier`.

    Returns
    -------
    str

    Examples
    --------
    >>> from radfuse.models import classifier_label
    >>> classifier_label("knn")
    'k-nearest neighbours'
    """
    return _spec(name).label


def classifier_short_label(name: str) -> str:
    """The abbreviation of a classifier for compact legends, e.g. ``"LR"``.

    A classifier radfuse does not define (a study may bring its own
    estimators under any name) keeps its name.

    Parameters
    ----------
    name : str

    Returns
    -------
    str

    Examples
    --------
    >>> from radfuse.models import classifier_short_label
    >>> classifier_short_label("xgboost"), classifier_short_label("my_model")
    ('XGBoost', 'my_model')
    """
    spec = CLASSIFIERS.get(name)
    return name if spec is None else spec.short_label


def positive_class_probability(estimator, X) -> np.ndarray:
    """Probability of ``classes_[1]`` from a fitted binary classifier.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    numpy.ndarray of shape (n_samples,)

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.models import make_classifier, positive_class_probability
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_classifier("nb").fit(X, y)
    >>> positive_class_probability(clf, X[:4]).shape
    (4,)
    """
    return estimator.predict_proba(X)[:, 1]
