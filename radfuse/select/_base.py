"""Shared machinery of radfuse's feature-selection transformers."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_is_fitted, validate_data

from .._methods_text import MethodSentenceMixin
from .._validation import (
    check_binary_target,
    check_feature_table,
    check_same_cases,
    check_finite_features,
    check_no_features_left,
    explain_column_mismatch,
    feature_names_of,
    fitted_float_values,
    float_frame_values,
    keep_feature_names,
)


def centred_unit_columns(X: np.ndarray) -> np.ndarray:
    """Columns scaled by a power of two to max ``|x|`` in [0.5, 1), then centred.

    Scale-free statistics (F, correlations) computed on these do not depend
    on a column's units: multiplying a column by a power of two changes
    nothing at all, and any factor from 1e-300 to 1e300 changes nothing but
    its rounding, where squares of the raw values would underflow to 0 or
    overflow to inf and give 0/0. Scaling by a power of two is exact.
    """
    _, exponent = np.frexp(np.max(np.abs(X), axis=0))
    scaled = np.ldexp(X, -exponent)
    return scaled - scaled.mean(axis=0)


class FeatureFilter(MethodSentenceMixin, SelectorMixin, BaseEstimator):
    """Base class: validation at the top of ``fit`` and a stored support mask.

    Subclasses call :meth:`_validate_training_data` first in ``fit`` and
    :meth:`_set_support` last; ``get_support``, ``transform``,
    ``get_feature_names_out`` and ``set_output`` come from ``SelectorMixin``.
    """

    def _validate_training_data(self, X, y):
        """Return float X, 0/1-encoded y and the input column names.

        Duplicated, non-numeric and NaN/inf columns and non-binary outcomes
        are rejected with the step and column names in the message.
        """
        step = type(self).__name__
        check_same_cases(step, X=X, y=y)
        check_feature_table(X, step)
        # A float frame skips scikit-learn's column-by-column inspection (float_frame_values).
        values = float_frame_values(X)
        array, y = validate_data(
            self, X if values is None else values, y, dtype=np.float64, ensure_all_finite=False
        )
        if values is not None:
            keep_feature_names(self, X)
        names = feature_names_of(self, array.shape[1])
        check_finite_features(array, names, step)
        y01, _ = check_binary_target(y, step=step)
        return array, y01, names

    def _set_support(self, support, criterion: str) -> None:
        support = np.asarray(support, dtype=bool)
        check_no_features_left(support, type(self).__name__, criterion)
        self.support_ = support

    def transform(self, X):
        """Keep the selected columns of ``X``, which must have the columns seen in ``fit``.

        A DataFrame whose columns are reordered, missing or unexpected is
        rejected (as by every scikit-learn estimator); the message names the
        step and the first misplaced or missing columns.
        """
        values = fitted_float_values(self, X)
        if values is not None:
            return values[:, self._get_support_mask()]
        with explain_column_mismatch(self, X, type(self).__name__):
            return super().transform(X)

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # Binary outcomes only; scikit-learn's estimator checks read this to
        # pass two-class targets.
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags
