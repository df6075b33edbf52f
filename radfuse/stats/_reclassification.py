"""Reclassification of two risk models: net reclassification and integrated
discrimination improvement (Pencina et al. 2008, 2011)."""

from __future__ import annotations

import dataclasses
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import StrOptions, validate_params

from .._validation import check_binary_target, check_probabilities, check_same_cases
from ._inference import wald_test
from ._params import ALPHA, POS_LABEL
from ._result import StatResult

NRI_VARIANCES = ("hmisc", "pencina")


@dataclasses.dataclass(frozen=True, repr=False)
class NRIResult(StatResult):
    """Net reclassification improvement of ``prob_a`` over ``prob_b`` (see :func:`nri`).

    ``estimate`` is the NRI, with its normal-theory interval and z test;
    ``method`` names its ``kind`` and ``variance``. ``up_events`` etc. are
    proportions of the events (or non-events) whose risk, or risk category,
    went up (or down) under model a.
    """

    nri_events: float
    nri_nonevents: float
    se: float
    se_events: float
    se_nonevents: float
    up_events: float
    down_events: float
    up_nonevents: float
    down_nonevents: float
    n_events: int
    n_nonevents: int
    kind: str
    variance: str


@dataclasses.dataclass(frozen=True, repr=False)
class IDIResult(StatResult):
    """Integrated discrimination improvement of ``prob_a`` over ``prob_b`` (see :func:`idi`).

    ``estimate`` is the IDI, with its normal-theory interval and z test;
    ``method`` is ``"idi"``.
    """

    se: float
    discrimination_slope_a: float
    discrimination_slope_b: float
    mean_change_events: float
    mean_change_nonevents: float
    n_events: int
    n_nonevents: int


def _check_inputs(y_true, prob_a, prob_b, step: str, pos_label):
    y01, _ = check_binary_target(y_true, step=step, pos_label=pos_label, name="y_true")
    prob_a = check_probabilities(prob_a, step=step, name="prob_a", n_samples=y01.size)
    prob_b = check_probabilities(prob_b, step=step, name="prob_b", n_samples=y01.size)
    return y01.astype(bool), prob_a, prob_b



