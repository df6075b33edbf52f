"""Optimism-corrected bootstrap validation of a whole modelling protocol, as ``rms::validate.lrm``."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import special
from sklearn.base import clone
from sklearn.utils._param_validation import validate_params

from .._validation import check_binary_target, check_same_cases, preview
from ._ml_logistic import NotConvergedError, SeparationError, deviance, fit_logistic, null_deviance
from ._params import BOOTSTRAP_PARAMETERS
from ._result import StatResult

__all__ = ["ValidationResult", "bootstrap_validate"]

_STEP = "bootstrap_validate"
INDEXES = ("Dxy", "C", "R2", "Intercept", "Slope", "Emax", "D", "U", "Q", "B", "g", "gp")
#: Indexes computed per resample (C and Emax are derived from Dxy and the corrected calibration).
_MEASURED = ("Dxy", "R2", "Intercept", "Slope", "D", "U", "Q", "B", "g", "gp")
#: rms::validate.lrm's grid for Emax: p = 0, 0.0005, ..., 1.
_EMAX_GRID = np.arange(2001) * 0.0005


@dataclasses.dataclass(frozen=True, repr=False)
class ValidationResult(StatResult):
    """``table``: rows ``Dxy, C, R2, Intercept, Slope, Emax, D, U, Q, B, g, gp``;
    columns ``apparent, training, test, optimism, corrected, n``.
    ``n_failed``: resamples left out because the model's MLE did not exist.

    One row per index, so the indexes stay in ``table``; ``to_frame()`` is
    the one-row summary. Of the core fields only ``method``
    (``"bootstrap optimism correction"``) applies: ``estimate``, the
    interval, ``statistic`` and ``pvalue`` are NaN, ``alpha`` None.
    """

    table: pd.DataFrame
    n_resamples: int
    n_failed: int


def somers_dxy(lp: np.ndarray, y01: np.ndarray) -> float:
    """Somers' D of ``lp`` vs a 0/1 outcome, ties averaged (``Hmisc::somers2``)."""
    n_events = y01.sum()
    if n_events in (0, y01.size):
        return np.nan
    # Average ranks (ties share the mean of their positions), as R's rank().
    _, inverse, counts = np.unique(lp, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2
    mean_rank = average_rank[inverse][y01 == 1].mean()
    c_index = (mean_rank - (n_events + 1) / 2) / (y01.size - n_events)
    return 2.0 * (c_index - 0.5)


def gini_mean_difference(x: np.ndarray) -> float:
    r"""Gini's mean difference :math:`\binom{n}{2}^{-1}\sum_{i<j}|x_i - x_j|` (``Hmisc::GiniMd``)."""
    n = x.size
    weights = 4.0 * (np.arange(1, n + 1) - (n - 1) / 2) / n / (n - 1)
    return float(np.sum(weights * np.sort(x - x.mean())))


def _nagelkerke(lr: float, null: float, n: int) -> float:
    return (1.0 - np.exp(-lr / n)) / (1.0 - np.exp(-null / n))


def _fitted_indexes(lp: np.ndarray, y01: np.ndarray) -> np.ndarray:
    """Indexes of a model on the data it was fitted to (apparent, training)."""
    n = y01.size
    null = null_deviance(y01)
    lr = null - deviance(y01, lp)
    D = (lr - 1) / n
    U = -2 / n
    probability = special.expit(lp)
    return np.array([
        somers_dxy(lp, y01), _nagelkerke(lr, null, n), 0.0, 1.0, D, U, D - U,
        np.mean((probability - y01) ** 2), gini_mean_difference(lp),
        gini_mean_difference(probability),
    ])


def _test_indexes(lp: np.ndarray, y01: np.ndarray) -> np.ndarray:
    """Indexes of a frozen model on new data, from the ML recalibration y ~ a + b lp."""
    n = y01.size
    brier = np.mean((special.expit(lp) - y01) ** 2)
    dxy = somers_dxy(lp, y01)
    try:
        recalibration = fit_logistic(
            np.column_stack([np.ones(n), lp]), y01, names=["Intercept", "lp"], step=_STEP
        )
    except (SeparationError, NotConvergedError):
        # rms records NA for what needs the recalibration fit and counts the
        # resample out of those indexes only.
        nan = np.nan
        return np.array([dxy, nan, nan, nan, nan, nan, nan, brier, nan, nan])
    intercept, slope = recalibration.coef
    null = null_deviance(y01)
    lr = null - recalibration.deviance
    D = (lr - 1) / n
    U = (deviance(y01, lp) - recalibration.deviance - 2) / n
    return np.array([
        dxy, _nagelkerke(lr, null, n), intercept, slope, D, U, D - U, brier,
        gini_mean_difference(slope * lp),
        gini_mean_difference(special.expit(intercept + slope * lp)),
    ])


def _validation_measures(apparent_lp, y01):
    return _fitted_indexes, _test_indexes


def _linear_predictor(model, X, step: str, pos_label) -> np.ndarray:
    """Log-odds of ``pos_label`` from the fitted model's ``decision_function``."""
    if not hasattr(model, "decision_function"):
        last = model.steps[-1] if hasattr(model, "steps") else None
        where = (
            f"the pipeline's last step {last[0]!r} ({type(last[1]).__name__})"
            if last is not None
            else type(model).__name__
        )
        raise TypeError(
            f"{step}: {where} has no decision_function. The indexes are defined on the "
            "linear predictor (log-odds), not on logit(predict_proba), which overflows "
            "under separation; use a classifier with a decision_function (e.g. "
            "LogisticRegression, LogisticMLE)."
        )
    lp = np.asarray(model.decision_function(X), dtype=np.float64)
    if lp.ndim != 1:
        raise ValueError(
            f"{step}: decision_function returned shape {lp.shape}; a binary classifier's "
            "linear predictor is one value per case."
        )
    # decision_function gives the log-odds of classes_[1].
    return lp if model.classes_[1] == pos_label else -lp


def _take(X, rows):
    return X.iloc[rows] if isinstance(X, (pd.DataFrame, pd.Series)) else X[rows]


def _refit_and_score(
    estimator, X, y, y01, pos_label, rows, measure_training, measure_test, step
):
    try:
        model = clone(estimator).fit(_take(X, rows), _take(y, rows))
    except SeparationError:
        return None
    lp = _linear_predictor(model, X, step, pos_label)
    return measure_training(lp[rows], y01[rows]), measure_test(lp, y01)


def _check_resamples(resamples, n: int, step: str) -> list[np.ndarray]:
    checked = []
    for position, rows in enumerate(resamples):
        rows = np.asarray(rows)
        if rows.ndim != 1 or rows.size == 0 or rows.dtype.kind not in "iu":
            raise ValueError(
                f"{step}: resample {position} must be a non-empty 1-D array of integer "
                f"row positions; got dtype {rows.dtype} and shape {rows.shape}."
            )
        outside = (rows < 0) | (rows >= n)
        if outside.any():
            raise ValueError(
                f"{step}: resample {position} has position(s) "
                f"{preview(rows[outside].tolist())} outside 0..{n - 1} (0-based; subtract 1 "
                "from R's indices)."
            )
        checked.append(rows.astype(np.intp))
    if not checked:
        raise ValueError(f"{step}: resamples is empty; give at least one resample.")
    return checked


def bootstrap_refits(
    estimator, X, y, resamples, n_boot, random_state, n_jobs, measures, pos_label, step=_STEP
):
    """Harrell's bootstrap (``rms::predab.resample``): the apparent measure of the
    estimator fitted to all cases, and the per-resample training and test
    measures averaged over the resamples where each is defined.

    ``measures(apparent_lp, y01)`` gives the (training, test) measure functions
    of ``(lp, y01)``; the training one also gives the apparent measure.
    Returns the apparent lp, apparent, mean training, mean test, the
    per-measure counts, the number of resamples and how many were left out
    because their MLE does not exist.
    """
    check_same_cases(step, X=X, y=y)
    y01, pos_label = check_binary_target(np.asarray(y), step=step, pos_label=pos_label)
    y01 = y01.astype(np.float64)
    n = y01.size
    if len(X) != n:
        raise ValueError(f"{step}: X has {len(X)} rows but y has {n}; they must be the same cases.")
    if resamples is None:
        rng = np.random.default_rng(random_state)
        resamples = [rng.integers(0, n, n) for _ in range(n_boot)]
    resamples = _check_resamples(resamples, n, step)

    apparent_lp = _linear_predictor(clone(estimator).fit(X, y), X, step, pos_label)
    measure_training, measure_test = measures(apparent_lp, y01)
    apparent = measure_training(apparent_lp, y01)
    outcomes = Parallel(n_jobs=n_jobs)(
        delayed(_refit_and_score)(
            estimator, X, y, y01, pos_label, rows, measure_training, measure_test, step
        )
        for rows in resamples
    )
    kept = [outcome for outcome in outcomes if outcome is not None]
    n_failed = len(outcomes) - len(kept)
    if n_failed:
        failed = [i for i, outcome in enumerate(outcomes) if outcome is None]
        warnings.warn(
            f"{step}: {n_failed} of {len(outcomes)} resample(s) {preview(failed)} left out: "
            "the refitted model's maximum-likelihood estimate does not exist (separation), "
            "as rms leaves out 'divergence or singularity' resamples.",
            RuntimeWarning,
            stacklevel=3,
        )
    if not kept:
        raise ValueError(f"{step}: no resample could be fitted; nothing to validate.")
    training = np.array([outcome[0] for outcome in kept])
    test = np.array([outcome[1] for outcome in kept])
    # As rms: a measure undefined in a resample (NA) leaves that resample out
    # of that measure's means only.
    usable = ~np.isnan(training + test)
    counts = usable.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        training_mean = np.where(usable, training, 0.0).sum(axis=0) / counts
        test_mean = np.where(usable, test, 0.0).sum(axis=0) / counts
    return apparent_lp, apparent, training_mean, test_mean, counts, len(outcomes), n_failed


def _emax(intercept: float, slope: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        calibrated = special.expit(intercept + slope * special.logit(_EMAX_GRID))
        return float(np.nanmax(np.abs(_EMAX_GRID - calibrated)))


@validate_params(BOOTSTRAP_PARAMETERS, prefer_skip_nested_validation=True)
def bootstrap_validate(
    estimator, X, y, resamples=None, n_boot: int = 200, random_state=None, n_jobs=None, *,
    pos_label=None,
) -> ValidationResult:
    r"""Optimism-corrected bootstrap validation of a classifier or a whole pipeline,
    as ``rms::validate.lrm`` (Harrell's "enhanced bootstrap").

    For each resample the **whole** estimator is cloned and refitted (every
    selection, scaling and resampling step inside it included, so the
    validation covers the full protocol, leak-free) and its indexes are
    computed on the resample ("training") and on the original data ("test").
    ``optimism = mean(training) - mean(test)`` and
    ``corrected = apparent - optimism``, where "apparent" is the estimator
    fitted and scored on all the data (Efron & Tibshirani 1993; Harrell 2015,
    sec. 5.3).

    The indexes use the linear predictor :math:`lp` (``decision_function``),
    :math:`L(\eta) = -2\sum[y\eta - \log(1 + e^\eta)]`, the null deviance
    :math:`L_0` and :math:`LR = L_0 - L(lp)`:

    * ``Dxy``: Somers' :math:`D_{xy}` of lp vs y (ties averaged); ``C`` = (1 + Dxy)/2.
    * ``R2``: Nagelkerke, :math:`(1 - e^{-LR/n}) / (1 - e^{-L_0/n})`.
    * ``D`` :math:`= (LR - 1)/n`, ``U`` :math:`= -2/n`, ``Q = D - U``.
    * ``B``: Brier score of :math:`\operatorname{plogis}(lp)`; ``g``: Gini's
      mean difference of lp, ``gp`` of :math:`\operatorname{plogis}(lp)`.
    * ``Intercept`` 0 and ``Slope`` 1 (apparent and training).
    * On the original data ("test") the frozen lp is recalibrated by ML,
      :math:`\operatorname{logit} P(y=1) = a + b\,lp`: Intercept = a,
      Slope = b, R2 and D from that fit's LR,
      :math:`U = (L(lp) - L(a + b\,lp) - 2)/n`, ``g`` of :math:`b\,lp`,
      ``gp`` of :math:`\operatorname{plogis}(a + b\,lp)`; B of the frozen
      :math:`\operatorname{plogis}(lp)`.
    * ``Emax``: :math:`\max_p |p - \operatorname{plogis}(a_c + b_c \operatorname{logit} p)|`
      over rms's grid :math:`p = 0, 0.0005, \ldots, 1` with the corrected
      intercept and slope; as rms prints it, its apparent and training cells
      are 0 and its test, optimism and corrected cells all hold Emax.

    ``n`` counts the resamples an index was computed on. A resample whose
    refit raises :class:`SeparationError` (the MLE does not exist, e.g. with
    :class:`LogisticMLE`) is left out with a warning, as rms leaves out its
    "divergence or singularity" resamples; a recalibration that cannot be
    fitted leaves out only the indexes that need it. Any other error stops
    the validation.

    Parameters
    ----------
    estimator : scikit-learn classifier or pipeline
        Unfitted; it is cloned for every fit. Needs ``decision_function``
        giving the log-odds of ``classes_[1]`` (negated when ``pos_label`` is
        ``classes_[0]``).
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Binary outcome; the larger label is the event unless ``pos_label``
        says otherwise.
    resamples : sequence of integer arrays, optional
        0-based row positions of each bootstrap resample (R's indices minus
        one). When given, ``n_boot`` and ``random_state`` are ignored and the
        result is deterministic.
    n_boot : int
        Number of resamples drawn (with replacement, size n) when
        ``resamples`` is None.
    random_state : int, numpy Generator or None
        Seed of those draws.
    n_jobs : int or None
        Resamples fitted in parallel through joblib; the result is the same
        for every ``n_jobs``.
    pos_label : label, optional
        The event; required when ``y`` holds strings.

    Returns
    -------
    ValidationResult
        ``table`` (a DataFrame, rows as above), ``n_resamples``, ``n_failed``.

    References
    ----------
    Harrell, F. E. (2015). Regression Modeling Strategies (2nd ed.), sec. 5.3
    and 10.9. Springer. (R package ``rms``: ``validate.lrm``, ``predab.resample``.)
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap,
    ch. 17. Chapman & Hall.
    Steyerberg, E. W. (2019). Clinical Prediction Models (2nd ed.), ch. 17. Springer.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from radfuse.stats import bootstrap_validate
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(150, 3))
    >>> y = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    >>> v = bootstrap_validate(LogisticRegression(), X, y, n_boot=20, random_state=0)
    >>> v.table.loc["C", ["apparent", "corrected"]].round(2).tolist()
    [0.84, 0.82]
    >>> bool(v.table.loc["Slope", "corrected"] < 1)
    True
    """
    _, apparent, training, test, counts, n_resamples, n_failed = bootstrap_refits(
        estimator, X, y, resamples, n_boot, random_state, n_jobs, _validation_measures, pos_label
    )
    measured = pd.DataFrame(
        {"apparent": apparent, "training": training, "test": test},
        index=_MEASURED,
    )
    measured["optimism"] = measured["training"] - measured["test"]
    measured["corrected"] = measured["apparent"] - measured["optimism"]
    measured["n"] = counts
    table = measured.reindex(INDEXES)
    c_values = (1.0 + measured.loc["Dxy", ["apparent", "training", "test"]]) / 2
    table.loc["C", ["apparent", "training", "test"]] = c_values.to_numpy()
    table.loc["C", "optimism"] = measured.at["Dxy", "optimism"] / 2
    table.loc["C", "corrected"] = (1.0 + measured.at["Dxy", "corrected"]) / 2
    table.loc["C", "n"] = counts[0]
    emax = _emax(measured.at["Intercept", "corrected"], measured.at["Slope", "corrected"])
    table.loc["Emax"] = [0.0, 0.0, emax, emax, emax, counts[0]]
    table["n"] = table["n"].astype(np.int64)
    table.index.name = "index"
    return ValidationResult(
        method="bootstrap optimism correction", table=table, n_resamples=n_resamples,
        n_failed=n_failed,
    )
