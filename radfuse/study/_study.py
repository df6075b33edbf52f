"""Study: the whole protocol -- feature sets x classifiers x repeated CV, then hold-out test."""

from __future__ import annotations

import platform
import tempfile
import warnings
from collections.abc import Mapping
from functools import partial
from numbers import Integral

import joblib
import numpy as np
import pandas as pd
from joblib import Memory, Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from tqdm.auto import tqdm

from .._versions import library_versions
from .._validation import preview
from ..model_selection import CaseGroupSplitter, group_inner_cv, grouped_cv
from ..models import PROTOCOL_CLASSIFIERS, make_classifier, search_space
from ..pipeline import make_radiomics_pipeline
from ..stats import youden_threshold
from . import _design
from ._clinical import check_clinical_cases, check_clinical_model, fit_clinical_models
from ._fusion_spec import check_fusion_spec
from ._result import StudyResult
from ._units import FusionModels, SharedSelection, TunedModels, complete_cases, run_task, split_pipeline

_TUNING_KEYS = ("cv", "scoring", "param_grid")


def protocol_pipeline(classifier, random_state):
    """The default pipeline factory: the published protocol with its defaults."""
    return make_radiomics_pipeline(classifier, random_state=random_state)


class Study:
    """A radiomics study: feature sets x classifiers, repeated CV and a hold-out test.

    For every feature set (and fusion strategy) and every classifier, the
    pipeline is evaluated by repeated stratified cross-validation on the
    training set, then refitted on the whole training set and applied to the
    test set. Every data-dependent step (SMOTE, scaling, selection, tuning) is
    fitted inside the training part of each fold.

    **Shared selection.** The classifier-free steps of the protocol do not
    depend on the classifier. In each fold they are fitted once per feature
    set, and every classifier is fitted on the shared selected table -- the
    very table its own full pipeline would have passed it, so the results are
    identical to one pipeline per classifier. Classifiers whose pipelines
    differ before the classifier (a custom factory) get their own selection.
    Tuned and fusion models share inner-fold selections through a temporary
    joblib cache.

    **Thresholds.** Each model's cut-off maximises Youden's J on its
    out-of-fold training probabilities, averaged per case over the CV repeats;
    the test set never influences it. The same cut-off gives the threshold
    metrics of the CV, the training and every test cohort's tables.

    **Small and incomplete cohorts.** A training part that cannot be fitted
    (a ``ValueError`` of a step, e.g. no feature passing a filter in a small
    fold) does not stop the study: it is listed with its reason in
    ``StudyResult.failed_folds``, left out of the CV summaries and counted
    in their ``n_failed`` column, and summarised in one warning. Which rule
    chose each LASSO penalty (``"cv"``, or ``"min_features"`` when
    ``LassoSelector`` had to keep more features than the CV choice) is in
    ``StudyResult.lasso_rules``. Only when no model could be fitted does
    ``run`` raise. Cases missing a modality are handled as described
    under ``features``.

    **Determinism.** All randomness flows from one integer seed
    (``random_state``, or an integer drawn from it once): the hold-out split,
    the outer folds and every pipeline (SMOTE, LASSO's CV, tie-breaking,
    classifiers) are seeded with it explicitly. A fold's result depends only
    on the seed and its data, so results are bit-identical whatever
    ``n_jobs`` and joblib backend (e.g. ``joblib.parallel_config("dask")``).

    Parameters
    ----------
    features : DataFrame
        One row per case (index: case id), columns ``<block>__<feature>``.
        A case missing a modality has NaN in every column of that block (as
        :attr:`radfuse.extract.ExtractionResult.features` leaves it): each
        feature set, and each fusion, is trained and evaluated on the cases
        that have all of its blocks, counted in
        ``StudyResult.feature_set_cases``. NaN in only part of a block, and
        infinite values, are errors naming the cases and columns.
    labels : Series
        Binary outcome indexed by the same case ids.
    feature_sets : dict of str to list of str
        Named feature sets; each entry is a block name (all its columns) or a
        column, e.g. ``{"radiomics": ["US", "MG"], "deep": ["cnn"],
        "combined": ["US", "MG", "cnn"]}``.
    pipeline : callable, default=None
        ``pipeline(classifier, random_state) -> estimator``; typically an
        imbalanced-learn ``Pipeline`` whose last step is the classifier. By
        default :func:`radfuse.pipeline.make_radiomics_pipeline` with the
        protocol's settings.
    classifiers : sequence of str, default=PROTOCOL_CLASSIFIERS
        Classifier names passed to ``pipeline``: the eight of the protocol.
    fusion : dict, default=None
        Fusion models by name: ``{"stacking": {"blocks": ["radiomics",
        "deep"], "final_estimator": "lr"}, "ensemble": {"blocks": [...]},
        "early": {"blocks": [...]}}``. The strategy is the name, or the
        ``"strategy"`` key (``"early"``, ``"ensemble"``, ``"stacking"``).
        ``blocks`` are feature-set names, blocks or columns; ``"early"``
        concatenates them into one more feature set; ``"ensemble"`` and
        ``"stacking"`` fit :class:`~radfuse.fusion.WeightedEnsemble` /
        :class:`~radfuse.fusion.StackingFusion` with one pipeline per block
        for each classifier; other keys go to those estimators (a
        ``final_estimator`` name is built by
        :func:`~radfuse.models.make_classifier`).
    split : float, sequence of case ids, (X_test, y_test) or dict, default=0.3
        Stratified random hold-out fraction, the test case ids, or an external
        test set (e.g. a second centre) with its labels: one test cohort,
        named ``"test"``. A dict names several test cohorts, e.g.
        ``{"internal": 0.3, "centre_B": (X_b, y_b), "centre_C": (X_c, y_c)}``:
        at most one internal hold-out (a fraction or case ids) and any number
        of external ``(X, y)`` cohorts (their own case ids, the feature
        table's columns); the first is the primary cohort (``"test"`` in
        :class:`StudyResult`). Every cohort only passes through the models
        fitted on the training set, at the thresholds chosen on it; the
        result has metrics, comparisons and predictions per cohort.
    cv : int or splitter, default=None
        Outer CV on the training set; None: ``RepeatedStratifiedKFold(5, 20)``
        (with ``groups``, an int or a (Repeated)``StratifiedKFold`` becomes
        its grouped counterpart, :func:`~radfuse.model_selection.grouped_cv`; pass
        ``LeaveOneGroupOut()`` for leave-one-centre-out, reported per held-out
        centre by ``StudyResult.fold_scores()``).
    groups : Series or array-like, default=None
        Patient or centre of each case (a Series by case id, or one label per
        row of ``features``). The hold-out split, the outer folds and every
        inner cross-validation (the LASSO's, tuning's and stacking's; see
        :func:`~radfuse.model_selection.grouped_cv`) then keep each group on one side;
        SMOTE's synthetic cases go with the case they were made from.
    tuning : None, True or dict, default=None
        Nested tuning (Varma & Simon 2006): within each outer training part,
        ``GridSearchCV`` over the full pipeline with inner CV. A dict may set
        ``cv`` (int or splitter, default 3), ``scoring`` (default
        ``"roc_auc"``) and ``param_grid`` (classifier -> grid of pipeline
        parameters; default :func:`radfuse.models.search_space`).
    clinical : DataFrame, default=None
        Clinical variables of the same cases (and of the external cohorts'),
        for a baseline table by split
        (:func:`radfuse.stats.baseline_table`) and ``clinical_model``.
    clinical_model : dict, default=None
        Clinical, radiomics and combined logistic models
        (``StudyResult.clinical_models``, a
        :class:`~radfuse.study.ClinicalModels`): ``predictors`` (columns of
        ``clinical``), ``feature_set`` (whose final model's LASSO step gives
        the rad-score; default the first feature set) and ``n_boot`` (bootstrap
        resamples of the validation and calibration of the combined model;
        default 200), e.g. ``{"predictors": ["age", "grade"], "feature_set":
        "radiomics"}``. The rad-score is fitted on the training set only and
        applied to every test cohort.
    pos_label : label, default=None
        The positive class when ``labels`` are strings.
    random_state : int, RandomState or None, default=0
    n_jobs : int, default=None
        Parallel (fold, feature set) tasks through joblib.
    progress : bool, default=True
        Show a progress bar.

    References
    ----------
    .. [1] Varma, S., & Simon, R. (2006). Bias in error estimation when using
       cross-validation for model selection. BMC Bioinformatics, 7, 91.
    .. [2] Nadeau, C., & Bengio, Y. (2003). Inference for the generalization
       error. Machine Learning, 52(3), 239-281.
    .. [3] Youden, W. J. (1950). Index for rating diagnostic tests. Cancer,
       3(1), 32-35.
    .. [4] The mammography + MRI radiomics and deep-learning study of
       axillary lymph-node metastasis in breast cancer that radfuse's
       protocol follows: 7:3 stratified split with a baseline balance
       check, SMOTE, z-score, univariate tests, Spearman pruning, mRMR,
       LASSO with 20 x 10-fold CV, eight classifiers with 20 x 5-fold CV,
       DeLong, NRI and IDI.

    Examples
    --------
    >>> from sklearn.model_selection import RepeatedStratifiedKFold
    >>> from radfuse.datasets.wdbc import load_wdbc_blocks
    >>> from radfuse.pipeline import make_radiomics_pipeline
    >>> from radfuse.study import Study
    >>> X, y = load_wdbc_blocks(return_X_y=True)
    >>> def quick(classifier, random_state):
    ...     return make_radiomics_pipeline(classifier, mrmr={"n_features": 5},
    ...                                    lasso={"cv": 3}, random_state=random_state)
    >>> study = Study(X, y, {"mean": ["mean"], "all": ["mean", "se", "worst"]},
    ...               pipeline=quick, classifiers=["lr", "nb"],
    ...               cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0),
    ...               progress=False)
    >>> result = study.run()
    >>> result.best("auc")
    ('all', 'lr')
    >>> result.metrics("test").query("metric == 'auc'").shape
    (4, 7)
    """

    def __init__(
        self,
        features,
        labels,
        feature_sets,
        *,
        pipeline=None,
        classifiers=PROTOCOL_CLASSIFIERS,
        fusion=None,
        split=0.3,
        cv=None,
        groups=None,
        tuning=None,
        clinical=None,
        clinical_model=None,
        pos_label=None,
        random_state=0,
        n_jobs=None,
        progress=True,
    ):
        self.features = features
        self.labels = labels
        self.feature_sets = feature_sets
        self.pipeline = pipeline
        self.classifiers = classifiers
        self.fusion = fusion
        self.split = split
        self.cv = cv
        self.groups = groups
        self.tuning = tuning
        self.clinical = clinical
        self.clinical_model = clinical_model
        self.pos_label = pos_label
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    def __repr__(self) -> str:
        n_cases, n_features = getattr(self.features, "shape", ("?", "?"))
        return (
            f"Study({n_cases} cases x {n_features} features, feature sets "
            f"{list(self.feature_sets or [])}, classifiers {list(self.classifiers)})"
        )

    # ------------------------------------------------------------ validation
    def _factory(self):
        factory = protocol_pipeline if self.pipeline is None else self.pipeline
        if not callable(factory):
            raise TypeError(
                f"Study: pipeline must be a callable (classifier, random_state) -> estimator; "
                f"got {type(factory).__name__}."
            )
        return factory

    def _classifier_names(self) -> list[str]:
        names = [self.classifiers] if isinstance(self.classifiers, str) else list(self.classifiers)
        if not names or len(set(names)) != len(names):
            raise ValueError(
                f"Study: classifiers must be a non-empty list of distinct names; got {names!r}."
            )
        return names

    def _templates(self, factory, names, seed) -> dict:
        templates = {}
        for name in names:
            try:
                estimator = factory(name, seed)
            except ValueError as error:
                raise ValueError(f"Study: cannot build the pipeline of classifier {name!r}: {error}") from error
            if not hasattr(split_pipeline(estimator)[2], "predict_proba"):
                raise ValueError(
                    f"Study: the pipeline of classifier {name!r} ends in "
                    f"{type(split_pipeline(estimator)[2]).__name__}, which has no predict_proba."
                )
            templates[name] = estimator
        return templates

    def _resolve_fusion(self, feature_sets) -> tuple[dict, dict]:
        """Early fusions as extra feature sets; late fusions as name -> (strategy, blocks, params)."""
        early, late = {}, {}
        for name, spec in check_fusion_spec(self.fusion, feature_sets).items():
            strategy, entries = spec.pop("strategy"), spec.pop("blocks")
            blocks = {
                entry: feature_sets[entry]
                if entry in feature_sets
                else _design.resolve_entries(self.features, entry, f"fusion {name!r}")
                for entry in entries
            }
            if strategy == "early":
                early[name] = list(dict.fromkeys(c for columns in blocks.values() for c in columns))
            else:
                late[name] = (strategy, blocks, spec)
        return early, late

    def _tuning_settings(self, seed, groups=None):
        if self.tuning is None or self.tuning is False:
            return None
        settings = {} if self.tuning is True else self.tuning
        if not isinstance(settings, Mapping):
            raise TypeError(f"Study: tuning must be None, True or a dict; got {self.tuning!r}.")
        unknown = [key for key in settings if key not in _TUNING_KEYS]
        if unknown:
            raise ValueError(f"Study: unknown tuning key(s) {unknown}; allowed: {list(_TUNING_KEYS)}.")
        inner = settings.get("cv", 3)
        if isinstance(inner, Integral):
            inner = StratifiedKFold(n_splits=inner, shuffle=True, random_state=seed)
        if groups is not None:
            inner = CaseGroupSplitter(grouped_cv(inner, "tuning['cv']"), groups)
        return inner, settings.get("scoring", "roc_auc"), dict(settings.get("param_grid") or {})

    # ------------------------------------------------------------------ units
    def _build_units(self, feature_sets, late, templates, factory, seed, memory, groups=None) -> list:
        tuning = self._tuning_settings(seed, groups)
        units = []
        for name, columns in feature_sets.items():
            if tuning is None:
                units += _shared_selection_units(name, columns, templates)
            else:
                units.append(_tuned_unit(name, columns, templates, tuning, memory))
        for name, (strategy, blocks, params) in late.items():
            if groups is not None and strategy == "stacking":
                folds = params.get("cv", StratifiedKFold(n_splits=5, shuffle=True, random_state=seed))
                folds = grouped_cv(folds, f"fusion {name!r} cv")
                params = {**params, "cv": CaseGroupSplitter(folds, groups)}
            units.append(_fusion_unit(name, strategy, blocks, params, templates, factory, seed, memory))
        return units

    # -------------------------------------------------------------------- run
    def run(self) -> StudyResult:
        """Fit and evaluate every model; see the class docstring.

        Returns
        -------
        StudyResult
        """
        seed = _design.resolve_seed(self.random_state)
        factory = self._factory()
        names = self._classifier_names()
        y, pos_label = _design.check_cases(self.features, self.labels, pos_label=self.pos_label)
        feature_sets = _design.resolve_feature_sets(self.features, self.feature_sets)
        early, late = self._resolve_fusion(feature_sets)
        feature_sets.update(early)
        clinical_spec = check_clinical_model(self.clinical_model, self.clinical, feature_sets)
        late_columns = [cols for _, blocks, _ in late.values() for cols in blocks.values()]
        used = list(dict.fromkeys(c for cols in [*feature_sets.values(), *late_columns] for c in cols))
        groups = _design.check_groups(self.groups, self.features.index)
        if groups is not None:
            factory = partial(_grouped_pipeline, factory, groups)
        X_train, y_train, cohorts, split_description = _design.split_cohorts(
            self.features.loc[:, used], y, self.split, seed, pos_label=self.pos_label, groups=groups
        )
        _design.check_feature_values(X_train, used, "the training table")
        for name, (table, _) in cohorts.items():
            _design.check_feature_values(table, used, "the test table" if name == "test" else f"cohort {name!r}")
        cv = _design.make_outer_cv(self.cv, seed, grouped=groups is not None)
        folds = _design.outer_folds(cv, X_train, y_train, groups)
        fold_groups = None if groups is None else pd.Series(
            [", ".join(sorted(map(str, groups.loc[X_train.index[test]].unique()))) for _, _, test in folds],
            name="held_out",
        )
        templates = self._templates(factory, names, seed)
        balance = _design.class_balance(y_train, cohorts)
        set_columns = {**feature_sets, **{name: _late_columns(blocks) for name, (_, blocks, _) in late.items()}}
        cases = _cases_per_feature_set(set_columns, X_train, y_train, cohorts)
        baseline = self._baseline(y_train, cohorts, seed)
        if clinical_spec is not None:
            ids = y_train.index.append([y.index for _, y in cohorts.values()])
            check_clinical_cases(self.clinical, clinical_spec["predictors"], ids)

        with tempfile.TemporaryDirectory(prefix="radfuse-study-") as cache:
            memory = Memory(cache, verbose=0)
            units = self._build_units(feature_sets, late, templates, factory, seed, memory, groups)
            tasks = [(unit, None) for unit in units] + [
                (unit, (number, *fold)) for number, fold in enumerate(folds) for unit in units
            ]
            order = _largest_first(tasks, len(X_train))
            calls = (
                delayed(run_task)(unit, X_train, y_train, None, None, [X for X, _ in cohorts.values()])
                if fold is None
                else delayed(run_task)(unit, X_train, y_train, fold[2], fold[3])
                for unit, fold in (tasks[index] for index in order)
            )
            dispatched = Parallel(n_jobs=self.n_jobs, return_as="generator")(calls)
            outcomes = [None] * len(tasks)
            for index, outcome in zip(order, tqdm(dispatched, total=len(tasks), desc="Study",
                                                  disable=not self.progress)):
                outcomes[index] = outcome

        settings = {
            "seed": seed,
            "cv": repr(cv),
            "n_folds": len(folds),
            "n_repeats": folds[-1][0] + 1,
            "mean_fold_train_size": float(np.mean([len(f[1]) for f in folds])),
            "mean_fold_test_size": float(np.mean([len(f[2]) for f in folds])),
            "split": split_description,
            "threshold": "Youden's J on out-of-fold training probabilities (mean over repeats)",
            "tuning": _tuning_description(self._tuning_settings(seed, groups)),
            "groups": None if groups is None else f"{groups.nunique()} groups",
            "feature_sets": feature_sets,
            "fusion": {name: (s, list(b), p) for name, (s, b, p) in late.items()},
            "classifiers": names,
            "pipeline": {name: repr(template) for name, template in templates.items()},
            "n_jobs": self.n_jobs,
            "joblib_backend": type(joblib.parallel.get_active_backend()[0]).__name__,
            "versions": {"python": platform.python_version(), **library_versions()},
        }
        result = _assemble_result(
            tasks, outcomes, y_train, cohorts, pos_label, balance, baseline, settings, cases, fold_groups
        )
        harmonised = [c for name in result.harmonisation for c in feature_sets[name]]
        if harmonised:
            result.centre_training = X_train.loc[:, list(dict.fromkeys(harmonised))]
        if clinical_spec is not None:
            result.clinical_models = _clinical_models(
                result, clinical_spec, self.clinical, feature_sets, X_train, y_train, cohorts, seed, self.n_jobs
            )
        _summarise_warnings(result.warnings)
        _summarise_failures(result.failed_folds)
        _summarise_missing_blocks(cases)
        return result

    def _baseline(self, y_train, cohorts, seed):
        if self.clinical is None:
            return None
        from ..stats import baseline_table

        clinical = self.clinical
        if not isinstance(clinical, pd.DataFrame):
            raise TypeError(f"Study: clinical must be a DataFrame; got {type(clinical).__name__}.")
        parts = {"training set": y_train.index} | {
            # "test" alone would clash with the table's own "test" column.
            f"{name} set": y.index for name, (_, y) in cohorts.items()
        }
        ids = y_train.index.append([y.index for _, y in cohorts.values()])
        missing = ids.difference(clinical.index, sort=False).tolist()
        if missing:
            raise ValueError(f"Study: clinical lacks case(s) {preview(missing)}.")
        groups = pd.Series(np.repeat(list(parts), [index.size for index in parts.values()]), index=ids)
        table = clinical.loc[ids].assign(split=groups)
        return baseline_table(table, "split", random_state=seed)


