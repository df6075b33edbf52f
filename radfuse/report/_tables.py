"""The report's tables: metric summaries, ranking, comparisons, hyper-parameters, warnings and excluded folds."""

from __future__ import annotations

import pandas as pd

__all__ = [
    "RANKING_RULE",
    "aligned_text",
    "clinical_summary_table",
    "cohort_summary_table",
    "comparison_table",
    "default_comparisons",
    "format_pvalue",
    "held_out_summary_table",
    "hyperparameter_table",
    "ranking_table",
    "ranking_text",
    "summary_table",
]

_SUMMARY_METRICS = ("auc", "accuracy", "sensitivity", "specificity", "ppv", "npv", "f1")


def model_name(feature_set: str, classifier: str) -> str:
    return f"{feature_set}/{classifier}"


def has_named_cohorts(result) -> bool:
    """Whether the study was tested on named cohorts (``Study(split={...})``) rather than one test set."""
    return list(result.cohorts) != ["test"]


def cohort_phrase(cohort: str) -> str:
    """How text names a test cohort: ``"the test set"`` for the single unnamed one."""
    return "the test set" if cohort == "test" else f"test cohort '{cohort}'"


def _interval_text(estimate, ci_lower, ci_upper, digits: int) -> str:
    if pd.isna(ci_lower):
        return f"{estimate:.{digits}f}"
    return f"{estimate:.{digits}f} ({ci_lower:.{digits}f}-{ci_upper:.{digits}f})"


def _wide_intervals(table: pd.DataFrame, keys: list[str], digits: int) -> pd.DataFrame:
    """Tidy ``estimate``/``ci_lower``/``ci_upper`` rows as one formatted column per metric (rows as first seen)."""
    rows: dict[tuple, dict] = {}
    for row in table[table["metric"].isin((*_SUMMARY_METRICS, "threshold"))].to_dict("records"):
        texts = rows.setdefault(tuple(row[key] for key in keys), {})
        texts[row["metric"]] = _interval_text(row["estimate"], row["ci_lower"], row["ci_upper"], digits)
    wide = pd.DataFrame([{**dict(zip(keys, key)), **texts} for key, texts in rows.items()])
    return wide.loc[:, [*keys, *(m for m in (*_SUMMARY_METRICS, "threshold") if m in wide.columns)]]


def summary_table(result, split: str = "test", digits: int = 3) -> pd.DataFrame:
    """One row per model, one formatted column per metric, as papers print them.

    ``split="test"``, ``"train"`` or a test cohort's name:
    ``estimate (ci_lower-ci_upper)``; ``split="cv"``: ``mean ± SD
    [ci_lower-ci_upper]`` with the corrected resampled interval. The
    threshold column is the Youden cut-off.

    Parameters
    ----------
    result : StudyResult
    split : {"test", "train", "cv"} or a test cohort's name
    digits : int
        Decimals of every number.

    Returns
    -------
    DataFrame
        Column ``model`` (``feature_set/classifier``), then ``auc``,
        ``accuracy``, ``sensitivity``, ``specificity``, ``ppv``, ``npv``,
        ``f1`` and ``threshold`` as strings.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import summary_table
    >>> table = summary_table(result, "test")
    >>> table["model"].tolist()
    ['US/lr', 'MG/lr']
    >>> table.columns[:3].tolist()
    ['model', 'auc', 'accuracy']

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    .. [2] Nadeau, C., & Bengio, Y. (2003). Inference for the generalization error.
        Machine Learning, 52(3), 239-281.
    """
    table = result.metrics(split)
    table = table[table["metric"].isin((*_SUMMARY_METRICS, "threshold"))]
    rows: dict[str, dict] = {}
    for row in table.itertuples(index=False):
        name = model_name(row.feature_set, row.classifier)
        if row.metric == "threshold":
            value = row.mean if split == "cv" else row.estimate
            text = f"{value:.{digits}f}"
        elif split == "cv":
            text = f"{row.mean:.{digits}f} \u00b1 {row.sd:.{digits}f} [{row.ci_lower:.{digits}f}-{row.ci_upper:.{digits}f}]"
        else:
            text = f"{row.estimate:.{digits}f} ({row.ci_lower:.{digits}f}-{row.ci_upper:.{digits}f})"
        rows.setdefault(name, {})[row.metric] = text
    summary = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
    return summary.loc[:, [m for m in (*_SUMMARY_METRICS, "threshold") if m in summary.columns]].reset_index()


