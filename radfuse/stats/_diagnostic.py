"""Diagnostic performance at a threshold: sensitivity, specificity, PPV, NPV with CIs.

A case is called positive when its score is *greater than or equal to* the
threshold (``score >= threshold``), the rule of scikit-learn's ``roc_curve``.
Binary predictions can be passed as scores with ``threshold=1``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._validation import check_binary_target, check_same_cases, check_scores, preview
from ._params import ALPHA, FINITE, POS_LABEL, RANDOM_STATE
from ._result import StatResult

METRICS = ("accuracy", "sensitivity", "specificity", "ppv", "npv", "f1")

_UNDEFINED_REASONS = {
    "ppv": "no case scored >= threshold (no predicted positives)",
    "npv": "every case scored >= threshold (no predicted negatives)",
}


@dataclass(frozen=True, repr=False)
class DiagnosticMetrics(StatResult):
    """Confusion matrix and metrics at one threshold (see :func:`diagnostic_metrics`).

    Returned by :func:`diagnostic_metrics`, whose example shows its use.

    Several estimates, so several rows: ``to_frame()`` returns the tidy
    table, one row per metric with ``estimate``, ``ci_lower``, ``ci_upper``,
    ``numerator``, ``denominator``, ``ci_method`` and ``note`` (why a metric
    is undefined, else empty). Of the core fields, ``alpha`` and ``method``
    (``"wilson"`` or ``"bootstrap"``, of the intervals) apply; ``estimate``,
    the interval, ``statistic`` and ``pvalue`` are NaN.
    """

    threshold: float
    tn: int
    fp: int
    fn: int
    tp: int
    accuracy: float
    accuracy_ci: tuple[float, float]
    sensitivity: float
    sensitivity_ci: tuple[float, float]
    specificity: float
    specificity_ci: tuple[float, float]
    ppv: float
    ppv_ci: tuple[float, float]
    npv: float
    npv_ci: tuple[float, float]
    f1: float
    f1_ci: tuple[float, float]
    n_boot: int
    note: str = ""

    @property
    def confusion_matrix(self) -> np.ndarray:
        """``[[tn, fp], [fn, tp]]``, the layout of scikit-learn's ``confusion_matrix``."""
        return np.array([[self.tn, self.fp], [self.fn, self.tp]])

    def to_frame(self) -> pd.DataFrame:
        """One row per metric with its estimate, confidence interval and counts."""
        counts = _metric_counts(self.tn, self.fp, self.fn, self.tp)
        rows = []
        for metric in METRICS:
            lower, upper = getattr(self, f"{metric}_ci")
            numerator, denominator = counts[metric]
            uses_wilson = self.method == "wilson" and metric != "f1"
            rows.append(
                {
                    "metric": metric,
                    "estimate": getattr(self, metric),
                    "ci_lower": lower,
                    "ci_upper": upper,
                    "numerator": int(numerator),
                    "denominator": int(denominator),
                    "ci_method": "wilson" if uses_wilson else "bootstrap",
                    "note": _UNDEFINED_REASONS[metric] if denominator == 0 else "",
                }
            )
        table = pd.DataFrame(rows)
        table.attrs.update(threshold=self.threshold, alpha=self.alpha)
        return table


@dataclass(frozen=True, repr=False)
class YoudenThreshold(StatResult):
    """The score cut-off maximising Youden's J (see :func:`youden_threshold`).

    Returned by :func:`youden_threshold`, whose example shows its use. The
    result is the cut-off ``threshold``, without interval or test: the core
    fields ``estimate``, ``ci_lower``, ``ci_upper``, ``statistic``,
    ``pvalue`` are NaN, ``alpha`` None and ``method`` ``"youden"``.
    """

    threshold: float
    youden_j: float
    sensitivity: float
    specificity: float


