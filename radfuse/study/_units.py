"""The models one study task fits on one training part, and what it returns.

A *unit* groups the models that can share work on the same data:

* :class:`SharedSelection` -- classifiers whose classifier-free pipeline steps
  are identical. Those steps are fitted once and every classifier is fitted on
  the shared selected (and SMOTE-resampled) table. Each classifier sees exactly
  the data it would see inside its own full pipeline, so the predictions are
  identical to fitting one pipeline per classifier, at a fraction of the cost.
* :class:`TunedModels` -- nested tuning: a ``GridSearchCV`` over the full
  pipeline per classifier, so selection is refitted inside every inner fold.
* :class:`FusionModels` -- ensemble or stacking estimators over blocks.

Each unit's ``fit_evaluate(X, y, tables, final=...)`` fits on ``X, y`` and
scores every table of ``tables``; :func:`run_task` hands it tables holding
exactly the unit's ``columns``, in that order, and only complete cases.

The last two run their pipelines with a joblib ``Memory`` shared by all tasks
of a study, so a selection fitted on the same inner-fold data with the same
parameters is computed once and reused across grid points, classifiers and
fusion strategies.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV

from .._validation import is_float_frame
from ..models import CLASSIFIERS
from ..pipeline import feature_counts, fit_resample_transform, transform_new_cases
from ..select import LassoSelector


@dataclass
class UnitOutcome:
    """What a unit returns for one training part.

    ``probabilities[classifier]`` holds one array of positive-class
    probabilities per evaluated table, for the case ids in ``evaluated``;
    ``feature_counts``, ``best_params`` and ``lasso_rules`` are keyed by
    classifier; ``models`` and ``selection`` are filled only for the final
    refit on the whole training set. ``failure`` is the reason a training
    part could not be fitted (then nothing else is filled).
    """

    probabilities: dict[str, list[np.ndarray]]
    evaluated: list[pd.Index] = field(default_factory=list)
    lasso_rules: dict[str, str] = field(default_factory=dict)
    failure: str | None = None
    feature_counts: dict[str, pd.Series] = field(default_factory=dict)
    best_params: dict[str, dict] = field(default_factory=dict)
    models: dict[str, object] = field(default_factory=dict)
    selection: dict[str, dict] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def split_pipeline(estimator):
    """``(classifier-free steps or None, final step name, classifier)``."""
    steps = getattr(estimator, "steps", None)
    if steps is None or len(steps) < 2:
        return None, None, estimator
    return estimator[:-1], steps[-1][0], steps[-1][1]


def _positive_probability(model, X) -> np.ndarray:
    return np.asarray(model.predict_proba(X), dtype=np.float64)[:, 1]


#: radfuse's classifier types (exactly these, not subclasses): they use a
#: table's values only, never its column names or index.
_VALUE_ONLY_TYPES = frozenset(spec.factory for spec in CLASSIFIERS.values())


def _uses_values_only(classifier) -> bool:
    """Whether ``classifier`` fits the same model on a float table's bare array
    as on the DataFrame: one of radfuse's classifier types, or the SVM's
    calibration wrapper around one."""
    if type(classifier) is CalibratedClassifierCV:
        classifier = classifier.estimator
    return type(classifier) in _VALUE_ONLY_TYPES


def _bare_arrays(Xt, yt, evaluated):
    """``(Xt, yt, evaluated)`` as NumPy arrays, or None unless every table is a float DataFrame."""
    if not (is_float_frame(Xt) and all(is_float_frame(Z) for Z in evaluated)):
        return None
    return Xt.to_numpy(), np.asarray(yt), [Z.to_numpy() for Z in evaluated]


def lasso_rule(selection) -> str | None:
    """Which rule chose the LASSO penalty of a fitted selection, or None without a LASSO.

    ``"cv"``: the cross-validated penalty; ``"min_features"``: the largest
    penalty keeping ``LassoSelector.min_features`` features, when the CV
    choice kept fewer. A selector without ``selection_rule_`` always used CV.
    """
    for _, step in getattr(selection, "steps", ()):
        if isinstance(step, LassoSelector):
            return getattr(step, "selection_rule_", "cv")
    return None


def _lasso_summary(lasso: LassoSelector) -> dict:
    """The data of the LASSO figures: CV error curve, chosen penalty, coefficient path."""
    names = list(lasso.feature_names_in_)
    return {
        "alphas": lasso.alphas_,
        "cv_mean": lasso.cv_mean_,
        "cv_se": lasso.cv_se_,
        "alpha": lasso.alpha_,
        "coef": pd.Series(lasso.coef_, index=names, name="coefficient"),
        "intercept": lasso.intercept_,
        "model": lasso.model,
        "rule": lasso.rule,
        "coef_path": pd.DataFrame(lasso.coef_path_, index=names, columns=lasso.alphas_),
    }


def _fit_selection(selection, X, y, *, describe: bool):
    """Fit the classifier-free steps once; optionally keep the LASSO's figure data."""
    Xt, yt = fit_resample_transform(selection, X, y)
    last = selection.steps[-1][1]
    if describe and isinstance(last, LassoSelector):
        return Xt, yt, {"lasso": _lasso_summary(last)}
    return Xt, yt, {}