def cohort_summary_table(result, digits: int = 3) -> pd.DataFrame:
    """:func:`summary_table` of every test cohort in one table, with a leading ``cohort`` column.

    The formatted counterpart of :meth:`StudyResult.cohort_metrics`: each
    model at its Youden threshold from the training set, on each cohort.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> from radfuse.report import cohort_summary_table
    >>> cohort_summary_table(example_study_result())[["cohort", "model"]].values.tolist()
    [['test', 'US/lr'], ['test', 'MG/lr']]
    """
    frames = [summary_table(result, cohort, digits).assign(cohort=cohort) for cohort in result.cohorts]
    table = pd.concat(frames, ignore_index=True)
    return table[["cohort", *table.columns[:-1]]]


def held_out_summary_table(result, digits: int = 3) -> pd.DataFrame:
    """:meth:`StudyResult.held_out_metrics` as papers print it: one row per model and CV fold.

    With leave-one-centre-out CV each row is one held-out centre, scored by
    the model trained on the other centres, at the model's Youden threshold.

    Returns
    -------
    DataFrame
        ``model``, ``repeat``, ``fold``, ``held_out``, ``n``, then
        ``estimate (ci_lower-ci_upper)`` per metric as in :func:`summary_table`.
    """
    table = result.held_out_metrics()
    table = table.assign(model=[model_name(f, c) for f, c in zip(table["feature_set"], table["classifier"])])
    keys = ["model", "repeat", "fold", "held_out", "n"]
    return _wide_intervals(table, keys, digits)


def clinical_summary_table(models, digits: int = 3) -> pd.DataFrame:
    """Metrics of the clinical, radiomics and combined models on the training set and each test cohort.

    Parameters
    ----------
    models : ClinicalModels
        ``StudyResult.clinical_models``.

    Returns
    -------
    DataFrame
        ``split`` (``"train"``: apparent, or the cohort), ``model``, then
        ``estimate (ci_lower-ci_upper)`` per metric as in :func:`summary_table`.
    """
    table = pd.concat(
        [models.metrics(split).assign(split=split) for split in ("train", *models.cohorts)], ignore_index=True
    )
    return _wide_intervals(table, ["split", "model"], digits)


def best_by_feature_set(result) -> dict[str, tuple[str, str]]:
    """Each feature set's model with the highest mean cross-validated AUC."""
    cv = result.metrics("cv")
    auc = cv[cv["metric"] == "auc"]
    best = auc.loc[auc.groupby("feature_set", sort=False)["mean"].idxmax()]
    return {row.feature_set: (row.feature_set, row.classifier) for row in best.itertuples(index=False)}


#: How the report, ``radfuse run`` and ``radfuse demo`` rank models, stated wherever they do.
RANKING_RULE = (
    "Models are ranked by their mean AUC over the folds of the repeated cross-validation on the "
    "training set; the test set plays no part in choosing or ranking them, so the chosen model's "
    "test metrics are an unbiased estimate of its performance."
)


def format_pvalue(pvalue) -> str:
    """A p-value as papers print it: three decimals, ``<0.001`` below that, blank when missing.

    Examples
    --------
    >>> from radfuse.report import format_pvalue
    >>> format_pvalue(0.04321), format_pvalue(2e-7), format_pvalue(float("nan"))
    ('0.043', '<0.001', '')

    References
    ----------
    .. [1] Lang, T. A., & Altman, D. G. (2015). Basic statistical reporting for
        articles published in biomedical journals: the "Statistical Analyses and
        Methods in the Published Literature" or the SAMPL Guidelines.
        International Journal of Nursing Studies, 52(1), 5-9.
    """
    if pvalue is None or pd.isna(pvalue):
        return ""
    return "<0.001" if pvalue < 0.001 else f"{pvalue:.3f}"


