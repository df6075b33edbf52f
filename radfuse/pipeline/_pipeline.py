"""``RadiomicsPipeline`` and the helpers that fit or apply a pipeline's steps outside ``fit``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from imblearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if

from .._validation import is_float_frame, preview
from ..harmonize import ComBat
from ._checked import CheckedSMOTE, _as_resampled_frame


def _final_estimator_has(method):
    return lambda pipeline: hasattr(pipeline._final_estimator, method)


def check_new_cases(X, step: str) -> None:
    """Name the cases and columns of new data holding text, NaN or inf.

    scikit-learn's own messages ("could not convert string to float",
    "Input X contains NaN") name neither.
    """
    if not isinstance(X, pd.DataFrame):
        values = np.asarray(X)
        X = pd.DataFrame(values if values.ndim == 2 else values.reshape(1, -1))
        X.columns = [f"x{i}" for i in range(X.shape[1])]
    numeric = all(kind.kind in "biuf" for kind in X.dtypes)
    numbers = X if numeric else X.apply(pd.to_numeric, errors="coerce")
    values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    text = np.isnan(values) & X.notna().to_numpy()  # a value that is not a number
    not_finite = ~np.isfinite(values) & ~text
    problems = []
    for j in np.flatnonzero((text | not_finite).any(axis=0)):
        column = X.columns[j]
        if text[:, j].any():
            example = X.iloc[int(np.argmax(text[:, j])), j]
            problems.append(
                f"column {column!r} holds text {example!r} in case(s) {preview(X.index[text[:, j]].tolist())}"
            )
        if not_finite[:, j].any():
            problems.append(f"column {column!r} is NaN or inf in case(s) {preview(X.index[not_finite[:, j]].tolist())}")
    if problems:
        raise ValueError(
            f"{step}: the new cases cannot be predicted: {'; '.join(problems[:10])}"
            f"{f' (and {len(problems) - 10} more column(s))' if len(problems) > 10 else ''}. "
            "Every column the model was fitted on needs a number for every case."
        )


class RadiomicsPipeline(Pipeline):
    """The imbalanced-learn ``Pipeline`` of :func:`make_radiomics_pipeline`, with two differences.

    * **One warning per kind per fit.** Warnings raised while fitting are
      collected and re-issued once per step (or category): "MRMRSelector: 3
      warnings in this fit; the first: ...". Cross-validating a pipeline
      thus prints one line per fit and kind, not one per fold and feature.
    * **New cases are checked by name.** ``predict``, ``predict_proba``,
      ``predict_log_proba``, ``decision_function`` and ``score`` first name
      the cases and columns holding text, NaN or inf.

    Fitting and predicting are otherwise imbalanced-learn's, unchanged.

    Parameters are those of ``imblearn.pipeline.Pipeline``.

    References
    ----------
    Lemaitre, G., Nogueira, F., & Aridas, C. K. (2017). Imbalanced-learn: a
    Python toolbox to tackle the curse of imbalanced datasets in machine
    learning. Journal of Machine Learning Research, 18(17), 1-5.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.pipeline import make_radiomics_pipeline
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = make_radiomics_pipeline("lr", mrmr={"n_features": 5}, lasso=False,
    ...                                 random_state=0).fit(X, y)
    >>> new = X.iloc[:3].astype(object)
    >>> new.loc[1, "mean radius"] = "n/a"
    >>> model.predict_proba(new)
    Traceback (most recent call last):
    ...
    ValueError: RadiomicsPipeline.predict_proba: the new cases cannot be predicted: column 'mean radius' holds text 'n/a' in case(s) [1]. ...
    """

    def fit(self, X, y=None, **params):
        """Fit every step as imbalanced-learn does; warnings are re-issued once per step and kind."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            super().fit(X, y, **params)
        reissue_warnings(caught, "this fit")
        return self

    def _checked(self, method, X):
        first = self.steps[0][1]
        if isinstance(first, ComBat) and isinstance(X, pd.DataFrame):
            # ComBat's site column holds labels (text), which ComBat itself checks.
            X = X.drop(columns=[first.batch], errors="ignore")
        check_new_cases(X, f"{type(self).__name__}.{method}")

    @available_if(_final_estimator_has("predict"))
    def predict(self, X, **params):
        """Predicted classes of new cases, after naming any case and column holding text, NaN or inf."""
        self._checked("predict", X)
        return super().predict(X, **params)

    @available_if(_final_estimator_has("predict_proba"))
    def predict_proba(self, X, **params):
        """Class probabilities of new cases, after naming any case and column holding text, NaN or inf."""
        self._checked("predict_proba", X)
        return super().predict_proba(X, **params)

    @available_if(_final_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X, **params):
        """Log class probabilities of new cases, after naming any case and column holding text, NaN or inf."""
        self._checked("predict_log_proba", X)
        return super().predict_log_proba(X, **params)

    @available_if(_final_estimator_has("decision_function"))
    def decision_function(self, X, **params):
        """Decision values of new cases, after naming any case and column holding text, NaN or inf."""
        self._checked("decision_function", X)
        return super().decision_function(X, **params)

    @available_if(_final_estimator_has("score"))
    def score(self, X, y=None, sample_weight=None, **params):
        """The final step's score on new cases, after naming any case and column holding text, NaN or inf."""
        self._checked("score", X)
        return super().score(X, y, sample_weight=sample_weight, **params)


