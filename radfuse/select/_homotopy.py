"""The exact Gaussian LASSO path of many training sets at once, by homotopy (LARS-LASSO).

For the ~30 features that reach the protocol's LASSO, 200 cross-validation
splits x 100 penalties of coordinate descent spend most of their time in
per-call overhead, and stop at a tolerance (scikit-learn's ``tol=1e-4``)
whose path can differ from the solution by a few per cent in held-out
error. The LASSO path is piecewise linear in the penalty, so following it
from knot to knot gives every penalty's solution exactly; doing so for all
splits in one vectorised loop costs one batched linear solve per knot.
"""

from __future__ import annotations

import numpy as np

#: Relative margin below the current knot within which a new event counts as
#: the knot itself (rounding), so a feature that just left cannot re-enter at once.
EVENT_MARGIN = 1e-12
#: The same for the feature that changed at the current knot, which sits on its boundary there.
CHANGED_MARGIN = 1e-8
#: KKT residual, relative to the largest penalty, beyond which a path is not
#: trusted (a numerically singular Gram matrix: duplicated or constant columns).
KKT_TOLERANCE = 1e-9


class HomotopyFailed(ArithmeticError):
    """The path could not be followed to machine precision (singular Gram matrix)."""


def centred_moments(X, y, rows):
    """Gram matrices and correlations of the centred training parts, scaled by 1/n.

    ``rows`` is a sequence of index arrays, one per training set. Returns
    ``grams`` of shape (n_sets, p, p), ``correlations`` (n_sets, p) and the
    means of ``X`` (n_sets, p) and ``y`` (n_sets,) the path's intercepts need.
    """
    n_sets, n_features = len(rows), X.shape[1]
    grams = np.empty((n_sets, n_features, n_features))
    correlations = np.empty((n_sets, n_features))
    x_means, y_means = np.empty((n_sets, n_features)), np.empty(n_sets)
    for index, part in enumerate(rows):
        X_part, y_part = X[part], y[part]
        x_means[index], y_means[index] = X_part.mean(axis=0), y_part.mean()
        X_centred = X_part - x_means[index]
        grams[index] = X_centred.T @ X_centred / len(part)
        correlations[index] = X_centred.T @ (y_part - y_means[index]) / len(part)
    return grams, correlations, x_means, y_means


