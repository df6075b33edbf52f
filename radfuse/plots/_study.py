"""Figures of a radiomics study: ROC, calibration, decision curves, LASSO, waterfall.

Every function takes plain data (outcomes, a ``{model name: probabilities}``
mapping, a LASSO's CV curve...) and returns a :class:`matplotlib.figure.Figure`
built without ``pyplot``, so nothing depends on the interactive backend and
no figure lingers in a global registry. Pass ``ax=`` to draw into an existing
axes instead. Functions named ``plot_study_*`` take a
:class:`~radfuse.study.StudyResult` and assemble the panels of one figure.

The same model name gets the same colour in every figure, as long as the
models are passed in the same order.

Examples
--------
>>> import numpy as np
>>> from radfuse.plots import plot_roc
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 80)
>>> scores = {"radiomics": y + rng.normal(0, 0.8, 80), "clinical": rng.normal(size=80)}
>>> fig = plot_roc(y, scores, title="Test set")
>>> [text.get_text().split(" (")[0] for text in fig.axes[0].get_legend().get_texts()]
['radiomics', 'clinical']
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import ndimage
from sklearn.metrics import roc_auc_score, roc_curve

from ._nomogram import nomogram_points, plot_bootstrap_calibration, plot_nomogram  # noqa: F401  (rms figures)
from .._validation import check_binary_target, check_probabilities, check_scores
from ..stats.calibration import calibration
from ..stats.decision_curve import decision_curve
from ..stats.diagnostic import diagnostic_metrics
from ..stats.roc import auc_ci

__all__ = [
    "calibration_bins",
    "plot_calibration_panels",
    "roc_confidence_band",
    "plot_calibration",
    "plot_confusion_matrices",
    "plot_cv_roc",
    "plot_decision_curve",
    "plot_lasso_coefficients",
    "plot_lasso_cv",
    "plot_lasso_path",
    "plot_roc",
    "plot_study_calibration",
    "plot_study_confusion_matrices",
    "plot_study_decision_curve",
    "plot_study_lasso",
    "plot_study_lasso_coefficients",
    "plot_study_roc",
    "plot_study_waterfall",
    "plot_waterfall",
]

_STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "svg.fonttype": "none",
}
#: Colours of the true classes in the waterfall plot and of LASSO coefficient signs.
_NEGATIVE_COLOUR, _POSITIVE_COLOUR = "#4477AA", "#CC3311"
_REFERENCE_COLOUR = "0.45"
_PANEL_SIZE = (4.6, 4.2)


def _styled(plot):
    """Draw under radfuse's style, whatever the user's rcParams."""

    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(_STYLE):
            return plot(*args, **kwargs)

    return wrapper


def model_colours(names: Sequence[str]) -> dict[str, tuple]:
    """One distinct colour per model, in order.

    tab10 (or tab20 beyond nine models) without its greys, which are kept
    for reference lines such as treat-all and chance.
    """
    names = list(names)
    palette = matplotlib.colormaps["tab10" if len(names) <= 9 else "tab20"].colors
    colours = [colour for colour in palette if len(set(np.round(colour, 3))) > 1]
    return {name: colours[index % len(colours)] for index, name in enumerate(names)}


def _figure_and_axes(ax, size=_PANEL_SIZE):
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def _finish_legend(ax, *, title=None):
    """A legend under the axes, outside the data, in two columns beyond three entries.

    Constrained layout makes room for it, so it never hides a curve or an error bar.
    """
    handles, _ = ax.get_legend_handles_labels()
    size = 7.5 if len(handles) <= 6 else 6.5
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncols=1 if len(handles) <= 3 else 2,
        fontsize=size,
        title=title,
        title_fontsize=size,
        handlelength=1.6,
    )


def _check_models(probs, step: str, n_samples: int, *, probabilities: bool) -> dict:
    if not isinstance(probs, Mapping) or not probs:
        raise TypeError(
            f"{step}: pass the predictions as a non-empty dict of model name -> scores; "
            f"got {type(probs).__name__}."
        )
    check = check_probabilities if probabilities else check_scores
    return {
        str(name): check(values, step=step, name=f"predictions of {name!r}", n_samples=n_samples)
        for name, values in probs.items()
    }


def _square_unit_axes(ax, xlabel: str, ylabel: str) -> None:
    ax.plot([0, 1], [0, 1], linestyle="--", linewidth=0.8, color=_REFERENCE_COLOUR)
    ax.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), xlabel=xlabel, ylabel=ylabel)
    ax.set_aspect("equal")


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


@_styled
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
    scores = _check_models(scores, "plot_roc", y01.size, probabilities=False)
    colours = colours or model_colours(list(scores))
    figure, ax = _figure_and_axes(ax)
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
            label=f"{name} (AUC {result.auc:.3f}, {lower:.3f}-{upper:.3f})",
        )
    _square_unit_axes(ax, "1 - specificity (false-positive rate)", "Sensitivity (true-positive rate)")
    ax.set_title(title or "ROC curves")
    _finish_legend(ax, title="model (AUC, 95% DeLong CI)" + ("; bands: 95% bootstrap" if ci_band else ""))
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


@_styled
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
    figure, ax = _figure_and_axes(ax)
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
    _square_unit_axes(ax, "1 - specificity (false-positive rate)", "Sensitivity (true-positive rate)")
    ax.set_title(title or "Cross-validated ROC curves")
    _finish_legend(ax, title="model (mean AUC \u00b1 SD over folds)")
    return figure


@_styled
def plot_calibration(
    y_true, probs, *, n_bins=10, strategy="quantile", title=None, colours=None, ax=None
) -> Figure:
    """Calibration curves: observed event rate against mean predicted risk per bin.

    Bins and values come from :func:`radfuse.stats.calibration.calibration`;
    the legend gives each model's Brier score and calibration slope.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the event.
    probs : dict of str to array-like of shape (n_samples,)
        Predicted probabilities per model.
    n_bins : int
        Bins per model.
    strategy : {"quantile", "uniform"}
        Equal-count or equal-width bins.
    title, colours, ax
        As in :func:`plot_roc`.

    Returns
    -------
    Figure
        One curve per model with the diagonal of perfect calibration.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> from radfuse.plots import plot_calibration
    >>> fig = plot_calibration(y, {"model": p}, n_bins=2)
    >>> fig.axes[0].get_ylabel()
    'Observed fraction of events'

    References
    ----------
    .. [1] Van Calster, B., McLernon, D. J., van Smeden, M., Wynants, L., &
        Steyerberg, E. W. (2019). Calibration: the Achilles heel of predictive
        analytics. BMC Medicine, 17, 230.
    """
    y01, _ = check_binary_target(y_true, step="plot_calibration", name="y_true")
    probs = _check_models(probs, "plot_calibration", y01.size, probabilities=True)
    colours = colours or model_colours(list(probs))
    figure, ax = _figure_and_axes(ax)
    for name, prob in probs.items():
        with warnings.catch_warnings():
            # Predictions of exactly 0 or 1 only leave the slope fit; the curve uses every case.
            warnings.simplefilter("ignore", RuntimeWarning)
            result = calibration(y01, prob, n_bins=n_bins, strategy=strategy)
        table = result.table
        ax.plot(
            table["mean_predicted"],
            table["observed_fraction"],
            marker="o",
            markersize=3.5,
            linewidth=1.2,
            color=colours[name],
            label=f"{name} (Brier {result.brier:.3f}, slope {result.slope:.2f})",
        )
    _square_unit_axes(ax, "Predicted probability", "Observed fraction of events")
    ax.set_title(title or "Calibration curves")
    _finish_legend(ax, title=f"model ({strategy} bins, n = {n_bins})")
    return figure


def calibration_bins(n_samples: int) -> int:
    """Bins of a calibration plot for a cohort: about 10 cases a bin, between 3 and 10 bins.

    Fewer cases per bin give intervals as wide as the plot; more bins than ten
    add nothing a smoothed curve would not show better.

    Examples
    --------
    >>> from radfuse.plots import calibration_bins
    >>> calibration_bins(36), calibration_bins(84), calibration_bins(1000)
    (3, 8, 10)
    """
    return int(np.clip(n_samples // 10, 3, 10))


@_styled
def plot_calibration_panels(y_true, probs, *, n_bins=None, strategy="quantile", level=0.95, title=None,
                            colours=None, n_columns=4) -> Figure:
    """Calibration as small multiples: one panel per model, binned with Wilson intervals.

    Each panel shows the observed event rate of each bin of predicted risk
    against the bin's mean predicted risk, with the Wilson score interval of
    the observed rate, the diagonal of perfect calibration, and a rug of the
    cases' predictions (events above, non-events below). The panel title
    gives the Brier score and the calibration slope
    (:func:`radfuse.stats.calibration.calibration`).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the event.
    probs : dict of str to array-like of shape (n_samples,)
        Predicted probabilities per model.
    n_bins : int, optional
        Bins per model; default :func:`calibration_bins` of the cohort size.
    strategy : {"quantile", "uniform"}
        Equal-count or equal-width bins.
    level : float
        Coverage of the Wilson intervals.
    title : str, optional
        Title of the whole figure.
    colours : dict of str to colour, optional
    n_columns : int
        Panels per row.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import numpy as np
    >>> from radfuse.plots import plot_calibration_panels
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 60)
    >>> fig = plot_calibration_panels(y, {"LR": np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, 60), 0, 1),
    ...                                   "NB": rng.uniform(size=60)})
    >>> len(fig.axes), fig.axes[0].get_xlabel()
    (2, 'Predicted probability')

    References
    ----------
    .. [1] Van Calster, B., McLernon, D. J., van Smeden, M., Wynants, L., &
        Steyerberg, E. W. (2019). Calibration: the Achilles heel of predictive
        analytics. BMC Medicine, 17, 230.
    .. [2] Wilson, E. B. (1927). Probable inference, the law of succession, and
        statistical inference. Journal of the American Statistical Association,
        22(158), 209-212.
    """
    from ..stats.diagnostic import wilson_interval

    y01, _ = check_binary_target(y_true, step="plot_calibration_panels", name="y_true")
    probs = _check_models(probs, "plot_calibration_panels", y01.size, probabilities=True)
    colours = colours or model_colours(list(probs))
    n_bins = calibration_bins(y01.size) if n_bins is None else n_bins
    n_columns = min(n_columns, len(probs))
    n_rows = -(-len(probs) // n_columns)
    figure = Figure(figsize=(2.5 * n_columns + 0.3, 2.6 * n_rows + 0.5), layout="constrained")
    axes = figure.subplots(n_rows, n_columns, squeeze=False, sharex=True, sharey=True).ravel()
    for ax, (name, prob) in zip(axes, probs.items()):
        with warnings.catch_warnings():
            # Predictions of exactly 0 or 1 only leave the slope fit; the bins use every case.
            warnings.simplefilter("ignore", RuntimeWarning)
            result = calibration(y01, prob, n_bins=n_bins, strategy=strategy)
        table = result.table
        bounds = np.array(
            [wilson_interval(int(events), int(n), alpha=1 - level) for events, n in zip(table["n_events"], table["n"])]
        )
        observed = table["observed_fraction"].to_numpy()
        ax.errorbar(
            table["mean_predicted"].to_numpy(), observed, yerr=[observed - bounds[:, 0], bounds[:, 1] - observed],
            fmt="o-", markersize=3.5, linewidth=1.2, elinewidth=0.9, capsize=2, color=colours[name],
        )
        ax.plot(prob[y01 == 1], np.full(int(y01.sum()), 1.0), "|", color=colours[name], markersize=5, alpha=0.6)
        ax.plot(prob[y01 == 0], np.zeros(int((y01 == 0).sum())), "|", color="0.35", markersize=5, alpha=0.6)
        _square_unit_axes(ax, "Predicted probability", "Observed fraction")
        ax.set_title(f"{name}: Brier {result.brier:.3f}, slope {result.slope:.2f}", fontsize=8)
    for ax in axes[len(probs):]:
        ax.set_visible(False)
    figure.suptitle(
        (title or "Calibration") + f"\n{n_bins} {strategy} bins of about {y01.size // n_bins} cases; "
        f"bars: {level:.0%} Wilson intervals; ticks: cases (events at top)",
        fontsize=9,
    )
    return figure


def _threshold_grid(y01, probs, threshold_range, thresholds):
    """The decision-curve thresholds: given ones, or 0.01 steps over the range."""
    if thresholds is not None:
        return thresholds
    if isinstance(threshold_range, str):
        if threshold_range != "data":
            raise ValueError(
                f"plot_decision_curve: threshold_range must be a (low, high) pair or 'data'; got {threshold_range!r}."
            )
        # Beyond the 99th percentile of predicted risk almost no one is treated; the curve says nothing there.
        high = np.ceil(np.quantile(np.concatenate(list(probs.values())), 0.99) * 20) / 20
        threshold_range = (0.0, float(np.clip(high, 0.1, 0.99)))
    low, high = (float(bound) for bound in threshold_range)
    if not 0 <= low < high < 1:
        raise ValueError(
            f"plot_decision_curve: threshold_range needs 0 <= low < high < 1; got {threshold_range!r}."
        )
    return np.linspace(low, high, int(round((high - low) / 0.01)) + 1)


@_styled
def plot_decision_curve(
    y_true, probs, *, threshold_range=(0.0, 0.5), thresholds=None, smooth=False, title=None, colours=None, ax=None
) -> Figure:
    """Decision curves: net benefit across threshold probabilities, with treat-all and treat-none.

    Net benefit comes from :func:`radfuse.stats.decision_curve.decision_curve`.
    The y-axis spans from a little below zero to a little above the
    prevalence (the best attainable net benefit), so the treat-all curve's
    plunge at high thresholds does not squash the models' curves.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the event.
    probs : dict of str to array-like of shape (n_samples,)
        Predicted probabilities per model.
    threshold_range : (float, float) or "data"
        Threshold probabilities drawn, in steps of 0.01: 0 to 0.5 by default
        (the range clinicians act on), or ``"data"``: 0 to the 99th
        percentile of the predicted risks.
    thresholds : array-like of float, optional
        Exact threshold probabilities; overrides ``threshold_range``.
    smooth : bool
        Smooth each model's net benefit with a Gaussian kernel (SD 0.02 in
        threshold units) to remove the jags that single cases make in small
        cohorts; the references are exact.
    title, colours, ax
        As in :func:`plot_roc`.

    Returns
    -------
    Figure
        One net-benefit curve per model, plus treat all and treat none.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> from radfuse.plots import plot_decision_curve
    >>> fig = plot_decision_curve(y, {"model": p}, thresholds=np.linspace(0.05, 0.5, 10))
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['model', 'Treat all', 'Treat none']

    References
    ----------
    .. [1] Vickers, A. J., & Elkin, E. B. (2006). Decision curve analysis: a novel
        method for evaluating prediction models. Medical Decision Making, 26(6),
        565-574.
    """
    y01, _ = check_binary_target(y_true, step="plot_decision_curve", name="y_true")
    probs = _check_models(probs, "plot_decision_curve", y01.size, probabilities=True)
    colours = colours or model_colours(list(probs))
    curves = decision_curve(y01, probs, thresholds=_threshold_grid(y01, probs, threshold_range, thresholds))
    figure, ax = _figure_and_axes(ax, size=(5.4, 4.0))
    for name, curve in curves.groupby("model", sort=False):
        # References sit under the models: at low thresholds a model's curve
        # coincides with "treat all" and must stay visible.
        if name == "all":
            style = {"color": _REFERENCE_COLOUR, "linewidth": 1.0, "label": "Treat all", "zorder": 1}
        elif name == "none":
            style = {"color": "black", "linewidth": 1.0, "linestyle": "--", "label": "Treat none",
                     "zorder": 1}
        else:
            style = {"color": colours[name], "linewidth": 1.4, "label": name, "zorder": 2}
        net_benefit = curve["net_benefit"].to_numpy()
        if smooth and name not in ("all", "none") and len(curve) > 2:
            step = float(np.median(np.diff(curve["threshold"].to_numpy())))
            net_benefit = ndimage.gaussian_filter1d(net_benefit, sigma=0.02 / step, mode="nearest")
        ax.plot(curve["threshold"], net_benefit, **style)
    prevalence = float(y01.mean())
    ax.set(
        xlim=(curves["threshold"].min(), curves["threshold"].max()),
        ylim=(-0.05 * max(prevalence, 0.2), prevalence * 1.1 + 0.01),
        xlabel="Threshold probability",
        ylabel="Net benefit",
        title=title or "Decision curves",
    )
    _finish_legend(ax)
    return figure


@_styled
def plot_waterfall(
    y_true, prob, threshold, *, class_names=("negative", "positive"), title=None, ax=None
) -> Figure:
    """Waterfall plot: one bar per case, sorted by predicted probability.

    Each bar rises from (or falls below) the decision threshold to the case's
    predicted probability and is coloured by its true class, so the cases on
    the wrong side of the line are the misclassified ones.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the positive class.
    prob : array-like of shape (n_samples,)
        Predicted probabilities of the positive class.
    threshold : float
        Decision threshold (e.g. Youden's, chosen on the training set).
    class_names : pair of str
        Legend names of the negative and positive class.
    title, ax
        As in :func:`plot_roc`.

    Returns
    -------
    Figure
        One bar per case; the dashed line marks ``threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> from radfuse.plots import plot_waterfall
    >>> fig = plot_waterfall(y, p, 0.5, class_names=("benign", "malignant"))
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['threshold 0.500', 'benign (n = 3)', 'malignant (n = 3)']

    References
    ----------
    .. [1] Youden, W. J. (1950). Index for rating diagnostic tests. Cancer, 3(1),
        32-35.
    """
    y01, _ = check_binary_target(y_true, step="plot_waterfall", name="y_true")
    prob = _check_models({"prob": prob}, "plot_waterfall", y01.size, probabilities=True)["prob"]
    if not 0 <= threshold <= 1:
        raise ValueError(f"plot_waterfall: threshold must lie in [0, 1]; got {threshold!r}.")
    order = np.argsort(-prob, kind="stable")
    sorted_prob, sorted_y = prob[order], y01[order]
    figure, ax = _figure_and_axes(ax, size=(max(5.0, min(12.0, 0.06 * y01.size + 3)), 3.6))
    positions = np.arange(y01.size)
    for label, colour, name in ((0, _NEGATIVE_COLOUR, class_names[0]), (1, _POSITIVE_COLOUR, class_names[1])):
        chosen = sorted_y == label
        ax.bar(
            positions[chosen],
            sorted_prob[chosen] - threshold,
            bottom=threshold,
            width=0.85,
            color=colour,
            label=f"{name} (n = {int(chosen.sum())})",
        )
    ax.axhline(threshold, color="black", linewidth=0.9, linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set(
        xlim=(-1, y01.size),
        ylim=(0, 1),
        xlabel="Cases, sorted by predicted probability",
        ylabel="Predicted probability",
        title=title or "Waterfall plot",
    )
    ax.set_xticks([])
    ax.grid(axis="x", visible=False)
    _finish_legend(ax)
    return figure


def _log_penalty(alphas) -> np.ndarray:
    alphas = np.asarray(alphas, dtype=np.float64)
    if alphas.ndim != 1 or alphas.size == 0 or (alphas <= 0).any():
        raise ValueError("plot_lasso: the penalty grid must be a non-empty 1D array of positive values.")
    return np.log(alphas)


@_styled
def plot_lasso_path(coef_path, alpha, *, max_labels=10, title=None, ax=None) -> Figure:
    """LASSO coefficient paths against log(lambda), the chosen penalty marked.

    Parameters
    ----------
    coef_path : DataFrame of shape (n_features, n_alphas)
        Coefficients, one row per feature, one column per penalty
        (the columns are the penalties).
    alpha : float
        The chosen penalty; a dotted vertical line marks log(alpha).
    max_labels : int
        The features with a non-zero coefficient at ``alpha`` are named in
        the legend, largest first, up to this many.
    title, ax
        As in :func:`plot_roc`.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from radfuse.plots import plot_lasso_path
    >>> path = pd.DataFrame({1.0: [0.0, 0.0], 0.1: [0.5, 0.0], 0.01: [0.9, -0.3]},
    ...                     index=["US__glcm_Contrast", "US__firstorder_Mean"])
    >>> fig = plot_lasso_path(path, alpha=0.1)
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['US__glcm_Contrast', 'chosen λ = 0.1']

    References
    ----------
    .. [1] Friedman, J., Hastie, T., & Tibshirani, R. (2010). Regularization paths
        for generalized linear models via coordinate descent. Journal of
        Statistical Software, 33(1), 1-22.
    .. [2] Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
        Journal of the Royal Statistical Society: Series B, 58(1), 267-288.
    """
    if not isinstance(coef_path, pd.DataFrame):
        raise TypeError("plot_lasso_path: coef_path must be a DataFrame (features x penalties).")
    log_alphas = _log_penalty(coef_path.columns.to_numpy(dtype=np.float64))
    chosen = int(np.argmin(np.abs(log_alphas - np.log(alpha))))
    at_choice = coef_path.iloc[:, chosen]
    named = at_choice[at_choice != 0].abs().sort_values(ascending=False).index[:max_labels]
    colours = model_colours(list(named))
    figure, ax = _figure_and_axes(ax, size=(7.8, 4.0))
    for feature, path in coef_path.iterrows():
        if feature in colours:
            ax.plot(log_alphas, path.to_numpy(), color=colours[feature], linewidth=1.3, label=_short(feature))
        else:
            ax.plot(log_alphas, path.to_numpy(), color="0.75", linewidth=0.7)
    ax.axvline(np.log(alpha), color="black", linestyle=":", linewidth=1.0, label=f"chosen \u03bb = {alpha:.3g}")
    ax.axhline(0, color=_REFERENCE_COLOUR, linewidth=0.6)
    ax.set(xlabel="log(\u03bb)", ylabel="Coefficient", title=title or "LASSO coefficient paths")
    # Paths fill the whole axes, so the legend goes beside it rather than over them.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6.5, handlelength=1.6)
    return figure


@_styled
def plot_lasso_cv(alphas, cv_mean, cv_se, alpha, *, ylabel="Mean squared error", title=None, ax=None) -> Figure:
    """Cross-validated error against log(lambda), error bars = standard error.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        The penalty grid.
    cv_mean, cv_se : array-like of shape (n_alphas,)
        Mean held-out error and its standard error per penalty
        (``LassoSelector.cv_mean_`` and ``cv_se_``).
    alpha : float
        The chosen penalty, marked by a dotted vertical line.
    ylabel : str
        Name of the error (mean squared error for the linear LASSO, log-loss
        for the logistic one).
    title, ax
        As in :func:`plot_roc`.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.plots import plot_lasso_cv
    >>> fig = plot_lasso_cv([1.0, 0.1, 0.01], [0.25, 0.18, 0.21], [0.02, 0.02, 0.03], alpha=0.1)
    >>> fig.axes[0].get_ylabel()
    'Mean squared error'

    References
    ----------
    .. [1] Friedman, J., Hastie, T., & Tibshirani, R. (2010). Regularization paths
        for generalized linear models via coordinate descent. Journal of
        Statistical Software, 33(1), 1-22.
    """
    log_alphas = _log_penalty(alphas)
    cv_mean = np.asarray(cv_mean, dtype=np.float64)
    cv_se = np.asarray(cv_se, dtype=np.float64)
    if not cv_mean.shape == cv_se.shape == log_alphas.shape:
        raise ValueError(
            f"plot_lasso_cv: alphas, cv_mean and cv_se must have the same length; got "
            f"{log_alphas.size}, {cv_mean.size} and {cv_se.size}."
        )
    figure, ax = _figure_and_axes(ax, size=(5.4, 4.0))
    ax.errorbar(
        log_alphas,
        cv_mean,
        yerr=cv_se,
        fmt="o",
        markersize=3,
        color=_POSITIVE_COLOUR,
        ecolor="0.6",
        elinewidth=0.8,
        capsize=1.5,
        label="mean \u00b1 SE over CV folds",
    )
    ax.axvline(np.log(alpha), color="black", linestyle=":", linewidth=1.0, label=f"chosen \u03bb = {alpha:.3g}")
    ax.set(xlabel="log(\u03bb)", ylabel=ylabel, title=title or "LASSO penalty: cross-validated error")
    _finish_legend(ax)
    return figure


def _short(name: str, limit: int = 48) -> str:
    """Shorten a long feature name in the middle, keeping its block and its feature."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 3
    return name[:head] + "\u2026" + name[-(limit - 1 - head):]


@_styled
def plot_lasso_coefficients(coef, *, title=None, ax=None) -> Figure:
    """Horizontal bar chart of the non-zero LASSO coefficients, sorted by value.

    Parameters
    ----------
    coef : Series
        Coefficient per feature name; zeros are left out.
    title, ax
        As in :func:`plot_roc`.

    Returns
    -------
    Figure
        Positive coefficients in red, negative ones in blue.

    Examples
    --------
    >>> import pandas as pd
    >>> from radfuse.plots import plot_lasso_coefficients
    >>> coef = pd.Series({"US__glcm_Contrast": 0.8, "US__firstorder_Mean": -0.3, "US__shape_Sphericity": 0.0})
    >>> fig = plot_lasso_coefficients(coef)
    >>> fig.axes[0].get_title()
    'Selected features (2)'

    References
    ----------
    .. [1] Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
        Journal of the Royal Statistical Society: Series B, 58(1), 267-288.
    """
    if not isinstance(coef, pd.Series):
        raise TypeError("plot_lasso_coefficients: coef must be a Series indexed by feature name.")
    kept = coef[coef != 0].sort_values()
    if kept.empty:
        raise ValueError("plot_lasso_coefficients: every coefficient is zero; nothing to plot.")
    height = min(12.0, 1.2 + 0.28 * kept.size)
    figure, ax = _figure_and_axes(ax, size=(6.4, height))
    colours = np.where(kept.to_numpy() > 0, _POSITIVE_COLOUR, _NEGATIVE_COLOUR)
    ax.barh(np.arange(kept.size), kept.to_numpy(), color=colours, height=0.7)
    ax.set_yticks(np.arange(kept.size), [_short(str(name)) for name in kept.index])
    ax.axvline(0, color="black", linewidth=0.7)
    ax.grid(axis="y", visible=False)
    ax.set(xlabel="LASSO coefficient", ylabel="Feature", title=title or f"Selected features ({kept.size})")
    return figure


@_styled
def plot_confusion_matrices(
    y_true, probs, thresholds, *, class_names=("negative", "positive"), title=None
) -> Figure:
    """One confusion matrix per model, counts and row percentages annotated.

    A case is predicted positive when its probability is at or above the
    model's threshold, the rule of
    :func:`radfuse.stats.diagnostic.diagnostic_metrics`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the positive class.
    probs : dict of str to array-like of shape (n_samples,)
        Predicted probabilities per model.
    thresholds : dict of str to float, or float
        Decision threshold per model, or one for all.
    class_names : pair of str
        Names of the negative and positive class on the axes.
    title : str, optional
        Figure title.

    Returns
    -------
    Figure
        Up to four panels per row, one per model.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> from radfuse.plots import plot_confusion_matrices
    >>> fig = plot_confusion_matrices(y, {"a": p, "b": 1 - p}, 0.5)
    >>> len(fig.axes)
    2

    References
    ----------
    .. [1] Youden, W. J. (1950). Index for rating diagnostic tests. Cancer, 3(1),
        32-35.
    """
    y01, _ = check_binary_target(y_true, step="plot_confusion_matrices", name="y_true")
    probs = _check_models(probs, "plot_confusion_matrices", y01.size, probabilities=True)
    if not isinstance(thresholds, Mapping):
        thresholds = dict.fromkeys(probs, thresholds)
    missing = [name for name in probs if name not in thresholds]
    if missing:
        raise ValueError(f"plot_confusion_matrices: no threshold for model(s) {missing}.")
    n_columns = min(4, len(probs))
    n_rows = -(-len(probs) // n_columns)
    figure = Figure(figsize=(2.6 * n_columns + 0.4, 2.7 * n_rows + 0.6), layout="constrained")
    axes = figure.subplots(n_rows, n_columns, squeeze=False)
    for ax, (name, prob) in zip(axes.ravel(), probs.items()):
        matrix = diagnostic_metrics(y01, prob, thresholds[name]).confusion_matrix
        shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for (row, column), count in np.ndenumerate(matrix):
            ax.text(
                column,
                row,
                f"{count}\n({shares[row, column]:.0%})",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if shares[row, column] > 0.6 else "black",
            )
        ax.set_xticks([0, 1], class_names)
        ax.set_yticks([0, 1], class_names, rotation=90, va="center")
        ax.set(xlabel="Predicted", ylabel="True", title=f"{_short(name, 32)}\nthreshold {thresholds[name]:.3f}")
        ax.grid(visible=False)
        ax.spines[:].set_visible(True)
    for ax in axes.ravel()[len(probs):]:
        ax.set_axis_off()
    if title:
        figure.suptitle(title)
    return figure


# --------------------------------------------------------------- StudyResult
#: Abbreviations papers use for the protocol's classifiers, for compact legends.
_ABBREVIATIONS = {
    "lr": "LR",
    "nb": "NB",
    "svm": "SVM",
    "knn": "KNN",
    "xgboost": "XGBoost",
    "lightgbm": "LightGBM",
    "adaboost": "AdaBoost",
    "mlp": "MLP",
    "rf": "RF",
    "extratrees": "ExtraTrees",
}


def _classifiers_of(result, feature_set: str) -> list[str]:
    classifiers = [classifier for name, classifier in result.models if name == feature_set]
    if not classifiers:
        feature_sets = list(dict.fromkeys(name for name, _ in result.models))
        raise ValueError(
            f"radfuse.plots: the study has no feature set {feature_set!r}; it has {feature_sets}."
        )
    return classifiers


def _study_probabilities(result, feature_set: str, split: str):
    """``y`` (0/1, case order of the split) and ``{abbreviation: probabilities}``."""
    y = result.y_test if split == "test" else result.y_train
    probs = {
        _ABBREVIATIONS.get(classifier, classifier): result.probabilities((feature_set, classifier), split)
        .loc[y.index]
        .to_numpy()
        for classifier in _classifiers_of(result, feature_set)
    }
    return y.to_numpy(), probs


def _study_colours(result) -> dict:
    """Colours keyed by classifier abbreviation, the same in every study figure."""
    classifiers = list(dict.fromkeys(classifier for _, classifier in result.models))
    return model_colours([_ABBREVIATIONS.get(name, name) for name in classifiers])


@_styled
def plot_study_roc(result, feature_set: str) -> Figure:
    """ROC curves of every classifier of a feature set: repeated CV (left) and test set (right).

    The left panel averages the ROC curves of all outer CV folds (see
    :func:`plot_cv_roc`); the right one shows the final models on the test
    set with DeLong 95% CIs (see :func:`plot_roc`).

    Parameters
    ----------
    result : StudyResult
    feature_set : str
        Feature set (or fusion model) whose classifiers are drawn.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_roc
    >>> fig = plot_study_roc(result, "US")
    >>> len(fig.axes)
    2

    References
    ----------
    .. [1] Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area
        under a receiver operating characteristic (ROC) curve. Radiology, 143(1),
        29-36.
    .. [2] DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing
        the areas under two or more correlated receiver operating characteristic
        curves: a nonparametric approach. Biometrics, 44(3), 837-845.
    .. [3] Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition
        Letters, 27(8), 861-874.
    """
    colours = _study_colours(result)
    cv = result.predictions[
        (result.predictions["split"] == "cv") & (result.predictions["feature_set"] == feature_set)
    ]
    folds = {
        _ABBREVIATIONS.get(classifier, classifier): [
            (part["y_true"].to_numpy(), part["probability"].to_numpy())
            for _, part in rows.groupby(["repeat", "fold"], sort=False)
        ]
        for classifier, rows in cv.groupby("classifier", sort=False)
    }
    figure = Figure(figsize=(9.6, 4.6), layout="constrained")
    left, right = figure.subplots(1, 2)
    n_folds, n_repeats = result.settings["n_folds"], result.settings["n_repeats"]
    plot_cv_roc(folds, colours=colours, ax=left, title=f"Training set: {n_folds} CV folds ({n_repeats} repeats)")
    y, probs = _study_probabilities(result, feature_set, "test")
    plot_roc(y, probs, colours=colours, ax=right, title=f"Test set (n = {y.size})")
    figure.suptitle(f"ROC curves: {feature_set}")
    return figure


@_styled
def plot_study_calibration(result, feature_set: str, split: str = "test", n_bins=None) -> Figure:
    """Calibration of every classifier of a feature set, one panel each (see :func:`plot_calibration_panels`).

    Parameters
    ----------
    result : StudyResult
    feature_set : str
    split : {"test", "train"}
    n_bins : int, optional
        Default :func:`calibration_bins` of the split's size.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_calibration
    >>> figure = plot_study_calibration(result, "US")
    >>> figure.get_suptitle().splitlines()[0]
    'Calibration: US (test set)'

    References
    ----------
    .. [1] Van Calster, B., McLernon, D. J., van Smeden, M., Wynants, L., &
        Steyerberg, E. W. (2019). Calibration: the Achilles heel of predictive
        analytics. BMC Medicine, 17, 230.
    """
    y, probs = _study_probabilities(result, feature_set, split)
    return plot_calibration_panels(
        y, probs, n_bins=n_bins, colours=_study_colours(result), title=f"Calibration: {feature_set} ({split} set)"
    )


@_styled
def plot_study_decision_curve(
    result, feature_set: str, split: str = "test", *, threshold_range=(0.0, 0.5), smooth=False
) -> Figure:
    """Decision curves of every classifier of a feature set (see :func:`plot_decision_curve`).

    Parameters
    ----------
    result : StudyResult
    feature_set : str
    split : {"test", "train"}
    threshold_range : (float, float) or "data"
    smooth : bool
        As in :func:`plot_decision_curve`.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_decision_curve
    >>> plot_study_decision_curve(result, "US").axes[0].get_title()
    'Decision curves: US (test set)'

    References
    ----------
    .. [1] Vickers, A. J., & Elkin, E. B. (2006). Decision curve analysis: a novel
        method for evaluating prediction models. Medical Decision Making, 26(6),
        565-574.
    """
    y, probs = _study_probabilities(result, feature_set, split)
    return plot_decision_curve(
        y, probs, threshold_range=threshold_range, smooth=smooth, colours=_study_colours(result),
        title=f"Decision curves: {feature_set} ({split} set)",
    )


@_styled
def plot_study_confusion_matrices(result, feature_set: str, split: str = "test") -> Figure:
    """Confusion matrices at each model's Youden threshold (chosen on the training set).

    Parameters
    ----------
    result : StudyResult
    feature_set : str
    split : {"test", "train"}

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_confusion_matrices
    >>> len(plot_study_confusion_matrices(result, "US").axes)
    1

    References
    ----------
    .. [1] Youden, W. J. (1950). Index for rating diagnostic tests. Cancer, 3(1),
        32-35.
    """
    y, probs = _study_probabilities(result, feature_set, split)
    thresholds = {
        _ABBREVIATIONS.get(classifier, classifier): float(result.thresholds[(feature_set, classifier)])
        for classifier in _classifiers_of(result, feature_set)
    }
    return plot_confusion_matrices(
        y, probs, thresholds, class_names=_class_names(result), title=f"Confusion matrices: {feature_set} ({split} set)"
    )


def _class_names(result) -> tuple[str, str]:
    positive = str(result.pos_label)
    return (f"not {positive}", positive) if not positive.isdigit() else ("negative", "positive")


@_styled
def plot_study_waterfall(result, model, split: str = "test") -> Figure:
    """Waterfall plot of one model's probabilities at its Youden threshold.

    Parameters
    ----------
    result : StudyResult
    model : str or (feature_set, classifier)
        ``"feature_set/classifier"`` or a pair.
    split : {"test", "train"}

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_waterfall
    >>> plot_study_waterfall(result, "US/lr").axes[0].get_title()
    'Waterfall plot: US/lr (test set)'

    References
    ----------
    .. [1] Youden, W. J. (1950). Index for rating diagnostic tests. Cancer, 3(1),
        32-35.
    """
    key = tuple(model.split("/", 1)) if isinstance(model, str) else tuple(model)
    y = result.y_test if split == "test" else result.y_train
    prob = result.probabilities(key, split).loc[y.index].to_numpy()
    threshold = float(result.thresholds[key])
    return plot_waterfall(
        y.to_numpy(), prob, threshold, class_names=_class_names(result), title=f"Waterfall plot: {'/'.join(key)} ({split} set)"
    )


@_styled
def plot_study_lasso(result, feature_set: str, *, paths: bool = True) -> Figure:
    """The LASSO of a feature set's final refit: CV error and, for the linear LASSO, coefficient paths.

    Parameters
    ----------
    result : StudyResult
    feature_set : str
        A feature set whose pipeline ends its selection with a LASSO.
    paths : bool
        Draw the coefficient paths beside the CV error (linear LASSO only);
        ``False`` keeps the figure one panel wide, as the report does, which
        shows the paths as a figure of their own.

    Returns
    -------
    Figure
        One panel (CV error) for the logistic LASSO, two (CV error, paths)
        for the linear one.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_lasso
    >>> fig = plot_study_lasso(result, "US")
    >>> fig.axes[0].get_xlabel()
    'log(λ)'

    References
    ----------
    .. [1] Friedman, J., Hastie, T., & Tibshirani, R. (2010). Regularization paths
        for generalized linear models via coordinate descent. Journal of
        Statistical Software, 33(1), 1-22.
    .. [2] Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
        Journal of the Royal Statistical Society: Series B, 58(1), 267-288.
    """
    lasso = result.lasso_path(feature_set)
    has_path = paths and lasso["coef_path"] is not None
    figure = Figure(figsize=(12.4 if has_path else 5.4, 4.2), layout="constrained")
    axes = figure.subplots(1, 2 if has_path else 1, squeeze=False).ravel()
    ylabel = "Mean squared error" if lasso["model"] == "linear" else "Log-loss"
    plot_lasso_cv(lasso["alphas"], lasso["cv_mean"], lasso["cv_se"], lasso["alpha"], ylabel=ylabel, ax=axes[0],
                  title=f"Cross-validated error ({lasso['rule']} rule)")
    if has_path:
        plot_lasso_path(lasso["coef_path"], lasso["alpha"], ax=axes[1], title="Coefficient paths")
    figure.suptitle(f"LASSO: {feature_set}")
    return figure


@_styled
def plot_study_lasso_coefficients(result, feature_set: str) -> Figure:
    """Bar chart of the LASSO coefficients of a feature set's final refit.

    Parameters
    ----------
    result : StudyResult
    feature_set : str
        A feature set whose pipeline ends its selection with a LASSO.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_lasso_coefficients
    >>> plot_study_lasso_coefficients(result, "US").axes[0].get_xlabel()
    'LASSO coefficient'

    References
    ----------
    .. [1] Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
        Journal of the Royal Statistical Society: Series B, 58(1), 267-288.
    """
    coef = result.lasso_path(feature_set)["coef"]
    return plot_lasso_coefficients(coef, title=f"LASSO coefficients: {feature_set} ({int((coef != 0).sum())} features)")
