"""ROC curves: bootstrap confidence bands, test-set curves and cross-validated (vertically averaged) curves."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score, roc_curve

from .._validation import check_binary_target, check_scores
from ..stats import auc_ci
from ._style import check_models, figure_and_axes, finish_legend, model_colours, square_unit_axes, styled

__all__ = ["mean_roc", "plot_cv_roc", "plot_roc", "roc_confidence_band"]


def _roc_vertices(y01: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates at every distinct score, from (0, 0) to (1, 1).

    The points of ``sklearn.metrics.roc_curve(drop_intermediate=False)``, computed
    without its input checks because the bootstrap calls it a thousand times per model.
    """
    order = np.argsort(-score, kind="mergesort")
    sorted_score, sorted_y = score[order], y01[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(sorted_score)), sorted_y.size - 1]
    true_positives = np.cumsum(sorted_y)[last_of_each_score]
    false_positives = last_of_each_score + 1 - true_positives
    return (
        np.r_[0.0, false_positives / max(false_positives[-1], 1)],
        np.r_[0.0, true_positives / max(true_positives[-1], 1)],
    )


def roc_confidence_band(y_true, score, *, n_bootstraps=1000, level=0.95, grid_size=101, random_state=0):
    """Pointwise bootstrap confidence band of an ROC curve (vertical averaging).

    Cases are resampled with replacement within each class (so every replicate
    has both classes), each replicate's curve is read at ``grid_size`` evenly
    spaced false-positive rates (the highest sensitivity reached at that rate),
    and the band joins the replicates' percentiles at each rate.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the event.
    score : array-like of shape (n_samples,)
        Predicted probabilities or scores (higher = positive).
    n_bootstraps : int
        Bootstrap replicates.
    level : float
        Coverage of the band.
    grid_size : int
        False-positive rates at which the band is computed.
    random_state : int
        Seed of the resampling.

    Returns
    -------
    fpr, lower, upper : ndarray of shape (grid_size,)

    Examples
    --------
    >>> import numpy as np
    >>> from radfuse.plots import roc_confidence_band
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 40)
    >>> fpr, lower, upper = roc_confidence_band(y, y + rng.normal(0, 1, 80), n_bootstraps=200)
    >>> bool(np.all(lower <= upper)), float(upper[-1])
    (True, 1.0)

    References
    ----------
    .. [1] Macskassy, S. A., Provost, F., & Rosset, S. (2005). ROC confidence bands:
        an empirical evaluation. Proceedings of the 22nd International Conference
        on Machine Learning (ICML), 537-544.
    .. [2] Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition
        Letters, 27(8), 861-874.
    """
    y01, _ = check_binary_target(y_true, step="roc_confidence_band", name="y_true")
    score = check_scores(score, step="roc_confidence_band", name="score", n_samples=y01.size)
    if not 0 < level < 1:
        raise ValueError(f"roc_confidence_band: level must lie strictly between 0 and 1; got {level!r}.")
    rng = np.random.default_rng(random_state)
    positives, negatives = np.flatnonzero(y01 == 1), np.flatnonzero(y01 == 0)
    grid = np.linspace(0.0, 1.0, grid_size)
    curves = np.empty((int(n_bootstraps), grid_size))
    for replicate in range(int(n_bootstraps)):
        cases = np.r_[rng.choice(positives, positives.size), rng.choice(negatives, negatives.size)]
        fpr, tpr = _roc_vertices(y01[cases], score[cases])
        curves[replicate] = tpr[np.searchsorted(fpr, grid, side="right") - 1]
    tail = 50 * (1 - level)
    lower, upper = np.percentile(curves, [tail, 100 - tail], axis=0)
    return grid, lower, upper