def _clinical_models(result, spec, clinical, feature_sets, X_train, y_train, cohorts, seed, n_jobs):
    """The clinical, radiomics and combined models on the rad-score of the first fitted model of the feature set."""
    keys = [key for key in result.models if key[0] == spec["feature_set"]]
    if not keys:
        raise ValueError(
            f"Study: clinical_model: no model of feature set {spec['feature_set']!r} could be "
            "fitted (see result.failed_folds), so there is no rad-score."
        )
    return fit_clinical_models(
        spec, clinical, result.models_[keys[0]], keys[0], feature_sets[spec["feature_set"]],
        X_train, y_train, cohorts, seed, n_jobs,
    )


def _late_columns(blocks) -> list[str]:
    return list(dict.fromkeys(c for columns in blocks.values() for c in columns))



def _cases_per_feature_set(feature_sets, X_train, y_train, cohorts) -> pd.DataFrame:
    """Cases each feature set is evaluated on: those with all of its blocks, by split."""
    rows = []
    for name, columns in feature_sets.items():
        for split, (X, y) in {"train": (X_train, y_train), **cohorts}.items():
            ids = complete_cases(X, columns)
            rows.append(
                {
                    "feature_set": name, "split": split, "n": ids.size,
                    "n_positive": int(y.loc[ids].sum()), "n_negative": int(ids.size - y.loc[ids].sum()),
                    "n_excluded": int(y.size - ids.size),
                }
            )
    return pd.DataFrame(rows)


