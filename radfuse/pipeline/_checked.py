"""The protocol's SMOTE and z-score steps, with input checks that name the culprit."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.utils import check_sampling_strategy
from sklearn.base import _fit_context, clone
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import validate_data

from .._methods_text import MethodSentenceMixin
from .._validation import (
    check_feature_table,
    check_finite_features,
    check_same_cases,
    fitted_float_values,
    float_frame_values,
    is_float_frame,
    keep_feature_names,
    preview,
)


class CheckedSMOTE(MethodSentenceMixin, SMOTE):
    """imbalanced-learn's ``SMOTE`` with input checks that name the culprit.

    SMOTE builds each synthetic case from a case of the class it oversamples
    and one of its ``k_neighbors`` nearest neighbours in that class, so every
    oversampled class needs more than ``k_neighbors`` cases in the data being
    resampled. Inside cross-validation that data is the training part of a
    fold, which holds only part of the minority class; this class says so in
    terms of cases and folds, and names non-numeric, NaN and infinite
    columns, where imbalanced-learn would fail with nearest-neighbour
    internals ("Expected n_neighbors <= n_samples_fit"). Boolean columns are
    resampled as floats (imbalanced-learn cannot interpolate booleans). The
    resampling itself is SMOTE's, unchanged; an all-float DataFrame is
    resampled as one array and rebuilt as a frame in one call, with the
    output imbalanced-learn gives (which rebuilds it column by column, about
    10 times slower at 3,000 columns). After resampling, ``nn_k_`` is left
    unfitted: the fitted neighbour search would keep the training rows of the
    oversampled class in the model (and in every saved model file).

    A resampled DataFrame keeps its case ids: the original rows keep theirs
    and each synthetic case carries the id of the case it was made from
    (imbalanced-learn numbers all rows afresh). Later steps can then look up
    a synthetic case's patient or centre, e.g. so that the LASSO's inner
    cross-validation keeps it in its parent's fold
    (:class:`radfuse.model_selection.CaseGroupSplitter`).

    Parameters are those of ``imblearn.over_sampling.SMOTE``.

    Attributes
    ----------
    parent_indices_ : ndarray of shape (n_resampled,)
        For each output row, the position in the input of the case it is or
        was made from: ``0, ..., n - 1`` for the original rows, then the base
        case of each synthetic one (its neighbour is the other end of the
        segment it was drawn on).

    References
    ----------
    N. V. Chawla, K. W. Bowyer, L. O. Hall and W. P. Kegelmeyer, "SMOTE:
    Synthetic Minority Over-sampling Technique", Journal of Artificial
    Intelligence Research 16, 321-357 (2002).

    Examples
    --------
    >>> import numpy as np
    >>> from radfuse.pipeline import CheckedSMOTE
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> y = np.array([0] * 7 + [1] * 3)
    >>> smote = CheckedSMOTE(k_neighbors=2, random_state=0)
    >>> Xr, yr = smote.fit_resample(X, y)
    >>> np.bincount(yr)
    array([7, 7])
    >>> y[smote.parent_indices_[10:]]  # the synthetic cases' parents: all of class 1
    array([1, 1, 1, 1])
    >>> smote.describe_method(class_counts=(120, 40))[:71]
    'Class balancing: the positive class of the training data (40 versus 120'
    >>> CheckedSMOTE(k_neighbors=5).fit_resample(X, y)
    Traceback (most recent call last):
    ...
    ValueError: SMOTE: class 1 has 3 case(s) in the data to resample, but k_neighbors=5 needs at least 6. ...
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y, **params):
        """SMOTE's ``fit_resample`` after checks naming the culprit; see the class description."""
        step = "SMOTE"
        check_same_cases(step, X=X, y=y)
        check_feature_table(X, step)
        # Whole-index operations: a Python loop over 3000 column names or
        # dtypes costs milliseconds (pandas 3 string names most of all).
        if isinstance(X, pd.DataFrame):
            booleans = X.columns[(X.dtypes == bool).to_numpy()]
            if booleans.size:
                X = X.astype(dict.fromkeys(booleans, np.float64))
        elif np.asarray(X).dtype == bool:
            X = np.asarray(X, dtype=np.float64)
        values = np.asarray(X, dtype=np.float64)
        if values.ndim == 2:
            names = X.columns.astype(str) if isinstance(X, pd.DataFrame) else [
                f"x{i}" for i in range(values.shape[1])
            ]
            check_finite_features(values, names, step)
        labels = np.asarray(y)
        classes = np.unique(labels)
        if classes.size < 2:
            raise ValueError(
                f"{step}: y holds a single class {preview(classes.tolist())}; the cases to "
                "resample need both classes."
            )
        if isinstance(self.k_neighbors, Integral):
            strategy = check_sampling_strategy(self.sampling_strategy, labels, self._sampling_type)
            for label, n_new in strategy.items():
                n_cases = int(np.sum(labels == label))
                if n_new > 0 and n_cases <= self.k_neighbors:
                    raise ValueError(
                        f"{step}: class {np.asarray(label).item()!r} has {n_cases} case(s) in the "
                        f"data to resample, but k_neighbors={self.k_neighbors} needs at least "
                        f"{self.k_neighbors + 1}. Inside cross-validation this is the training part "
                        "of a fold: use fewer folds, or a smaller k_neighbors (e.g. "
                        f"smote={{'k_neighbors': {max(n_cases - 1, 1)}}})."
                    )
        self._base_rows = []
        try:
            if is_float_frame(X):
                resampled = super().fit_resample(X.to_numpy(), labels, **params)
                # Record the column names as fitting on the frame would have.
                if pd.api.types.is_string_dtype(X.columns):
                    keep_feature_names(self, X)
                else:
                    validate_data(self, X, skip_check_array=True, reset=True)
            else:
                resampled = super().fit_resample(X, y, **params)
            self.parent_indices_ = self._parent_indices(labels, len(resampled[1]))
        finally:
            del self._base_rows
        if isinstance(X, pd.DataFrame):
            resampled = _as_resampled_frame(*resampled, X, y, self.parent_indices_)
        # The fitted neighbour search holds the oversampled class's training
        # rows; resampling is done, so keep only its settings (a saved model
        # would otherwise carry, e.g., 150 MB of training data at p = 20,000).
        self.nn_k_ = clone(self.nn_k_)
        return resampled

    def _generate_samples(self, X, nn_data, nn_num, rows, cols, steps, y_type=None, y=None):
        # imbalanced-learn calls this once per oversampled class, in the order
        # of sampling_strategy_, with ``rows`` the base case of each synthetic
        # one among that class's cases: the only place the parents are known.
        self._base_rows.append(rows)
        return super()._generate_samples(X, nn_data, nn_num, rows, cols, steps, y_type, y)

    def _parent_indices(self, labels, n_resampled):
        oversampled = [label for label, n_new in self.sampling_strategy_.items() if n_new > 0]
        parents = [np.arange(labels.size)] + [
            np.flatnonzero(labels == label)[rows] for label, rows in zip(oversampled, self._base_rows)
        ]
        parents = np.concatenate(parents)
        if len(self._base_rows) != len(oversampled) or parents.size != n_resampled:
            import imblearn

            raise RuntimeError(
                f"SMOTE: imbalanced-learn {imblearn.__version__} no longer reports the base case of "
                "each synthetic case as radfuse expects; please report this to radfuse."
            )
        return parents


    def describe_method(self, *, class_counts=None, kept_range=None) -> str:
        setting = f"SMOTE (k = {self.k_neighbors} nearest neighbours, sampling strategy '{self.sampling_strategy}')"
        if class_counts is None:
            return (
                f"Class balancing: the minority class of each training part was oversampled with {setting}; "
                "validation and test cases were never resampled."
            )
        n_negative, n_positive = class_counts
        if n_negative == n_positive:
            return (
                f"Class balancing: {setting} was part of the pipeline, but the training set was balanced "
                f"({n_positive} positive, {n_negative} negative cases), so it added no synthetic case to the "
                "final models and at most a few to the training parts of the cross-validation folds; "
                "validation and test cases were never resampled."
            )
        minority = "positive" if n_positive < n_negative else "negative"
        return (
            f"Class balancing: the {minority} class of the training data ({min(class_counts)} versus "
            f"{max(class_counts)} cases) was oversampled with {setting} within each training part; "
            "validation and test cases were never resampled."
        )