@styled
def plot_roc(
    y_true, scores, *, pos_label=None, title=None, colours=None, ax=None, ci_band=True, n_bootstraps=1000,
    random_state=0,
) -> Figure:
    """ROC curves of several models on the same cases, AUC with DeLong CI in the legend.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome.
    scores : dict of str to array-like of shape (n_samples,)
        Predicted probabilities (or any scores, higher = positive) per model.
    pos_label : label, optional
        The positive class; required when ``y_true`` holds strings.
    title : str, optional
    colours : dict of str to colour, optional
        Defaults to :func:`model_colours` of the model names.
    ax : matplotlib Axes, optional
        Draw here instead of in a new figure.
    ci_band : bool
        Shade each curve's pointwise 95% bootstrap band
        (:func:`roc_confidence_band`).
    n_bootstraps : int
        Replicates of the band.
    random_state : int
        Seed of the band's resampling.

    Returns
    -------
    Figure
        The curves are ``sklearn.metrics.roc_curve`` of each model; the
        legend reads ``name (AUC 0.812, 0.731-0.893)``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> from radfuse.plots import plot_roc
    >>> fig = plot_roc(y, {"model": p})
    >>> fig.axes[0].get_xlabel()
    '1 - specificity (false-positive rate)'

    References
    ----------
    .. [1] Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area
        under a receiver operating characteristic (ROC) curve. Radiology, 143(1),
        29-36.
    .. [2] DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing
        the areas under two or more correlated receiver operating characteristic
        curves: a nonparametric approach. Biometrics, 44(3), 837-845.
    """
    y01, _ = check_binary_target(y_true, step="plot_roc", pos_label=pos_label, name="y_true")
    scores = check_models(scores, "plot_roc", y01.size, probabilities=False)
    colours = colours or model_colours(list(scores))
    figure, ax = figure_and_axes(ax)
    for name, score in scores.items():
        if ci_band:
            grid, lower, upper = roc_confidence_band(
                y01, score, n_bootstraps=n_bootstraps, random_state=random_state
            )
            ax.fill_between(grid, lower, upper, color=colours[name], alpha=0.12, linewidth=0)
        fpr, tpr, _ = roc_curve(y01, score)
        result = auc_ci(y01, score)
        lower, upper = result.ci
        ax.plot(
            fpr,
            tpr,
            color=colours[name],
            linewidth=1.4,
            label=f"{name} (AUC {result.estimate:.3f}, {lower:.3f}-{upper:.3f})",
        )
    square_unit_axes(ax, "1 - specificity (false-positive rate)", "Sensitivity (true-positive rate)")
    ax.set_title(title or "ROC curves")
    finish_legend(ax, title="model (AUC, 95% DeLong CI)" + ("; bands: 95% bootstrap" if ci_band else ""))
    return figure


def mean_roc(folds, grid_size: int = 101):
    """Vertically averaged ROC curve over cross-validation folds.

    Each fold's curve is interpolated at ``grid_size`` evenly spaced
    false-positive rates and the true-positive rates are averaged
    (Fawcett, 2006, "vertical averaging").

    Parameters
    ----------
    folds : iterable of (y_true, y_score) pairs
        Outcomes (0/1) and scores of the validation part of each fold.

    Returns
    -------
    fpr, mean_tpr : ndarray of shape (grid_size,)
    aucs : ndarray of shape (n_folds,)
        The AUC of every fold.

    References
    ----------
    Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition
    Letters, 27(8), 861-874.
    """
    grid = np.linspace(0.0, 1.0, grid_size)
    curves, aucs = [], []
    for y_fold, score in folds:
        fpr, tpr, _ = roc_curve(y_fold, score)
        curve = np.interp(grid, fpr, tpr)
        curve[0] = 0.0
        curves.append(curve)
        aucs.append(roc_auc_score(y_fold, score))
    if not curves:
        raise ValueError("mean_roc: no folds were given.")
    mean_tpr = np.mean(curves, axis=0)
    mean_tpr[-1] = 1.0
    return grid, mean_tpr, np.asarray(aucs)


@styled
def plot_cv_roc(fold_predictions, *, title=None, colours=None, ax=None) -> Figure:
    """Mean cross-validated ROC curve of each model, mean +/- SD of fold AUCs in the legend.

    Parameters
    ----------
    fold_predictions : dict of str to iterable of (y_true, y_score)
        Per model, the 0/1 outcomes and scores of every validation fold.
    title, colours, ax
        As in :func:`plot_roc`.

    Returns
    -------
    Figure
        One vertically averaged curve per model (see :func:`mean_roc`).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> from radfuse.plots import plot_cv_roc
    >>> folds = [(y[:4], p[:4]), (y[2:], p[2:])]
    >>> fig = plot_cv_roc({"model": folds})
    >>> fig.axes[0].get_title()
    'Cross-validated ROC curves'

    References
    ----------
    .. [1] Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition
        Letters, 27(8), 861-874.
    .. [2] Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area
        under a receiver operating characteristic (ROC) curve. Radiology, 143(1),
        29-36.
    """
    if not isinstance(fold_predictions, Mapping) or not fold_predictions:
        raise TypeError(
            "plot_cv_roc: pass a non-empty dict of model name -> list of (y_true, y_score) "
            f"folds; got {type(fold_predictions).__name__}."
        )
    colours = colours or model_colours(list(fold_predictions))
    figure, ax = figure_and_axes(ax)
    for name, folds in fold_predictions.items():
        fpr, tpr, aucs = mean_roc(folds)
        spread = aucs.std(ddof=1) if aucs.size > 1 else 0.0
        ax.plot(
            fpr,
            tpr,
            color=colours[name],
            linewidth=1.4,
            label=f"{name} (AUC {aucs.mean():.3f} \u00b1 {spread:.3f})",
        )
    square_unit_axes(ax, "1 - specificity (false-positive rate)", "Sensitivity (true-positive rate)")
    ax.set_title(title or "Cross-validated ROC curves")
    finish_legend(ax, title="model (mean AUC \u00b1 SD over folds)")
    return figure