def lasso_homotopy_path(grams, correlations, alphas, *, max_knots=None):
    """Exact LASSO coefficients of many centred problems along one penalty grid.

    Each problem :math:`f` is :math:`\\min_\\beta \\frac{1}{2n}\\|y - X\\beta\\|^2
    + \\alpha\\|\\beta\\|_1` given :math:`G = X^\\top X / n` and
    :math:`c = X^\\top y / n` (centred data). On a stretch of the path where the
    active set :math:`A` and signs :math:`s` are fixed, the optimality
    conditions :math:`c_A - G_{AA}\\beta_A = \\alpha s_A` give
    :math:`\\beta_A(\\alpha) = e - \\alpha d` with :math:`e = G_{AA}^{-1} c_A`
    and :math:`d = G_{AA}^{-1} s_A`, and every inactive correlation
    :math:`r_j(\\alpha) = (c - Ge)_j + \\alpha (Gd)_j` is linear too. The next
    knot is the largest penalty below the current one at which an inactive
    :math:`|r_j|` reaches :math:`\\alpha` (``j`` joins) or an active
    coefficient reaches 0 (``j`` leaves): Efron et al.'s LARS with the LASSO
    modification. Each stretch is solved afresh from :math:`G` and
    :math:`c`, so rounding does not accumulate along the path.

    Parameters
    ----------
    grams : ndarray of shape (n_problems, n_features, n_features)
        Positive definite on every active set the path visits (more cases
        than features and no duplicated or constant column).
    correlations : ndarray of shape (n_problems, n_features)
    alphas : ndarray of shape (n_alphas,)
        Decreasing, positive.
    max_knots : int, default=None
        Knots to follow before giving up; ``20 * n_features + 100`` when None.

    Returns
    -------
    coefs : ndarray of shape (n_problems, n_features, n_alphas)
    knots : ndarray of int, shape (n_problems, n_alphas)
        Stretches of the path from its start to each penalty (0 above the
        largest useful penalty, where every coefficient is 0).

    Raises
    ------
    HomotopyFailed
        When a Gram matrix is singular on an active set, the path needs more
        than ``max_knots`` knots, or a solution misses the optimality
        conditions by more than ``KKT_TOLERANCE`` (relative).

    References
    ----------
    Efron, B., Hastie, T., Johnstone, I., & Tibshirani, R. (2004). Least angle
    regression. The Annals of Statistics, 32(2), 407-499.
    Osborne, M. R., Presnell, B., & Turlach, B. A. (2000). A new approach to
    variable selection in least squares problems. IMA Journal of Numerical
    Analysis, 20(3), 389-403.
    """
    n_problems, n_features = correlations.shape
    max_knots = 20 * n_features + 100 if max_knots is None else max_knots
    start = np.abs(correlations).max(axis=1, initial=0.0)
    alpha_now = start.copy()
    active = np.zeros((n_problems, n_features), dtype=bool)
    signs = np.zeros((n_problems, n_features))
    first = np.abs(correlations).argmax(axis=1)
    everyone = np.arange(n_problems)
    active[everyone, first] = True
    signs[everyone, first] = np.sign(correlations[everyone, first])
    last_change = first.copy()
    running = start > alphas[-1]
    # One row per (knot, problem) reached: the stretch [lower, upper) and its e, d.
    stretch_problem, stretch_upper, stretch_lower, stretch_e, stretch_d = [], [], [], [], []
    knot_number = np.zeros(n_problems, dtype=int)
    stretch_knot = []
    for _ in range(max_knots):
        if not running.any():
            break
        on = np.flatnonzero(running)
        gram, correlation = grams[on], correlations[on]
        act, sign = active[on], signs[on]
        e, d = _solve_on_active_sets(gram, correlation, act, sign)
        offset = correlation - np.einsum("fij,fj->fi", gram, e)
        slope = np.einsum("fij,fj->fi", gram, d)
        limit = alpha_now[on, None] * (1.0 - EVENT_MARGIN)
        with np.errstate(divide="ignore", invalid="ignore"):
            joins = np.fmax(
                _below(offset / (1.0 - slope), limit), _below(-offset / (1.0 + slope), limit)
            )
            leaves = _below(e / d, limit)
        rows = np.arange(on.size)
        joins[act] = -np.inf
        leaves[~act] = -np.inf
        # The feature that changed at the current knot sits exactly on its
        # boundary there; rounding must not turn that into a second event.
        changed = last_change[on]
        echo = alpha_now[on] * (1.0 - CHANGED_MARGIN)
        joins[rows, changed] = np.where(joins[rows, changed] >= echo, -np.inf, joins[rows, changed])
        leaves[rows, changed] = np.where(leaves[rows, changed] >= echo, -np.inf, leaves[rows, changed])
        joiner, leaver = joins.argmax(axis=1), leaves.argmax(axis=1)
        join_at, leave_at = joins[rows, joiner], leaves[rows, leaver]
        alpha_next = np.maximum(np.maximum(join_at, leave_at), 0.0)

        knot_number[on] += 1
        stretch_problem.append(on)
        stretch_upper.append(alpha_now[on])
        stretch_lower.append(alpha_next)
        stretch_e.append(e)
        stretch_d.append(d)
        stretch_knot.append(knot_number[on])

        finished = alpha_next <= alphas[-1]
        running[on[finished]] = False
        go = ~finished
        joining = go & (join_at >= leave_at)
        leaving = go & ~joining
        which = np.where(joining, joiner, leaver)
        moved = on[go]
        active[on[joining], joiner[joining]] = True
        signs[on[joining], joiner[joining]] = np.sign(
            offset[joining, joiner[joining]] + alpha_next[joining] * slope[joining, joiner[joining]]
        )
        active[on[leaving], leaver[leaving]] = False
        signs[on[leaving], leaver[leaving]] = 0.0
        last_change[moved] = which[go]
        alpha_now[moved] = alpha_next[go]
    else:
        if running.any():
            raise HomotopyFailed(f"the path needs more than {max_knots} knots")

    coefs = np.zeros((n_problems, alphas.size, n_features))
    knots = np.zeros((n_problems, alphas.size), dtype=int)
    if stretch_problem:
        problem = np.concatenate(stretch_problem)
        upper, lower = np.concatenate(stretch_upper), np.concatenate(stretch_lower)
        inside = (lower[:, None] <= alphas) & (alphas < upper[:, None])
        stretch, alpha_index = np.nonzero(inside)
        e, d = np.concatenate(stretch_e), np.concatenate(stretch_d)
        owner = problem[stretch]
        coefs[owner, alpha_index] = e[stretch] - alphas[alpha_index, None] * d[stretch]
        knots[owner, alpha_index] = np.concatenate(stretch_knot)[stretch]
    coefs = coefs.transpose(0, 2, 1)
    _check_optimality(grams, correlations, alphas, coefs, start)
    return coefs, knots


def _solve_on_active_sets(grams, correlations, active, signs):
    """:math:`e = G_{AA}^{-1} c_A` and :math:`d = G_{AA}^{-1} s_A` of each
    problem, zero off its active set.

    The active features are moved to the front and only the leading block as
    large as the largest active set is solved (the others padded with the
    identity): a solve costs the cube of its size, and most knots have far
    fewer active features than the table has columns.
    """
    n_problems = active.shape[0]
    n_active = active.sum(axis=1)
    size = int(n_active.max())
    order = np.argsort(~active, axis=1, kind="stable")[:, :size]
    used = np.arange(size) < n_active[:, None]
    problem = np.arange(n_problems)[:, None]
    block = grams[problem[:, :, None], order[:, :, None], order[:, None, :]]
    block = np.where(used[:, :, None] & used[:, None, :], block, np.eye(size))
    right = np.stack([correlations[problem, order], signs[problem, order]], axis=2) * used[..., None]
    try:
        solution = np.linalg.solve(block, right)
    except np.linalg.LinAlgError as error:
        raise HomotopyFailed("singular Gram matrix on an active set") from error
    e, d = np.zeros(active.shape), np.zeros(active.shape)
    e[problem, order], d[problem, order] = solution[..., 0], solution[..., 1]
    return e, d


def _below(candidates, limit):
    """Candidate penalties strictly between 0 and the current knot; -inf otherwise."""
    return np.where((candidates > 0) & (candidates < limit), candidates, -np.inf)


def _check_optimality(grams, correlations, alphas, coefs, start):
    """Raise HomotopyFailed unless every solution meets the LASSO's KKT conditions:
    :math:`|r_j| \\le \\alpha` for all features and :math:`r_j = \\alpha\\,
    \\mathrm{sign}(\\beta_j)` where :math:`\\beta_j \\ne 0`."""
    residual = correlations[:, :, None] - grams @ coefs
    tolerance = KKT_TOLERANCE * np.max(start, initial=0.0)
    too_large = np.abs(residual) - alphas > tolerance
    off_sign = (coefs != 0) & (np.abs(residual - alphas * np.sign(coefs)) > tolerance)
    if (too_large | off_sign).any():
        raise HomotopyFailed("a solution misses the optimality conditions")
