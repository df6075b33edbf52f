"""The report's figures: one registry of figure builders per feature set, and PNG/SVG rendering.

A report figure is one entry of :data:`REPORT_FIGURES`: a kind (the file
stem's prefix) and a function that draws it for one feature set, with its
caption and alt text, or returns None where the figure does not apply.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from matplotlib.figure import Figure

from .. import plots
from ._tables import best_by_feature_set, cohort_phrase, has_named_cohorts, model_name

__all__ = [
    "DEFAULT_DPI",
    "ReportFigure",
    "render_png",
    "study_figures",
]


def file_stem(name: str) -> str:
    """A name made safe for a file name (runs of other characters become ``_``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


@dataclass(frozen=True)
class ReportFigure:
    """A figure of the report with what a reader and a screen reader are told about it.

    ``figure`` is a matplotlib Figure or PNG bytes; ``caption`` is shown
    under it; ``alt`` is the image's alternative text (one sentence).
    """

    figure: object
    caption: str
    alt: str


@dataclass(frozen=True)
class FigureContext:
    """What a figure builder needs to draw one feature set's figure and word its caption.

    ``best`` is the feature set's model with the highest mean CV AUC,
    ``lasso`` the data of its LASSO figures (:meth:`StudyResult.lasso_path`)
    or None where its selection has no LASSO with a kept feature.
    ``cohort`` is the test cohort a kind of :data:`COHORT_FIGURES` is drawn
    for (``"test"`` for a study with one test set); ``n_bins`` its
    calibration bins.
    """

    result: object
    feature_set: str
    best: tuple[str, str]
    n_bins: int
    threshold_range: object
    smooth: bool
    lasso: dict | None
    cohort: str = "test"


def _roc(c: FigureContext) -> ReportFigure:
    n_folds, n_test = c.result.settings["n_folds"], c.result.outcome(c.cohort).size
    where = cohort_phrase(c.cohort)
    return ReportFigure(
        plots.plot_study_roc(c.result, c.feature_set, c.cohort),
        f"ROC curves of every {c.feature_set} model. Left: vertical average of the {n_folds} "
        "cross-validation folds on the training set (legend: mean AUC \u00b1 SD over folds). Right: the "
        f"final models on {where} (n = {n_test}); shaded: pointwise 95% bootstrap bands (1,000 "
        "resamples within each class); legend: AUC with DeLong 95% CI.",
        f"ROC curves of the {c.feature_set} models: cross-validation on the training set and {where}.",
    )


def _calibration(c: FigureContext) -> ReportFigure:
    return ReportFigure(
        plots.plot_study_calibration(c.result, c.feature_set, c.cohort, n_bins=c.n_bins),
        f"Calibration of every {c.feature_set} model on {cohort_phrase(c.cohort)}, one panel each: the observed event "
        f"rate in {c.n_bins} equal-count bins of predicted risk against the bins' mean predicted risk, with "
        "95% Wilson intervals; ticks mark single cases (events at the top); dashed: perfect calibration. "
        "Panel titles give the Brier score and the calibration slope.",
        f"Calibration plots of the {c.feature_set} models on {cohort_phrase(c.cohort)}, one panel per classifier.",
    )


def _decision_curve(c: FigureContext) -> ReportFigure:
    if isinstance(c.threshold_range, str):
        span = "threshold probabilities up to the 99th percentile of the predicted risks"
    else:
        span = f"threshold probabilities {c.threshold_range[0]:g}-{c.threshold_range[1]:g}"
    return ReportFigure(
        plots.plot_study_decision_curve(
            c.result, c.feature_set, c.cohort, threshold_range=c.threshold_range, smooth=c.smooth
        ),
        f"Decision curves of every {c.feature_set} model on {cohort_phrase(c.cohort)}: net benefit over {span}"
        + (" (smoothed with a Gaussian kernel, SD 0.02)" if c.smooth else "")
        + ", against treating every patient (grey) and treating none (dashed).",
        f"Decision curves of the {c.feature_set} models on {cohort_phrase(c.cohort)}.",
    )


def _confusion(c: FigureContext) -> ReportFigure:
    return ReportFigure(
        plots.plot_study_confusion_matrices(c.result, c.feature_set, c.cohort),
        f"Confusion matrices of every {c.feature_set} model on {cohort_phrase(c.cohort)} at its Youden "
        "threshold, chosen on the training set.",
        f"Confusion matrices of the {c.feature_set} models on {cohort_phrase(c.cohort)}.",
    )


def _waterfall(c: FigureContext) -> ReportFigure:
    model = model_name(*c.best)
    return ReportFigure(
        plots.plot_study_waterfall(c.result, c.best, c.cohort),
        f"Waterfall plot of {model}, the {c.feature_set} model with the highest mean CV AUC: one bar per "
        f"{'test case' if c.cohort == 'test' else f'case of {cohort_phrase(c.cohort)}'}, sorted by predicted "
        "probability and coloured by the true class; dashed: its threshold.",
        f"Waterfall plot of the {'test-set' if c.cohort == 'test' else cohort_phrase(c.cohort)} predictions "
        f"of {model}.",
    )


def _lasso(c: FigureContext) -> ReportFigure | None:
    if c.lasso is None:
        return None
    return ReportFigure(
        plots.plot_study_lasso(c.result, c.feature_set, paths=False),
        f"LASSO penalty of the final {c.feature_set} refit: cross-validated error (mean \u00b1 SE over "
        f"folds) against log(\u03bb); dotted: the chosen \u03bb ({c.lasso['rule']} rule).",
        f"Cross-validated error of the {c.feature_set} LASSO against its penalty.",
    )


def _lasso_path(c: FigureContext) -> ReportFigure | None:
    if c.lasso is None or c.lasso["coef_path"] is None:
        return None
    return ReportFigure(
        plots.plot_lasso_path(
            c.lasso["coef_path"], c.lasso["alpha"], title=f"LASSO coefficient paths: {c.feature_set}"
        ),
        f"LASSO coefficient paths of the final {c.feature_set} refit; coloured and named: the "
        "features kept at the chosen \u03bb (dotted).",
        f"Coefficient paths of the {c.feature_set} LASSO.",
    )


def _lasso_coefficients(c: FigureContext) -> ReportFigure | None:
    if c.lasso is None:
        return None
    return ReportFigure(
        plots.plot_study_lasso_coefficients(c.result, c.feature_set),
        f"Non-zero LASSO coefficients of the final {c.feature_set} refit (standardised features), "
        "largest magnitude first.",
        f"Bar chart of the {c.feature_set} LASSO coefficients.",
    )


def _clinical_models(c: FigureContext):
    """The study's clinical models when their rad-score comes from this feature set, else None."""
    models = c.result.clinical_models
    return models if models is not None and models.rad_score_model[0] == c.feature_set else None


def _nomogram(c: FigureContext) -> ReportFigure | None:
    models = _clinical_models(c)
    if models is None:
        return None
    fit = models.fits["combined"]
    predictors = ", ".join(name for name in fit.predictors if name != "rad_score")
    return ReportFigure(
        plots.plot_nomogram(fit),
        f"Nomogram of the combined logistic model (the rad-score of {model_name(*models.rad_score_model)} and "
        f"{predictors}), fitted on the training set ({fit.n} cases, {fit.n_events} events). Each predictor's "
        "value gives points on the top axis; the sum of the points is read on the total-points axis, and "
        "below it the linear predictor and the predicted probability (as rms::nomogram).",
        "Nomogram of the combined clinical and rad-score model.",
    )


def _clinical_calibration(c: FigureContext) -> ReportFigure | None:
    models = _clinical_models(c)
    if models is None:
        return None
    calibration = models.calibration
    kept = calibration.n_resamples - calibration.n_failed
    return ReportFigure(
        plots.plot_bootstrap_calibration(calibration, title="Combined model: bootstrap calibration"),
        "Calibration of the combined model on the training set: apparent (dotted) and bias-corrected (solid) "
        f"lowess calibration curves from Harrell's optimism-corrected bootstrap ({kept} resamples, as "
        f"rms::calibrate) against the ideal line (grey); mean absolute error {calibration.mean_absolute_error:.3f}. "
        "Ticks at the bottom: the training cases' predicted probabilities.",
        "Bias-corrected bootstrap calibration curve of the combined model.",
    )


def _centre_pca(c: FigureContext) -> ReportFigure | None:
    if c.feature_set not in c.result.combat_feature_sets:
        return None
    return ReportFigure(
        c.result.plot_centre_pca(c.feature_set),
        f"Centre effects in the {c.feature_set} features of the training cases: the first two "
        "principal components of the z-scored harmonised features, coloured by centre, before (left) and "
        "after (right) the ComBat of the final model, fitted on these cases. Each panel has its own PCA; "
        "its title gives the variance the two components explain.",
        f"Principal-component scatter plots of the {c.feature_set} training cases by centre, before and after "
        "ComBat.",
    )


#: The report's figures of each feature set, in the order the report shows them:
#: kind (the file stem is ``<kind>_<feature set>``) -> builder. A new figure is one entry.
REPORT_FIGURES: dict[str, Callable[[FigureContext], ReportFigure | None]] = {
    "roc": _roc,
    "calibration": _calibration,
    "decision_curve": _decision_curve,
    "confusion": _confusion,
    "waterfall": _waterfall,
    "lasso": _lasso,
    "lasso_path": _lasso_path,
    "lasso_coefficients": _lasso_coefficients,
    "nomogram": _nomogram,
    "clinical_calibration": _clinical_calibration,
    "centre_pca": _centre_pca,
}

#: Kinds drawn once per test cohort (``FigureContext.cohort``) when the study
#: has named cohorts (``Study(split={...})``); their stems end in ``__<cohort>``.
COHORT_FIGURES = frozenset({"roc", "calibration", "decision_curve", "confusion", "waterfall"})

#: Kinds the report shows in its section on the clinical models, not among the feature set's figures.
CLINICAL_FIGURES = ("nomogram", "clinical_calibration")

#: Kinds the report shows in its section on centre effects (feature sets harmonised by ComBat).
CENTRE_FIGURES = ("centre_pca",)


def figure_stem(kind: str, feature_set: str, cohort: str | None = None) -> str:
    """File stem of a feature set's figure of one kind, e.g. ``roc_radiomics`` or ``roc_radiomics__centre_B``."""
    return f"{kind}_{file_stem(feature_set)}" + ("" if cohort is None else f"__{file_stem(cohort)}")


def figure_cohorts(result, kind: str) -> list[str | None]:
    """The cohorts a kind is drawn for: each named test cohort for :data:`COHORT_FIGURES`, else once (None)."""
    return list(result.cohorts) if kind in COHORT_FIGURES and has_named_cohorts(result) else [None]


def _lasso_data(result, feature_set: str) -> dict | None:
    """The feature set's LASSO figure data, or None when its selection ends without a LASSO or keeps nothing."""
    try:
        lasso = result.lasso_path(feature_set)
    except ValueError:
        return None
    return lasso if (lasso["coef"] != 0).any() else None


def study_figures(result, *, threshold_range=(0.0, 0.5), smooth=False) -> dict[str, ReportFigure]:
    """Every figure of the report with its caption and alt text, keyed by file stem.

    Per feature set (and fusion model): ROC curves (CV and test, the test
    curves with bootstrap bands), calibration panels, decision curves and
    confusion matrices on the test set; the waterfall plot of the feature
    set's best model (highest CV AUC); and where the selection ends in a
    LASSO, its CV error, its coefficient paths (linear LASSO) and the
    coefficient bar chart, each a figure of its own so it stays readable at
    page width. With named test cohorts (``Study(split={...})``) the test-set
    figures are drawn once per cohort (stems ``roc_<feature set>__<cohort>``).
    With clinical models, the rad-score's feature set also gets the nomogram
    of the combined model and its bias-corrected bootstrap calibration curve.
    A feature set whose pipelines start with ComBat gets the first two
    principal components of its training cases coloured by centre, before
    and after harmonisation.

    Parameters
    ----------
    result : StudyResult
    threshold_range : (float, float) or "data"
        Thresholds of the decision curves (see
        :func:`radfuse.plots.plot_decision_curve`).
    smooth : bool
        Smooth the decision curves.

    Returns
    -------
    dict of str to ReportFigure
        Stems such as ``roc_<feature set>`` or ``waterfall_<feature set>``.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import study_figures
    >>> figures = study_figures(result)
    >>> sorted(stem for stem in figures if stem.endswith("_US"))  # doctest: +NORMALIZE_WHITESPACE
    ['calibration_US', 'confusion_US', 'decision_curve_US', 'lasso_US',
     'lasso_coefficients_US', 'lasso_path_US', 'roc_US', 'waterfall_US']
    >>> figures["roc_US"].alt
    'ROC curves of the US models: cross-validation on the training set and the test set.'

    References
    ----------
    .. [1] Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area
        under a receiver operating characteristic (ROC) curve. Radiology, 143(1),
        29-36.
    .. [2] Van Calster, B., McLernon, D. J., van Smeden, M., Wynants, L., &
        Steyerberg, E. W. (2019). Calibration: the Achilles heel of predictive
        analytics. BMC Medicine, 17, 230.
    .. [3] Vickers, A. J., & Elkin, E. B. (2006). Decision curve analysis: a novel
        method for evaluating prediction models. Medical Decision Making, 26(6),
        565-574.
    """
    best = best_by_feature_set(result)
    figures = {}
    for feature_set in dict.fromkeys(name for name, _ in result.models):
        context = FigureContext(
            result, feature_set, best[feature_set], plots.calibration_bins(result.y_test.size), threshold_range,
            smooth, _lasso_data(result, feature_set),
        )
        for kind, build in REPORT_FIGURES.items():
            for cohort in figure_cohorts(result, kind):
                if cohort is None:
                    figure = build(context)
                else:
                    size = result.outcome(cohort).size
                    figure = build(replace(context, cohort=cohort, n_bins=plots.calibration_bins(size)))
                if figure is not None:
                    figures[figure_stem(kind, feature_set, cohort)] = figure
    return figures


#: Resolution of the PNG figures; 300 dpi is what journals ask for.
DEFAULT_DPI = 300


def render_png(figure: Figure, dpi: int = DEFAULT_DPI) -> bytes:
    """The figure as PNG bytes, cropped to its artists so nothing is clipped."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.05)
    return buffer.getvalue()


def save_figure(figure: Figure, stem: Path, dpi: int) -> bytes:
    """Write ``stem.png`` and ``stem.svg``; return the PNG bytes for the HTML report."""
    png = render_png(figure, dpi)
    stem.with_suffix(".png").write_bytes(png)
    figure.savefig(stem.with_suffix(".svg"), format="svg", bbox_inches="tight", pad_inches=0.05)
    return png
