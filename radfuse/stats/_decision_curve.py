"""Clinical utility: decision curves (net benefit) and the biopsy-impact table."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import validate_params

from .._validation import (
    check_binary_target,
    check_probabilities,
    check_same_cases,
    check_scores,
)
from ._params import FINITE, POS_LABEL
from ._result import StatResult

REFERENCE_STRATEGIES = ("all", "none")

# A risk of exactly 0 never recommends treatment, even at threshold 0:
# comparing with the smallest positive double makes ``p >= t`` mean p > 0 there.
_SMALLEST_POSITIVE = np.nextafter(0.0, 1.0)


def _check_thresholds(thresholds) -> np.ndarray:
    if thresholds is None:
        return np.arange(100) / 100
    values = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    if values.ndim != 1 or values.size == 0:
        raise ValueError("decision_curve: thresholds must be a non-empty 1-D list of risks.")
    bad = ~(np.isfinite(values) & (values >= 0) & (values < 1))
    if bad.any():
        raise ValueError(
            "decision_curve: thresholds must lie in [0, 1) (the odds t / (1 - t) are "
            f"infinite at 1); got {values[bad][:3].tolist()}."
        )
    return values


def _positives_at(sorted_prob: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """How many risks are at or above each threshold (risks of 0 never count)."""
    cut = np.maximum(thresholds, _SMALLEST_POSITIVE)
    return sorted_prob.size - np.searchsorted(sorted_prob, cut, side="left")


@validate_params(
    {
        "y_true": ["array-like"],
        "probs": [Mapping],
        "thresholds": ["array-like", Real, None],
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def decision_curve(y_true, probs: Mapping, thresholds=None, *, pos_label=None) -> pd.DataFrame:
    r"""Decision curve analysis: net benefit of each model across risk thresholds.

    A patient is treated (e.g. biopsied) when the predicted risk is at or
    above the threshold probability :math:`p_t`; a risk of exactly 0 is
    never treated, even at :math:`p_t = 0`, as in R's and Python's
    ``dcurves``. With :math:`n` patients (Vickers & Elkin 2006):

    .. math::

        NB(p_t) = \frac{TP}{n} - \frac{FP}{n} \cdot \frac{p_t}{1 - p_t}

    Treat-all has :math:`TP/n` = prevalence and :math:`FP/n` = 1 -
    prevalence; treat-none has net benefit 0. The values equal
    ``dcurves.dca`` (Python) and R's ``dcurves::dca`` for binary outcomes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary outcome; the larger label is the event unless ``pos_label``
        says otherwise.
    probs : mapping of str to array-like of shape (n_samples,)
        Predicted risks in [0, 1] per model name. The names ``"all"`` and
        ``"none"`` are reserved for the reference strategies.
    thresholds : array-like of float, optional
        Threshold probabilities in [0, 1); default 0, 0.01, ..., 0.99.
    pos_label : label, optional
        The event; required when ``y_true`` holds strings.

    Returns
    -------
    DataFrame
        One row per model (in ``probs`` order, then ``"all"`` and ``"none"``)
        and threshold, with columns ``model``, ``threshold``, ``n``,
        ``prevalence``, ``test_pos_rate`` (treated / n), ``tp_rate`` (TP / n),
        ``fp_rate`` (FP / n) and ``net_benefit``. ``tp_rate`` and ``fp_rate``
        are per patient, as in dcurves, not sensitivity and 1 - specificity.

    References
    ----------
    Vickers, A. J., & Elkin, E. B. (2006). Decision curve analysis: a novel
    method for evaluating prediction models. Medical Decision Making, 26(6),
    565-574.
    Vickers, A. J., van Calster, B., & Steyerberg, E. W. (2019). A simple,
    step-by-step guide to interpreting decision curve analysis. Diagnostic
    and Prognostic Research, 3, 18.

    Examples
    --------
    >>> from radfuse.stats import decision_curve
    >>> curve = decision_curve([1, 0, 1, 0], {"model": [0.9, 0.6, 0.4, 0.1]},
    ...                        thresholds=[0.25])
    >>> curve.set_index("model")["net_benefit"].round(4).to_dict()
    {'model': 0.4167, 'all': 0.3333, 'none': 0.0}
    """
    named = {f"probs[{key!r}]": values for key, values in probs.items()}
    check_same_cases("decision_curve", y_true=y_true, **named)
    step = "decision_curve"
    y01, _ = check_binary_target(y_true, step=step, pos_label=pos_label, name="y_true")
    if not probs:
        raise ValueError(
            "decision_curve: probs is empty; give a dict mapping model names to "
            "predicted risks."
        )
    reserved = [name for name in probs if name in REFERENCE_STRATEGIES]
    if reserved:
        raise ValueError(
            f"decision_curve: model name(s) {reserved} are reserved for the treat-all and "
            "treat-none strategies; rename them."
        )
    thresholds = _check_thresholds(thresholds)
    events = y01.astype(bool)
    n, n_events = y01.size, int(events.sum())

    counts = {}
    for name, prob in probs.items():
        prob = check_probabilities(prob, step=step, name=f"probs[{name!r}]", n_samples=n)
        true_pos = _positives_at(np.sort(prob[events]), thresholds)
        false_pos = _positives_at(np.sort(prob[~events]), thresholds)
        counts[name] = (true_pos, false_pos)
    counts["all"] = (np.full(thresholds.size, n_events), np.full(thresholds.size, n - n_events))
    counts["none"] = (np.zeros(thresholds.size, int), np.zeros(thresholds.size, int))

    odds = thresholds / (1 - thresholds)
    frames = []
    for name, (true_pos, false_pos) in counts.items():
        tp_rate, fp_rate = true_pos / n, false_pos / n
        frames.append(
            pd.DataFrame(
                {
                    "model": name,
                    "threshold": thresholds,
                    "n": n,
                    "prevalence": n_events / n,
                    "test_pos_rate": tp_rate + fp_rate,
                    "tp_rate": tp_rate,
                    "fp_rate": fp_rate,
                    "net_benefit": tp_rate - fp_rate * odds,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@dataclasses.dataclass(frozen=True, repr=False)
class BiopsyImpact(StatResult):
    """Counts and rates of the biopsy-recommendation table.

    Returned by :func:`biopsy_impact`, whose example shows its use. Counts
    without inference: the core fields ``estimate``, ``ci_lower``,
    ``ci_upper``, ``statistic`` and ``pvalue`` are NaN, ``alpha`` None and
    ``method`` ``"biopsy impact"``.
    """

    threshold: float
    n_cases: int
    n_malignant: int
    n_benign: int
    recommended_biopsies: int
    unnecessary_biopsies: int
    missed_malignancies: int
    biopsy_rate: float
    unnecessary_rate_among_biopsies: float
    unnecessary_rate_among_benign: float
    missed_rate_among_malignant: float
    missed_rate_among_deferred: float


def _rate(count: int, total: int, what: str) -> float:
    if total == 0:
        warnings.warn(
            f"biopsy_impact: no case {what}, so that rate has no denominator and is NaN.",
            RuntimeWarning,
            stacklevel=3,
        )
        return float("nan")
    return count / total


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "threshold": FINITE,
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def biopsy_impact(y_true, y_score, threshold: float, *, pos_label=None) -> BiopsyImpact:
    """Recommended biopsies, unnecessary biopsies and missed malignancies.

    A lesion is recommended for biopsy (predicted malignant) when
    ``y_score >= threshold``. Following the clinical-impact tables of breast
    imaging studies:

    * recommended biopsies: predicted malignant (TP + FP);
    * unnecessary biopsies: predicted malignant, pathologically benign (FP);
    * missed malignancies: predicted benign, pathologically malignant (FN).

    Rates, each named by its denominator:

    * ``biopsy_rate`` = recommended / all cases;
    * ``unnecessary_rate_among_biopsies`` = FP / recommended (1 - PPV; the
      "unnecessary biopsies (%)" usually tabulated);
    * ``unnecessary_rate_among_benign`` = FP / benign (1 - specificity);
    * ``missed_rate_among_malignant`` = FN / malignant (1 - sensitivity);
    * ``missed_rate_among_deferred`` = FN / cases not biopsied (1 - NPV).

    A rate whose denominator is empty (no biopsy recommended, or every case
    biopsied) is NaN and a ``RuntimeWarning`` names it.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Pathology: malignant is the larger label, or ``pos_label``.
    y_score : array-like of shape (n_samples,)
        Predicted malignancy score or probability.
    threshold : float
        Scores at or above it recommend biopsy.
    pos_label : optional
        The label of malignant cases when ``y_true`` holds strings.

    Returns
    -------
    BiopsyImpact

    References
    ----------
    Vickers, A. J., & Elkin, E. B. (2006). Decision curve analysis: a novel
    method for evaluating prediction models. Medical Decision Making, 26(6),
    565-574.

    Examples
    --------
    >>> from radfuse.stats import biopsy_impact
    >>> impact = biopsy_impact(["malignant", "benign", "benign", "malignant"],
    ...                        [0.9, 0.7, 0.2, 0.3], threshold=0.5, pos_label="malignant")
    >>> impact.recommended_biopsies, impact.unnecessary_biopsies, impact.missed_malignancies
    (2, 1, 1)
    >>> impact.unnecessary_rate_among_biopsies
    0.5
    """
    check_same_cases("biopsy_impact", y_true=y_true, y_score=y_score)
    step = "biopsy_impact"
    y01, _ = check_binary_target(y_true, step=step, pos_label=pos_label, name="y_true")
    y_score = check_scores(y_score, step=step, name="y_score", n_samples=y01.size)
    malignant = y01.astype(bool)
    biopsied = y_score >= threshold
    n_malignant = int(malignant.sum())
    n_benign = y01.size - n_malignant
    recommended = int(biopsied.sum())
    unnecessary = int((biopsied & ~malignant).sum())
    missed = int((~biopsied & malignant).sum())
    return BiopsyImpact(
        method="biopsy impact",
        threshold=float(threshold),
        n_cases=int(y01.size),
        n_malignant=n_malignant,
        n_benign=n_benign,
        recommended_biopsies=recommended,
        unnecessary_biopsies=unnecessary,
        missed_malignancies=missed,
        biopsy_rate=recommended / y01.size,
        unnecessary_rate_among_biopsies=_rate(
            unnecessary, recommended, "is recommended for biopsy"
        ),
        unnecessary_rate_among_benign=unnecessary / n_benign,
        missed_rate_among_malignant=missed / n_malignant,
        missed_rate_among_deferred=_rate(missed, y01.size - recommended, "is deferred from biopsy"),
    )
