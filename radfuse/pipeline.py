"""The published radiomics protocol as one imbalanced-learn ``Pipeline``.

ICC reliability -> SMOTE -> z-score -> univariate tests -> Spearman pruning ->
mRMR -> LASSO -> classifier. Because every data-dependent step is a pipeline
step, ``cross_validate`` or ``GridSearchCV`` refit all of them inside each
training fold; SMOTE, as an imbalanced-learn sampler, only ever resamples the
training part.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from imblearn.utils import check_sampling_strategy
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import validate_data
from sklearn.utils.metaestimators import available_if

from ._validation import check_feature_table, check_finite_features, check_same_cases, preview
from .harmonize import ComBat
from .models import make_classifier
from .select.correlation import CorrelationPruner
from .select.icc import ICCFilter
from .select.lasso import LassoSelector
from .select.mrmr import MRMRSelector
from .select.univariate import UnivariateFilter

__all__ = [
    "PROTOCOL_STEPS",
    "CheckedSMOTE",
    "CheckedStandardScaler",
    "RadiomicsPipeline",
    "feature_counts",
    "fit_resample_transform",
    "make_radiomics_pipeline",
    "transform_new_cases",
]

#: Protocol steps in order, each with a builder of its default estimator.
PROTOCOL_STEPS = ("icc", "smote", "zscore", "univariate", "spearman", "mrmr", "lasso")


class CheckedSMOTE(SMOTE):
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

    Parameters are those of ``imblearn.over_sampling.SMOTE``.

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
    >>> Xr, yr = CheckedSMOTE(k_neighbors=2, random_state=0).fit_resample(X, y)
    >>> np.bincount(yr)
    array([7, 7])
    >>> CheckedSMOTE(k_neighbors=5).fit_resample(X, y)
    Traceback (most recent call last):
    ...
    ValueError: SMOTE: class 1 has 3 case(s) in the data to resample, but k_neighbors=5 needs at least 6. ...
    """

    def fit_resample(self, X, y, **params):
        step = "SMOTE"
        check_same_cases(step, X=X, y=y)
        check_feature_table(X, step)
        if isinstance(X, pd.DataFrame):
            booleans = {name: np.float64 for name, dtype in X.dtypes.items() if dtype == bool}
            if booleans:
                X = X.astype(booleans)
        elif np.asarray(X).dtype == bool:
            X = np.asarray(X, dtype=np.float64)
        values = np.asarray(X, dtype=np.float64)
        if values.ndim == 2:
            names = [str(name) for name in X.columns] if isinstance(X, pd.DataFrame) else [
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
        if _is_float_frame(X):
            resampled = super().fit_resample(X.to_numpy(), labels, **params)
            # Record the column names as fitting on the frame would have.
            validate_data(self, X, skip_check_array=True, reset=True)
            resampled = _as_float_frame(*resampled, X, y)
        else:
            resampled = super().fit_resample(X, y, **params)
        # The fitted neighbour search holds the oversampled class's training
        # rows; resampling is done, so keep only its settings (a saved model
        # would otherwise carry, e.g., 150 MB of training data at p = 20,000).
        self.nn_k_ = clone(self.nn_k_)
        return resampled


class CheckedStandardScaler(StandardScaler):
    """scikit-learn's ``StandardScaler`` (the protocol's z-score step) that names an overflow.

    A column whose values exceed about 1e154 in magnitude has a variance
    beyond float64 (the squares overflow): ``StandardScaler`` would return
    NaN and the *next* step would report the NaN as bad input. This step
    says that its own computation overflowed, in which column, and by how
    much; new cases that overflow the z-score are named by case and column.
    The scaling itself is ``StandardScaler``'s, unchanged.

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
    """

    _step = "z-score (StandardScaler)"

    def partial_fit(self, X, y=None, sample_weight=None):
        with np.errstate(over="ignore", invalid="ignore"):
            super().partial_fit(X, y, sample_weight)
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
        with np.errstate(over="ignore", invalid="ignore"):
            Xt = super().transform(X, copy=copy)
        values = np.asarray(Xt, dtype=np.float64)
        if not np.isfinite(values).all():
            names = [str(name) for name in self.get_feature_names_out()]
            case_ids = X.index if isinstance(X, pd.DataFrame) else None
            check_finite_features(values, names, f"{self._step} of new cases", case_ids=case_ids)
        return Xt


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


def _default_step(name: str, params: dict, random_state, n_jobs):
    if name == "combat":
        return ComBat(**params)
    if name == "icc":
        if "reliability" not in params:
            raise ValueError(
                "make_radiomics_pipeline: the 'icc' step needs the repeated "
                "delineations; pass icc={'reliability': [reader1_table, reader2_table]}."
            )
        return ICCFilter(**params)
    if name == "smote":
        return CheckedSMOTE(**{"k_neighbors": 5, "random_state": random_state, **params})
    if name == "zscore":
        return CheckedStandardScaler(**params)
    if name == "univariate":
        return UnivariateFilter(**{"alpha": 0.05, **params})
    if name == "spearman":
        return CorrelationPruner(**{"threshold": 0.9, "random_state": random_state, **params})
    if name == "mrmr":
        return MRMRSelector(**{"n_features": 30, **params})
    cv = RepeatedStratifiedKFold(n_splits=10, n_repeats=20, random_state=random_state)
    return LassoSelector(**{"cv": cv, "rule": "min", "n_jobs": n_jobs, **params})


def _build_step(name: str, spec, random_state, n_jobs):
    if spec is True:
        return _default_step(name, {}, random_state, n_jobs)
    if isinstance(spec, dict):
        try:
            return _default_step(name, spec, random_state, n_jobs)
        except TypeError as error:
            raise ValueError(f"make_radiomics_pipeline: step {name!r}: {error}") from error
    if isinstance(spec, BaseEstimator):
        return clone(spec)
    raise TypeError(
        f"make_radiomics_pipeline: step {name!r} must be True, False, a dict of "
        f"parameters or an estimator; got {type(spec).__name__}."
    )


def make_radiomics_pipeline(
    classifier="lr",
    *,
    combat=False,
    icc=False,
    smote=True,
    zscore=True,
    univariate=True,
    spearman=True,
    mrmr=True,
    lasso=True,
    random_state=None,
    n_jobs=None,
) -> Pipeline:
    """Build the radiomics protocol as an ``imblearn.pipeline.Pipeline``.

    Each step argument is ``True`` (radfuse's default for that step),
    ``False`` (leave the step out), a dict of parameters overriding the
    defaults, or an estimator used as given (cloned).

    Parameters
    ----------
    classifier : str or estimator
        A name for :func:`radfuse.models.make_classifier` or a classifier.
    combat : bool, dict or estimator
        :class:`~radfuse.harmonize.ComBat` as the first step, harmonising
        site effects inside each training fold; off by default. ``True``
        reads the site from a column ``"site"``; ``combat={"batch": "centre",
        "covariates": ["age"]}`` names the columns. The batch column is
        dropped; the covariates stay in the table for the later steps.
    icc : bool, dict or estimator
        :class:`~radfuse.select.ICCFilter`; off by default because it needs
        the second reader's tables: ``icc={"reliability": [r1, r2]}``.
    smote : bool, dict or estimator
        ``SMOTE(k_neighbors=5)``.
    zscore : bool, dict or estimator
        ``StandardScaler()`` (as :class:`CheckedStandardScaler`, which names
        an overflow).
    univariate : bool, dict or estimator
        ``UnivariateFilter(alpha=0.05)``: t-test, Welch or Mann-Whitney by
        normality and variance.
    spearman : bool, dict or estimator
        ``CorrelationPruner(threshold=0.9)``.
    mrmr : bool, dict or estimator
        ``MRMRSelector(n_features=30)``.
    lasso : bool, dict or estimator
        ``LassoSelector`` with 20 x repeated stratified 10-fold CV, minimum-MSE
        lambda.
    random_state : int or None
        Seeds SMOTE, the LASSO's CV splits, random tie-breaking and the
        classifier.
    n_jobs : int or None
        Parallel jobs of the LASSO cross-validation (joblib).

    Returns
    -------
    RadiomicsPipeline
        An ``imblearn.pipeline.Pipeline`` (one warning per kind per fit, new
        cases checked by name); steps named as the arguments, then
        ``"clf"``; output set to pandas.

    References
    ----------
    The step order and thresholds follow the mammography + MRI radiomics study
    of axillary lymph-node metastasis that radfuse's protocol reproduces
    (ICC > 0.9, SMOTE k = 5, z-score, t/Welch/Mann-Whitney p < 0.05,
    Spearman |rho| > 0.9, mRMR, LASSO with 20 x 10-fold CV).
    SMOTE: Chawla et al., Journal of Artificial Intelligence Research 16,
    321-357 (2002). Feature-selection inside cross-validation: C. Ambroise and
    G. J. McLachlan, "Selection bias in gene extraction on the basis of
    microarray gene-expression data", PNAS 99, 6562-6566 (2002).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.pipeline import make_radiomics_pipeline
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = make_radiomics_pipeline("lr", mrmr={"n_features": 10},
    ...                                 lasso={"cv": 5}, random_state=0)
    >>> model.fit(X, y).predict_proba(X.iloc[:2]).shape
    (2, 2)
    """
    specs = dict(
        combat=combat,
        icc=icc,
        smote=smote,
        zscore=zscore,
        univariate=univariate,
        spearman=spearman,
        mrmr=mrmr,
        lasso=lasso,
    )
    steps = [
        (name, _build_step(name, spec, random_state, n_jobs))
        for name, spec in specs.items()
        if spec is not False and spec is not None
    ]
    if isinstance(classifier, str):
        classifier = make_classifier(classifier, random_state=random_state)
    else:
        classifier = clone(classifier)
    steps.append(("clf", classifier))
    return RadiomicsPipeline(steps).set_output(transform="pandas")


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
    same values, memory layout, columns, index and labels.
    """
    if not _is_float_frame(X):
        return sampler.fit_resample(X, y)
    return _as_float_frame(*sampler.fit_resample(X.to_numpy(), np.asarray(y)), X, y)


def _is_float_frame(X) -> bool:
    return isinstance(X, pd.DataFrame) and bool((X.dtypes == np.float64).all())


def _as_float_frame(X_resampled, y_resampled, X, y):
    """Resampled arrays as imbalanced-learn returns them for the DataFrame ``X`` and ``y``."""
    # Column-major, as imbalanced-learn's column-wise rebuild leaves it: later
    # steps then sum in the same order and give bit-identical results.
    X_resampled = pd.DataFrame(np.asfortranarray(X_resampled), columns=X.columns)
    if isinstance(y, pd.Series):
        y_resampled = pd.Series(y_resampled, dtype=y.dtype, name=y.name)
    return X_resampled, y_resampled


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