def _summarise_missing_blocks(cases: pd.DataFrame) -> None:
    """One warning naming the feature sets evaluated on fewer than all cases."""
    excluded = cases.groupby("feature_set", sort=False)[["n", "n_excluded"]].sum()
    excluded = excluded[excluded["n_excluded"] > 0]
    if excluded.empty:
        return
    sets = ", ".join(
        f"{name!r} on {row.n} of {row.n + row.n_excluded}" for name, row in excluded.iterrows()
    )
    warnings.warn(
        f"Study: cases missing a block are left out of the feature sets that use it: {sets} "
        "cases; the counts by split are in result.feature_set_cases.",
        UserWarning,
        stacklevel=3,
    )


def _summarise_warnings(raised: pd.DataFrame) -> None:
    """One warning for all those the folds raised, by the step that raised them."""
    if raised.empty:
        return
    # Messages start with the step's name ("MRMRSelector: ..."); library
    # warnings without one are grouped by category.
    sources = raised["message"].str.extract(r"^(\w+):", expand=False).fillna(raised["category"])
    counts = ", ".join(f"{source} x{count}" for source, count in sources.value_counts().items())
    warnings.warn(
        f"Study: the fitted models raised {len(raised)} warning(s) ({counts}); every one "
        "is listed with its feature set and fold in result.warnings.",
        UserWarning,
        stacklevel=3,
    )


