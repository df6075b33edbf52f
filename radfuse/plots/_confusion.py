"""Confusion matrices at each model's threshold, counts and row percentages annotated."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from .._validation import check_binary_target
from ..stats import diagnostic_metrics
from ._style import check_models, short_name, styled

__all__ = ["plot_confusion_matrices"]


@styled
def plot_confusion_matrices(
    y_true, probs, thresholds, *, class_names=("negative", "positive"), title=None
) -> Figure:
    """One confusion matrix per model, counts and row percentages annotated.

    A case is predicted positive when its probability is at or above the
    model's threshold, the rule of
    :func:`radfuse.stats.diagnostic_metrics`.

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
    probs = check_models(probs, "plot_confusion_matrices", y01.size, probabilities=True)
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
        ax.set(xlabel="Predicted", ylabel="True", title=f"{short_name(name, 32)}\nthreshold {thresholds[name]:.3f}")
        ax.grid(visible=False)
        ax.spines[:].set_visible(True)
    for ax in axes.ravel()[len(probs):]:
        ax.set_axis_off()
    if title:
        figure.suptitle(title)
    return figure
