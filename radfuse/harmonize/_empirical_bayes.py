"""Empirical-Bayes shrinkage of ComBat's per-site location and scale.

Johnson, Li & Rabinovic (2007) pool the per-feature site effects of all
features of one site into a prior: a normal prior for the location
``gamma`` and an inverse-gamma prior for the scale ``delta``. Each function
here works on one site, vectorised over features, and mirrors the function
of R's ``sva`` package named in its docstring.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

#: sva's ``it.sol`` stops when no estimate changes by more than this relative amount.
CONVERGENCE_TOLERANCE = 1e-4

# sva iterates without a cap; a cap turns a pathological non-convergence into a warning.
_MAX_ITERATIONS = 10_000

# Rows of the (features x features) likelihood matrix computed at once.
_CHUNK_CELLS = 4_000_000


def inverse_gamma_prior(delta_hat: np.ndarray) -> tuple[float, float]:
    """Method-of-moments inverse-gamma hyper-parameters (sva's ``aprior``, ``bprior``)."""
    mean = delta_hat.mean()
    variance = delta_hat.var(ddof=1)
    return (2 * variance + mean**2) / variance, (mean * variance + mean**3) / variance


def posterior_mean(gamma_hat, gamma_bar, n, delta, tau2):
    """Posterior mean of the location (sva's ``postmean``)."""
    return (tau2 * n * gamma_hat + delta * gamma_bar) / (tau2 * n + delta)


def parametric_adjustment(standardized, gamma_hat, delta_hat, gamma_bar, tau2, a, b, *, site):
    """Parametric EB estimates of one site by sva's ``it.sol`` iteration.

    Parameters
    ----------
    standardized : ndarray (n_cases_of_site, n_features)
        The site's standardised data.
    gamma_hat, delta_hat : ndarray (n_features,)
        The site's least-squares location and scale.
    gamma_bar, tau2, a, b : float
        Normal and inverse-gamma prior hyper-parameters of the site.
    site : label used in the non-convergence warning.

    Returns
    -------
    gamma_star, delta_star : ndarray (n_features,)
    n_iter : int

    Notes
    -----
    As in sva, all features of the site iterate together until the largest
    relative change ``max(|new - old| / old)`` (signed denominators, as sva
    writes it) is at most ``1e-4``.
    """
    n = standardized.shape[0]
    gamma_old, delta_old = gamma_hat, delta_hat
    for n_iter in range(1, _MAX_ITERATIONS + 1):
        gamma_new = posterior_mean(gamma_hat, gamma_bar, n, delta_old, tau2)
        sum2 = ((standardized - gamma_new) ** 2).sum(axis=0)
        delta_new = (0.5 * sum2 + b) / (n / 2 + a - 1)
        change = max(
            np.max(np.abs(gamma_new - gamma_old) / gamma_old),
            np.max(np.abs(delta_new - delta_old) / delta_old),
        )
        gamma_old, delta_old = gamma_new, delta_new
        if not change > CONVERGENCE_TOLERANCE:
            return gamma_new, delta_new, n_iter
    warnings.warn(
        f"ComBat: the empirical-Bayes iteration of site {site!r} did not reach a relative "
        f"change of {CONVERGENCE_TOLERANCE} in {_MAX_ITERATIONS} iterations; its last "
        "estimates are used.",
        ConvergenceWarning,
        stacklevel=3,
    )
    return gamma_new, delta_new, _MAX_ITERATIONS


def nonparametric_adjustment(standardized, gamma_hat, delta_hat):
    """Non-parametric EB estimates of one site (sva's ``int.eprior``).

    Each feature's location and scale are the averages of the other
    features' least-squares estimates, weighted by the likelihood of this
    feature's data under them. The likelihoods are normalised in log space,
    which gives sva's weights without its underflow to 0/0 when a site has
    many cases.

    Parameters
    ----------
    standardized : ndarray (n_cases_of_site, n_features)
    gamma_hat, delta_hat : ndarray (n_features,)

    Returns
    -------
    gamma_star, delta_star : ndarray (n_features,)
    """
    n, n_features = standardized.shape
    mean = standardized.mean(axis=0)
    within = ((standardized - mean) ** 2).sum(axis=0)
    log_norm = -0.5 * n * np.log(2 * np.pi * delta_hat)
    gamma_star = np.empty(n_features)
    delta_star = np.empty(n_features)
    chunk = max(1, _CHUNK_CELLS // n_features)
    for start in range(0, n_features, chunk):
        rows = np.arange(start, min(start + chunk, n_features))
        # sum over cases of (x_i - gamma_j)^2, written stably around x_i's mean
        sum2 = within[rows, None] + n * (mean[rows, None] - gamma_hat[None, :]) ** 2
        log_lik = log_norm[None, :] - sum2 / (2 * delta_hat[None, :])
        log_lik[np.arange(rows.size), rows] = -np.inf
        weight = np.exp(log_lik - log_lik.max(axis=1, keepdims=True))
        total = weight.sum(axis=1)
        gamma_star[rows] = weight @ gamma_hat / total
        delta_star[rows] = weight @ delta_hat / total
    return gamma_star, delta_star
