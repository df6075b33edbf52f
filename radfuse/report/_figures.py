"""The report's figures: one registry of figure builders per feature set, and PNG/SVG rendering.

A report figure is one entry of :data:`REPORT_FIGURES`: a kind (the file
stem's prefix) and a function that draws it for one feature set, with its
caption and alt text, or returns None where the figure does not apply.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from .. import plots
from ._tables import best_by_feature_set, model_name

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
    """

    result: object
    feature_set: str
    best: tuple[str, str]
    n_bins: int
    threshold_range: object
    smooth: bool
    lasso: dict | None


def _roc(c: FigureContext) -> ReportFigure:
    n_folds, n_test = c.result.settings["n_folds"], c.result.y_test.size
    return ReportFigure(
        plots.plot_study_roc(c.result, c.feature_set),
        f"ROC curves of every {c.feature_set} model. Left: vertical average of the {n_folds} "
        "cross-validation folds on the training set (legend: mean AUC \u00b1 SD over folds). Right: the "
        f"final models on the test set (n = {n_test}); shaded: pointwise 95% bootstrap bands (1,000 "
        "resamples within each class); legend: AUC with DeLong 95% CI.",
        f"ROC curves of the {c.feature_set} models: cross-validation on the training set and the test set.",
    )


def _calibration(c: FigureContext) -> ReportFigure:
    return ReportFigure(
        plots.plot_study_calibration(c.result, c.feature_set, n_bins=c.n_bins),
        f"Calibration of every {c.feature_set} model on the test set, one panel each: the observed event "
        f"rate in {c.n_bins} equal-count bins of predicted risk against the bins' mean predicted risk, with "
        "95% Wilson intervals; ticks mark single cases (events at the top); dashed: perfect calibration. "
        "Panel titles give the Brier score and the calibration slope.",
        f"Calibration plots of the {c.feature_set} models on the test set, one panel per classifier.",
    )


def _decision_curve(c: FigureContext) -> ReportFigure:
    if isinstance(c.threshold_range, str):
        span = "threshold probabilities up to the 99th percentile of the predicted risks"
    else:
        span = f"threshold probabilities {c.threshold_range[0]:g}-{c.threshold_range[1]:g}"
    return ReportFigure(
        plots.plot_study_decision_curve(c.result, c.feature_set, threshold_range=c.threshold_range, smooth=c.smooth),
        f"Decision curves of every {c.feature_set} model on the test set: net benefit over {span}"
        + (" (smoothed with a Gaussian kernel, SD 0.02)" if c.smooth else "")
        + ", against treating every patient (grey) and treating none (dashed).",
        f"Decision curves of the {c.feature_set} models on the test set.",
    )


def _confusion(c: FigureContext) -> ReportFigure:
    return ReportFigure(
        plots.plot_study_confusion_matrices(c.result, c.feature_set),
        f"Confusion matrices of every {c.feature_set} model on the test set at its Youden threshold, "
        "chosen on the training set.",
        f"Confusion matrices of the {c.feature_set} models on the test set.",
    )


def _waterfall(c: FigureContext) -> ReportFigure:
    model = model_name(*c.best)
    return ReportFigure(
        plots.plot_study_waterfall(c.result, c.best),
        f"Waterfall plot of {model}, the {c.feature_set} model with the highest mean CV AUC: one bar per "
        "test case, sorted by predicted probability and coloured by the true class; dashed: its threshold.",
        f"Waterfall plot of the test-set predictions of {model}.",
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
}


def figure_stem(kind: str, feature_set: str) -> str:
    """File stem of a feature set's figure of one kind, e.g. ``roc_radiomics``."""
    return f"{kind}_{file_stem(feature_set)}"


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
    page width.

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
    n_bins = plots.calibration_bins(result.y_test.size)
    figures = {}
    for feature_set in dict.fromkeys(name for name, _ in result.models):
        context = FigureContext(
            result, feature_set, best[feature_set], n_bins, threshold_range, smooth, _lasso_data(result, feature_set)
        )
        for kind, build in REPORT_FIGURES.items():
            figure = build(context)
            if figure is not None:
                figures[figure_stem(kind, feature_set)] = figure
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