class CheckedStandardScaler(MethodSentenceMixin, StandardScaler):
    """scikit-learn's ``StandardScaler`` (the protocol's z-score step) that names an overflow.

    A column whose values exceed about 1e154 in magnitude has a variance
    beyond float64 (the squares overflow): ``StandardScaler`` would return
    NaN and the *next* step would report the NaN as bad input. This step
    says that its own computation overflowed, in which column, and by how
    much; new cases that overflow the z-score are named by case and column.
    The scaling itself is ``StandardScaler``'s, unchanged; on a DataFrame of
    float64 columns it skips scikit-learn's column-by-column inspection of
    the frame (30 ms on 3000 columns, ten times the arithmetic).

    Parameters are those of ``sklearn.preprocessing.StandardScaler``.

    References
    ----------
    Goldberg, D. (1991). What every computer scientist should know about
    floating-point arithmetic. ACM Computing Surveys, 23(1), 5-48.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from radfuse.pipeline import CheckedStandardScaler
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1e200, 2e200, 3e200]})
    >>> CheckedStandardScaler().fit(X[["a"]]).scale_.round(3)
    array([0.816])
    >>> CheckedStandardScaler().fit(X)
    Traceback (most recent call last):
    ...
    ValueError: z-score (StandardScaler): the variance of column(s) ['b'] overflows float64 ...
    >>> CheckedStandardScaler().describe_method()
    'Standardisation: each feature was z-scored with the mean and standard deviation of the training data.'
    """

    _step = "z-score (StandardScaler)"

    def partial_fit(self, X, y=None, sample_weight=None):
        values = None if hasattr(self, "n_samples_seen_") else float_frame_values(X)
        with np.errstate(over="ignore", invalid="ignore"):
            super().partial_fit(X if values is None else values, y, sample_weight)
        if values is not None:
            keep_feature_names(self, X)
        statistics = [getattr(self, name, None) for name in ("mean_", "var_", "scale_")]
        bad = np.zeros(self.n_features_in_, dtype=bool)
        for values in statistics:
            if values is not None:
                bad |= ~np.isfinite(values)
        if bad.any():
            names = np.asarray(getattr(self, "feature_names_in_", [f"x{i}" for i in range(bad.size)]))
            magnitude = np.nanmax(np.abs(np.asarray(X, dtype=np.float64)[:, bad]))
            raise ValueError(
                f"{self._step}: the variance of column(s) {preview(names[bad].tolist())} overflows "
                f"float64 (values up to {magnitude:.3g}; squares beyond about 1e308). Rescale these "
                "columns (e.g. to other units) before the pipeline."
            )
        return self

    def transform(self, X, copy=None):
        values = fitted_float_values(self, X)
        with np.errstate(over="ignore", invalid="ignore"):
            Xt = super().transform(X, copy=copy) if values is None else self._standardise(values)
        values = np.asarray(Xt, dtype=np.float64)
        if not np.isfinite(values).all():
            names = [str(name) for name in self.get_feature_names_out()]
            case_ids = X.index if isinstance(X, pd.DataFrame) else None
            check_finite_features(values, names, f"{self._step} of new cases", case_ids=case_ids)
        return Xt

    def _standardise(self, values):
        """``StandardScaler.transform``'s dense arithmetic, on values that
        passed :func:`~radfuse._validation.fitted_float_values`."""
        Xt = values - self.mean_ if self.with_mean else values.copy()
        if self.with_std:
            Xt /= self.scale_
        return Xt

    def describe_method(self, *, class_counts=None, kept_range=None) -> str:
        return "Standardisation: each feature was z-scored with the mean and standard deviation of the training data."


def _as_resampled_frame(X_resampled, y_resampled, X, y, parent_indices=None):
    """Resampled arrays as a DataFrame (and Series) like ``X`` (and ``y``).

    With ``parent_indices`` each row is labelled with the case id of the row
    of ``X`` it was made from; without, rows are numbered afresh, as
    imbalanced-learn does.
    """
    index = None if parent_indices is None else X.index[parent_indices]
    if isinstance(X_resampled, pd.DataFrame):  # imbalanced-learn's own rebuild of a mixed-type frame
        X_resampled = X_resampled.set_axis(index, axis=0)
    else:
        # Column-major, as imbalanced-learn's column-wise rebuild leaves it:
        # later steps then sum in the same order and give bit-identical results.
        X_resampled = pd.DataFrame(np.asfortranarray(X_resampled), columns=X.columns, index=index)
    if isinstance(y, pd.Series):
        y_resampled = pd.Series(np.asarray(y_resampled), dtype=y.dtype, name=y.name, index=index)
    return X_resampled, y_resampled
