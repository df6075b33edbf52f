"""Input checks shared by every radfuse entry point.

Each check raises ``ValueError`` with a message that names the step and the
offending columns, cases or values, so a user can find the culprit in their
own table without a debugger.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd


def preview(items: Sequence, limit: int = 10) -> str:
    """Render at most ``limit`` items of a list for an error message."""
    items = list(items)
    shown = ", ".join(repr(item) for item in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items) - limit} more)"
    return f"[{shown}]"


def feature_names_of(estimator, n_features: int) -> list[str]:
    """Column names seen in ``fit``, or scikit-learn's ``x0, x1, ...`` default."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(name) for name in names]
    return [f"x{i}" for i in range(n_features)]


def float_frame_values(X) -> np.ndarray | None:
    """The values of a DataFrame of float64 columns with string names, else None.

    scikit-learn's input validation inspects a DataFrame column by column,
    about 5 to 10 microseconds a column: 20 to 30 ms on the protocol's 3000
    features, more than z-scoring them or testing them all. Such a frame
    needs none of it: a step hands its values to the array validation and
    keeps the names itself (:func:`keep_feature_names`,
    :func:`fitted_float_values`), with the same result.
    """
    if not is_float_frame(X) or X.shape[1] == 0 or not pd.api.types.is_string_dtype(X.columns):
        return None
    return X.to_numpy()


def keep_feature_names(estimator, X: pd.DataFrame) -> None:
    """``feature_names_in_`` from ``X``'s string column names, as scikit-learn's validation sets it."""
    estimator.feature_names_in_ = np.asarray(X.columns, dtype=object)


def fitted_float_values(estimator, X) -> np.ndarray | None:
    """:func:`float_frame_values` of a new-case table that scikit-learn's
    validation would pass unchanged: exactly the columns, in order, that
    ``estimator`` was fitted on, and only finite values. Else None, and the
    step takes scikit-learn's route, whose errors name what is wrong."""
    values = float_frame_values(X)
    names = getattr(estimator, "feature_names_in_", None)
    if values is None or names is None or len(names) != X.shape[1] or not (X.columns == names).all():
        return None
    return values if np.isfinite(values).all() else None


def is_float_frame(X) -> bool:
    """Whether ``X`` is a DataFrame whose columns are all float64 (each distinct dtype checked once)."""
    return isinstance(X, pd.DataFrame) and set(X.dtypes) <= {np.dtype(np.float64)}


def check_finite_features(
    X: np.ndarray, feature_names: Sequence[str], step: str, case_ids: Sequence | None = None
) -> None:
    """Reject NaN or infinite values, naming every affected column (and case, when given)."""
    finite = np.isfinite(X)
    bad = ~finite.all(axis=0)
    if bad.any():
        columns = [feature_names[i] for i in np.flatnonzero(bad)]
        cases = ""
        if case_ids is not None:
            rows = [case_ids[i] for i in np.flatnonzero(~finite.all(axis=1))]
            cases = f" of {len(rows)} case(s) {preview(rows)}"
        raise ValueError(
            f"{step}: input contains NaN or inf in {len(columns)} column(s) "
            f"{preview(columns)}{cases}. Impute or drop these columns before this step."
        )


def check_no_features_left(support: np.ndarray, step: str, criterion: str) -> None:
    """Fail loudly when a selection step would leave an empty feature table."""
    if not np.any(support):
        raise ValueError(
            f"{step}: no feature passes {criterion}; all {support.size} input "
            "features would be removed. Relax the threshold or disable this step."
        )


