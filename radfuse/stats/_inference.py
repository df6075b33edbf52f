"""Wald tests and intervals shared by the statistics that have a standard error."""

from __future__ import annotations

import math

from scipy import stats


def wald_test(estimate: float, se: float, alpha: float, df: float = math.inf):
    r"""Two-sided test of ``estimate = 0`` and its confidence interval.

    :math:`z = \hat\theta / SE`, referred to Student's t with ``df`` degrees of
    freedom (the standard normal when ``df`` is infinite), and the interval
    :math:`\hat\theta \pm t_{1-\alpha/2,\,df} \, SE`.

    A zero standard error means the estimate has no sampling variability
    under the variance model: the statistic is 0 with p-value 1 for a zero
    estimate (e.g. a model compared with itself), and +/-inf with p-value 0
    otherwise; the interval collapses onto the estimate.

    Returns
    -------
    statistic, pvalue, (ci_lower, ci_upper)
    """
    if se == 0:
        statistic = 0.0 if estimate == 0 else math.copysign(math.inf, estimate)
    else:
        statistic = estimate / se
    pvalue = float(2 * stats.t.sf(abs(statistic), df))
    half_width = float(stats.t.ppf(1 - alpha / 2, df)) * se
    return float(statistic), pvalue, (estimate - half_width, estimate + half_width)
