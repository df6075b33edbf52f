"""Decision curves: net benefit across threshold probabilities, against treat-all and treat-none."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from scipy import ndimage

from .._validation import check_binary_target
from ..stats import decision_curve
from ._style import REFERENCE_COLOUR, check_models, figure_and_axes, finish_legend, model_colours, styled

__all__ = ["plot_decision_curve"]


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


@styled
def plot_decision_curve(
    y_true, probs, *, threshold_range=(0.0, 0.5), thresholds=None, smooth=False, title=None, colours=None, ax=None
) -> Figure:
    """Decision curves: net benefit across threshold probabilities, with treat-all and treat-none.

    Net benefit comes from :func:`radfuse.stats.decision_curve`.
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
    probs = check_models(probs, "plot_decision_curve", y01.size, probabilities=True)
    colours = colours or model_colours(list(probs))
    curves = decision_curve(y01, probs, thresholds=_threshold_grid(y01, probs, threshold_range, thresholds))
    figure, ax = figure_and_axes(ax, size=(5.4, 4.0))
    for name, curve in curves.groupby("model", sort=False):
        # References sit under the models: at low thresholds a model's curve
        # coincides with "treat all" and must stay visible.
        if name == "all":
            style = {"color": REFERENCE_COLOUR, "linewidth": 1.0, "label": "Treat all", "zorder": 1}
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
    finish_legend(ax)
    return figure
