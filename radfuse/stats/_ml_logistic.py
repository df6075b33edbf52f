"""Maximum-likelihood binary logistic regression by Newton-Raphson, with a
separation check: the numerical core of ``logistic_model`` and ``LogisticMLE``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from scipy import optimize, special

#: Newton-Raphson stops when no coefficient moves by more than this, relative
#: to max(1, |coefficient|). The convergence is quadratic, so the last step
#: leaves the coefficients at the optimum to rounding error.
STEP_TOLERANCE = 1e-10
MAX_ITERATIONS = 200
_MAX_HALVINGS = 40
#: Fitted log-odds beyond which the separation check runs even after convergence.
EXTREME_LOG_ODDS = 25.0


class SeparationError(ValueError):
    """The maximum-likelihood estimate does not exist: the outcome is
    completely or quasi-completely separated by the predictors."""


class NotConvergedError(RuntimeError):
    """Newton-Raphson did not reach the optimum within its iteration limit."""


@dataclasses.dataclass(frozen=True)
class MLFit:
    """Coefficients (intercept first), their covariance and the deviances."""

    coef: np.ndarray
    covariance: np.ndarray
    deviance: float
    null_deviance: float
    n_iterations: int


def deviance(y: np.ndarray, eta: np.ndarray) -> float:
    r""":math:`-2 \log L = -2 \sum [y\eta - \log(1 + e^\eta)]`, overflow-free."""
    return float(2.0 * np.sum(np.logaddexp(0.0, eta) - y * eta))


def null_deviance(y: np.ndarray) -> float:
    """Deviance of the intercept-only model."""
    n, events = y.size, float(y.sum())
    return float(-2.0 * sum(k * np.log(k / n) for k in (events, n - events) if k > 0))


def separating_direction(X: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    r"""A direction :math:`\beta \ne 0` with :math:`(2y_i - 1) x_i^\top \beta \ge 0`
    for every case and > 0 for some, or None when there is none.

    Such a direction exists exactly when the MLE does not (Albert & Anderson
    1984): moving along it increases the likelihood forever. Found by Konis's
    (2007) linear program, maximise :math:`\sum_i (2y_i - 1) x_i^\top\beta`
    subject to those constraints and :math:`-1 \le \beta_j \le 1`, on columns
    scaled to unit range so the tolerance means the same for every column.
    """
    scale = np.ptp(X, axis=0)
    scale[scale == 0] = np.abs(X[0, scale == 0])
    scale[scale == 0] = 1.0
    signed = (2.0 * y - 1.0)[:, None] * (X / scale)
    result = optimize.linprog(
        -signed.sum(axis=0),
        A_ub=-signed,
        b_ub=np.zeros(y.size),
        bounds=[(-1.0, 1.0)] * X.shape[1],
        method="highs",
    )
    if result.status != 0 or -result.fun <= 1e-7 * y.size:
        return None
    return result.x / scale


def _newton_raphson(X, y, start):
    coef = start
    eta = X @ coef
    current = deviance(y, eta)
    for iteration in range(1, MAX_ITERATIONS + 1):
        prob, complement = special.expit(eta), special.expit(-eta)
        # y - p from the complement for events: 1 - expit(eta) rounds to 0 for
        # eta > 37, which would stop Newton-Raphson on a separated direction.
        gradient = X.T @ (y * complement - (1.0 - y) * prob)
        information = (X * (prob * complement)[:, None]).T @ X
        try:
            step = np.linalg.solve(information, gradient)
        except np.linalg.LinAlgError:
            return None, iteration
        if not np.all(np.isfinite(step)):
            return None, iteration
        # Step halving keeps every iterate a likelihood improvement; the
        # relative slack admits rounding noise at the optimum.
        fraction = 1.0
        for _ in range(_MAX_HALVINGS):
            candidate = coef + fraction * step
            eta_candidate = X @ candidate
            trial = deviance(y, eta_candidate)
            if trial <= current + 1e-12 * (1.0 + current):
                break
            fraction /= 2.0
        else:
            return None, iteration
        moved = np.max(np.abs(candidate - coef) / np.maximum(1.0, np.abs(candidate)))
        coef, eta, current = candidate, eta_candidate, trial
        if moved <= STEP_TOLERANCE:
            return coef, iteration
    return None, MAX_ITERATIONS


def fit_logistic(X: np.ndarray, y: np.ndarray, *, names: Sequence[str], step: str) -> MLFit:
    """Fit ``logit P(y = 1) = X @ coef`` by ML; ``X`` holds the intercept column first.

    Starts from the intercept-only fit (as ``rms::lrm.fit``). Raises
    :class:`SeparationError` when the MLE does not exist and
    :class:`NotConvergedError` when Newton-Raphson fails for another reason.
    """
    events = y.mean()
    start = np.zeros(X.shape[1])
    start[0] = special.logit(events)
    coef, n_iterations = _newton_raphson(X, y, start)
    # A fit with a case predicted almost surely may sit on a separated direction
    # whose likelihood is flat to rounding error: let the linear program decide.
    if coef is None or np.max(np.abs(X @ coef)) > EXTREME_LOG_ODDS:
        direction = separating_direction(X, y)
        if direction is not None:
            scale = np.abs(direction).max()
            involved = [names[j] for j in np.flatnonzero(np.abs(direction) > 1e-9 * scale)]
            raise SeparationError(
                f"{step}: the maximum-likelihood estimate does not exist: the outcome is "
                f"(quasi-)completely separated by a linear combination of {involved}, so "
                "some coefficients are infinite. Remove or merge the separating "
                "predictor(s) or levels, or use a penalised model."
            )
        if coef is not None:
            return _finish(X, y, coef, n_iterations)
        raise NotConvergedError(
            f"{step}: Newton-Raphson did not converge in {n_iterations} iteration(s) and the "
            "outcome is not separated; the design may be too ill-conditioned (rescale "
            "the predictors)."
        )
    return _finish(X, y, coef, n_iterations)


def _finish(X, y, coef, n_iterations) -> MLFit:
    eta = X @ coef
    weights = special.expit(eta) * special.expit(-eta)
    information = (X * weights[:, None]).T @ X
    return MLFit(
        coef=coef,
        covariance=np.linalg.inv(information),
        deviance=deviance(y, eta),
        null_deviance=null_deviance(y),
        n_iterations=n_iterations,
    )