def _summarise_failures(failed: pd.DataFrame) -> None:
    """One warning for every training part that could not be fitted."""
    if failed.empty:
        return
    parts = failed.drop_duplicates(["feature_set", "repeat", "fold"])
    counts = ", ".join(f"{name} x{count}" for name, count in parts["feature_set"].value_counts().items())
    first = parts.iloc[0]
    where = "the final refit" if first["fold"] < 0 else f"CV fold {first['fold']}"
    warnings.warn(
        f"Study: {len(parts)} training part(s) could not be fitted ({counts}) and are left out "
        f"of the summaries; the first, {first['feature_set']!r} {where} ({first['n_train']} training "
        f"cases): {first['reason']} Every one is listed in result.failed_folds.",
        UserWarning,
        stacklevel=3,
    )


def _tuning_description(tuning) -> str:
    if tuning is None:
        return "none: default hyper-parameters"
    inner_cv, scoring, _ = tuning
    return (
        f"nested: grid search maximising {scoring} over inner CV {inner_cv!r}, refitted "
        "within each outer training part; the outer folds only estimate performance"
    )


def _shared_selection_units(name, columns, templates) -> list[SharedSelection]:
    """One unit per group of classifiers whose classifier-free steps are identical."""
    groups: dict[str, SharedSelection] = {}
    for clf_name, template in templates.items():
        selection, _, classifier = split_pipeline(template)
        key = joblib.hash(selection)
        if key not in groups:
            groups[key] = SharedSelection(name, columns, template, {})
        groups[key].classifiers[clf_name] = classifier
    return list(groups.values())


