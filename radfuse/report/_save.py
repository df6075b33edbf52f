"""Write a finished study to disk: tables, figures, models, methods text and the HTML report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from ..persistence import save_model
from ._figures import (
    CENTRE_FIGURES,
    CLINICAL_FIGURES,
    DEFAULT_DPI,
    REPORT_FIGURES,
    ReportFigure,
    figure_cohorts,
    figure_stem,
    file_stem,
    save_figure,
    study_figures,
)
from ._html import write_html_report
from ._methods import CENTRE_EFFECT_ALPHA, held_out_shown, methods_text
from ._summary import summary_section
from ._tables import (
    clinical_summary_table,
    cohort_summary_table,
    comparison_table,
    default_comparisons,
    excluded_folds,
    format_pvalue,
    has_named_cohorts,
    held_out_summary_table,
    hyperparameter_table,
    once_per_feature_set,
    ranking_table,
    short_repr,
    summary_table,
    warning_summary,
    wide_test_predictions,
)

__all__ = [
    "save_study",
]


def _model_metadata(result, key, test_metrics) -> dict:
    auc = test_metrics[
        (test_metrics["feature_set"] == key[0]) & (test_metrics["classifier"] == key[1]) & (test_metrics["metric"] == "auc")
    ]["estimate"]
    return {
        "feature_set": key[0],
        "classifier": key[1],
        "threshold": float(result.thresholds[key]),
        "pos_label": str(result.pos_label),
        "test_auc": float(auc.iloc[0]),
        "seed": int(result.settings["seed"]),
    }


def _training_columns(result, key, model) -> list[str]:
    """The columns a final model was fitted on.

    A pipeline starting with a sampler (SMOTE) does not record them, so they
    come from the study's feature set.
    """
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        names = result.settings["feature_sets"][key[0]]
    return [str(name) for name in names]


def _save_models(result, directory: Path, extraction_settings, progress: bool) -> list[Path]:
    test_metrics = result.metrics("test")
    paths = []
    for key, model in tqdm(result.models_.items(), desc="Models", disable=not progress):
        path = directory / f"{file_stem('__'.join(key))}.skops"
        paths.append(
            save_model(
                model,
                path,
                feature_names=_training_columns(result, key, model),
                extraction_settings=extraction_settings,
                metadata=_model_metadata(result, key, test_metrics),
            )
        )
    return paths


def _held_out_items(result, held_out: pd.DataFrame) -> list:
    """The per-held-out-group section: the table where each fold is shown, else where to find it."""
    intro = (
        "Out-of-fold predictions of the cross-validation scored per fold, with the fold's held-out group(s): "
        "with leave-one-centre-out CV, one row per centre, scored by the model trained on the other centres, "
        "at the model's threshold from the training set; intervals as on the test set. Also in "
        "tables/summary_held_out.csv (formatted) and tables/metrics_held_out.csv (numbers)."
    )
    if result.settings["n_repeats"] > 1:
        return [intro + f" The {len(held_out)} rows of the repeated CV are in those files only."]
    shown = held_out.assign(held_out=held_out["held_out"].map(short_repr))
    return [intro, ("Metrics per held-out group (95% CI)", shown)]


def _clinical_items(models, figures: list) -> list:
    """The clinical models' section: rad-score, coefficients, nomogram, validation, calibration, comparisons.

    ``figures``: the built :data:`CLINICAL_FIGURES`, in that order (nomogram, bootstrap calibration).
    """
    coefficients = models.coefficients()
    coefficients = coefficients.assign(pvalue=coefficients["pvalue"].map(format_pvalue))
    comparisons = models.comparisons()
    comparisons = comparisons.assign(pvalue=comparisons["pvalue"].map(format_pvalue))
    kept = models.validation.n_resamples - models.validation.n_failed
    return [
        f"Clinical, radiomics (rad-score) and combined logistic models fitted on the training set (as rms::lrm). "
        f"The rad-score is the linear predictor of the LASSO of {'/'.join(models.rad_score_model)}: "
        f"{models.rad_score_formula}. Tables: tables/clinical_models_*.csv.",
        ("Coefficients and odds ratios (Wald 95% CI)", coefficients),
        ("Metrics on the training set (apparent) and each test cohort (95% CI)", clinical_summary_table(models)),
        *figures[:1],
        (f"Internal validation of the combined model: Harrell's optimism-corrected bootstrap ({kept} resamples, "
         "as rms::validate)", models.validation.table.rename_axis("index").reset_index()),
        *figures[1:],
        f"Mean absolute calibration error (bias-corrected): {models.calibration.mean_absolute_error:.3f}.",
        ("Comparisons per test cohort: DeLong (AUC difference), NRI and IDI", comparisons),
    ]


def _centre_items(result, figures: list) -> list:
    """The centre-effect section: Kruskal-Wallis counts before and after ComBat, and the PCA figures."""
    return [
        "Each harmonised feature of the training cases was tested across centres (ComBat's batch column) with "
        f"the Kruskal-Wallis test at alpha = {CENTRE_EFFECT_ALPHA:g} (uncorrected), before and after the ComBat of "
        "the final model, fitted on these cases. Also in tables/centre_effects.csv.",
        (f"Features with a centre effect (Kruskal-Wallis p < {CENTRE_EFFECT_ALPHA:g}) before and after ComBat",
         result.centre_effects(alpha=CENTRE_EFFECT_ALPHA)),
        *figures,
    ]


def save_study(
    result, directory, *, comparisons=None, extraction_settings=None, title=None, save_models=True, progress=False,
    dpi=DEFAULT_DPI, threshold_range=(0.0, 0.5), smooth=False,
) -> Path:
    """Write every table, figure and model of a study, its methods text and an HTML report.

    Parameters
    ----------
    result : StudyResult
    directory : str or Path
        Created if needed; existing files of the same names are replaced.
    comparisons : list of (a, b), optional
        Model pairs (``"feature_set/classifier"``) to compare on the test set
        (on every test cohort of a ``Study(split={...})``) with DeLong, NRI
        and IDI; default :func:`default_comparisons`.
    extraction_settings : dict, optional
        Extraction provenance: stated in the methods and stored with every
        model, so ``radfuse predict --manifest`` can extract new images the
        same way.
    title : str, optional
        Title of the HTML report.
    save_models : bool
        Write the final models to ``models/`` (skops).
    progress : bool
        Show progress bars while figures and models are written.
    dpi : int
        Resolution of the PNG figures (the SVGs are vector graphics).
    threshold_range : (float, float) or "data"
        Thresholds of the decision curves (default 0-0.5).
    smooth : bool
        Smooth the decision curves.

    Returns
    -------
    Path of ``report.html``.

    Notes
    -----
    A study with named test cohorts (``Study(split={"internal": 0.3,
    "centre_B": (X_b, y_b)})``) gets each cohort's metrics, comparisons and
    test-set figures (``roc_<feature set>__<cohort>``...), with
    ``tables/summary_cohorts.csv`` and ``predictions_<cohort>_wide.csv``; the
    primary cohort is also ``summary_test.csv``. A grouped study
    (``Study(groups=...)``, e.g. leave-one-centre-out CV) gets its CV scored
    per held-out group (``summary_held_out.csv``). A study with
    ``clinical_model`` gets a section on the clinical, radiomics and combined
    logistic models: odds ratios, the nomogram, the bootstrap validation and
    calibration, and their comparisons per cohort. A study whose pipelines
    start with ComBat gets a section on centre effects: the features of the
    training cases differing between centres (Kruskal-Wallis) before and
    after harmonisation, and their first two principal components by centre.

    Examples
    --------
    >>> from radfuse.report import save_study
    >>> report = save_study(result, "results")  # doctest: +SKIP
    >>> report.name  # doctest: +SKIP
    'report.html'

    ``result`` is a :class:`~radfuse.study.StudyResult`, e.g. from
    ``Study(...).run()``; ``result.save("results")`` does the same.

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    .. [2] Lambin, P., Leijenaar, R. T. H., Deist, T. M., et al. (2017). Radiomics:
        the bridge between medical imaging and personalized medicine. Nature
        Reviews Clinical Oncology, 14(12), 749-762.
    """
    directory = Path(directory)
    tables_dir, figures_dir, models_dir = (directory / name for name in ("tables", "figures", "models"))
    for folder in (tables_dir, figures_dir):
        folder.mkdir(parents=True, exist_ok=True)
    comparisons = default_comparisons(result) if comparisons is None else [tuple(pair) for pair in comparisons]

    result.save_tables(tables_dir)
    named = has_named_cohorts(result)
    compared = comparison_table(result, comparisons, result.cohorts if named else None)
    held_out = held_out_summary_table(result) if held_out_shown(result) else None
    extra_tables = {
        "comparisons": compared,
        "summary_test": summary_table(result, "test"),
        "summary_train": summary_table(result, "train"),
        "summary_cv": summary_table(result, "cv"),
        **({"summary_cohorts": cohort_summary_table(result)} if named else {}),
        **({} if held_out is None else {"summary_held_out": held_out}),
        **({} if result.clinical_models is None else
           {"clinical_models_summary": clinical_summary_table(result.clinical_models)}),
        "ranking": ranking_table(result),
        "hyperparameters": hyperparameter_table(result),
    }
    for name, table in extra_tables.items():
        table.to_csv(tables_dir / f"{name}.csv", index=False)
    wide_test_predictions(result).to_csv(tables_dir / "predictions_test_wide.csv")
    if named:
        for cohort in result.cohorts:
            wide_test_predictions(result, cohort).to_csv(tables_dir / f"predictions_{file_stem(cohort)}_wide.csv")

    figures = study_figures(result, threshold_range=threshold_range, smooth=smooth)
    pngs = {
        stem: save_figure(item.figure, figures_dir / stem, dpi)
        for stem, item in tqdm(figures.items(), desc="Figures", disable=not progress)
    }
    pd.DataFrame(
        {"file": [f"{stem}.png" for stem in figures], "caption": [item.caption for item in figures.values()],
         "alt": [item.alt for item in figures.values()]}
    ).to_csv(figures_dir / "captions.csv", index=False)
    if save_models:
        models_dir.mkdir(parents=True, exist_ok=True)
        _save_models(result, models_dir, extraction_settings, progress)

    methods = methods_text(result, comparisons, extraction_settings)
    (directory / "methods.md").write_text("# Methods\n\n" + methods, encoding="utf-8")

    def shown(stems):
        return [ReportFigure(pngs[stem], figures[stem].caption, figures[stem].alt) for stem in stems if stem in figures]

    feature_sets = list(dict.fromkeys(name for name, _ in result.models))
    figure_sections = [
        (
            f"Figures: {feature_set}",
            shown(
                figure_stem(kind, feature_set, cohort)
                for kind in REPORT_FIGURES if kind not in (*CLINICAL_FIGURES, *CENTRE_FIGURES)
                for cohort in figure_cohorts(result, kind)
            ),
        )
        for feature_set in feature_sets
    ]
    compared_shown = compared.assign(pvalue=compared["pvalue"].map(format_pvalue)) if not compared.empty else compared
    warnings_seen = warning_summary(result)
    excluded = excluded_folds(result)
    balance = result.class_balance
    if named:
        performance = [
            (f"Test cohort {cohort} ({int(balance.loc[cohort, 'n'])} cases, "
             f"{int(balance.loc[cohort, 'n_positive'])} positive): metrics (95% CI); thresholds chosen on the "
             "training set", summary_table(result, cohort))
            for cohort in result.cohorts
        ]
    else:
        performance = [("Test set: metrics (95% CI); thresholds chosen on the training set",
                        extra_tables["summary_test"])]
    performance += [
        ("Cross-validation on the training set: mean \u00b1 SD [corrected 95% CI]", extra_tables["summary_cv"]),
        ("Training set (final models, resubstitution; optimistic)", extra_tables["summary_train"]),
    ]
    sections = [
        ("Summary", summary_section(result, compared, held_out if result.settings["n_repeats"] == 1 else None)),
        ("Methods", methods),
        ("Cohort", [("Class balance by split", result.class_balance.reset_index())]
         + ([("Baseline characteristics", result.baseline.reset_index())] if result.baseline is not None else [])),
        *([] if not result.combat_feature_sets else [
            ("Centre effects", _centre_items(result, shown(
                figure_stem(kind, feature_set) for feature_set in result.combat_feature_sets for kind in CENTRE_FIGURES
            )))
        ]),
        ("Performance", performance),
        *([] if held_out is None else [("Cross-validation per held-out group", _held_out_items(result, held_out))]),
        ("Model comparisons on the test cohorts" if named else "Model comparisons on the test set",
         compared_shown if not compared.empty else "No comparison was requested."),
        *([] if result.clinical_models is None else [
            ("Clinical and rad-score models", _clinical_items(result.clinical_models, shown(
                figure_stem(kind, result.clinical_models.rad_score_model[0]) for kind in CLINICAL_FIGURES
            )))
        ]),
        ("Feature selection", [
            ("Features left after each step (final refit and over CV folds)",
             once_per_feature_set(result.feature_counts())),
            ("Selected features and LASSO coefficients (final refit)",
             once_per_feature_set(result.selected_features())),
        ]),
        ("Hyper-parameters", [
            "Every parameter of every selection step and classifier as fitted (None values left out); "
            "also in tables/hyperparameters.csv.",
            extra_tables["hyperparameters"],
        ]),
        *figure_sections,
        ("Warnings and excluded folds", [
            ("Warnings raised while fitting (numbers in messages vary; one example shown)",
             warnings_seen if not warnings_seen.empty else "No warning was raised."),
            ("Metrics undefined in some CV folds",
             excluded if not excluded.empty else "Every metric was defined in every CV fold."),
        ]),
        ("Files", "Tables (CSV): tables/. Figures (PNG at "
                  f"{dpi} dpi, SVG; captions in figures/captions.csv): figures/. Final models (skops, load with "
                  "radfuse.persistence.load_model): models/. Test-set predictions, one column per model, "
                  "for `radfuse compare`: tables/predictions_test_wide.csv"
                  + (" (the primary cohort; each cohort's in tables/predictions_<cohort>_wide.csv)." if named
                     else ".")),
    ]
    return write_html_report(directory / "report.html", title or "radfuse study report", sections, dpi=dpi)
