"""The report's opening section: the model chosen by mean CV AUC, its test metrics and the key comparisons."""

from __future__ import annotations

import pandas as pd

from ._tables import RANKING_RULE, excluded_folds, format_pvalue, ranking_table, summary_table, warning_summary

__all__: list[str] = []


def _comparison_sentences(compared: pd.DataFrame) -> str:
    lines = []
    for (a, b), rows in compared.groupby(["a", "b"], sort=False):
        rows = rows.set_index("test")
        parts = []
        for test, label in (("delong", "AUC difference"), ("nri", "NRI"), ("idi", "IDI")):
            if test in rows.index:
                row = rows.loc[test]
                parts.append(
                    f"{label} {row.estimate:.3f} (95% CI {row.ci_lower:.3f} to {row.ci_upper:.3f}, "
                    f"p {'= ' if row.pvalue >= 0.001 else ''}{format_pvalue(row.pvalue)})"
                )
        lines.append(f"**{a} versus {b}** (test set): " + "; ".join(parts) + ".")
    return "\n\n".join(lines)


def summary_section(result, compared: pd.DataFrame) -> list:
    ranking = ranking_table(result)
    chosen = ranking.iloc[0]
    key = tuple(chosen["model"].split("/", 1))
    balance = result.class_balance
    test_summary = summary_table(result, "test").set_index("model").loc[[chosen["model"]]].reset_index()
    intro = (
        f"**Ranking rule.** {RANKING_RULE}\n\n"
        f"**Chosen model: {chosen['model']}**, mean CV AUC {chosen['cv_auc']:.3f} \u00b1 "
        f"{chosen['cv_auc_sd']:.3f} (corrected 95% CI {chosen['cv_ci_lower']:.3f}-{chosen['cv_ci_upper']:.3f}) "
        f"over {chosen['n_folds']} folds. On the test set ({int(balance.loc['test', 'n'])} cases, "
        f"{int(balance.loc['test', 'n_positive'])} positive) its AUC is {chosen['test_auc']:.3f} (DeLong 95% CI "
        f"{chosen['test_ci_lower']:.3f}-{chosen['test_ci_upper']:.3f}) at threshold "
        f"{float(result.thresholds[key]):.3f}, chosen on the training set."
    )
    shown = ranking.head(10).assign(
        cv_auc=[f"{r.cv_auc:.3f} \u00b1 {r.cv_auc_sd:.3f}" for r in ranking.head(10).itertuples()],
        test_auc=[f"{r.test_auc:.3f} ({r.test_ci_lower:.3f}-{r.test_ci_upper:.3f})"
                  for r in ranking.head(10).itertuples()],
    )[["rank", "model", "cv_auc", "test_auc"]].rename(
        columns={"cv_auc": "CV AUC (mean \u00b1 SD)", "test_auc": "test AUC (95% CI)"}
    )
    items = [
        intro,
        ("Test metrics of the chosen model (95% CI)", test_summary),
        (f"Ranking by mean CV AUC ({'top 10 of ' if len(ranking) > 10 else ''}{len(ranking)} models)", shown),
    ]
    if not compared.empty:
        items.append((
            "Key comparisons",
            "Test-set comparisons of the pairs the study named or, by default, of the chosen model with the "
            "best model (by mean CV AUC) of every other feature set.\n\n" + _comparison_sentences(compared),
        ))
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