def _with_memory(estimator, memory):
    if hasattr(estimator, "steps") and "memory" in estimator.get_params(deep=False):
        estimator.set_params(memory=memory)
    return estimator


def _tuned_unit(name, columns, templates, tuning, memory) -> TunedModels:
    inner_cv, scoring, grids = tuning
    pipelines, param_grids = {}, {}
    for clf_name, template in templates.items():
        _, step_name, _ = split_pipeline(template)
        if clf_name in grids:
            param_grids[clf_name] = grids[clf_name]
        else:
            try:
                param_grids[clf_name] = search_space(clf_name, prefix=f"{step_name}__" if step_name else "")
            except ValueError as error:
                raise ValueError(
                    f"Study: no default tuning grid for classifier {clf_name!r}; give one in "
                    f"tuning={{'param_grid': {{{clf_name!r}: {{...}}}}}}."
                ) from error
        pipelines[clf_name] = _with_memory(clone(template), memory)
    return TunedModels(name, columns, pipelines, param_grids, inner_cv, scoring)


def _grouped_pipeline(factory, groups, classifier, random_state):
    """The user's pipeline with its inner cross-validations (e.g. the LASSO's) grouped."""
    return group_inner_cv(factory(classifier, random_state), groups)


def _fusion_unit(name, strategy, blocks, params, templates, factory, seed, memory) -> FusionModels:
    from ..fusion import StackingFusion, WeightedEnsemble

    params = dict(params)
    if isinstance(params.get("final_estimator"), str):
        params["final_estimator"] = make_classifier(params["final_estimator"], random_state=seed)
    fusion_class = StackingFusion if strategy == "stacking" else WeightedEnsemble
    columns = list(dict.fromkeys(c for cols in blocks.values() for c in cols))
    estimators = {}
    for clf_name in templates:
        base = {block: _with_memory(factory(clf_name, seed), memory) for block in blocks}
        estimators[clf_name] = fusion_class(base, block_columns=dict(blocks), **params)
    return FusionModels(name, columns, estimators)