def reissue_warnings(caught, where: str) -> None:
    """Re-issue recorded warnings once per source: the step named at the message start, or the category."""
    groups: dict[tuple, list] = {}
    for record in caught:
        message = str(record.message)
        source = message.split(":", 1)[0] if ":" in message and message.split(":", 1)[0].isidentifier() else None
        groups.setdefault((record.category, source or record.category.__name__), []).append(message)
    for (category, source), messages in groups.items():
        if len(messages) == 1:
            warnings.warn(messages[0], category, stacklevel=3)
        else:
            first = messages[0].removeprefix(f"{source}:").strip()
            warnings.warn(
                f"{source}: {len(messages)} warnings in {where}; the first: {first}",
                category,
                stacklevel=3,
            )


def fit_resample_transform(pipeline, X, y):
    """Fit every step of a classifier-free pipeline; return the data it outputs.

    Unlike ``pipeline.fit_transform``, samplers' resampled labels are
    returned too, so the selected training table can be shared by several
    classifiers, exactly as each would have seen it inside a full pipeline.

    Parameters
    ----------
    pipeline : Pipeline
        Typically ``full_pipeline[:-1]``; its steps are fitted in place.
    X, y : training data.

    Returns
    -------
    Xt, yt : the transformed (and, after a sampler, resampled) training data.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.pipeline import fit_resample_transform, make_radiomics_pipeline
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = make_radiomics_pipeline(mrmr={"n_features": 5}, lasso=False,
    ...                                 random_state=0)
    >>> Xt, yt = fit_resample_transform(model[:-1], X, y)
    >>> Xt.shape[1], int(yt.value_counts().min()) == int(yt.value_counts().max())
    (5, True)
    """
    for _, step in pipeline.steps:
        if step is None or step == "passthrough":
            continue
        if hasattr(step, "fit_resample"):
            X, y = _fit_resample_float_frame(step, X, y)
        else:
            X = step.fit_transform(X, y)
    return X, y


def transform_new_cases(pipeline, X):
    """Apply the fitted steps of a classifier-free pipeline to new cases.

    Samplers such as SMOTE only resample training data and pass new cases
    through, as inside a full pipeline. Unlike ``pipeline.transform`` this
    also works when the last step is a sampler (e.g. SMOTE as the only
    preprocessing of a tree model).

    Parameters
    ----------
    pipeline : Pipeline
        A classifier-free pipeline fitted by :func:`fit_resample_transform`.
    X : DataFrame
        New cases with the training columns.

    Returns
    -------
    The transformed cases, one row per row of ``X``.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.pipeline import (fit_resample_transform, make_radiomics_pipeline,
    ...                               transform_new_cases)
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> prep = make_radiomics_pipeline(mrmr={"n_features": 5}, lasso=False)[:-1]
    >>> _ = fit_resample_transform(prep, X, y)
    >>> transform_new_cases(prep, X.iloc[:3]).shape
    (3, 5)
    """
    for _, step in pipeline.steps:
        if step is None or step == "passthrough" or hasattr(step, "fit_resample"):
            continue
        X = step.transform(X)
    return X


def _fit_resample_float_frame(sampler, X, y):
    """``sampler.fit_resample`` with a float DataFrame rebuilt in one call.

    imbalanced-learn restores a DataFrame output column by column (one
    ``astype`` per column), which costs several times SMOTE itself on wide
    radiomic tables (0.26 of 0.29 s CPU at 151 cases x 3,000 features).
    Resampling the float array and rebuilding the frame at once gives the
    same values, memory layout, columns, index and labels. A
    :class:`CheckedSMOTE` gets the frame itself: it takes the same shortcut
    and also labels each row with the case id it was made from.
    """
    if isinstance(sampler, CheckedSMOTE) or not is_float_frame(X):
        return sampler.fit_resample(X, y)
    return _as_resampled_frame(*sampler.fit_resample(X.to_numpy(), np.asarray(y)), X, y)


def feature_counts(pipeline, n_features_in: int) -> pd.Series:
    """Number of features left after each step of a fitted pipeline.

    This is the "feature count" table of radiomics papers: how many of the
    extracted features survived ICC, univariate testing, correlation pruning,
    mRMR and LASSO.

    Parameters
    ----------
    pipeline : fitted Pipeline
        Steps with ``get_support`` (the selectors) are counted; others are
        skipped.
    n_features_in : int
        Number of features given to the pipeline.

    Returns
    -------
    pandas.Series
        ``"input"`` then one entry per selector step, named ``n_features``.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.pipeline import feature_counts, make_radiomics_pipeline
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = make_radiomics_pipeline(mrmr={"n_features": 5}, lasso=False,
    ...                                 random_state=0).fit(X, y)
    >>> counts = feature_counts(model, X.shape[1])
    >>> counts[["input", "mrmr"]].tolist()
    [30, 5]
    """
    counts = {"input": n_features_in}
    current = n_features_in
    for name, step in pipeline.steps:
        if hasattr(step, "get_support"):
            current = int(np.count_nonzero(step.get_support()))
            counts[name] = current
    return pd.Series(counts, name="n_features")