def _is_missing(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "biu":
        return np.zeros(values.shape, dtype=bool)
    if values.dtype.kind == "f":
        return np.isnan(values)
    return pd.isna(pd.Series(values, dtype=object)).to_numpy()


def check_binary_target(y, *, step: str, pos_label=None, name: str = "y"):
    """Encode a two-class outcome as 0/1.

    Numeric or boolean labels take the larger value as positive. String labels
    (e.g. ``"benign"``/``"malignant"``) have no natural order, so ``pos_label``
    must name the positive class.

    Returns
    -------
    y01 : ndarray of int, shape (n_samples,)
    pos_label : the label that was encoded as 1
    """
    values = np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim != 1:
        raise ValueError(f"{step}: {name} must be one-dimensional; got shape {values.shape}.")
    missing = _is_missing(values)
    if missing.any():
        raise ValueError(
            f"{step}: {name} has {missing.sum()} missing value(s) at position(s) "
            f"{preview(np.flatnonzero(missing).tolist())}."
        )
    classes = np.unique(values)
    if classes.size != 2:
        raise ValueError(
            f"{step}: needs a binary outcome with exactly two classes; {name} has "
            f"{classes.size} class(es) {preview(classes.tolist())}."
        )
    if pos_label is None:
        if values.dtype.kind not in "biuf":
            raise ValueError(
                f"{step}: {name} has string labels {preview(classes.tolist())}; pass "
                "pos_label to say which one is the positive class, or encode it as 1 "
                "(the other as 0) before this step."
            )
        pos_label = classes[1]
    elif pos_label not in classes:
        raise ValueError(
            f"{step}: pos_label={pos_label!r} is not one of the classes "
            f"{preview(classes.tolist())} in {name}."
        )
    return (values == pos_label).astype(np.int64), pos_label


def check_scores(score, *, step: str, name: str = "y_score", n_samples: int | None = None):
    """A finite one-dimensional float array of the expected length."""
    values = np.asarray(score, dtype=np.float64)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim != 1:
        raise ValueError(f"{step}: {name} must be one-dimensional; got shape {values.shape}.")
    if n_samples is not None and values.size != n_samples:
        raise ValueError(
            f"{step}: {name} has {values.size} values but y_true has {n_samples}; "
            "they must describe the same cases."
        )
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"{step}: {name} contains NaN or inf at position(s) "
            f"{preview(np.flatnonzero(bad).tolist())}."
        )
    return values


def check_probabilities(prob, *, step: str, name: str = "y_prob", n_samples: int | None = None):
    """Like :func:`check_scores`, and every value must lie in [0, 1]."""
    values = check_scores(prob, step=step, name=name, n_samples=n_samples)
    outside = (values < 0) | (values > 1)
    if outside.any():
        raise ValueError(
            f"{step}: {name} must be probabilities in [0, 1]; "
            f"{outside.sum()} value(s) lie outside, e.g. {values[outside][:3].tolist()}."
        )
    return values


