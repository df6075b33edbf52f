"""The report's opening section: the model chosen by mean CV AUC, its test metrics and the key comparisons."""

from __future__ import annotations

import pandas as pd

from ._tables import (
    RANKING_RULE,
    cohort_phrase,
    cohort_summary_table,
    excluded_folds,
    format_pvalue,
    has_named_cohorts,
    ranking_table,
    summary_table,
    warning_summary,
)

__all__: list[str] = []


def _comparison_sentences(compared: pd.DataFrame) -> str:
    """One sentence per compared pair (and cohort, when ``compared`` has a ``cohort`` column)."""
    lines = []
    keys = ["cohort", "a", "b"] if "cohort" in compared.columns else ["a", "b"]
    for key, rows in compared.groupby(keys, sort=False):
        *cohort, a, b = key
        where = f"test cohort {cohort[0]}" if cohort else "test set"
        rows = rows.set_index("test")
        parts = []
        for test, label in (("delong", "AUC difference"), ("nri", "NRI"), ("idi", "IDI")):
            if test in rows.index:
                row = rows.loc[test]
                parts.append(
                    f"{label} {row.estimate:.3f} (95% CI {row.ci_lower:.3f} to {row.ci_upper:.3f}, "
                    f"p {'= ' if row.pvalue >= 0.001 else ''}{format_pvalue(row.pvalue)})"
                )
        lines.append(f"**{a} versus {b}** ({where}): " + "; ".join(parts) + ".")
    return "\n\n".join(lines)


def clinical_summary(models) -> str:
    """The clinical models in two sentences: AUCs on the primary cohort and the combined model's validation."""
    primary = models.cohorts[0]
    auc = models.metrics(primary).query("metric == 'auc'").set_index("model")
    validation = models.validation.table
    return (
        f"AUC on {cohort_phrase(primary)}: "
        + "; ".join(f"{model} {row.estimate:.3f} ({row.ci_lower:.3f}-{row.ci_upper:.3f})" for model, row in
                    auc.iterrows())
        + f". The combined model's optimism-corrected C statistic is {validation.loc['C', 'corrected']:.3f} "
        f"(apparent {validation.loc['C', 'apparent']:.3f}; calibration slope "
        f"{validation.loc['Slope', 'corrected']:.3f}; {models.validation.n_resamples} bootstrap resamples)."
    )


def summary_section(result, compared: pd.DataFrame, held_out: pd.DataFrame | None = None) -> list:
    """The report's opening items.

    ``compared``: :func:`comparison_table` (with a ``cohort`` column for named
    cohorts); ``held_out``: :func:`held_out_summary_table` where the report
    shows per-held-out-group results, else None.
    """
    ranking = ranking_table(result)
    chosen = ranking.iloc[0]
    key = tuple(chosen["model"].split("/", 1))
    balance = result.class_balance
    named = has_named_cohorts(result)
    primary = result.cohorts[0]
    where = f"On the primary test cohort '{primary}'" if named else "On the test set"
    intro = (
        f"**Ranking rule.** {RANKING_RULE}\n\n"
        f"**Chosen model: {chosen['model']}**, mean CV AUC {chosen['cv_auc']:.3f} \u00b1 "
        f"{chosen['cv_auc_sd']:.3f} (corrected 95% CI {chosen['cv_ci_lower']:.3f}-{chosen['cv_ci_upper']:.3f}) "
        f"over {chosen['n_folds']} folds. {where} ({int(balance.loc[primary, 'n'])} cases, "
        f"{int(balance.loc[primary, 'n_positive'])} positive) its AUC is {chosen['test_auc']:.3f} (DeLong 95% CI "
        f"{chosen['test_ci_lower']:.3f}-{chosen['test_ci_upper']:.3f}) at threshold "
        f"{float(result.thresholds[key]):.3f}, chosen on the training set."
    )
    if named and len(result.cohorts) > 1:
        auc = result.cohort_metrics().query("metric == 'auc' and feature_set == @key[0] and classifier == @key[1]")
        intro += " On the other test cohorts: " + "; ".join(
            f"'{row.cohort}' AUC {row.estimate:.3f} ({row.ci_lower:.3f}-{row.ci_upper:.3f})"
            for row in auc.iloc[1:].itertuples()
        ) + "."
    shown = ranking.head(10).assign(
        cv_auc=[f"{r.cv_auc:.3f} \u00b1 {r.cv_auc_sd:.3f}" for r in ranking.head(10).itertuples()],
        test_auc=[f"{r.test_auc:.3f} ({r.test_ci_lower:.3f}-{r.test_ci_upper:.3f})"
                  for r in ranking.head(10).itertuples()],
    )[["rank", "model", "cv_auc", "test_auc"]].rename(
        columns={"cv_auc": "CV AUC (mean \u00b1 SD)",
                 "test_auc": f"{primary} AUC (95% CI)" if named else "test AUC (95% CI)"}
    )
    if named:
        chosen_metrics = cohort_summary_table(result).query("model == @chosen['model']").reset_index(drop=True)
        metrics_item = ("Metrics of the chosen model on each test cohort (95% CI)", chosen_metrics)
    else:
        test_summary = summary_table(result, "test").set_index("model").loc[[chosen["model"]]].reset_index()
        metrics_item = ("Test metrics of the chosen model (95% CI)", test_summary)
    items = [
        intro,
        metrics_item,
        (f"Ranking by mean CV AUC ({'top 10 of ' if len(ranking) > 10 else ''}{len(ranking)} models)", shown),
    ]
    if held_out is not None:
        rows = held_out.query("model == @chosen['model']")
        items.append((
            "Chosen model per held-out group (cross-validation)",
            f"Out-of-fold AUC of {chosen['model']} on each held-out group, scored by the model trained on the "
            "other groups: " + "; ".join(f"{row.held_out} {row.auc}" for row in rows.itertuples()) + ".",
        ))
    if not compared.empty:
        items.append((
            "Key comparisons",
            f"{'Comparisons on each test cohort' if named else 'Test-set comparisons'} of the pairs the study named "
            "or, by default, of the chosen model with the best model (by mean CV AUC) of every other feature "
            "set.\n\n"
            + _comparison_sentences(compared),
        ))
    if result.clinical_models is not None:
        items.append(("Clinical and rad-score models", clinical_summary(result.clinical_models)))
    n_warnings = len(result.warnings)
    excluded = excluded_folds(result)
    notes = (
        f"{n_warnings} warning(s) were raised while fitting ({len(warning_summary(result))} kind(s)); "
        if n_warnings
        else "No warning was raised while fitting; "
    ) + (
        f"{excluded['model'].nunique()} model(s) had metrics undefined in some CV folds, averaged over fewer "
        "folds. See 'Warnings and excluded folds'."
        if len(excluded)
        else "every metric was defined in every CV fold."
    )
    items.append(("Warnings", notes))
    return items
