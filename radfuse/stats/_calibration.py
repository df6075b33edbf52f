"""Calibration of predicted probabilities: binned table, Brier score,
logistic recalibration and the Hosmer-Lemeshow test."""

from __future__ import annotations

import dataclasses
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import special, stats
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.tools import add_constant

from .._validation import check_binary_target, check_probabilities, check_same_cases
from ._params import POS_LABEL
from ._result import StatResult

CALIBRATION_STRATEGIES = ("quantile", "uniform")


@dataclasses.dataclass(frozen=True, repr=False)
class CalibrationResult(StatResult):
    """Calibration summary; the per-bin ``table`` stays out of ``to_frame()``.

    ``statistic`` and ``pvalue`` are those of the Hosmer-Lemeshow test on
    ``hl_df`` degrees of freedom (``method`` ``"hosmer-lemeshow"``); no
    single quantity is estimated, so ``estimate`` and the interval are NaN
    and ``alpha`` None.
    """

    table: pd.DataFrame
    brier: float
    intercept: float
    slope: float
    hl_df: int
    n_bins: int
    strategy: str


def _bin_edges(y_prob: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    # Type-7 quantiles (R's default), duplicates merged as hoslem.test does.
    return np.unique(np.quantile(y_prob, np.linspace(0.0, 1.0, n_bins + 1)))


def _assign_bins(y_prob: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index per case for right-closed bins ``(lower, upper]``, the first
    one closed on both sides: R's ``cut(include.lowest = TRUE)`` and
    scikit-learn's ``calibration_curve``."""
    return np.searchsorted(edges[1:-1], y_prob, side="left")


def _binned_table(y01: np.ndarray, y_prob: np.ndarray, edges: np.ndarray) -> pd.DataFrame:
    n_slots = max(edges.size - 1, 1)
    ids = _assign_bins(y_prob, edges)
    n = np.bincount(ids, minlength=n_slots)
    events = np.bincount(ids, weights=y01, minlength=n_slots)
    expected = np.bincount(ids, weights=y_prob, minlength=n_slots)
    lower = edges[:n_slots]
    upper = edges[1:] if edges.size > 1 else edges
    filled = n > 0
    return pd.DataFrame(
        {
            "lower": lower[filled],
            "upper": upper[filled],
            "n": n[filled],
            "n_events": events[filled].astype(np.int64),
            "expected_events": expected[filled],
            "mean_predicted": expected[filled] / n[filled],
            "observed_fraction": events[filled] / n[filled],
        },
        index=pd.RangeIndex(1, int(filled.sum()) + 1, name="bin"),
    )


def _hosmer_lemeshow(groups: pd.DataFrame):
    observed = np.column_stack([groups["n"] - groups["n_events"], groups["n_events"]])
    expected = np.column_stack(
        [groups["n"] - groups["expected_events"], groups["expected_events"]]
    )
    squared = (observed - expected) ** 2
    # An empty expected cell with nothing observed carries no information
    # (R returns NaN here); one with cases observed is infinitely surprising.
    with np.errstate(divide="ignore", invalid="ignore"):
        cells = np.where(squared == 0, 0.0, squared / expected)
    statistic = float(cells.sum())
    df = len(groups) - 2
    if df < 1:
        warnings.warn(
            f"calibration: the predicted probabilities form only {len(groups)} "
            "Hosmer-Lemeshow group(s); the test needs at least 3, so pvalue is NaN.",
            RuntimeWarning,
            stacklevel=3,
        )
        return statistic, df, float("nan")
    return statistic, df, float(stats.chi2.sf(statistic, df))


def _logistic_recalibration(y01: np.ndarray, y_prob: np.ndarray):
    """Calibration-in-the-large intercept and calibration slope."""
    interior = (y_prob > 0) & (y_prob < 1)
    n_excluded = int((~interior).sum())
    if n_excluded:
        warnings.warn(
            f"calibration: {n_excluded} prediction(s) of exactly 0 or 1 have an infinite "
            "logit and are left out of the intercept and slope fits (as in rms::val.prob); "
            "the table, Brier score and Hosmer-Lemeshow test use every case.",
            RuntimeWarning,
            stacklevel=3,
        )
    y_fit = y01[interior]
    logit = special.logit(y_prob[interior])
    if y_fit.size == 0 or np.unique(y_fit).size < 2:
        warnings.warn(
            "calibration: the cases with predictions strictly inside (0, 1) have a single "
            "outcome class, so the intercept and slope are NaN.",
            RuntimeWarning,
            stacklevel=3,
        )
        return float("nan"), float("nan")
    binomial = Binomial()
    intercept = GLM(y_fit, np.ones_like(logit), family=binomial, offset=logit).fit()
    if np.ptp(logit) == 0:
        warnings.warn(
            "calibration: all predictions are equal, so the calibration slope is NaN.",
            RuntimeWarning,
            stacklevel=3,
        )
        return float(intercept.params[0]), float("nan")
    slope = GLM(y_fit, add_constant(logit), family=binomial).fit()
    return float(intercept.params[0]), float(slope.params[1])


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "strategy": [StrOptions(set(CALIBRATION_STRATEGIES))],
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def calibration(
    y_true, y_prob, n_bins: int = 10, strategy: str = "quantile", *, pos_label=None
) -> CalibrationResult:
    r"""Calibration of predicted probabilities against binary outcomes.

    * ``table``: one row per non-empty bin of predicted probability with its
      edges (``lower``, ``upper``; bins are right-closed, the first also
      left-closed), ``n``, ``n_events``, ``expected_events``
      (:math:`\sum p`), ``mean_predicted`` and ``observed_fraction``.
      ``strategy="uniform"`` uses ``n_bins`` equal-width bins on [0, 1];
      ``"quantile"`` uses type-7 quantiles of ``y_prob`` with duplicate
      edges merged, so tied predictions give fewer bins. Bins with no case
      are omitted; the ``mean_predicted`` and ``observed_fraction`` columns
      equal scikit-learn's ``calibration_curve`` for the same strategy.
    * ``brier``: :math:`\frac1n \sum_i (p_i - y_i)^2`.
    * ``intercept``: calibration-in-the-large, :math:`a` in
      :math:`\operatorname{logit} P(y = 1) = a + \operatorname{logit}(p)`
      (the logit of ``y_prob`` as an offset); ideal 0, positive when the
      model under-predicts (Van Calster et al. 2016; Steyerberg 2019).
    * ``slope``: calibration slope, :math:`b` in
      :math:`\operatorname{logit} P(y = 1) = a' + b \operatorname{logit}(p)`;
      ideal 1, below 1 when predictions are too extreme (overfitting).
      Both are maximum-likelihood logistic fits. Predictions of exactly 0
      or 1 have an infinite logit and are left out of these two fits with a
      warning, as ``rms::val.prob`` does.
    * Hosmer-Lemeshow test, with groups formed exactly as
      ``ResourceSelection::hoslem.test(y, p, g = n_bins)`` forms them
      (type-7 quantile breaks, duplicate breaks merged, right-closed
      intervals), whatever ``strategy`` the table uses:

      .. math::

          \hat C = \sum_{k=1}^{G} \left[\frac{(o_k - e_k)^2}{e_k}
                 + \frac{(o^0_k - e^0_k)^2}{e^0_k}\right]
          \sim \chi^2_{G - 2}

      over the :math:`G` non-empty groups with observed and expected events
      :math:`o_k, e_k = \sum p` and non-events :math:`o^0_k, e^0_k`. A cell
      with nothing expected and nothing observed adds 0 (R gives NaN). With
      fewer than 3 groups the test is undefined: ``pvalue`` is NaN and a
      ``RuntimeWarning`` says so.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the event unless ``pos_label``
        says otherwise.
    y_prob : array-like of shape (n_samples,)
        Predicted probabilities of the event, in [0, 1].
    n_bins : int
        Number of bins of the table and of Hosmer-Lemeshow groups (``g``).
    strategy : {"quantile", "uniform"}
        Binning of the table.
    pos_label : label, optional
        The event; required when ``y_true`` holds strings.

    Returns
    -------
    CalibrationResult
        ``table``, ``brier``, ``intercept``, ``slope``, the Hosmer-Lemeshow
        ``statistic``, ``hl_df`` and ``pvalue``. ``to_frame()`` gives the scalar summary in
        one row; the table is its own DataFrame.

    References
    ----------
    Hosmer, D. W., & Lemeshow, S. (1980). Goodness of fit tests for the
    multiple logistic regression model. Communications in Statistics -
    Theory and Methods, 9(10), 1043-1069.
    Hosmer, D. W., Lemeshow, S., & Sturdivant, R. X. (2013). Applied Logistic
    Regression (3rd ed.). Wiley.
    Van Calster, B., Nieboer, D., Vergouwe, Y., De Cock, B., Pencina, M. J.,
    & Steyerberg, E. W. (2016). A calibration hierarchy for risk models was
    defined: from utopia to empirical data. Journal of Clinical
    Epidemiology, 74, 167-176.
    Van Calster, B., McLernon, D. J., van Smeden, M., Wynants, L., &
    Steyerberg, E. W. (2019). Calibration: the Achilles heel of predictive
    analytics. BMC Medicine, 17, 230.
    Steyerberg, E. W. (2019). Clinical Prediction Models (2nd ed.). Springer.

    Examples
    --------
    >>> import numpy as np
    >>> from radfuse.stats import calibration
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 500)
    >>> y = rng.binomial(1, p)
    >>> result = calibration(y, p)
    >>> result.hl_df, bool(result.pvalue > 0.05)
    (8, True)
    >>> result.table.shape
    (10, 7)
    """
    check_same_cases("calibration", y_true=y_true, y_prob=y_prob)
    step = "calibration"
    y01, _ = check_binary_target(y_true, step=step, pos_label=pos_label, name="y_true")
    y_prob = check_probabilities(y_prob, step=step, name="y_prob", n_samples=y01.size)

    table = _binned_table(y01, y_prob, _bin_edges(y_prob, n_bins, strategy))
    hl_groups = table
    if strategy != "quantile":
        hl_groups = _binned_table(y01, y_prob, _bin_edges(y_prob, n_bins, "quantile"))
    hl_statistic, hl_df, hl_pvalue = _hosmer_lemeshow(hl_groups)
    intercept, slope = _logistic_recalibration(y01, y_prob)
    return CalibrationResult(
        table=table,
        brier=float(np.mean((y_prob - y01) ** 2)),
        intercept=intercept,
        slope=slope,
        statistic=hl_statistic,
        pvalue=hl_pvalue,
        method="hosmer-lemeshow",
        hl_df=hl_df,
        n_bins=int(n_bins),
        strategy=strategy,
    )
