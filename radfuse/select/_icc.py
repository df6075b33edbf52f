"""Reliability filter: keep features that two or more readers measure alike."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from .._methods_text import icc_form
from .._validation import check_feature_table, check_finite_features, feature_names_of, preview
from ..stats import ICC_TYPES, icc_per_feature
from ._base import FeatureFilter


class ICCFilter(FeatureFilter):
    """Keep features whose intraclass correlation between readers exceeds a threshold.

    Radiomics protocols have a subset of cases delineated twice (by two
    readers, or by one reader twice) and keep only the features that are
    reproducible across delineations. ``reliability`` holds those repeated
    feature tables; ``fit`` computes one ICC per feature with
    :func:`radfuse.stats.icc_per_feature` (the Shrout & Fleiss
    forms, equal to pingouin's ``intraclass_corr``) and keeps the features
    with ``ICC > threshold``. The training data ``X`` only supplies the
    column names: the outcome is not used, so the filter cannot leak it.

    Features of ``X`` that the reliability tables do not contain (for example
    CNN embeddings, which no reader delineates), or that hold no reader's
    value (a column NaN for every case in every table), are *unrated*: by
    default they pass through (``unrated="keep"``), so one ICC step serves a
    feature set that mixes rated radiomics and unrated deep features.
    Reliability columns that are not columns of ``X`` are ignored: they are
    the rated features of other feature sets, so the same reliability tables
    serve every feature set of a study (when ``X`` is a numpy array, at least
    one reliability column must be named ``x0, x1, ...``, or the names were
    surely not translated).

    Parameters
    ----------
    reliability : list of DataFrame
        Two or more tables, one per reader or repeated delineation, each
        indexed by case id, with the same cases and the same feature columns.
        Every column must be a column of ``X``. When ``X`` is a numpy array
        its columns are called ``x0, x1, ...`` (scikit-learn's convention),
        so the reliability columns must use those names.
    threshold : float in [0, 1], default=0.9
        Features with an ICC strictly greater than this are kept.
    icc_type : {"ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"}, default="ICC3"
        Shrout & Fleiss form. The default ICC(3,1) is the two-way mixed,
        consistency, single-rater coefficient of the published protocol.
    unrated : {"keep", "drop"}, default="keep"
        What to do with the unrated features of ``X``: ``"keep"`` lets them
        pass (they carry no evidence of unreliability), ``"drop"`` keeps
        only features shown to be reliable.

    Attributes
    ----------
    icc_ : Series of float, indexed by feature name
        The ICC of each input feature. NaN for an unrated feature, and for a
        feature that every reader measured as the same constant (its ICC is
        undefined, 0/0); such a constant feature is dropped, since nothing
        shows it to be reliable.
    rated_ : ndarray of bool, shape (n_features_in_,)
        Whether each feature appears in the reliability tables.
    n_cases_ : int
        Number of cases in the reliability tables.
    support_ : ndarray of bool, shape (n_features_in_,)
        The kept features.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    radfuse.stats.icc : all six ICC forms of one feature, with F test and CI.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in
    assessing rater reliability. Psychological Bulletin, 86(2), 420-428.
    Koo, T. K., & Li, M. Y. (2016). A guideline of selecting and reporting
    intraclass correlation coefficients for reliability research. Journal of
    Chiropractic Medicine, 15(2), 155-163. (ICC > 0.9: excellent reliability.)

    Examples
    --------
    A second reader who re-measures 60 cases with small errors in the first
    ten features and large errors in the rest:

    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.select import ICCFilter
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> rng = np.random.default_rng(0)
    >>> reader1 = X.iloc[:60]
    >>> noise = rng.normal(size=reader1.shape) * reader1.std().to_numpy()
    >>> noise[:, :10] *= 0.1
    >>> reader2 = reader1 + noise
    >>> selector = ICCFilter(reliability=[reader1, reader2], threshold=0.9)
    >>> selector.fit(X, y).transform(X).shape
    (569, 10)
    >>> selector.icc_.round(2).head(3)
    mean radius       0.99
    mean texture      0.99
    mean perimeter    0.99
    dtype: float64
    """

    _parameter_constraints: dict = {
        "reliability": [list, tuple],
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "icc_type": [StrOptions(set(ICC_TYPES))],
        "unrated": [StrOptions({"keep", "drop"})],
    }

    def __init__(self, reliability, threshold=0.9, icc_type="ICC3", unrated="keep"):
        self.reliability = reliability
        self.threshold = threshold
        self.icc_type = icc_type
        self.unrated = unrated

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the ICC of every rated feature and select the reliable ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; only its column names are used.
        y : ignored
            Accepted for pipeline compatibility.

        Returns
        -------
        self
        """
        step = type(self).__name__
        check_feature_table(X, step)
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite=False)
        names = feature_names_of(self, X.shape[1])
        check_finite_features(X, names, step)

        readers = _check_reliability(self.reliability, names, step, named=hasattr(self, "feature_names_in_"))
        rated_names = list(readers[0].columns)
        ratings = np.stack([reader.to_numpy(dtype=np.float64) for reader in readers], axis=1)
        rated_icc = pd.Series(icc_per_feature(ratings, self.icc_type), index=rated_names)

        self.icc_ = rated_icc.reindex(names)
        self.rated_ = self.icc_.index.isin(rated_names)
        self.n_cases_ = ratings.shape[0]
        reliable = self.icc_.to_numpy() > self.threshold
        support = reliable | (~self.rated_ & (self.unrated == "keep"))
        self._set_support(support, f"{self.icc_type} > {self.threshold}")
        return self

    def describe_method(self, *, class_counts=None, kept_range=None) -> str:
        return (
            f"Reproducibility: features were retained when their intraclass correlation coefficient "
            f"({icc_form(self.icc_type)}; Shrout and Fleiss) between the repeated delineations exceeded "
            f"{self.threshold}; features without repeated measurements were "
            f"{'kept' if self.unrated == 'keep' else 'dropped'}."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def _check_reliability(reliability, feature_names, step, *, named=True):
    """Validate the repeated tables; align the rated columns of ``X`` on the first reader's order.

    Columns that are not features of ``X``, and columns no reader rated (NaN
    for every case in every table), are left out.
    """
    if len(reliability) < 2:
        raise ValueError(
            f"{step}: reliability needs tables from at least two readers; got {len(reliability)}."
        )
    for i, reader in enumerate(reliability):
        if not isinstance(reader, pd.DataFrame):
            raise TypeError(
                f"{step}: reliability[{i}] must be a DataFrame indexed by case id; "
                f"got {type(reader).__name__}."
            )
        for kind, labels in (("case", reader.index), ("column", reader.columns)):
            duplicated = labels[labels.duplicated()].unique().tolist()
            if duplicated:
                raise ValueError(
                    f"{step}: reliability[{i}] lists {kind}(s) {preview(duplicated)} "
                    "more than once."
                )

    first = reliability[0]
    columns = [str(c) for c in first.columns]
    for i, reader in enumerate(reliability[1:], start=1):
        _check_same_labels(first.index, reader.index, "case", i, step)
        _check_same_labels(first.columns, reader.columns, "column", i, step)
    if len(first.index) < 2:
        raise ValueError(
            f"{step}: reliability tables must hold at least two cases; got {len(first.index)}."
        )
    known = set(feature_names)
    if not named and not known & set(columns):
        raise ValueError(
            f"{step}: reliability column(s) {preview(sorted(columns))} are not columns of X. "
            "X is a numpy array: name the reliability columns x0, x1, ... as scikit-learn does."
        )
    unrated = [
        column for column in first.columns
        if all(reader[column].isna().all() for reader in reliability)
    ]
    rated = [c for c, name in zip(first.columns, columns) if name in known and c not in unrated]

    readers = []
    for i, reader in enumerate(reliability):
        aligned = reader.loc[first.index, rated].set_axis([str(c) for c in rated], axis=1)
        non_numeric = [c for c, kind in aligned.dtypes.items() if kind.kind not in "biuf"]
        if non_numeric:
            raise ValueError(
                f"{step}: reliability[{i}] has non-numeric column(s) {preview(non_numeric)}."
            )
        values = aligned.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(
                f"{step}: reliability[{i}] contains NaN or inf in column(s) "
                f"{preview([aligned.columns[j] for j in np.flatnonzero(bad.any(axis=0))])} for case(s) "
                f"{preview(aligned.index[bad.any(axis=1)].tolist())}. Every reader must "
                "rate every case; drop incomplete cases from all readers."
            )
        readers.append(aligned)
    return readers


def _check_same_labels(expected, found, kind, reader, step):
    missing = expected.difference(found).tolist()
    extra = found.difference(expected).tolist()
    if missing or extra:
        raise ValueError(
            f"{step}: reliability[{reader}] does not match reliability[0]: {kind}(s) "
            f"{preview(missing)} missing and {preview(extra)} extra. Every reader must "
            f"rate the same cases and features."
        )


def _fit_icc(features, reliability, icc_params):
    icc = ICCFilter(list(reliability), **icc_params).fit(features)
    support = icc.get_support()
    summary = {
        "icc_type": icc.icc_type,
        "threshold": icc.threshold,
        "unrated": icc.unrated,
        "n_cases": int(icc.n_cases_),
        "n_rated": int(icc.rated_.sum()),
        "n_kept": int((support & icc.rated_).sum()),
        "n_unrated": int((~icc.rated_).sum()),
    }
    return support, summary


def reliability_summary(features: pd.DataFrame, reliability, **icc_params) -> dict:
    """What the ICC step of a study decides, for the methods text.

    A study file runs the ICC step inside every feature set's pipeline, so it
    is fitted in each training fold like every other step. It uses nothing
    but the repeated delineations, so it keeps the same rated features in
    every fold and feature set; this summary fits it once on the whole table
    to state those decisions.

    Parameters
    ----------
    features : DataFrame
    reliability : list of DataFrame
        One feature table per reader (see :class:`~radfuse.select.ICCFilter`).
    **icc_params
        ``threshold``, ``icc_type``, ``unrated`` of ``ICCFilter``.

    Returns
    -------
    dict
        ``icc_type``, ``threshold``, ``unrated``, ``n_cases`` (delineated by
        every reader), ``n_rated``, ``n_kept`` (rated features kept) and
        ``n_unrated`` (features without ratings, e.g. deep features: they
        pass with the default ``unrated="keep"``).
    """
    return _fit_icc(features, reliability, icc_params)[1]


def reliability_filter(features: pd.DataFrame, reliability, **icc_params):
    """Drop the features whose inter-reader ICC does not exceed the threshold, once, before a study.

    Study files no longer need this (their ICC step runs inside the
    pipeline); it is for tables prepared by hand.

    Parameters
    ----------
    features : DataFrame
    reliability : list of DataFrame
        One feature table per reader (see :class:`~radfuse.select.ICCFilter`).
    **icc_params
        ``threshold``, ``icc_type``, ``unrated`` of ``ICCFilter``.

    Returns
    -------
    kept : DataFrame
        ``features`` without the unreliable columns.
    summary : dict
        As :func:`reliability_summary`.
    """
    support, summary = _fit_icc(features, reliability, icc_params)
    return features.loc[:, support], summary
