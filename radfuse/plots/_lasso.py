"""LASSO figures: cross-validated error, coefficient paths and the coefficients kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._style import (
    NEGATIVE_COLOUR,
    POSITIVE_COLOUR,
    REFERENCE_COLOUR,
    figure_and_axes,
    finish_legend,
    model_colours,
    short_name,
    styled,
)

__all__ = ["plot_lasso_coefficients", "plot_lasso_cv", "plot_lasso_path"]


def _log_penalty(alphas) -> np.ndarray:
    alphas = np.asarray(alphas, dtype=np.float64)
    if alphas.ndim != 1 or alphas.size == 0 or (alphas <= 0).any():
        raise ValueError("plot_lasso: the penalty grid must be a non-empty 1D array of positive values.")
    return np.log(alphas)


@styled
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
    figure, ax = figure_and_axes(ax, size=(7.8, 4.0))
    for feature, path in coef_path.iterrows():
        if feature in colours:
            ax.plot(log_alphas, path.to_numpy(), color=colours[feature], linewidth=1.3, label=short_name(feature))
        else:
            ax.plot(log_alphas, path.to_numpy(), color="0.75", linewidth=0.7)
    ax.axvline(np.log(alpha), color="black", linestyle=":", linewidth=1.0, label=f"chosen \u03bb = {alpha:.3g}")
    ax.axhline(0, color=REFERENCE_COLOUR, linewidth=0.6)
    ax.set(xlabel="log(\u03bb)", ylabel="Coefficient", title=title or "LASSO coefficient paths")
    # Paths fill the whole axes, so the legend goes beside it rather than over them.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6.5, handlelength=1.6)
    return figure


@styled
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
    figure, ax = figure_and_axes(ax, size=(5.4, 4.0))
    ax.errorbar(
        log_alphas,
        cv_mean,
        yerr=cv_se,
        fmt="o",
        markersize=3,
        color=POSITIVE_COLOUR,
        ecolor="0.6",
        elinewidth=0.8,
        capsize=1.5,
        label="mean \u00b1 SE over CV folds",
    )
    ax.axvline(np.log(alpha), color="black", linestyle=":", linewidth=1.0, label=f"chosen \u03bb = {alpha:.3g}")
    ax.set(xlabel="log(\u03bb)", ylabel=ylabel, title=title or "LASSO penalty: cross-validated error")
    finish_legend(ax)
    return figure


@styled
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
    figure, ax = figure_and_axes(ax, size=(6.4, height))
    colours = np.where(kept.to_numpy() > 0, POSITIVE_COLOUR, NEGATIVE_COLOUR)
    ax.barh(np.arange(kept.size), kept.to_numpy(), color=colours, height=0.7)
    ax.set_yticks(np.arange(kept.size), [short_name(str(name)) for name in kept.index])
    ax.axvline(0, color="black", linewidth=0.7)
    ax.grid(axis="y", visible=False)
    ax.set(xlabel="LASSO coefficient", ylabel="Feature", title=title or f"Selected features ({kept.size})")
    return figure
