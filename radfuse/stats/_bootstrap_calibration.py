"""Bias-corrected calibration curve by the optimism bootstrap, as ``rms::calibrate``."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
from scipy import special
from sklearn.utils._param_validation import validate_params

from ._lowess import lowess
from ._params import BOOTSTRAP_PARAMETERS
from ._result import StatResult
from ._validation import bootstrap_refits

__all__ = ["BootstrapCalibrationResult", "bootstrap_calibration"]

#: Points of the predicted-probability grid, as rms::calibrate's default.
N_GRID = 50


@dataclasses.dataclass(frozen=True, repr=False)
class BootstrapCalibrationResult(StatResult):
    """``table``: one row per grid probability ``predicted`` with the
    ``apparent`` and bias-``corrected`` calibrated probabilities, the
    calibration errors (calibrated - predicted) ``apparent_error``,
    ``training``, ``test``, their ``optimism`` and ``n``; ``predicted`` is
    also the ideal line. ``predictions``: the apparent predictions of the cases.

    One row per grid probability, so the curve stays in ``table``;
    ``to_frame()`` is the one-row summary of the errors. Of the core fields
    only ``method`` (``"bootstrap calibration"``) applies: ``estimate``, the
    interval, ``statistic`` and ``pvalue`` are NaN, ``alpha`` None.
    """

    table: pd.DataFrame
    predictions: np.ndarray = dataclasses.field(repr=False)
    mean_absolute_error: float
    mean_squared_error: float
    quantile90_absolute_error: float
    n_resamples: int
    n_failed: int


def _interpolate(x, y, at, ties):
    """R's ``approx(x, y, xout = at, ties = ties)``: NaN outside the range of x."""
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    unique, start, counts = np.unique(x, return_index=True, return_counts=True)
    if ties == "first":
        values = y[start]
    else:
        values = np.add.reduceat(y, start) / counts
    result = np.interp(at, unique, values)
    result[(at < unique[0]) | (at > unique[-1])] = np.nan
    return result


def _calibration_error(lp, y01, predicted):
    """Lowess-smoothed observed probability minus ``predicted``, at each grid point."""
    x, smooth = lowess(special.expit(lp), y01)
    return _interpolate(x, smooth, predicted, ties="first") - predicted


def _calibration_measures(apparent_lp, y01):
    ordered = np.sort(special.expit(apparent_lp))
    if ordered.size < 11:
        raise ValueError(
            "bootstrap_calibration: needs more than 10 cases for its grid of predicted "
            f"probabilities (the 5th to the 5th-largest prediction); got {ordered.size}."
        )
    grid = np.linspace(ordered[4], ordered[-5], N_GRID)
    measure = functools.partial(_calibration_error, predicted=grid)
    return measure, measure


@validate_params(BOOTSTRAP_PARAMETERS, prefer_skip_nested_validation=True)
def bootstrap_calibration(
    estimator, X, y, resamples=None, n_boot: int = 200, random_state=None, n_jobs=None, *,
    pos_label=None,
) -> BootstrapCalibrationResult:
    r"""Bias-corrected calibration curve of a classifier or whole pipeline, as ``rms::calibrate``.

    On a grid of 50 predicted probabilities :math:`p` from the 5th smallest
    to the 5th largest apparent prediction, the calibration error
    :math:`e(p) = s(p) - p` is measured, where :math:`s` is the lowess
    smoother of the outcome on the predicted probability (R's
    ``lowess(x, y, iter = 0)``, linearly interpolated; NaN outside the range
    of the predictions). Exactly as :func:`bootstrap_validate`, the whole
    estimator is refitted on each resample and :math:`e` measured on the
    resample (training) and on the original data (test); the
    optimism-corrected curve is :math:`s_{app}(p) - (\bar e_{train}(p) - \bar e_{test}(p))`
    (Harrell 2015, sec. 10.11).

    The apparent and bias-corrected curves are drawn against the ideal
    diagonal; ``mean_absolute_error`` is the mean over the cases of
    :math:`|\hat p_i - c(\hat p_i)|` where :math:`c` interpolates the
    corrected curve linearly (cases outside the grid left out), with
    ``mean_squared_error`` and the 0.9 quantile of the absolute error, as
    ``print.calibrate`` reports them.

    Parameters
    ----------
    estimator, X, y, resamples, n_boot, random_state, n_jobs, pos_label
        As :func:`bootstrap_validate`; the same resamples give the same
        bootstrap draws as ``rms::validate`` / ``rms::calibrate``.

    Returns
    -------
    BootstrapCalibrationResult
        ``table`` (columns ``predicted, apparent, corrected, apparent_error,
        training, test, optimism, n``), ``predictions``,
        ``mean_absolute_error``, ``mean_squared_error``,
        ``quantile90_absolute_error``, ``n_resamples``, ``n_failed``.

    References
    ----------
    Harrell, F. E. (2015). Regression Modeling Strategies (2nd ed.), sec. 10.11.
    Springer. (R package ``rms``, function ``calibrate``.)
    Austin, P. C., & Steyerberg, E. W. (2014). Graphical assessment of internal
    and external calibration of logistic regression models by using loess
    smoothers. Statistics in Medicine, 33(3), 517-535.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from radfuse.stats import bootstrap_calibration
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    >>> cal = bootstrap_calibration(LogisticRegression(), X, y, n_boot=20, random_state=0)
    >>> cal.table.shape
    (50, 8)
    >>> bool(cal.mean_absolute_error < 0.05)
    True
    """
    predictions_lp, apparent, training, test, counts, n_resamples, n_failed = bootstrap_refits(
        estimator, X, y, resamples, n_boot, random_state, n_jobs, _calibration_measures,
        pos_label, step="bootstrap_calibration",
    )
    predictions = special.expit(predictions_lp)
    grid = np.linspace(*np.sort(predictions)[[4, -5]], N_GRID)
    optimism = training - test
    table = pd.DataFrame(
        {
            "predicted": grid,
            "apparent": grid + apparent,
            "corrected": grid + apparent - optimism,
            "apparent_error": apparent,
            "training": training,
            "test": test,
            "optimism": optimism,
            "n": counts,
        }
    )
    defined = table["corrected"].notna().to_numpy()
    error = predictions - _interpolate(
        grid[defined], table["corrected"].to_numpy()[defined], predictions, ties="mean"
    )
    error = error[~np.isnan(error)]
    return BootstrapCalibrationResult(
        method="bootstrap calibration",
        table=table,
        predictions=predictions,
        mean_absolute_error=float(np.mean(np.abs(error))),
        mean_squared_error=float(np.mean(error**2)),
        quantile90_absolute_error=float(np.quantile(np.abs(error), 0.9)),
        n_resamples=n_resamples,
        n_failed=n_failed,
    )