def _selected_features(selection, columns) -> pd.Series:
    # With the input names given, a selection of samplers only passes them through.
    names = list(selection.get_feature_names_out(columns))
    last = selection.steps[-1][1]
    if isinstance(last, LassoSelector):
        coef = pd.Series(last.coef_[last.get_support()], index=names, name="coefficient")
    else:
        coef = pd.Series(np.nan, index=names, name="coefficient")
    return coef


def without_cache(estimator):
    """Detach a fitted model from the study's temporary joblib cache."""
    params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    cached = {
        key: None
        for key, value in params.items()
        if (key == "memory" or key.endswith("__memory")) and value is not None
    }
    if cached:
        estimator.set_params(**cached)
    parts = getattr(estimator, "estimators_", None)
    for part in parts.values() if isinstance(parts, dict) else parts or ():
        without_cache(part)
    return estimator


@dataclass
class SharedSelection:
    """Classifiers sharing one fit of the classifier-free steps of ``template``."""

    name: str
    columns: list[str]
    template: object
    classifiers: dict[str, object]

    @property
    def classifier_names(self) -> list[str]:
        return list(self.classifiers)

    def fit_evaluate(self, X, y, tables, *, final: bool) -> UnitOutcome:
        selection, step_name, _ = split_pipeline(clone(self.template))
        if selection is None:
            Xt, yt, details, evaluated = X, y, {}, tables
        else:
            Xt, yt, details = _fit_selection(selection, X, y, describe=final)
            evaluated = [transform_new_cases(selection, table) for table in tables]
        outcome = UnitOutcome(probabilities={})
        counts = feature_counts(selection, len(self.columns)) if selection is not None else None
        if final and selection is not None:
            details["selected"] = _selected_features(selection, self.columns)
        rule = lasso_rule(selection)
        # A CV fold's models are scored and discarded, so radfuse's own
        # classifiers are fitted there on the bare arrays: the same models,
        # without each one rebuilding its matrices from the DataFrame (about a
        # tenth of their time; the SVM's calibration slices the frame five
        # times, XGBoost builds its DMatrix through pandas). The final models
        # keep the column names they are saved and used with.
        arrays = None if final else _bare_arrays(Xt, yt, evaluated)
        for clf_name, classifier in self.classifiers.items():
            fit_X, fit_y, scored = arrays if arrays and _uses_values_only(classifier) else (Xt, yt, evaluated)
            model = clone(classifier).fit(fit_X, fit_y)
            outcome.probabilities[clf_name] = [_positive_probability(model, Z) for Z in scored]
            if counts is not None:
                outcome.feature_counts[clf_name] = counts
            if rule is not None:
                outcome.lasso_rules[clf_name] = rule
            if final:
                outcome.selection[clf_name] = details
                outcome.models[clf_name] = self._assemble(selection, step_name, model)
        return outcome

    def _assemble(self, selection, step_name, model):
        """A fitted full pipeline per classifier, its own copy of the shared steps."""
        if selection is None:
            return model
        pipeline = clone(self.template)
        pipeline.steps = copy.deepcopy(selection.steps) + [(step_name, model)]
        return pipeline


