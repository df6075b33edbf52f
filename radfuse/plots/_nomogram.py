"""Figures of a clinical + rad-score logistic model: the rms-style nomogram and the
bias-corrected bootstrap calibration curve. Re-exported by :mod:`radfuse.plots`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from radfuse.stats import logistic_model
>>> from radfuse.plots import plot_nomogram
>>> rng = np.random.default_rng(0)
>>> data = pd.DataFrame({"rad_score": rng.normal(size=200),
...                      "grade": rng.choice(["G1", "G2"], 200)})
>>> data["y"] = rng.binomial(1, 1 / (1 + np.exp(-data["rad_score"])))
>>> fig = plot_nomogram(logistic_model(data, "y", ["rad_score", "grade"]))
>>> [ax.get_ylabel() for ax in fig.axes][:3]
['Points', 'rad_score', 'grade']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from scipy import special

from .._validation import preview

__all__ = ["NomogramScales", "nomogram_points", "plot_bootstrap_calibration", "plot_nomogram"]

_STYLE = {
    "font.size": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "svg.fonttype": "none",
}
_PROBABILITIES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


@dataclasses.dataclass(frozen=True)
class NomogramScales:
    """Points of every predictor value and the mapping of total points to risk.

    ``predictors`` maps each predictor to a DataFrame with columns ``value``,
    ``linear_predictor`` (its term's contribution, :math:`\\beta x`) and
    ``points``; a total of :math:`T` points means the linear predictor
    ``intercept + T / points_per_unit``.
    """

    predictors: Mapping
    points_per_unit: float
    intercept: float
    max_points: float

    def linear_predictor(self, total_points):
        """Linear predictor at the given total points."""
        return self.intercept + np.asarray(total_points, dtype=np.float64) / self.points_per_unit

    def total_points(self, linear_predictor):
        """Total points at the given linear predictor."""
        return (np.asarray(linear_predictor, dtype=np.float64) - self.intercept) * self.points_per_unit


def _default_values(fit, name) -> list:
    if name in fit.levels:
        return list(fit.levels[name])
    low, high = fit.ranges[name]
    ticks = MaxNLocator(nbins=10, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    return [float(t) for t in ticks if low - 1e-12 <= t <= high + 1e-12]


def nomogram_points(fit, values: Mapping | None = None, max_points: float = 100.0) -> NomogramScales:
    r"""The points arithmetic of an ``rms::nomogram`` for a :func:`~radfuse.stats.logistic_model` fit.

    Each predictor's contribution :math:`\beta_j x` (for a categorical
    predictor the coefficient of its level, 0 for the reference) is shifted
    to 0 at its smallest value on the axis; the predictor with the widest
    range of contributions spans ``max_points`` points, so one unit of
    linear predictor is worth :math:`\mathrm{max\_points} / \max_j \mathrm{range}_j`
    points, and total points :math:`T` map back to the linear predictor
    :math:`\beta_0 + \sum_j \min_x \beta_j x + T / \text{points per unit}`
    (Harrell 2015, sec. 10.10; Iasonos et al. 2008).

    Parameters
    ----------
    fit : LogisticModelResult
    values : mapping of predictor to a list of axis values, optional
        Defaults: every level of a categorical predictor; for a continuous
        one, round values within ``fit.ranges`` (``rms::datadist``'s display
        range, the 10/max(n, 200) and 1 - 10/max(n, 200) quantiles).
    max_points : float
        Length of the points axis (rms's ``maxscale``).

    Returns
    -------
    NomogramScales

    References
    ----------
    Harrell, F. E. (2015). Regression Modeling Strategies (2nd ed.). Springer.
    (R package ``rms``, function ``nomogram``.)
    Iasonos, A., Schrag, D., Raj, G. V., & Panageas, K. S. (2008). How to build
    and interpret a nomogram for cancer prognosis. Journal of Clinical
    Oncology, 26(8), 1364-1370.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from radfuse.stats import logistic_model
    >>> from radfuse.plots import nomogram_points
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"rad_score": rng.normal(size=200), "age": rng.normal(60, 9, 200)})
    >>> data["y"] = rng.binomial(1, 1 / (1 + np.exp(-data["rad_score"])))
    >>> scales = nomogram_points(logistic_model(data, "y", ["rad_score", "age"]),
    ...                          values={"rad_score": [-2, 0, 2], "age": [40, 80]})
    >>> scales.predictors["rad_score"]["points"].tolist()
    [0.0, 50.0, 100.0]
    """
    values = dict(values or {})
    unknown = [name for name in values if name not in fit.predictors]
    if unknown:
        raise ValueError(
            f"nomogram_points: {preview(unknown)} are not predictors of the model "
            f"{preview(list(fit.predictors))}."
        )
    coef = fit.coef
    contributions = {}
    for name in fit.predictors:
        axis = list(values.get(name, _default_values(fit, name)))
        if name in fit.levels:
            bad = [level for level in axis if level not in fit.levels[name]]
            if bad:
                raise ValueError(
                    f"nomogram_points: {preview(bad)} are not levels of {name!r} "
                    f"{preview(list(fit.levels[name]))}."
                )
            reference = fit.levels[name][0]
            effect = [0.0 if level == reference else float(coef[f"{name}={level}"]) for level in axis]
        else:
            axis = [float(value) for value in axis]
            effect = [float(coef[name]) * value for value in axis]
        if not axis:
            raise ValueError(f"nomogram_points: predictor {name!r} has no axis value.")
        contributions[name] = (axis, np.array(effect))
    widest = max(np.ptp(effect) for _, effect in contributions.values())
    if widest == 0:
        raise ValueError("nomogram_points: every predictor has a zero effect on its axis.")
    per_unit = max_points / widest
    predictors = {
        name: pd.DataFrame(
            {"value": axis, "linear_predictor": effect, "points": (effect - effect.min()) * per_unit}
        )
        for name, (axis, effect) in contributions.items()
    }
    intercept = float(coef.iloc[0]) + sum(effect.min() for _, effect in contributions.values())
    return NomogramScales(
        predictors=predictors, points_per_unit=per_unit, intercept=intercept, max_points=max_points
    )


def _axis_row(ax, label, positions, labels, span):
    ax.set_xlim(-0.02 * span, 1.02 * span)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_ylabel(label, rotation=0, ha="right", va="center")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_position(("data", 0.5))
    if len(positions):
        ax.spines["bottom"].set_bounds(min(positions), max(positions))
    ax.set_xticks(positions)
    ax.set_xticklabels(labels)
    ax.tick_params(axis="x", direction="inout", length=6, pad=1)


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def plot_nomogram(
    fit,
    values: Mapping | None = None,
    probabilities: Sequence[float] = _PROBABILITIES,
    max_points: float = 100.0,
    probability_label: str = "Predicted probability",
) -> Figure:
    """An ``rms``-style nomogram of a :func:`~radfuse.stats.logistic_model` fit.

    Rows: the points axis (0 to ``max_points``), one scale per predictor
    (continuous predictors at round values of their display range,
    categorical predictors at every level), total points, the linear
    predictor and the predicted probability. Reading: sum the points of a
    patient's values, then read the linear predictor and probability below
    the total. The arithmetic is :func:`nomogram_points` (tested against
    ``rms::nomogram``).

    Parameters
    ----------
    fit : LogisticModelResult
    values : mapping of predictor to axis values, optional
    probabilities : sequence of float
        Probability ticks; those outside the reachable range are left out.
    max_points : float
    probability_label : str

    Returns
    -------
    matplotlib.figure.Figure
        One axes per row, top to bottom.

    References
    ----------
    Harrell, F. E. (2015). Regression Modeling Strategies (2nd ed.). Springer.
    """
    scales = nomogram_points(fit, values, max_points)
    total_max = sum(float(table["points"].max()) for table in scales.predictors.values())
    total_ticks = [t for t in MaxNLocator(nbins=8).tick_values(0, total_max) if 0 <= t <= total_max]
    lp_range = scales.linear_predictor([0.0, total_max])
    lp_ticks = [t for t in MaxNLocator(nbins=8).tick_values(*lp_range) if lp_range[0] <= t <= lp_range[1]]
    probs = [p for p in probabilities if lp_range[0] <= special.logit(p) <= lp_range[1]]

    rows = 1 + len(scales.predictors) + 3
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(7.0, 0.55 * rows + 0.4), layout="constrained")
        axes = fig.subplots(rows, 1)
        point_ticks = MaxNLocator(nbins=10).tick_values(0, max_points)
        _axis_row(axes[0], "Points", list(point_ticks), [_format(float(t)) for t in point_ticks], max_points)
        for ax, (name, table) in zip(axes[1:], scales.predictors.items()):
            _axis_row(ax, name, table["points"].tolist(), [_format(v) for v in table["value"]], max_points)
        # Total points and below share one scale stretched to the figure width.
        stretch = max_points / total_max if total_max > 0 else 1.0
        _axis_row(axes[-3], "Total points", [t * stretch for t in total_ticks],
                  [_format(float(t)) for t in total_ticks], max_points)
        _axis_row(axes[-2], "Linear predictor",
                  [float(scales.total_points(t)) * stretch for t in lp_ticks],
                  [_format(float(t)) for t in lp_ticks], max_points)
        _axis_row(axes[-1], probability_label,
                  [float(scales.total_points(special.logit(p))) * stretch for p in probs],
                  [_format(float(p)) for p in probs], max_points)
    return fig


def plot_bootstrap_calibration(result, ax=None, title: str | None = None) -> Figure:
    """The bias-corrected calibration curve of
    :func:`~radfuse.stats.bootstrap_calibration`, as ``plot.calibrate``:
    apparent (dotted), bias-corrected (solid) and ideal (grey diagonal) lines,
    a rug of the predictions, and the mean absolute error and resample count.

    Returns
    -------
    matplotlib.figure.Figure

    References
    ----------
    Harrell, F. E. (2015). Regression Modeling Strategies (2nd ed.), sec. 10.11.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from radfuse.stats import bootstrap_calibration
    >>> from radfuse.plots import plot_bootstrap_calibration
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 2)); y = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    >>> fig = plot_bootstrap_calibration(
    ...     bootstrap_calibration(LogisticRegression(), X, y, n_boot=10, random_state=0))
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:3]
    ['Apparent', 'Bias-corrected', 'Ideal']
    """
    table = result.table
    with matplotlib.rc_context(_STYLE):
        if ax is None:
            fig = Figure(figsize=(4.6, 4.2), layout="constrained")
            ax = fig.subplots()
        else:
            fig = ax.figure
        ax.plot(table["predicted"], table["apparent"], ls=":", color="0.2", label="Apparent")
        ax.plot(table["predicted"], table["corrected"], ls="-", color="#CC3311", label="Bias-corrected")
        ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, label="Ideal")
        ax.plot(result.predictions, np.full(result.predictions.size, 0.0), "|", color="0.4",
                ms=6, alpha=0.5, label="_predictions")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1)
        ax.set_xlabel("Predicted probability")
        ax.set_ylabel("Observed probability")
        kept = result.n_resamples - result.n_failed
        ax.text(0.98, 0.04, f"B = {kept} resamples\nMean absolute error = {result.mean_absolute_error:.3f}",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7.5)
        ax.legend(loc="upper left")
        if title:
            ax.set_title(title)
    return fig