def _youden_thresholds(predictions, y_train) -> pd.Series:
    """Youden cut-off per model from its out-of-fold probabilities (mean over repeats)."""
    out_of_fold = predictions[predictions["split"] == "cv"].groupby(
        ["feature_set", "classifier", "case_id"], sort=False
    )["probability"].mean()
    thresholds = {}
    for key, part in out_of_fold.groupby(level=["feature_set", "classifier"], sort=False):
        cases = part.index.get_level_values("case_id")
        thresholds[key] = youden_threshold(y_train.loc[cases], part.to_numpy()).threshold
    index = pd.MultiIndex.from_tuples(thresholds, names=["feature_set", "classifier"])
    return pd.Series(list(thresholds.values()), index=index, name="threshold")


def _largest_first(tasks, n_training_cases) -> list[int]:
    """Task positions, the largest first (cases to fit x columns to select).

    Workers take tasks in this order, so the refits on every training case
    start first instead of running alone at the end while the other workers
    wait: the longest-processing-time-first rule of list scheduling (Graham,
    1969). The size is a proxy: the classifiers' share of a task depends on
    how many features its selection keeps, unknown before it runs (on the
    scaling benchmark a 300-column fold takes 0.68 s, a 3000-column one
    0.57 s; replayed on 16 workers, this order keeps them 93% busy, the
    measured durations' own longest-first order 98%). Results are gathered
    back in task order.
    """
    def size(index):
        unit, fold = tasks[index]
        n_cases = n_training_cases if fold is None else len(fold[2])
        return n_cases * len(unit.columns)

    return sorted(range(len(tasks)), key=size, reverse=True)


