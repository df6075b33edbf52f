"""StudyResult: the tables, predictions and fitted models of a finished Study."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import atomic_path, check_destination, fsync_file
from .._validation import preview
from ..harmonize import ComBat, centre_effect_summary
from ..stats import (
    auc_ci,
    corrected_resampled_ci,
    corrected_resampled_t_test,
    delong_test,
    diagnostic_metrics,
    idi,
    nri,
)

#: Metrics of every table, in the order papers report them.
METRICS = (
    "auc", "accuracy", "sensitivity", "specificity", "ppv", "npv",
    "precision", "recall", "f1", "threshold",
)
_ALIASES = {"precision": "ppv", "recall": "sensitivity"}


def comparison_table(results: dict) -> pd.DataFrame:
    """One row per named statistics result: ``estimate``, ``ci_lower``, ``ci_upper``, ``statistic``, ``pvalue``."""
    table = pd.concat([result.to_frame() for result in results.values()])
    table = table[["estimate", "ci_lower", "ci_upper", "statistic", "pvalue"]]
    table.index = pd.Index(list(results), name="test")
    return table


def paired_tests(y, prob_a, prob_b) -> pd.DataFrame:
    """DeLong test, NRI and IDI of ``prob_a`` over ``prob_b``, one row each (see :func:`comparison_table`)."""
    return comparison_table(
        {"delong": delong_test(y, prob_a, prob_b), "nri": nri(y, prob_a, prob_b), "idi": idi(y, prob_a, prob_b)}
    )


def threshold_metric_rows(y, prob, threshold, random_state) -> dict[str, tuple]:
    """``metric -> (estimate, ci_lower, ci_upper, note)`` at one threshold.

    ``random_state`` seeds F1's bootstrap interval, so the tables of a study
    are reproducible from its seed.
    """
    table = diagnostic_metrics(y, prob, threshold, random_state=random_state).to_frame().set_index("metric")
    rows = {
        metric: tuple(table.loc[_ALIASES.get(metric, metric), ["estimate", "ci_lower", "ci_upper", "note"]])
        for metric in METRICS
        if metric not in ("auc", "threshold")
    }
    return rows


def fixed_metric_rows(y, prob, threshold, random_state) -> dict[str, tuple]:
    """``metric -> (estimate, ci_lower, ci_upper, note)`` of one model on one set of cases."""
    # A degenerate CI (e.g. a tree ensemble's AUC of 1 on its own training
    # cases) is explained in the table's note rather than warned per model.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        auc = auc_ci(y, prob)
    note = "; ".join(str(w.message) for w in caught)
    values = {"auc": (auc.estimate, auc.ci_lower, auc.ci_upper, note), "threshold": (threshold, np.nan, np.nan, "")}
    values.update(threshold_metric_rows(y, prob, threshold, random_state))
    return values


class StudyResult:
    """Everything a :class:`~radfuse.study.Study` produced.

    Models are identified by ``(feature_set, classifier)`` tuples or
    ``"feature_set/classifier"`` strings; fusion models use the fusion name as
    their feature set.

    Attributes
    ----------
    predictions : DataFrame
        Every predicted probability, long format: ``feature_set``,
        ``classifier``, ``split`` (``"cv"``: out-of-fold, ``"train"``: final
        model on its own training cases, else the name of the test cohort:
        ``"test"`` unless the Study's ``split`` was a dict of cohorts),
        ``repeat``, ``fold`` (-1 outside CV), ``case_id``, ``y_true`` (0/1),
        ``probability``.
    y_train : Series
        0/1 outcome of the training cases, indexed by case id.
    y_cohorts : dict of str to Series
        0/1 outcome of each test cohort, by cohort name, in the Study's order;
        every cohort only passed through the models fitted on the training
        set. ``cohorts`` lists the names, ``y_test`` is the first cohort's
        outcome (the *primary* test cohort, which ``split="test"`` means
        wherever no cohort is named ``"test"``).
    pos_label : the original label encoded as 1.
    thresholds : Series
        Youden threshold per model, indexed by (feature_set, classifier);
        chosen on the out-of-fold training probabilities (see ``Study``).
    models_ : dict
        The final models refitted on the whole training set, keyed by
        (feature_set, classifier).
    class_balance : DataFrame
        Cases and class counts of the training set (``"train"``) and of each
        test cohort (by name).
    fold_groups : Series or None
        With ``Study(groups=...)``: the groups held out in each CV fold
        (index: fold number; values: labels joined by ``", "``); with
        ``LeaveOneGroupOut`` each fold is one centre. ``fold_scores()``
        carries it as a ``held_out`` column.
    baseline : DataFrame or None
        ``radfuse.stats.baseline_table`` of the clinical variables by
        split, when the Study was given ``clinical``.
    tuning : DataFrame or None
        Nested tuning only: best parameters and inner CV score per outer fold
        (``fold = -1``: the final refit) and model.
    warnings : DataFrame
        Every warning raised while fitting (``feature_set``, ``fold`` (-1: the
        final refit), ``category``, ``message``); ``Study.run`` summarises
        them in a single warning.
    lasso_rules : DataFrame
        Which rule chose the LASSO penalty in each fit (``feature_set``,
        ``classifier``, ``repeat``, ``fold`` (-1: the final refit), ``rule``:
        ``"cv"``, or ``"min_features"`` when the cross-validated penalty kept
        fewer than ``LassoSelector.min_features`` features); empty without a
        LASSO step.
    failed_folds : DataFrame
        Every training part that could not be fitted (``feature_set``,
        ``classifier``, ``repeat``, ``fold`` (-1: the final refit),
        ``n_train``, ``reason``). A failed CV fold is left out of the CV
        summaries (``metrics("cv")`` counts them in ``n_failed``); a model
        whose final refit, or every CV fold, failed is left out of the
        results.
    feature_set_cases : DataFrame or None
        The cases each feature set (and fusion) was trained and evaluated on:
        those with every one of its blocks (``feature_set``, ``split``,
        ``n``, ``n_positive``, ``n_negative``, ``n_excluded``: cases of the
        split missing one of its blocks).
    clinical_models : ClinicalModels or None
        With ``Study(clinical_model=...)``: the clinical, radiomics (rad-score)
        and combined logistic models, their metrics and comparisons per
        cohort, the bootstrap validation and calibration of the combined
        model (see :class:`~radfuse.study.ClinicalModels`).
    centre_training : DataFrame or None
        The training cases' columns of the feature sets whose pipelines start
        with :class:`~radfuse.harmonize.ComBat` (features, batch and covariate
        columns): the input of :meth:`centre_effects` and
        :meth:`centre_effect_tables`, which apply the final models' fitted
        ComBat to it. None when no pipeline starts with ComBat.
    settings : dict
        The resolved design (seed, CV scheme, split, tuning scheme, feature-set
        columns, classifiers, pipeline, library versions) for methods text.
    """

    def __init__(
        self,
        *,
        predictions,
        y_train,
        y_cohorts,
        pos_label,
        thresholds,
        models,
        feature_counts,
        selections,
        class_balance,
        baseline,
        tuning,
        warnings,
        settings,
        lasso_rules=None,
        failed_folds=None,
        feature_set_cases=None,
        fold_groups=None,
        clinical_models=None,
        centre_training=None,
    ):
        self.predictions = predictions
        self.y_train = y_train
        self.y_cohorts = dict(y_cohorts)
        self.pos_label = pos_label
        self.thresholds = thresholds
        self.models_ = models
        self._feature_counts = feature_counts
        self._selections = selections
        self.class_balance = class_balance
        self.baseline = baseline
        self.tuning = tuning
        self.warnings = warnings
        self.settings = settings
        self.lasso_rules = (
            pd.DataFrame(columns=["feature_set", "classifier", "repeat", "fold", "rule"])
            if lasso_rules is None else lasso_rules
        )
        self.failed_folds = (
            pd.DataFrame(columns=["feature_set", "classifier", "repeat", "fold", "n_train", "reason"])
            if failed_folds is None else failed_folds
        )
        self.feature_set_cases = feature_set_cases
        self.fold_groups = fold_groups
        self.clinical_models = clinical_models
        self.centre_training = centre_training
        self._metrics_cache: dict[str, pd.DataFrame] = {}

    def __repr__(self) -> str:
        feature_sets = list(dict.fromkeys(key[0] for key in self.models))
        return (
            f"StudyResult({len(self.models)} models, feature sets {feature_sets}, "
            f"{self.settings['n_folds']} CV folds, {self.y_train.size} training / "
            f"{', '.join(f'{y.size} {name}' for name, y in self.y_cohorts.items())} cases)"
        )

    @property
    def cohorts(self) -> list[str]:
        """Names of the test cohorts, the primary one first."""
        return list(self.y_cohorts)

    @property
    def y_test(self) -> pd.Series:
        """0/1 outcome of the primary test cohort (see ``y_cohorts``)."""
        return self.y_cohorts[self._split("test")]

    def _split(self, split: str, owner: str = "StudyResult") -> str:
        """``split`` checked, with ``"test"`` resolved to the primary cohort's name."""
        if split == "test" and "test" not in self.y_cohorts:
            return self.cohorts[0]
        if split not in ("cv", "train", *self.y_cohorts):
            raise ValueError(
                f"{owner}: split must be 'cv', 'train', 'test' or a test cohort "
                f"{preview(self.cohorts)}; got {split!r}."
            )
        return split

    def outcome(self, split: str = "test") -> pd.Series:
        """0/1 outcome of the training set (``"train"``, ``"cv"``) or of a test cohort."""
        split = self._split(split, "StudyResult.outcome")
        return self.y_train if split in ("cv", "train") else self.y_cohorts[split]

    # ------------------------------------------------------------------ models
    @property
    def models(self) -> list[tuple[str, str]]:
        """Every (feature_set, classifier) of the study, in run order."""
        return list(self.models_)

    def _key(self, model) -> tuple[str, str]:
        key = tuple(model.split("/", 1)) if isinstance(model, str) else tuple(model)
        if key not in self.models_:
            raise ValueError(
                f"StudyResult: unknown model {model!r}; models are "
                f"{preview(['/'.join(k) for k in self.models_])}."
            )
        return key

    def probabilities(self, model, split: str = "test") -> pd.Series | pd.DataFrame:
        """Predicted probabilities of one model.

        ``split="train"``, ``"test"`` or a test cohort's name: a Series
        indexed by case id. ``"cv"``: the out-of-fold probabilities as a
        cases x repeats DataFrame.
        """
        feature_set, classifier = self._key(model)
        split = self._split(split, "StudyResult.probabilities")
        rows = self.predictions.query(
            "feature_set == @feature_set and classifier == @classifier and split == @split"
        )
        if split == "cv":
            return rows.pivot(index="case_id", columns="repeat", values="probability")
        return rows.set_index("case_id")["probability"].rename("/".join((feature_set, classifier)))

    # ----------------------------------------------------------------- metrics
    def metrics(self, split: str = "test") -> pd.DataFrame:
        """Every metric of every model, as a tidy table.

        Parameters
        ----------
        split : {"test", "train", "cv"} or a test cohort's name
            ``"test"``: the final models on the (primary) test cohort; a
            cohort's name: on that cohort (see :meth:`cohort_metrics` for all
            of them in one table); ``"train"``: the
            final models on their own training cases (resubstitution, for the
            training-cohort columns of papers); ``"cv"``: repeated
            cross-validation on the training set.

        Returns
        -------
        DataFrame
            One row per (feature_set, classifier, metric), metrics in
            :data:`METRICS` order. For ``"test"``/``"train"``: ``estimate``,
            ``ci_lower``, ``ci_upper`` (AUC: DeLong; proportions: Wilson; F1:
            bootstrap) and ``note``. For ``"cv"``: ``mean``, ``sd`` over folds
            and ``ci_lower``, ``ci_upper`` from the corrected resampled t
            interval, ``n_folds`` (folds where the metric is defined: PPV and
            NPV are undefined in a fold where no case, or every case, reaches
            the threshold) and ``n_failed`` (folds that could not be fitted,
            see ``failed_folds``; left out of the summary). Thresholds are the study's Youden thresholds and
            carry no interval: their ``ci`` columns (and ``sd`` in CV) are NaN.
        """
        split = self._split(split, "StudyResult.metrics")
        if split not in self._metrics_cache:
            builder = self._cv_metrics if split == "cv" else self._fixed_metrics
            self._metrics_cache[split] = builder(split)
        return self._metrics_cache[split].copy()

    def _fixed_metrics(self, split: str) -> pd.DataFrame:
        rows = []
        for feature_set, classifier in self.models:
            prob = self.probabilities((feature_set, classifier), split)
            # A feature set is evaluated on the cases with all of its blocks.
            y = self.outcome(split).loc[prob.index]
            threshold = float(self.thresholds[(feature_set, classifier)])
            values = fixed_metric_rows(y, prob, threshold, self.settings["seed"])
            rows += [
                (feature_set, classifier, metric, *values[metric]) for metric in METRICS
            ]
        columns = ["feature_set", "classifier", "metric", "estimate", "ci_lower", "ci_upper", "note"]
        return pd.DataFrame(rows, columns=columns)

    def fold_scores(self) -> pd.DataFrame:
        """Per-fold metrics of the repeated CV (the input of the CV summaries).

        Returns
        -------
        DataFrame with ``feature_set``, ``classifier``, ``repeat``, ``fold``,
        ``held_out`` (only with ``Study(groups=...)``: the groups of the
        fold's validation part, so that leave-one-centre-out CV reads per
        held-out centre) and one column per metric (NaN where undefined in
        that fold).
        """
        cv = self.predictions[self.predictions["split"] == "cv"]
        rows = []
        for (feature_set, classifier, repeat, fold), part in cv.groupby(
            ["feature_set", "classifier", "repeat", "fold"], sort=False
        ):
            threshold = float(self.thresholds[(feature_set, classifier)])
            y, prob = part["y_true"].to_numpy(), part["probability"].to_numpy()
            with warnings.catch_warnings():
                # Only point estimates are kept: an undefined PPV/NPV in a fold is
                # counted in n_folds, and a zero DeLong variance does not matter.
                warnings.simplefilter("ignore", RuntimeWarning)
                values = {
                    m: v[0] for m, v in threshold_metric_rows(y, prob, threshold, self.settings["seed"]).items()
                }
                auc = auc_ci(y, prob).estimate
            rows.append(
                {
                    "feature_set": feature_set, "classifier": classifier,
                    "repeat": repeat, "fold": fold,
                    "auc": auc, **values, "threshold": threshold,
                }
            )
        scores = pd.DataFrame(rows)
        if self.fold_groups is not None:
            scores.insert(4, "held_out", self.fold_groups.loc[scores["fold"]].to_numpy())
        return scores

    def held_out_metrics(self) -> pd.DataFrame:
        """Every metric, with its interval, on each CV fold's held-out groups.

        With ``Study(groups=..., cv=LeaveOneGroupOut())`` this is the
        leave-one-centre-out table: one block of rows per held-out centre,
        each scored by the model trained on the other centres, at the
        model's Youden threshold (intervals as in :meth:`metrics`).

        Returns
        -------
        DataFrame with ``feature_set``, ``classifier``, ``repeat``, ``fold``,
        ``held_out``, ``n``, ``metric``, ``estimate``, ``ci_lower``,
        ``ci_upper``, ``note``.

        Raises
        ------
        ValueError
            The Study had no ``groups``.
        """
        if self.fold_groups is None:
            raise ValueError(
                "StudyResult.held_out_metrics: the Study had no groups; pass Study(groups=...) "
                "(e.g. the centre of each case) to score each held-out group."
            )
        cv = self.predictions[self.predictions["split"] == "cv"]
        rows = []
        for (feature_set, classifier, repeat, fold), part in cv.groupby(
            ["feature_set", "classifier", "repeat", "fold"], sort=False
        ):
            threshold = float(self.thresholds[(feature_set, classifier)])
            values = fixed_metric_rows(part["y_true"], part["probability"], threshold, self.settings["seed"])
            held_out = self.fold_groups.loc[fold]
            rows += [
                (feature_set, classifier, repeat, fold, held_out, len(part), metric, *values[metric])
                for metric in METRICS
            ]
        columns = [
            "feature_set", "classifier", "repeat", "fold", "held_out", "n", "metric",
            "estimate", "ci_lower", "ci_upper", "note",
        ]
        return pd.DataFrame(rows, columns=columns)

    def cohort_metrics(self) -> pd.DataFrame:
        """:meth:`metrics` of every test cohort in one table, with a leading ``cohort`` column.

        The thresholds are the same in every cohort: each model's Youden
        cut-off from its out-of-fold training probabilities.
        """
        frames = [self.metrics(cohort).assign(cohort=cohort) for cohort in self.cohorts]
        table = pd.concat(frames, ignore_index=True)
        return table[["cohort", *table.columns[:-1]]]

    def _cv_metrics(self, split: str) -> pd.DataFrame:
        scores = self.fold_scores()
        n_train, n_test = self.settings["mean_fold_train_size"], self.settings["mean_fold_test_size"]
        failed = self.failed_folds[self.failed_folds["fold"] >= 0]
        n_failed = failed.groupby(["feature_set", "classifier"]).size()
        rows = []
        for (feature_set, classifier), part in scores.groupby(["feature_set", "classifier"], sort=False):
            failures = int(n_failed.get((feature_set, classifier), 0))
            for metric in METRICS:
                values = part[metric].dropna().to_numpy()
                if metric == "threshold":
                    rows.append(
                        (feature_set, classifier, metric, values[0], np.nan, np.nan, np.nan, values.size, failures)
                    )
                    continue
                summary = corrected_resampled_ci(values, n_train, n_test)
                rows.append(
                    (feature_set, classifier, metric, summary.estimate, summary.sd, summary.ci_lower,
                     summary.ci_upper, values.size, failures)
                )
        columns = [
            "feature_set", "classifier", "metric", "mean", "sd", "ci_lower", "ci_upper", "n_folds", "n_failed",
        ]
        return pd.DataFrame(rows, columns=columns)

    def best(self, metric: str = "auc", split: str = "test") -> tuple[str, str]:
        """The (feature_set, classifier) with the highest ``metric``.

        Ties go to the model listed first (feature sets, then classifiers, in
        the Study's order).
        """
        if metric not in METRICS or metric == "threshold":
            raise ValueError(
                f"StudyResult.best: metric must be one of {[m for m in METRICS if m != 'threshold']}; "
                f"got {metric!r}."
            )
        table = self.metrics(split)
        column = "mean" if split == "cv" else "estimate"
        rows = table[table["metric"] == metric].reset_index(drop=True)
        best = rows.loc[rows[column].idxmax()]
        return best["feature_set"], best["classifier"]

    def compare(self, a, b, split: str = "test") -> pd.DataFrame:
        """Compare model ``a`` (new) with model ``b`` (reference).

        ``split="test"`` (or a test cohort's name): the DeLong test of the two
        AUCs on that cohort, the category-free NRI and the IDI of ``a`` over
        ``b``. ``split="cv"``: the
        corrected resampled t-test of their per-fold AUCs (the models share
        the folds; a fold that failed for either model is left out for both).

        Returns
        -------
        DataFrame indexed by test (``delong``, ``nri``, ``idi``, or
        ``corrected_t``) with ``estimate`` (AUC difference a - b, NRI, IDI),
        ``ci_lower``, ``ci_upper``, ``statistic``, ``pvalue``; ``attrs`` name
        the models.
        """
        key_a, key_b = self._key(a), self._key(b)
        if split == "cv":
            scores = self.fold_scores()
            settings = self.settings
            # Paired by fold: only the folds both models were fitted on.
            paired = pd.concat(
                [
                    scores[(scores["feature_set"] == key[0]) & (scores["classifier"] == key[1])]
                    .set_index(["repeat", "fold"])["auc"]
                    for key in (key_a, key_b)
                ],
                axis=1, join="inner",
            ).to_numpy()
            results = {
                "corrected_t": corrected_resampled_t_test(
                    paired[:, 0], paired[:, 1],
                    settings["mean_fold_train_size"], settings["mean_fold_test_size"],
                )
            }
            table = comparison_table(results)
        elif split != "train" and split in ("test", *self.cohorts):
            split = self._split(split)
            # Paired tests: the cases of the cohort both models were evaluated on.
            paired = pd.concat(
                [self.probabilities(key_a, split), self.probabilities(key_b, split)], axis=1, join="inner"
            )
            y = self.y_cohorts[split].loc[paired.index]
            table = paired_tests(y, paired.iloc[:, 0], paired.iloc[:, 1])
        else:
            raise ValueError(
                f"StudyResult.compare: split must be 'test', 'cv' or a test cohort "
                f"{preview(self.cohorts)}; got {split!r}."
            )
        table.attrs.update(a="/".join(key_a), b="/".join(key_b), split=split)
        return table

    # ---------------------------------------------------------- feature tables
    def feature_counts(self) -> pd.DataFrame:
        """Features left after each selection step: the papers' feature-count table.

        Returns
        -------
        DataFrame with ``feature_set``, ``classifier``, ``step`` (``input``,
        then each selecting step), ``final`` (the refit on the whole training
        set) and ``fold_mean``, ``fold_sd``, ``fold_min``, ``fold_max`` over
        the CV folds. With the default pipeline every classifier of a feature
        set shares one selection, so their rows are equal. Fusion models fit
        their selections inside the fusion estimator and have no rows.
        """
        counts = self._feature_counts
        keys = ["feature_set", "classifier", "step"]
        folds = counts[counts["fold"] >= 0].groupby(keys, sort=False)["n_features"]
        summary = folds.agg(fold_mean="mean", fold_sd="std", fold_min="min", fold_max="max")
        final = counts[counts["fold"] < 0].set_index(keys)["n_features"].rename("final")
        return pd.concat([final, summary], axis=1).reset_index()

    def selected_features(self) -> pd.DataFrame:
        """Features kept by the final refit, with their LASSO coefficients.

        Returns
        -------
        DataFrame with ``feature_set``, ``classifier``, ``feature``,
        ``coefficient`` (NaN when the last selection step is not a
        :class:`~radfuse.select.LassoSelector`), ordered by decreasing
        absolute coefficient within each model.
        """
        frames = []
        for (feature_set, classifier), details in self._selections.items():
            if "selected" not in details:
                continue
            coef = details["selected"]
            order = np.argsort(-np.abs(coef.to_numpy()), kind="stable")
            frames.append(
                pd.DataFrame(
                    {
                        "feature_set": feature_set,
                        "classifier": classifier,
                        "feature": coef.index[order],
                        "coefficient": coef.to_numpy()[order],
                    }
                )
            )
        columns = ["feature_set", "classifier", "feature", "coefficient"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def lasso_path(self, model) -> dict:
        """Data of the LASSO figures for the final refit of one model.

        ``model`` may be a feature-set name (its first classifier's selection,
        shared by all of them with the default pipeline).

        Returns
        -------
        dict with ``alphas`` (decreasing), ``cv_mean``, ``cv_se`` (CV error per
        alpha), ``alpha`` (chosen), ``rule``, ``model``, ``coef`` (Series over
        the LASSO's input features), ``intercept`` and ``coef_path`` (features
        x alphas DataFrame: the selector's own ``coef_path_``).
        """
        if isinstance(model, str) and "/" not in model:
            matches = [key for key in self._selections if key[0] == model]
            if not matches:
                raise ValueError(
                    f"StudyResult.lasso_path: no model of feature set {model!r}; feature sets "
                    f"with a selection are {preview(sorted({k[0] for k in self._selections}))}."
                )
            model = matches[0]
        key = self._key(model)
        details = self._selections.get(key, {})
        if "lasso" not in details:
            raise ValueError(
                f"StudyResult.lasso_path: model {'/'.join(key)!r} has no LassoSelector as its "
                "last selection step (or is a tuned or fusion model)."
            )
        return dict(details["lasso"])

    # ---------------------------------------------------------- centre effects
    @property
    def harmonisation(self) -> dict:
        """Feature set -> the fitted :class:`~radfuse.harmonize.ComBat` its final pipelines start with.

        Feature sets (and fusion models) whose pipelines do not start with ComBat are left out.
        """
        first_steps = {}
        for (feature_set, _), model in self.models_.items():
            steps = getattr(model, "steps", None)
            first_steps.setdefault(feature_set, steps[0][1] if steps else None)
        return {name: step for name, step in first_steps.items() if isinstance(step, ComBat)}

    @property
    def combat_feature_sets(self) -> list[str]:
        """Feature sets whose final pipelines start with :class:`~radfuse.harmonize.ComBat`."""
        return list(self.harmonisation) if self.centre_training is not None else []

    def centre_effect_tables(self, feature_set: str) -> tuple[dict[str, pd.DataFrame], pd.Series]:
        """The training features of one feature set before and after its final ComBat, with their centres.

        Returns
        -------
        tables : dict
            ``{"before": X, "after": harmonised}``: the harmonised features
            (every column but ComBat's batch column and covariates) of the
            training cases with all of the feature set's blocks, as given
            to, and as returned by, the ``transform`` of the ComBat step of
            the feature set's final model (fitted on these cases).
        centre : Series
            Each case's label in ComBat's batch column.
        """
        if feature_set not in self.combat_feature_sets:
            raise ValueError(
                f"StudyResult.centre_effect_tables: feature set {feature_set!r} has no final model "
                f"starting with ComBat; those that do are {preview(self.combat_feature_sets)}."
            )
        combat = self.harmonisation[feature_set]
        columns = self.settings["feature_sets"][feature_set]
        table = self.centre_training.loc[:, columns]
        table = table[table.notna().all(axis=1)]
        features = table.iloc[:, combat.feature_positions_]
        harmonised = combat.transform(table).loc[:, features.columns]
        return {"before": features, "after": harmonised}, table.iloc[:, combat.batch_position_]

    def plot_centre_pca(self, feature_set: str):
        """First two principal components of one feature set's training cases by centre, before and after ComBat.

        :func:`radfuse.harmonize.plot_centre_pca` of :meth:`centre_effect_tables`.

        Returns
        -------
        matplotlib.figure.Figure
            Panels "before ComBat" and "after ComBat".
        """
        from ..harmonize import plot_centre_pca  # matplotlib only when a figure is wanted

        tables, centre = self.centre_effect_tables(feature_set)
        return plot_centre_pca({f"{stage} ComBat": table for stage, table in tables.items()}, centre)

    def centre_effects(self, alpha: float = 0.05) -> pd.DataFrame:
        """How many features differ between centres before and after ComBat, per feature set.

        For every feature set whose final pipeline starts with
        :class:`~radfuse.harmonize.ComBat`, each harmonised feature of the
        training cases is tested across centres (ComBat's batch column) with
        the Kruskal-Wallis test (:func:`~radfuse.harmonize.centre_effect_summary`),
        before ComBat and after the final model's fitted ComBat (see
        :meth:`centre_effect_tables`).

        Parameters
        ----------
        alpha : float, default=0.05
            Significance level of each (uncorrected) test.

        Returns
        -------
        DataFrame with ``feature_set``, ``stage`` (``"before"``, ``"after"``),
        ``n_cases``, ``n_centres``, ``n_features``, ``n_significant`` and
        ``share_significant``; no rows when no pipeline starts with ComBat.

        References
        ----------
        F. Orlhac et al., "A guide to ComBat harmonization of imaging
        biomarkers in multicenter studies", Journal of Nuclear Medicine 63,
        172-179 (2022).
        """
        frames = []
        for feature_set in self.combat_feature_sets:
            tables, centre = self.centre_effect_tables(feature_set)
            summary = centre_effect_summary(tables, centre, alpha=alpha)
            frames.append(
                summary.rename_axis("stage").reset_index().assign(
                    feature_set=feature_set, n_cases=centre.size, n_centres=centre.nunique()
                )
            )
        columns = ["feature_set", "stage", "n_cases", "n_centres", "n_features", "n_significant",
                   "share_significant"]
        return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)

    # ----------------------------------------------------------------- export
    def to_dict(self) -> dict[str, pd.DataFrame]:
        """All tables by name (what :meth:`save_tables` writes)."""
        tables = {
            "metrics_test": self.metrics("test"),
            "metrics_train": self.metrics("train"),
            "metrics_cv": self.metrics("cv"),
            **({"metrics_cohorts": self.cohort_metrics()} if len(self.cohorts) > 1 else {}),
            "fold_scores": self.fold_scores(),
            "feature_counts": self.feature_counts(),
            "selected_features": self.selected_features(),
            "thresholds": self.thresholds.rename("threshold").reset_index(),
            "class_balance": self.class_balance.reset_index(),
            **({} if self.feature_set_cases is None else {"feature_set_cases": self.feature_set_cases}),
            "predictions": self.predictions,
        }
        for feature_set in dict.fromkeys(key[0] for key, d in self._selections.items() if "lasso" in d):
            path = self.lasso_path(feature_set)
            tables[f"lasso_cv_{feature_set}"] = pd.DataFrame(
                {
                    "alpha": path["alphas"], "cv_mean": path["cv_mean"], "cv_se": path["cv_se"],
                    "chosen": path["alphas"] == path["alpha"],
                }
            )
        if self.tuning is not None:
            tables["tuning"] = self.tuning
        if self.fold_groups is not None:
            tables["metrics_held_out"] = self.held_out_metrics()
        if self.centre_training is not None:
            tables["centre_effects"] = self.centre_effects()
        if self.clinical_models is not None:
            tables.update(self.clinical_models.to_dict())
        if self.baseline is not None:
            tables["baseline"] = self.baseline.reset_index()
        if not self.warnings.empty:
            tables["warnings"] = self.warnings
        if not self.lasso_rules.empty:
            tables["lasso_rules"] = self.lasso_rules
        if not self.failed_folds.empty:
            tables["failed_folds"] = self.failed_folds
        return tables

    def save(self, directory, *, overwrite=False, **options) -> Path:
        """Write tables, figures, the HTML report and the models.

        See :func:`radfuse.report.save_study` for ``options``; returns the
        path of the HTML report.

        The report is first written to a temporary folder beside
        ``directory`` and moved in only when complete, so a failure (a full
        disk) leaves an earlier report untouched. ``directory`` gets a
        manifest (``radfuse-study-manifest.json``) listing every file written.

        Parameters
        ----------
        directory : str or Path
            Created if needed. A folder that already holds files needs
            ``overwrite=True``.
        overwrite : bool, default False
            Replace an earlier study in ``directory``: the files its manifest
            lists are removed (so no stale model or figure stays beside the
            new report) and nothing else is touched.

        Raises
        ------
        FileExistsError
            ``directory`` holds files and ``overwrite`` is False; raised
            before any work.
        """
        from ..report import save_study  # matplotlib only when a report is wanted

        directory = check_report_folder(directory, overwrite=overwrite, step="StudyResult.save")
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
        try:
            report = save_study(self, staging, **options)
            written = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
            manifest = {"format": _MANIFEST_FORMAT, "files": written}
            (staging / STUDY_MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            for name in [*written, STUDY_MANIFEST]:
                fsync_file(staging / name)
            _remove_earlier_study(directory)
            for name in [*written, STUDY_MANIFEST]:
                (directory / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / name, directory / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return directory / report.relative_to(staging)

    def save_tables(self, directory) -> list[Path]:
        """Write every table of :meth:`to_dict` as ``<name>.csv``; return the paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, table in self.to_dict().items():
            path = directory / f"{name}.csv"
            with atomic_path(path) as temporary:
                table.to_csv(temporary, index=False)
            paths.append(path)
        return paths


#: File listing what :meth:`StudyResult.save` wrote, so a later save can remove exactly that.
STUDY_MANIFEST = "radfuse-study-manifest.json"
_MANIFEST_FORMAT = "radfuse-study-files/1"


def check_report_folder(directory, *, overwrite: bool, step: str) -> Path:
    """Fail before any work when a study report cannot be written to ``directory``.

    A file in the way, an unwritable parent, or a folder that already holds
    files without ``overwrite=True`` is an error naming the folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from radfuse.study._result import check_report_folder
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("mine")
    >>> check_report_folder(folder, overwrite=False, step="save")
    Traceback (most recent call last):
    ...
    FileExistsError: save: ... already holds 1 file(s) (e.g. ['notes.txt']); pass overwrite=True to replace an earlier study there (only the files its manifest lists are removed), or choose an empty folder.
    """
    directory = check_destination(directory, step=step, folder=True)
    if directory.is_dir() and not overwrite:
        present = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
        if present:
            raise FileExistsError(
                f"{step}: {str(directory)!r} already holds {len(present)} file(s) (e.g. "
                f"{preview(present, limit=3)}); pass overwrite=True to replace an earlier study "
                "there (only the files its manifest lists are removed), or choose an empty folder."
            )
    return directory


def _remove_earlier_study(directory: Path) -> None:
    """Delete the files an earlier save listed in its manifest, and nothing else."""
    manifest = directory / STUDY_MANIFEST
    if not manifest.is_file():
        return
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError):
        return
    root = directory.resolve()
    for name in listed:
        path = (directory / name).resolve()
        if root in path.parents and path.is_file():  # never outside the folder
            path.unlink()
            for parent in path.parents:
                if parent == root or any(parent.iterdir()):
                    break
                parent.rmdir()
    manifest.unlink()