@dataclass
class TunedModels:
    """Nested tuning: per classifier, a grid search over the full pipeline."""

    name: str
    columns: list[str]
    pipelines: dict[str, object]
    param_grids: dict[str, dict]
    cv: object
    scoring: str

    @property
    def classifier_names(self) -> list[str]:
        return list(self.pipelines)

    def fit_evaluate(self, X, y, tables, *, final: bool) -> UnitOutcome:
        outcome = UnitOutcome(probabilities={})
        for clf_name, pipeline in self.pipelines.items():
            search = GridSearchCV(
                clone(pipeline),
                self.param_grids[clf_name],
                scoring=self.scoring,
                cv=self.cv,
                refit=True,
                error_score="raise",
            ).fit(X, y)
            model = search.best_estimator_
            outcome.probabilities[clf_name] = [_positive_probability(model, Z) for Z in tables]
            outcome.best_params[clf_name] = dict(search.best_params_, inner_score=search.best_score_)
            selection, _, _ = split_pipeline(model)
            if selection is not None:
                outcome.feature_counts[clf_name] = feature_counts(selection, len(self.columns))
                if lasso_rule(selection) is not None:
                    outcome.lasso_rules[clf_name] = lasso_rule(selection)
            if final:
                outcome.models[clf_name] = without_cache(model)
                if selection is not None:
                    outcome.selection[clf_name] = {"selected": _selected_features(selection, self.columns)}
        return outcome


@dataclass
class FusionModels:
    """A fusion estimator (ensemble, stacking) per classifier."""

    name: str
    columns: list[str]
    estimators: dict[str, object]

    @property
    def classifier_names(self) -> list[str]:
        return list(self.estimators)

    def fit_evaluate(self, X, y, tables, *, final: bool) -> UnitOutcome:
        outcome = UnitOutcome(probabilities={})
        for clf_name, estimator in self.estimators.items():
            model = clone(estimator).fit(X, y)
            outcome.probabilities[clf_name] = [_positive_probability(model, Z) for Z in tables]
            if final:
                outcome.models[clf_name] = without_cache(model)
        return outcome


def _complete(table: pd.DataFrame) -> np.ndarray:
    """Whether each row of ``table`` has every value measured (no NaN)."""
    return table.notna().all(axis=1).to_numpy()


def complete_cases(table: pd.DataFrame, columns) -> pd.Index:
    """Case ids of ``table`` with every one of ``columns`` measured (no NaN)."""
    return table.index[_complete(table.loc[:, columns])]


def _complete_rows(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` without the rows missing a value; ``table`` itself when none does."""
    complete = _complete(table)
    return table if complete.all() else table.loc[complete]


def run_task(unit, X_train, y_train, train, evaluate, X_tests=()):
    """Fit ``unit`` on the rows ``train`` of the training set.

    For a CV fold, ``evaluate`` are the validation rows; for the final refit
    (``train is None``) the unit is fitted on every training case and
    evaluated on the training set and on each test cohort of ``X_tests``,
    which only pass through the fitted models. Only the cases with every
    column of the unit measured take part: a case missing a modality is
    left out of the feature sets that use it. The unit's columns are
    selected once, first: the rows are then taken, and checked for missing
    values, on those columns only (on a 3000-column table, selecting after
    taking the rows cost 9 ms per task, 1.3 ms this way).

    A training part that cannot be fitted (a ``ValueError``, e.g. a
    selection step that keeps no feature in a small fold) does not stop
    the study: the outcome carries the reason in ``failure``.
    """
    X_unit = X_train.loc[:, unit.columns]
    if train is None:
        fit_rows, tables = X_unit, [X_unit, *(X.loc[:, unit.columns] for X in X_tests)]
    else:
        fit_rows, tables = X_unit.iloc[train], [X_unit.iloc[evaluate]]
    fit_rows = _complete_rows(fit_rows)
    tables = [_complete_rows(table) for table in tables]
    # Warnings are recorded with the outcome: raised in a worker process
    # they would otherwise be printed once per fold, or lost.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = unit.fit_evaluate(fit_rows, y_train.loc[fit_rows.index], tables, final=train is None)
        except ValueError as error:
            outcome = UnitOutcome(probabilities={}, failure=str(error))
    outcome.evaluated = [table.index for table in tables]
    outcome.warnings = [(w.category.__name__, str(w.message)) for w in caught]
    return outcome