def _prediction_table(labels, case_ids, truths, probabilities):
    """The long table of predictions: one row per (model, split, case)."""
    label_columns = pd.DataFrame(
        labels, columns=["feature_set", "classifier", "split", "repeat", "fold", "n_cases"]
    )
    sizes = label_columns.pop("n_cases").to_numpy()
    table = label_columns.loc[label_columns.index.repeat(sizes)].reset_index(drop=True)
    table["case_id"] = case_ids[0].append(case_ids[1:])
    table["y_true"] = np.concatenate(truths)
    table["probability"] = np.concatenate(probabilities)
    return table


def _assemble_result(
    tasks, outcomes, y_train, cohorts, pos_label, balance, baseline, settings, cases, fold_groups
):
    """Collect the task outcomes into tidy tables and a StudyResult."""
    models, selections, counts, tuning, raised = {}, {}, [], [], []
    rules, failures = [], []
    # One row of labels and one array per column for each (model, split);
    # the table is built once at the end (a DataFrame per part costs ~1 ms).
    labels, case_ids, truths, probabilities = [], [], [], []

    def add(unit, clf_name, split, ids, truth, prob, repeat=-1, fold=-1):
        labels.append((unit.name, clf_name, split, repeat, fold, len(ids)))
        case_ids.append(ids)
        truths.append(truth)
        probabilities.append(np.asarray(prob, dtype=np.float64))

    y_refit = [y_train, *(y for _, y in cohorts.values())]
    for (unit, fold), outcome in zip(tasks, outcomes):
        number, repeat, train, validation = (-1, -1, None, None) if fold is None else fold
        y_evaluated = y_refit if fold is None else [y_train]
        raised += [(unit.name, number, category, message) for category, message in outcome.warnings]
        if outcome.failure is not None:
            n_train = y_train.size if train is None else len(train)
            failures += [
                (unit.name, clf_name, repeat, number, n_train, outcome.failure)
                for clf_name in unit.classifier_names
            ]
            continue
        # The classifiers of a task share its evaluated cases, hence their true labels.
        truth = [y.loc[ids].to_numpy() for y, ids in zip(y_evaluated, outcome.evaluated)]
        for clf_name, probs in outcome.probabilities.items():
            key = (unit.name, clf_name)
            if fold is None:
                add(unit, clf_name, "train", outcome.evaluated[0], truth[0], probs[0])
                for cohort, ids, cohort_truth, prob in zip(cohorts, outcome.evaluated[1:], truth[1:], probs[1:]):
                    add(unit, clf_name, cohort, ids, cohort_truth, prob)
                models[key] = outcome.models[clf_name]
                selections[key] = outcome.selection.get(clf_name, {})
            else:
                add(unit, clf_name, "cv", outcome.evaluated[0], truth[0], probs[0], repeat, number)
            if clf_name in outcome.lasso_rules:
                rules.append((unit.name, clf_name, repeat, number, outcome.lasso_rules[clf_name]))
            if clf_name in outcome.feature_counts:
                series = outcome.feature_counts[clf_name]
                counts += [(unit.name, clf_name, number, step, n) for step, n in series.items()]
            if clf_name in outcome.best_params:
                tuning.append({"feature_set": unit.name, "classifier": clf_name, "fold": number,
                               **outcome.best_params[clf_name]})

    failed_folds = pd.DataFrame(
        failures, columns=["feature_set", "classifier", "repeat", "fold", "n_train", "reason"]
    )
    predictions = _prediction_table(labels, case_ids, truths, probabilities) if labels else None
    # A model needs its final refit (test predictions, fitted pipeline) and at
    # least one CV fold (its threshold); a model lacking either is left out
    # whole -- its failures are in failed_folds.
    has_cv = set() if predictions is None else set(
        map(tuple, predictions.loc[predictions["split"] == "cv", ["feature_set", "classifier"]].drop_duplicates().to_numpy())
    )
    models = {key: model for key, model in models.items() if key in has_cv}
    selections = {key: details for key, details in selections.items() if key in models}
    if not models:
        raise ValueError(
            "Study: no model could be fitted on the whole training set and at least one CV fold; "
            f"the first reason ({failed_folds['feature_set'].iloc[0]!r}): {failed_folds['reason'].iloc[0]}"
        )
    fitted = pd.MultiIndex.from_frame(predictions[["feature_set", "classifier"]]).isin(list(models))
    predictions = predictions[fitted].reset_index(drop=True)
    thresholds = _youden_thresholds(predictions, y_train).loc[list(models)]
    feature_counts = pd.DataFrame(counts, columns=["feature_set", "classifier", "fold", "step", "n_features"])
    return StudyResult(
        predictions=predictions,
        y_train=y_train,
        y_cohorts={name: y for name, (_, y) in cohorts.items()},
        pos_label=pos_label,
        thresholds=thresholds,
        models=models,
        feature_counts=feature_counts,
        selections=selections,
        class_balance=balance,
        baseline=baseline,
        tuning=pd.DataFrame(tuning) if tuning else None,
        warnings=pd.DataFrame(raised, columns=["feature_set", "fold", "category", "message"]),
        settings=settings,
        lasso_rules=pd.DataFrame(rules, columns=["feature_set", "classifier", "repeat", "fold", "rule"]),
        failed_folds=failed_folds,
        feature_set_cases=cases,
        fold_groups=fold_groups,
    )
