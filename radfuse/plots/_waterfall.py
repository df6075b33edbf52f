"""Waterfall plot: one bar per case from the decision threshold to its predicted probability."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .._validation import check_binary_target
from ._style import NEGATIVE_COLOUR, POSITIVE_COLOUR, check_models, figure_and_axes, finish_legend, styled

__all__ = ["plot_waterfall"]


@styled
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
    prob = check_models({"prob": prob}, "plot_waterfall", y01.size, probabilities=True)["prob"]
    if not 0 <= threshold <= 1:
        raise ValueError(f"plot_waterfall: threshold must lie in [0, 1]; got {threshold!r}.")
    order = np.argsort(-prob, kind="stable")
    sorted_prob, sorted_y = prob[order], y01[order]
    figure, ax = figure_and_axes(ax, size=(max(5.0, min(12.0, 0.06 * y01.size + 3)), 3.6))
    positions = np.arange(y01.size)
    for label, colour, name in ((0, NEGATIVE_COLOUR, class_names[0]), (1, POSITIVE_COLOUR, class_names[1])):
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
    finish_legend(ax)
    return figure