def check_alpha(alpha, *, step: str) -> float:
    """``alpha`` (1 - confidence level) must be a number strictly between 0 and 1."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(
            f"{step}: alpha must be a number strictly between 0 and 1 (0.05 gives 95% "
            f"intervals); got {alpha!r}."
        )
    return float(alpha)


def _not_convertible_to_float(column: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(column.dtype):
        return False
    try:
        np.asarray(column, dtype=np.float64)
    except (TypeError, ValueError):
        return True
    return False


def check_feature_table(X, step: str) -> None:
    """A DataFrame of features needs unique column names and numeric columns.

    Checked before conversion to a float array, whose own errors ("could not
    convert string to float: 'a'") name neither the step nor the column.
    Arrays pass through; their dtype is checked by the conversion itself.
    """
    if not isinstance(X, pd.DataFrame):
        return
    duplicated = X.columns[X.columns.duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(
            f"{step}: column name(s) {preview(duplicated)} appear more than once; every "
            "feature needs its own name (was a block joined twice?)."
        )
    # Dtypes first, each distinct one once: materialising every column as a
    # Series costs seconds on wide tables, and even one check per column adds up.
    dtypes = X.dtypes
    suspect = [dtype for dtype in set(dtypes) if not pd.api.types.is_numeric_dtype(dtype)]
    non_numeric = [
        name for name in X.columns[dtypes.isin(suspect)] if _not_convertible_to_float(X[name])
    ] if suspect else []
    if non_numeric:
        raise ValueError(
            f"{step}: non-numeric column(s) {preview(non_numeric)}; encode them as numbers "
            "or drop them before this step."
        )


def _column_mismatch(estimator, X) -> str | None:
    """How a predict-time DataFrame's columns differ from those seen in ``fit``, or None."""
    expected = getattr(estimator, "feature_names_in_", None)
    if expected is None or not isinstance(X, pd.DataFrame):
        return None
    expected = [str(name) for name in expected]
    found = [str(name) for name in X.columns]
    if found == expected:
        return None
    found_set, expected_set = set(found), set(expected)
    missing = [name for name in expected if name not in found_set]
    unexpected = [name for name in found if name not in expected_set]
    if missing or unexpected:
        return (
            f"Missing {len(missing)} column(s) {preview(missing)}; unexpected "
            f"{len(unexpected)} column(s) {preview(unexpected)}."
        )
    position = next(i for i, (a, b) in enumerate(zip(found, expected)) if a != b)
    return (
        f"Position {position} holds {found[position]!r} where fit had {expected[position]!r}; "
        "select the columns in training order, e.g. X[estimator.feature_names_in_]."
    )


def cv_splits(cv, X, y, *, step: str) -> list:
    """The (train, test) index pairs of ``cv`` on ``X, y``, materialised.

    An int means ``StratifiedKFold(cv)``, as in scikit-learn. When the data
    cannot be split (more folds than cases of a class), the error names the
    step and the class counts instead of only the splitter's complaint.
    """
    # Imported here: radfuse.extract uses this module and must not pull in scikit-learn.
    from sklearn.model_selection import check_cv

    try:
        return list(check_cv(cv, y, classifier=True).split(X, y))
    except ValueError as error:
        labels, counts = np.unique(np.asarray(y), return_counts=True)
        names = [f"{label:g}" if isinstance(label, float) else str(label) for label in labels.tolist()]
        per_class = ", ".join(f"class {name}: {count}" for name, count in zip(names, counts))
        raise ValueError(
            f"{step}: cannot split {len(y)} cases ({per_class}) with cv={cv!r}: {error} "
            "Use fewer folds or more cases."
        ) from error


@contextmanager
def explain_column_mismatch(estimator, X, step: str):
    """Add the step and the first misplaced or missing column to a feature-name error.

    scikit-learn rejects a predict-time table whose columns are reordered
    without saying which column moved. Its message is kept (estimator checks
    match on it) and extended; other errors pass through unchanged.
    """
    try:
        yield
    except ValueError as error:
        detail = _column_mismatch(estimator, X)
        if detail is None:
            raise
        raise ValueError(f"{step}: {str(error).strip()} {detail}") from error


def check_same_cases(step: str, /, **objects) -> None:
    """Refuse pandas inputs whose indexes do not list the same cases in the same order.

    radfuse pairs the rows of ``X``, ``y`` and score vectors by position, as
    scikit-learn does. When two or more of the given objects are pandas
    Series/DataFrames, their indexes name the cases, so a mismatch means
    wrong pairs: the same cases in another order (``y.sample(frac=1)``) are
    refused with the first misplaced id and the fix (``y.loc[X.index]``);
    different cases are refused naming a few ids found on one side only.
    The first pandas keyword is the reference; arrays, lists and None are
    not checked (they carry no case ids).

    Examples
    --------
    >>> import pandas as pd
    >>> from radfuse._validation import check_same_cases
    >>> X = pd.DataFrame({"f": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])
    >>> check_same_cases("fit", X=X, y=pd.Series([0, 1, 0], index=["a", "b", "c"]))
    >>> check_same_cases("fit", X=X, y=pd.Series([0, 1, 0], index=["c", "b", "a"]))
    Traceback (most recent call last):
    ...
    ValueError: fit: y holds the same 3 cases as X in another order (position 0: X has 'a', y has 'c'); rows are paired by position, so put them in X's order first, e.g. y = y.loc[X.index].
    """
    indexed = [
        (name, obj.index)
        for name, obj in objects.items()
        if isinstance(obj, (pd.Series, pd.DataFrame))
    ]
    if len(indexed) < 2:
        return
    reference_name, reference = indexed[0]
    for name, index in indexed[1:]:
        if index.equals(reference):
            continue
        duplicated = [
            *reference[reference.duplicated()].unique().tolist(),
            *index[index.duplicated()].unique().tolist(),
        ]
        if duplicated:
            raise ValueError(
                f"{step}: {reference_name} and {name} have different indexes and duplicated case "
                f"id(s) {preview(list(dict.fromkeys(duplicated)), limit=5)}, so their rows cannot "
                "be matched; give every case one id."
            )
        in_other = set(index)
        only_reference = [case for case in reference if case not in in_other]
        in_reference = set(reference)
        only_other = [case for case in index if case not in in_reference]
        if only_reference or only_other:
            raise ValueError(
                f"{step}: {reference_name} and {name} hold different cases: "
                f"{len(only_reference)} id(s) only in {reference_name} "
                f"{preview(only_reference, limit=5)}; {len(only_other)} only in {name} "
                f"{preview(only_other, limit=5)}. Select the same cases in both."
            )
        position = next(i for i, (a, b) in enumerate(zip(reference, index)) if a != b)
        raise ValueError(
            f"{step}: {name} holds the same {len(index)} cases as {reference_name} in another "
            f"order (position {position}: {reference_name} has {reference[position]!r}, {name} has "
            f"{index[position]!r}); rows are paired by position, so put them in "
            f"{reference_name}'s order first, e.g. {name} = {name}.loc[{reference_name}.index]."
        )
