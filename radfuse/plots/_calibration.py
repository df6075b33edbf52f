"""Calibration figures: one panel of curves, or one small panel per model with Wilson intervals."""

from __future__ import annotations

import warnings

import numpy as np
from matplotlib.figure import Figure

from .._validation import check_binary_target
from ..stats import calibration, wilson_ci
from ._style import check_models, figure_and_axes, finish_legend, model_colours, square_unit_axes, styled

__all__ = ["calibration_bins", "plot_calibration", "plot_calibration_panels"]


@styled
def plot_calibration(
    y_true, probs, *, n_bins=10, strategy="quantile", title=None, colours=None, ax=None
) -> Figure:
    """Calibration curves: observed event rate against mean predicted risk per bin.

    Bins and values come from :func:`radfuse.stats.calibration`;
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
    probs = check_models(probs, "plot_calibration", y01.size, probabilities=True)
    colours = colours or model_colours(list(probs))
    figure, ax = figure_and_axes(ax)
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
    square_unit_axes(ax, "Predicted probability", "Observed fraction of events")
    ax.set_title(title or "Calibration curves")
    finish_legend(ax, title=f"model ({strategy} bins, n = {n_bins})")
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


@styled
def plot_calibration_panels(y_true, probs, *, n_bins=None, strategy="quantile", level=0.95, title=None,
                            colours=None, n_columns=4) -> Figure:
    """Calibration as small multiples: one panel per model, binned with Wilson intervals.

    Each panel shows the observed event rate of each bin of predicted risk
    against the bin's mean predicted risk, with the Wilson score interval of
    the observed rate, the diagonal of perfect calibration, and a rug of the
    cases' predictions (events above, non-events below). The panel title
    gives the Brier score and the calibration slope
    (:func:`radfuse.stats.calibration`).

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
    y01, _ = check_binary_target(y_true, step="plot_calibration_panels", name="y_true")
    probs = check_models(probs, "plot_calibration_panels", y01.size, probabilities=True)
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
            [wilson_ci(int(events), int(n), alpha=1 - level) for events, n in zip(table["n_events"], table["n"])]
        )
        observed = table["observed_fraction"].to_numpy()
        ax.errorbar(
            table["mean_predicted"].to_numpy(), observed, yerr=[observed - bounds[:, 0], bounds[:, 1] - observed],
            fmt="o-", markersize=3.5, linewidth=1.2, elinewidth=0.9, capsize=2, color=colours[name],
        )
        ax.plot(prob[y01 == 1], np.full(int(y01.sum()), 1.0), "|", color=colours[name], markersize=5, alpha=0.6)
        ax.plot(prob[y01 == 0], np.zeros(int((y01 == 0).sum())), "|", color="0.35", markersize=5, alpha=0.6)
        square_unit_axes(ax, "Predicted probability", "Observed fraction")
        ax.set_title(f"{name}: Brier {result.brier:.3f}, slope {result.slope:.2f}", fontsize=8)
    for ax in axes[len(probs):]:
        ax.set_visible(False)
    figure.suptitle(
        (title or "Calibration") + f"\n{n_bins} {strategy} bins of about {y01.size // n_bins} cases; "
        f"bars: {level:.0%} Wilson intervals; ticks: cases (events at top)",
        fontsize=9,
    )
    return figure