def ranking_table(result) -> pd.DataFrame:
    """Every model ranked by mean cross-validated AUC, with its test AUC alongside.

    The rank uses the training set's repeated CV only (:data:`RANKING_RULE`);
    ties keep the study's model order. The test AUC is reported, never used.

    Returns
    -------
    DataFrame
        ``rank``, ``model``, ``cv_auc`` (mean over folds), ``cv_auc_sd``,
        ``cv_ci_lower``, ``cv_ci_upper`` (corrected resampled 95% CI),
        ``n_folds``, ``test_auc``, ``test_ci_lower``, ``test_ci_upper`` (DeLong).

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> from radfuse.report import ranking_table
    >>> table = ranking_table(example_study_result())
    >>> table[["rank", "model"]].values.tolist()
    [[1, 'US/lr'], [2, 'MG/lr']]

    References
    ----------
    .. [1] Varma, S., & Simon, R. (2006). Bias in error estimation when using
        cross-validation for model selection. BMC Bioinformatics, 7, 91.
    """
    cv = result.metrics("cv").query("metric == 'auc'").set_index(["feature_set", "classifier"])
    test = result.metrics("test").query("metric == 'auc'").set_index(["feature_set", "classifier"])
    rows = [
        {
            "model": model_name(*key),
            "cv_auc": cv.loc[key, "mean"], "cv_auc_sd": cv.loc[key, "sd"],
            "cv_ci_lower": cv.loc[key, "ci_lower"], "cv_ci_upper": cv.loc[key, "ci_upper"],
            "n_folds": int(cv.loc[key, "n_folds"]),
            "test_auc": test.loc[key, "estimate"],
            "test_ci_lower": test.loc[key, "ci_lower"], "test_ci_upper": test.loc[key, "ci_upper"],
        }
        for key in result.models
    ]
    table = pd.DataFrame(rows).sort_values("cv_auc", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


def ranking_text(result, *, top=None, per_feature_set=False) -> str:
    """The ranking as aligned plain text, its rule stated first (what the CLI prints).

    Parameters
    ----------
    result : StudyResult
    top : int, optional
        Show only the first ``top`` models.
    per_feature_set : bool
        Show only each feature set's leader (by CV AUC).

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> from radfuse.report import ranking_text
    >>> print(ranking_text(example_study_result()))
    Models ranked by mean CV AUC on the training set (the test AUC is shown, never used to choose):
      rank  model  CV AUC (95% CI)          test AUC (95% DeLong CI)
         1  US/lr  0.950 (-0.150 to 2.050)  0.975 (0.917 to 1.000)
         2  MG/lr  0.945 (0.345 to 1.546)   0.988 (0.953 to 1.000)

    The example's CV has two folds, hence the wide corrected intervals.
    """
    table = ranking_table(result)
    if per_feature_set:
        table = table[~table["model"].str.split("/").str[0].duplicated()]
    if top is not None:
        table = table.head(top)
    shown = pd.DataFrame(
        {
            "rank": table["rank"].astype(str),
            "model": table["model"],
            "CV AUC (95% CI)": [
                f"{row.cv_auc:.3f} ({row.cv_ci_lower:.3f} to {row.cv_ci_upper:.3f})" for row in table.itertuples()
            ],
            f"{result.cohorts[0] if has_named_cohorts(result) else 'test'} AUC (95% DeLong CI)": [
                f"{row.test_auc:.3f} ({row.test_ci_lower:.3f} to {row.test_ci_upper:.3f})" for row in table.itertuples()
            ],
        }
    )
    header = (
        "Best model per feature set" if per_feature_set else "Models ranked"
    ) + " by mean CV AUC on the training set (the test AUC is shown, never used to choose):"
    return header + "\n" + aligned_text(shown, right=("rank",))


def aligned_text(table: pd.DataFrame, *, right=(), indent: int = 2) -> str:
    """A table of strings as fixed-width text: columns padded, ``right`` ones right-aligned.

    Examples
    --------
    >>> import pandas as pd
    >>> from radfuse.report import aligned_text
    >>> print(aligned_text(pd.DataFrame({"n": ["1", "10"], "name": ["a", "bcd"]}), right=("n",)))
       n  name
       1  a
      10  bcd
    """
    cells = [list(map(str, table.columns))] + table.astype(str).to_numpy().tolist()
    widths = [max(len(row[column]) for row in cells) for column in range(len(table.columns))]
    lines = []
    for row in cells:
        parts = [
            cell.rjust(width) if name in right else cell.ljust(width)
            for cell, width, name in zip(row, widths, table.columns)
        ]
        lines.append(" " * indent + "  ".join(parts).rstrip())
    return "\n".join(lines)


def default_comparisons(result) -> list[tuple[str, str]]:
    """The best model overall against the best model of every other feature set.

    "Best" is the highest mean AUC of the repeated cross-validation on the
    training set, so the test set, on which the comparisons are made, plays
    no part in choosing them.

    Parameters
    ----------
    result : StudyResult

    Returns
    -------
    list of (str, str)
        ``("feature_set/classifier", "feature_set/classifier")`` pairs, the
        overall leader first; empty when the study has one feature set.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import default_comparisons
    >>> default_comparisons(result)
    [('US/lr', 'MG/lr')]

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    """
    leader = tuple(result.best("auc", split="cv"))
    others = [key for key in best_by_feature_set(result).values() if key != leader]
    return [(model_name(*leader), model_name(*key)) for key in others]


def comparison_table(result, comparisons, cohorts=None) -> pd.DataFrame:
    """DeLong, NRI and IDI of each ``(a, b)`` pair on the test set (``a`` is the new model).

    Parameters
    ----------
    result : StudyResult
    comparisons : list of (a, b)
    cohorts : list of str, optional
        Compare on each of these test cohorts, one block of rows each, with a
        leading ``cohort`` column; default: the (primary) test set only.

    Returns
    -------
    DataFrame with ``a``, ``b``, ``test`` and :meth:`StudyResult.compare`'s
    ``estimate``, ``ci_lower``, ``ci_upper``, ``statistic`` and ``pvalue``
    (and ``cohort`` first when ``cohorts`` is given).

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import comparison_table
    >>> table = comparison_table(result, [("US/lr", "MG/lr")])
    >>> table["test"].tolist()
    ['delong', 'nri', 'idi']

    References
    ----------
    .. [1] DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing
        the areas under two or more correlated receiver operating characteristic
        curves: a nonparametric approach. Biometrics, 44(3), 837-845.
    .. [2] Pencina, M. J., D'Agostino, R. B. Sr, D'Agostino, R. B. Jr, & Vasan, R. S.
        (2008). Evaluating the added predictive ability of a new marker: from area
        under the ROC curve to reclassification and beyond. Statistics in
        Medicine, 27(2), 157-172.
    .. [3] Pencina, M. J., D'Agostino, R. B. Sr, & Steyerberg, E. W. (2011).
        Extensions of net reclassification improvement calculations to measure
        usefulness of new biomarkers. Statistics in Medicine, 30(1), 11-21.
    """
    frames = []
    for cohort in ["test"] if cohorts is None else cohorts:
        for a, b in comparisons:
            table = result.compare(a, b, cohort).reset_index()
            frames.append(table.assign(cohort=cohort, a=table.attrs["a"], b=table.attrs["b"]))
    columns = [*([] if cohorts is None else ["cohort"]), "a", "b", "test", "estimate", "ci_lower", "ci_upper",
               "statistic", "pvalue"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).loc[:, columns]


def wide_test_predictions(result, cohort: str = "test") -> pd.DataFrame:
    """Case id, outcome and one column per model on a test cohort: the input of ``radfuse compare``."""
    y = result.outcome(cohort)
    columns = {
        model_name(*key): result.probabilities(key, cohort).loc[y.index].to_numpy() for key in result.models
    }
    return pd.DataFrame({"y_true": y.to_numpy(), **columns}, index=y.index).rename_axis("case_id")


def _final_estimator(model):
    """The classifier at the end of a fitted pipeline, unwrapped from probability calibration."""
    estimator = model.steps[-1][1] if hasattr(model, "steps") else model
    return getattr(estimator, "estimator", None) or estimator


def hyperparameter_table(result) -> pd.DataFrame:
    """Every setting of every pipeline step and classifier, as the methods cite them.

    One block of rows per selection step (of the first plain feature set;
    every feature set shares the pipeline) and per classifier (the final
    model; a calibrated SVM is shown with the SVC it wraps). Parameters set
    to None are left out. With nested tuning, the classifier rows show the
    final refit of each model, and ``result.tuning`` holds the values chosen
    per fold.

    Returns
    -------
    DataFrame with ``component``, ``parameter`` and ``value`` (text).

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> from radfuse.report import hyperparameter_table
    >>> table = hyperparameter_table(example_study_result())
    >>> table.query("component == 'classifier lr' and parameter == 'C'")["value"].tolist()
    ['1.0']

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    """
    rows = []
    fusion = result.settings.get("fusion") or {}
    plain = [key for key in result.models if key[0] not in fusion]
    components = [(f"step {name}", step) for name, step in (pipeline_steps(result.models_[plain[0]]) if plain else [])]
    seen = set()
    for key in plain or result.models:
        if key[1] in seen:
            continue
        seen.add(key[1])
        components.append((f"classifier {key[1]}", _final_estimator(result.models_[key])))
    for component, estimator in components:
        if not hasattr(estimator, "get_params"):
            continue
        for parameter, value in estimator.get_params(deep=False).items():
            if value is None or hasattr(value, "get_params"):
                continue
            rows.append((component, parameter, short_repr(value)))
    return pd.DataFrame(rows, columns=["component", "parameter", "value"])


def short_repr(value, limit: int = 80) -> str:
    text = str(value) if isinstance(value, (int, float, str, bool)) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def pipeline_steps(model) -> list[tuple[str, object]]:
    """The fitted classifier-free steps of a model (the first block's for fusion models)."""
    steps = getattr(model, "steps", None)
    if steps is None:
        blocks = getattr(model, "estimators_", None) or {}
        first = next(iter(blocks.values()), None)
        steps = getattr(first, "steps", None) or []
    return [(name, step) for name, step in steps[:-1] if step not in (None, "passthrough")]


def once_per_feature_set(table: pd.DataFrame) -> pd.DataFrame:
    """A per-model table with each feature set's rows once when all its classifiers share them.

    The default pipeline fits one selection per feature set, so its rows
    repeat for every classifier; ``classifier`` then reads ``all (lr, nb)``.
    """
    if table.empty:
        return table
    frames = []
    for _, rows in table.groupby("feature_set", sort=False):
        per_classifier = [part.drop(columns="classifier").reset_index(drop=True) for _, part in
                          rows.groupby("classifier", sort=False)]
        if all(part.equals(per_classifier[0]) for part in per_classifier[1:]):
            names = ", ".join(dict.fromkeys(rows["classifier"]))
            frames.append(per_classifier[0].assign(classifier=f"all ({names})" if len(per_classifier) > 1 else names))
        else:
            frames.append(rows)
    columns = list(table.columns)
    return pd.concat(frames, ignore_index=True).loc[:, columns]


def warning_summary(result) -> pd.DataFrame:
    """Fitting warnings grouped by category and message pattern (numbers blanked), with counts."""
    warned = result.warnings
    columns = ["category", "message", "count", "feature_sets", "fits"]
    if warned.empty:
        return pd.DataFrame(columns=columns)
    pattern = warned["message"].astype(str).str.replace(r"\d+(\.\d+)?", "#", regex=True)
    grouped = warned.assign(pattern=pattern).groupby(["category", "pattern"], sort=False)
    rows = [
        (
            category,
            rows["message"].iloc[0],
            len(rows),
            ", ".join(dict.fromkeys(rows["feature_set"].astype(str))),
            ", ".join("final refit" if fold < 0 else f"fold {fold}" for fold in sorted(set(rows["fold"]))[:6])
            + (" ..." if rows["fold"].nunique() > 6 else ""),
        )
        for (category, _), rows in grouped
    ]
    return pd.DataFrame(rows, columns=columns).sort_values("count", ascending=False, kind="stable")


def excluded_folds(result) -> pd.DataFrame:
    """Models and metrics whose value was undefined in some CV folds, so fewer folds were averaged."""
    cv = result.metrics("cv")
    expected = int(result.settings["n_folds"])
    short = cv[(cv["metric"] != "threshold") & (cv["n_folds"] < expected)]
    return pd.DataFrame(
        {
            "model": [model_name(f, c) for f, c in zip(short["feature_set"], short["classifier"])],
            "metric": short["metric"].to_numpy(),
            "folds_used": short["n_folds"].astype(int).to_numpy(),
            "folds_run": expected,
        }
    )