@dataclass(frozen=True, repr=False)
class McNemarTestResult(StatResult):
    """McNemar's test of two paired classifiers (see :func:`mcnemar_test`).

    Returned by :func:`mcnemar_test`, whose example shows its use.
    ``estimate`` is the difference ``proportion_a - proportion_b`` of the
    proportions correct, without interval (``ci_lower``, ``ci_upper`` NaN,
    ``alpha`` None); ``method`` is ``"exact binomial"`` or ``"chi-square"``.
    """

    only_a_correct: int
    only_b_correct: int
    n_cases: int
    proportion_a: float
    proportion_b: float
    subset: str
    exact: bool
    correction: bool


def _metric_counts(tn, fp, fn, tp) -> dict:
    """Numerator and denominator of every metric; works on scalars and arrays."""
    return {
        "accuracy": (tp + tn, tp + tn + fp + fn),
        "sensitivity": (tp, tp + fn),
        "specificity": (tn, tn + fp),
        "ppv": (tp, tp + fp),
        "npv": (tn, tn + fn),
        "f1": (2 * tp, 2 * tp + fp + fn),
    }


def _ratio(numerator, denominator):
    """Elementwise numerator / denominator, NaN where the denominator is zero."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    return np.divide(
        numerator, denominator, out=np.full(np.broadcast(numerator, denominator).shape, np.nan),
        where=denominator > 0,
    )


@validate_params(
    {
        "successes": [Interval(Integral, 0, None, closed="left")],
        "trials": [Interval(Integral, 1, None, closed="left")],
        "alpha": ALPHA,
    },
    prefer_skip_nested_validation=True,
)
def wilson_ci(successes: int, trials: int, alpha: float = 0.05) -> tuple[float, float]:
    r"""Wilson score interval of a binomial proportion.

    With :math:`\hat p = x/n` and :math:`z = z_{1-\alpha/2}`,

    .. math::

        \frac{\hat p + z^2/(2n)}{1 + z^2/n} \pm
        \frac{z}{1 + z^2/n} \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}}.

    It stays inside [0, 1] and keeps close to nominal coverage at the small
    counts and extreme proportions of diagnostic studies, unlike the Wald
    interval (Newcombe, 1998).

    Parameters
    ----------
    successes, trials : int
        :math:`x` and :math:`n`; ``trials`` must be positive.
    alpha : float
        1 - confidence level.

    Returns
    -------
    (lower, upper)

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA, 22(158), 209-212.
    Newcombe, R. G. (1998). Two-sided confidence intervals for the single
    proportion: comparison of seven methods. Statistics in Medicine, 17(8),
    857-872.

    Examples
    --------
    >>> from radfuse.stats import wilson_ci
    >>> tuple(round(bound, 4) for bound in wilson_ci(8, 10))
    (0.4902, 0.9433)
    """
    if successes > trials:
        raise ValueError(
            f"wilson_ci: needs successes <= trials; got "
            f"successes={successes}, trials={trials}."
        )
    z = stats.norm.ppf(1 - alpha / 2)
    proportion = successes / trials
    shrink = 1 + z**2 / trials
    center = (proportion + z**2 / (2 * trials)) / shrink
    half_width = z * math.sqrt(proportion * (1 - proportion) / trials + z**2 / (4 * trials**2))
    # At 0 (or n) successes the bound is exactly 0 (or 1); the formula leaves 1e-17.
    lower = 0.0 if successes == 0 else float(center - half_width / shrink)
    upper = 1.0 if successes == trials else float(center + half_width / shrink)
    return lower, upper


def _bootstrap_intervals(tn, fp, fn, tp, alpha, n_boot, rng) -> dict:
    """Stratified-bootstrap percentile intervals of every metric.

    Resampling the ``m`` positives with replacement and counting how many are
    called positive gives ``tp* ~ Binomial(m, tp/m)`` exactly, and likewise
    ``fp* ~ Binomial(n, fp/n)`` for the negatives, so the replicates are
    drawn as counts without materialising any resample.
    """
    m, n = tp + fn, tn + fp
    tp_star = rng.binomial(m, tp / m, size=n_boot)
    fp_star = rng.binomial(n, fp / n, size=n_boot)
    counts = _metric_counts(n - fp_star, fp_star, m - tp_star, tp_star)
    intervals = {}
    for metric, (numerator, denominator) in counts.items():
        replicates = _ratio(numerator, denominator)
        defined = replicates[~np.isnan(replicates)]
        if defined.size == 0:
            intervals[metric] = (math.nan, math.nan)
        else:
            # Replicates with a zero denominator have no value and are left out.
            lower, upper = np.quantile(defined, [alpha / 2, 1 - alpha / 2])
            intervals[metric] = (float(lower), float(upper))
    return intervals


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "threshold": FINITE,
        "alpha": ALPHA,
        "method": [StrOptions({"wilson", "bootstrap"})],
        "n_boot": [Interval(Integral, 2, None, closed="left")],
        "random_state": RANDOM_STATE,
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def diagnostic_metrics(
    y_true,
    y_score,
    threshold: float,
    alpha: float = 0.05,
    method: str = "wilson",
    n_boot: int = 2000,
    random_state=None,
    *,
    pos_label=None,
) -> DiagnosticMetrics:
    r"""Accuracy, sensitivity, specificity, PPV, NPV and F1 at a threshold, with CIs.

    A case is predicted positive when ``score >= threshold``. From the
    confusion matrix (TN, FP, FN, TP):

    .. math::

        \mathrm{sensitivity} = \frac{TP}{TP + FN}, \quad
        \mathrm{specificity} = \frac{TN}{TN + FP}, \quad
        \mathrm{PPV} = \frac{TP}{TP + FP}, \quad
        \mathrm{NPV} = \frac{TN}{TN + FN},

    accuracy :math:`= (TP + TN)/N` and :math:`F_1 = 2TP / (2TP + FP + FN)`.

    With ``method="wilson"`` the five proportions get Wilson score intervals
    (see :func:`wilson_ci`) and F1, which is not a proportion, a
    stratified-bootstrap percentile interval. With ``method="bootstrap"``
    every metric gets the stratified-bootstrap percentile interval (positives
    and negatives resampled separately, as pROC's ``ci.coords`` does).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_score : array-like of shape (n_samples,)
        Scores or probabilities (or 0/1 predictions with ``threshold=1``).
    threshold : float
        Cut-off; typically chosen on training data, e.g. by
        :func:`youden_threshold`.
    alpha : float
        1 - confidence level.
    method : {"wilson", "bootstrap"}
    n_boot : int
        Bootstrap replicates (F1 always; every metric with ``"bootstrap"``).
    random_state : int, numpy Generator or None
        Seed of the bootstrap.
    pos_label : label, optional
        The positive class; required when ``y_true`` holds strings.

    Returns
    -------
    DiagnosticMetrics
        The counts ``tn``, ``fp``, ``fn``, ``tp`` (and ``confusion_matrix``),
        each metric with a ``<metric>_ci`` tuple, and ``to_frame()`` giving a
        tidy table (metric, estimate, ci_lower, ci_upper, ...).

    Notes
    -----
    Sensitivity, specificity, accuracy and F1 are always defined because both
    classes are present. PPV is undefined when no case reaches the threshold
    and NPV when every case does: the estimate and interval are then NaN,
    ``note`` and the table's ``note`` column say why, and a
    ``RuntimeWarning`` is issued. Bootstrap replicates in which a metric is
    undefined are left out of its percentile interval.

    References
    ----------
    Altman, D. G., & Bland, J. M. (1994). Diagnostic tests 1: sensitivity and
    specificity; 2: predictive values. BMJ, 308, 1552 and 309, 102.
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA, 22(158), 209-212.
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap.
    Chapman & Hall.

    Examples
    --------
    >>> from radfuse.stats import diagnostic_metrics
    >>> result = diagnostic_metrics([0, 0, 0, 1, 1, 1], [0.1, 0.6, 0.2, 0.7, 0.4, 0.9],
    ...                             threshold=0.5, random_state=0)
    >>> result.tp, result.fp, round(result.sensitivity, 4)
    (2, 1, 0.6667)
    >>> list(result.to_frame()["metric"])
    ['accuracy', 'sensitivity', 'specificity', 'ppv', 'npv', 'f1']
    """
    check_same_cases("diagnostic_metrics", y_true=y_true, y_score=y_score)
    step = "diagnostic_metrics"
    y01, _ = check_binary_target(y_true, step=step, pos_label=pos_label, name="y_true")
    score = check_scores(y_score, step=step, name="y_score", n_samples=y01.size)

    predicted = score >= threshold
    positive = y01 == 1
    tp = int(np.sum(predicted & positive))
    fp = int(np.sum(predicted & ~positive))
    fn = int(np.sum(~predicted & positive))
    tn = int(np.sum(~predicted & ~positive))

    counts = _metric_counts(tn, fp, fn, tp)
    intervals = _bootstrap_intervals(
        tn, fp, fn, tp, alpha, n_boot, np.random.default_rng(random_state)
    )
    fields, notes = {}, []
    for metric, (numerator, denominator) in counts.items():
        if denominator == 0:
            notes.append(f"{metric} undefined: {_UNDEFINED_REASONS[metric]}")
            fields[metric], fields[f"{metric}_ci"] = math.nan, (math.nan, math.nan)
            continue
        fields[metric] = numerator / denominator
        if method == "wilson" and metric != "f1":
            fields[f"{metric}_ci"] = wilson_ci(numerator, denominator, alpha)
        else:
            fields[f"{metric}_ci"] = intervals[metric]
    note = "; ".join(notes)
    if note:
        warnings.warn(
            f"{step}: at threshold={threshold!r}, {note}; reported as NaN.",
            RuntimeWarning,
            stacklevel=2,
        )
    return DiagnosticMetrics(
        threshold=float(threshold), tn=tn, fp=fp, fn=fn, tp=tp, **fields,
        alpha=alpha, method=method, n_boot=n_boot, note=note,
    )


@validate_params(
    {"y_true": ["array-like"], "y_score": ["array-like"], "pos_label": POS_LABEL},
    prefer_skip_nested_validation=True,
)
def youden_threshold(y_true, y_score, *, pos_label=None) -> YoudenThreshold:
    r"""The observed score that maximises Youden's J = sensitivity + specificity - 1.

    Every distinct observed score :math:`t` is a candidate, with cases called
    positive when ``score >= t``; J is compared in exact integer arithmetic
    (:math:`J \cdot mn = TP \cdot n + TN \cdot m - mn`). Among tied maxima the
    *highest* threshold wins (the most specific cut-off, and the first
    maximiser along scikit-learn's ``roc_curve``). Choose the threshold on
    training data and apply it to test data with :func:`diagnostic_metrics`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_score : array-like of shape (n_samples,)
    pos_label : label, optional

    Returns
    -------
    YoudenThreshold
        ``threshold`` (an observed score), ``youden_j``, ``sensitivity``,
        ``specificity`` at that threshold.

    Notes
    -----
    pROC's ``coords(roc, "best")`` reports the midpoint between two adjacent
    observed scores instead; both classify the sample identically. A score
    without discriminative value gives J = 0 (at worst the lowest score,
    calling every case positive).

    References
    ----------
    Youden, W. J. (1950). Index for rating diagnostic tests. Cancer, 3(1),
    32-35.
    Fluss, R., Faraggi, D., & Reiser, B. (2005). Estimation of the Youden
    Index and its associated cutoff point. Biometrical Journal, 47(4),
    458-472.

    Examples
    --------
    >>> from radfuse.stats import youden_threshold
    >>> best = youden_threshold([0, 0, 0, 1, 1, 1], [0.1, 0.6, 0.2, 0.7, 0.4, 0.9])
    >>> best.threshold, round(best.youden_j, 4)
    (0.7, 0.6667)
    """
    check_same_cases("youden_threshold", y_true=y_true, y_score=y_score)
    step = "youden_threshold"
    y01, _ = check_binary_target(y_true, step=step, pos_label=pos_label, name="y_true")
    score = check_scores(y_score, step=step, name="y_score", n_samples=y01.size)
    positives = np.sort(score[y01 == 1])
    negatives = np.sort(score[y01 == 0])
    m, n = positives.size, negatives.size
    candidates = np.unique(score)
    tp = m - np.searchsorted(positives, candidates, side="left")
    tn = np.searchsorted(negatives, candidates, side="left")
    scaled_j = tp * n + tn * m
    best = np.flatnonzero(scaled_j == scaled_j.max())[-1]
    return YoudenThreshold(
        threshold=float(candidates[best]),
        youden_j=float(scaled_j[best] / (m * n) - 1),
        sensitivity=float(tp[best] / m),
        specificity=float(tn[best] / n),
        method="youden",
    )


def _check_predictions(pred, *, step: str, name: str, n_samples: int) -> np.ndarray:
    """0/1 (or boolean) class predictions of the expected length, as booleans."""
    values = np.asarray(pred)
    if values.ndim != 1:
        raise ValueError(f"{step}: {name} must be one-dimensional; got shape {values.shape}.")
    if values.size != n_samples:
        raise ValueError(
            f"{step}: {name} has {values.size} values but y_true has {n_samples}; "
            "they must describe the same cases."
        )
    if values.dtype.kind not in "biuf":
        raise ValueError(
            f"{step}: {name} must hold 0/1 or boolean predictions; got dtype {values.dtype}."
        )
    invalid = ~np.isin(values, (0, 1))
    if invalid.any():
        raise ValueError(
            f"{step}: {name} must hold 0/1 predictions, but has value(s) "
            f"{preview(np.unique(values[invalid]).tolist())}. Threshold scores first "
            "(e.g. score >= threshold)."
        )
    return values.astype(bool)


@validate_params(
    {
        "y_true": ["array-like"],
        "pred_a": ["array-like"],
        "pred_b": ["array-like"],
        "subset": [StrOptions({"all", "positives", "negatives"})],
        "exact": ["boolean"],
        "correction": ["boolean"],
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def mcnemar_test(
    y_true, pred_a, pred_b, *, subset: str = "all", exact: bool = True,
    correction: bool = True, pos_label=None,
) -> McNemarTestResult:
    r"""McNemar's test comparing two classifiers on the same cases.

    Each case in ``subset`` is classified correctly or not by A and by B. With
    :math:`b` the cases only A gets right and :math:`c` those only B gets
    right, the null hypothesis is :math:`P(b) = P(c)`:

    * ``exact=True``: statistic :math:`\min(b, c)`, two-sided p-value
      :math:`\min\{1, 2 \, P(X \le \min(b, c))\}` with
      :math:`X \sim \mathrm{Binomial}(b + c, 1/2)`;
    * ``exact=False``: :math:`\chi^2 = (|b - c| - k)^2 / (b + c)` on 1 df, with
      :math:`k = 1` (continuity correction) or 0. As in R's ``mcnemar.test``,
      the correction applies only when :math:`b \ne c`: with :math:`b = c`
      the statistic is 0 and the p-value 1 (correcting would move a zero
      difference away from zero).

    ``subset="positives"`` compares the **sensitivities** (correct = called
    positive), ``"negatives"`` the **specificities**, ``"all"`` the
    accuracies. Sensitivity and specificity must be tested separately: a
    single test on all cases mixes them.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    pred_a, pred_b : array-like of shape (n_samples,)
        0/1 or boolean predictions of the two classifiers (1 = positive).
    subset : {"all", "positives", "negatives"}
    exact : bool
        Binomial test (recommended when :math:`b + c < 25`) or chi-square.
    correction : bool
        Continuity correction of the chi-square form (only when
        :math:`b \ne c`, as R does).
    pos_label : label, optional

    Returns
    -------
    McNemarTestResult
        ``statistic``, ``pvalue``, the discordant counts ``only_a_correct``
        (b) and ``only_b_correct`` (c), ``n_cases`` in the subset, and the
        proportions correct ``proportion_a``, ``proportion_b`` (sensitivities,
        specificities or accuracies) and their difference ``estimate``.

    Notes
    -----
    Without discordant cases (:math:`b = c = 0`) both classifiers agree on
    every case: the result is statistic 0 and p-value 1, with a
    ``RuntimeWarning``. The values equal R's ``mcnemar.test``, and
    statsmodels' ``mcnemar`` except when :math:`b = c` (statsmodels then
    corrects a zero difference: :math:`b = c = 7` gives 0.0714, p = 0.789).

    References
    ----------
    McNemar, Q. (1947). Note on the sampling error of the difference between
    correlated proportions or percentages. Psychometrika, 12(2), 153-157.
    Hawass, N. E. (1997). Comparing the sensitivities and specificities of two
    diagnostic procedures performed on the same group of patients. British
    Journal of Radiology, 70(832), 360-366.

    Examples
    --------
    >>> from radfuse.stats import mcnemar_test
    >>> y = [1, 1, 1, 1, 1, 1, 0, 0]
    >>> result = mcnemar_test(y, [1, 1, 1, 1, 1, 0, 0, 1], [1, 0, 0, 0, 1, 0, 0, 0],
    ...                       subset="positives")
    >>> result.only_a_correct, result.only_b_correct, result.pvalue
    (3, 0, 0.25)
    """
    check_same_cases("mcnemar_test", y_true=y_true, pred_a=pred_a, pred_b=pred_b)
    step = "mcnemar_test"
    y01, _ = check_binary_target(y_true, step=step, pos_label=pos_label, name="y_true")
    first = _check_predictions(pred_a, step=step, name="pred_a", n_samples=y01.size)
    second = _check_predictions(pred_b, step=step, name="pred_b", n_samples=y01.size)
    truth = y01.astype(bool)
    keep = {"all": np.ones_like(truth), "positives": truth, "negatives": ~truth}[subset]
    correct_a = first[keep] == truth[keep]
    correct_b = second[keep] == truth[keep]
    only_a = int(np.sum(correct_a & ~correct_b))
    only_b = int(np.sum(~correct_a & correct_b))
    discordant = only_a + only_b

    if discordant == 0:
        warnings.warn(
            f"{step}: A and B agree on every case of subset={subset!r}; no discordant "
            "pairs, reported as statistic 0 and p-value 1.",
            RuntimeWarning,
            stacklevel=2,
        )
        statistic, pvalue = 0.0, 1.0
    elif exact:
        statistic = float(min(only_a, only_b))
        pvalue = float(min(1.0, 2 * stats.binom.cdf(statistic, discordant, 0.5)))
    else:
        corrected = correction and only_a != only_b
        statistic = (abs(only_a - only_b) - int(corrected)) ** 2 / discordant
        pvalue = float(stats.chi2.sf(statistic, 1))

    proportion_a, proportion_b = float(correct_a.mean()), float(correct_b.mean())
    return McNemarTestResult(
        estimate=proportion_a - proportion_b, statistic=float(statistic), pvalue=pvalue,
        method="exact binomial" if exact else "chi-square", only_a_correct=only_a,
        only_b_correct=only_b, n_cases=int(keep.sum()), proportion_a=proportion_a,
        proportion_b=proportion_b, subset=subset, exact=bool(exact),
        correction=bool(correction),
    )