def _risk_categories(prob: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """Category index of each risk; a risk equal to a cut-off goes up."""
    return np.searchsorted(cutoffs, prob, side="right")


def _check_cutoffs(cutoffs) -> np.ndarray:
    values = np.atleast_1d(np.asarray(cutoffs, dtype=np.float64))
    if values.ndim != 1 or values.size == 0:
        raise ValueError("nri: cutoffs must be a non-empty list of risk thresholds, or None.")
    if not np.all((values > 0) & (values < 1)):
        raise ValueError(f"nri: cutoffs must lie strictly between 0 and 1; got {values.tolist()}.")
    if np.any(np.diff(values) <= 0):
        raise ValueError(f"nri: cutoffs must be strictly increasing; got {values.tolist()}.")
    return values


def _component(moves: np.ndarray, variance: str):
    """Net proportion moving up, and its variance, within one outcome class.

    With ``u`` cases up and ``d`` down out of ``n``, the estimate is
    ``(u - d) / n``. ``"hmisc"`` uses the unrestricted multinomial variance
    ``(u + d) / n**2 - (u - d)**2 / n**3`` of Hmisc::improveProb;
    ``"pencina"`` the null-hypothesis variance ``(u + d) / n**2`` of
    Pencina et al. (2008).
    """
    n = moves.size
    up = int(np.count_nonzero(moves > 0))
    down = int(np.count_nonzero(moves < 0))
    var = (up + down) / n**2
    if variance == "hmisc":
        var -= (up - down) ** 2 / n**3
    return up / n, down / n, max(var, 0.0)


@validate_params(
    {
        "y_true": ["array-like"],
        "prob_a": ["array-like"],
        "prob_b": ["array-like"],
        "cutoffs": ["array-like", Real, None],
        "alpha": ALPHA,
        "variance": [StrOptions(set(NRI_VARIANCES))],
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def nri(
    y_true, prob_a, prob_b, cutoffs=None, *, alpha: float = 0.05, variance: str = "hmisc",
    pos_label=None,
) -> NRIResult:
    r"""Net reclassification improvement (NRI), category-free or categorical.

    Each case moves up, down or not at all from model b (the reference) to
    model a (the new model).
    Without ``cutoffs`` (category-free or continuous NRI, Pencina et al.
    2011) a move is the sign of :math:`p_a - p_b`, so ties move
    neither way, exactly as in ``Hmisc::improveProb``. With ``cutoffs`` a
    move is a change of risk category; categories are
    :math:`[0, c_1), [c_1, c_2), \dots, [c_k, 1]`, so a risk equal to a
    cut-off belongs to the higher category.

    .. math::

        NRI = \underbrace{P(up \mid event) - P(down \mid event)}_{NRI_{events}}
            + \underbrace{P(down \mid nonevent) - P(up \mid nonevent)}_{NRI_{nonevents}}

    With :math:`u, d` cases up and down among :math:`n` events
    (likewise for non-events) the default ``variance="hmisc"`` is

    .. math::

        \widehat{Var}(NRI_{events}) = \frac{u + d}{n^2} - \frac{(u - d)^2}{n^3}

    and :math:`SE(NRI) = \sqrt{Var(NRI_{events}) + Var(NRI_{nonevents})}`, as
    current ``Hmisc::improveProb`` computes it (it is the 1/n variance of the
    +1/0/-1 moves divided by n). ``variance="pencina"`` gives the variance
    under the null hypothesis of Pencina et al. (2008), :math:`(u + d)/n^2`,
    which older Hmisc releases used and which is never smaller. The z statistic, two-sided
    p-value and ``1 - alpha`` confidence interval are normal-theory.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the event unless ``pos_label``
        says otherwise.
    prob_a, prob_b : array-like of shape (n_samples,)
        Predicted risks in [0, 1] of model a (the new model) and model b
        (the reference).
    cutoffs : sequence of float, optional
        Strictly increasing risk thresholds in (0, 1) for the categorical NRI.
    alpha : float
        1 - confidence level of the interval.
    variance : {"hmisc", "pencina"}
        Variance estimator, see above.
    pos_label : label, optional
        The event; required when ``y_true`` holds strings.

    Returns
    -------
    NRIResult
        ``estimate`` (the NRI), ``nri_events``, ``nri_nonevents``, their
        standard errors, ``statistic`` (z), ``pvalue``, ``ci_lower``,
        ``ci_upper`` and the proportions
        ``up_events``, ``down_events``, ``up_nonevents``, ``down_nonevents``.
        When the standard error is zero (no case reclassified, e.g. a model
        compared with itself, or every case moved in the same direction
        within its class) ``statistic`` is 0 with ``pvalue`` 1 for a zero
        NRI, and +/-inf with ``pvalue`` 0 otherwise; the interval collapses
        onto the estimate.

    References
    ----------
    Pencina, M. J., D'Agostino, R. B. Sr, D'Agostino, R. B. Jr, & Vasan, R. S.
    (2008). Evaluating the added predictive ability of a new marker: from area
    under the ROC curve to reclassification and beyond. Statistics in
    Medicine, 27(2), 157-172.
    Pencina, M. J., D'Agostino, R. B. Sr, & Steyerberg, E. W. (2011).
    Extensions of net reclassification improvement calculations to measure
    usefulness of new biomarkers. Statistics in Medicine, 30(1), 11-21.
    Harrell, F. E. Hmisc: ``improveProb`` (R package).

    Examples
    --------
    >>> from radfuse.stats import nri
    >>> y = [1, 1, 0, 0]
    >>> result = nri(y, prob_a=[0.8, 0.6, 0.3, 0.4], prob_b=[0.7, 0.7, 0.4, 0.4])
    >>> result.nri_events, result.nri_nonevents, result.estimate
    (0.0, 0.5, 0.5)
    >>> result = nri(y, [0.8, 0.6, 0.3, 0.4], [0.7, 0.7, 0.4, 0.4], cutoffs=[0.5])
    >>> result.estimate
    0.0
    """
    check_same_cases("nri", y_true=y_true, prob_a=prob_a, prob_b=prob_b)
    step = "nri"
    events, prob_a, prob_b = _check_inputs(y_true, prob_a, prob_b, step, pos_label)
    if cutoffs is None:
        moves = prob_a - prob_b
        kind = "category-free"
    else:
        cutoff_values = _check_cutoffs(cutoffs)
        moves = _risk_categories(prob_a, cutoff_values) - _risk_categories(prob_b, cutoff_values)
        kind = "categorical (cut-offs " + ", ".join(f"{c:g}" for c in cutoff_values) + ")"

    up_ev, down_ev, var_ev = _component(moves[events], variance)
    up_ne, down_ne, var_ne = _component(moves[~events], variance)
    nri_events = up_ev - down_ev
    nri_nonevents = down_ne - up_ne
    estimate = nri_events + nri_nonevents
    se = float(np.sqrt(var_ev + var_ne))
    statistic, pvalue, (lower, upper) = wald_test(estimate, se, alpha)
    return NRIResult(
        estimate=estimate,
        ci_lower=lower,
        ci_upper=upper,
        statistic=statistic,
        pvalue=pvalue,
        alpha=alpha,
        method=f"{kind} NRI, {variance} variance",
        nri_events=nri_events,
        nri_nonevents=nri_nonevents,
        se=se,
        se_events=float(np.sqrt(var_ev)),
        se_nonevents=float(np.sqrt(var_ne)),
        up_events=up_ev,
        down_events=down_ev,
        up_nonevents=up_ne,
        down_nonevents=down_ne,
        n_events=int(events.sum()),
        n_nonevents=int((~events).sum()),
        kind=kind,
        variance=variance,
    )


@validate_params(
    {
        "y_true": ["array-like"],
        "prob_a": ["array-like"],
        "prob_b": ["array-like"],
        "alpha": ALPHA,
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def idi(y_true, prob_a, prob_b, *, alpha: float = 0.05, pos_label=None) -> IDIResult:
    r"""Integrated discrimination improvement (IDI).

    The IDI is the gain in discrimination slope (Yates slope: mean risk in
    events minus mean risk in non-events) of model a over model b.
    With :math:`d_i = p_{a,i} - p_{b,i}`:

    .. math::

        IDI = \bar d_{events} - \bar d_{nonevents}
            = DS_a - DS_b, \qquad
        SE(IDI) = \sqrt{\frac{s^2_{d, events}}{n_{events}}
                        + \frac{s^2_{d, nonevents}}{n_{nonevents}}}

    with sample variances :math:`s^2` (denominator :math:`n - 1`), as in
    Pencina et al. (2008) and ``Hmisc::improveProb``. The z statistic,
    two-sided p-value and ``1 - alpha`` confidence interval are normal-theory.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the event unless ``pos_label``
        says otherwise. At least two events and two non-events are needed for
        the variances.
    prob_a, prob_b : array-like of shape (n_samples,)
        Predicted risks in [0, 1] of model a (the new model) and model b
        (the reference).
    alpha : float
        1 - confidence level of the interval.
    pos_label : label, optional
        The event; required when ``y_true`` holds strings.

    Returns
    -------
    IDIResult
        ``estimate`` (the IDI), ``se``, ``statistic`` (z), ``pvalue``,
        ``ci_lower``, ``ci_upper``, the
        discrimination slopes of both models and the mean change in risk of
        events (``mean_change_events``, Hmisc's "improveSens") and of
        non-events (``mean_change_nonevents``, a decrease counted positive,
        Hmisc's "improveSpec"). When the standard error is zero (every
        risk changed by the same amount within each class, e.g. a model
        compared with itself) ``statistic`` is 0 with ``pvalue`` 1 for a
        zero IDI, and +/-inf with ``pvalue`` 0 otherwise.

    References
    ----------
    Pencina, M. J., D'Agostino, R. B. Sr, D'Agostino, R. B. Jr, & Vasan, R. S.
    (2008). Evaluating the added predictive ability of a new marker: from area
    under the ROC curve to reclassification and beyond. Statistics in
    Medicine, 27(2), 157-172.
    Pencina, M. J., D'Agostino, R. B. Sr, & Steyerberg, E. W. (2011).
    Extensions of net reclassification improvement calculations to measure
    usefulness of new biomarkers. Statistics in Medicine, 30(1), 11-21.
    Harrell, F. E. Hmisc: ``improveProb`` (R package).

    Examples
    --------
    >>> from radfuse.stats import idi
    >>> result = idi([1, 1, 0, 0], prob_a=[0.9, 0.7, 0.2, 0.3], prob_b=[0.6, 0.6, 0.4, 0.4])
    >>> round(result.estimate, 3), round(result.discrimination_slope_a, 3)
    (0.35, 0.55)
    """
    check_same_cases("idi", y_true=y_true, prob_a=prob_a, prob_b=prob_b)
    step = "idi"
    events, prob_a, prob_b = _check_inputs(y_true, prob_a, prob_b, step, pos_label)
    n_events, n_nonevents = int(events.sum()), int((~events).sum())
    if min(n_events, n_nonevents) < 2:
        raise ValueError(
            f"idi: needs at least two events and two non-events to estimate the "
            f"variance; y_true has {n_events} event(s) and {n_nonevents} non-event(s)."
        )
    change = prob_a - prob_b
    change_events, change_nonevents = change[events], change[~events]
    estimate = float(change_events.mean() - change_nonevents.mean())
    se = float(
        np.sqrt(
            change_events.var(ddof=1) / n_events + change_nonevents.var(ddof=1) / n_nonevents
        )
    )
    statistic, pvalue, (lower, upper) = wald_test(estimate, se, alpha)
    return IDIResult(
        estimate=estimate,
        ci_lower=lower,
        ci_upper=upper,
        statistic=statistic,
        pvalue=pvalue,
        alpha=alpha,
        method="idi",
        se=se,
        discrimination_slope_a=float(prob_a[events].mean() - prob_a[~events].mean()),
        discrimination_slope_b=float(prob_b[events].mean() - prob_b[~events].mean()),
        mean_change_events=float(change_events.mean()),
        mean_change_nonevents=float(-change_nonevents.mean()),
        n_events=n_events,
        n_nonevents=n_nonevents,
    )
