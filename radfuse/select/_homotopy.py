"""The exact Gaussian LASSO path of many training sets at once, by homotopy (LARS-LASSO).

For the ~30 features that reach the protocol's LASSO, 200 cross-validation
splits x 100 penalties of coordinate descent spend most of their time in
per-call overhead, and stop at a tolerance (scikit-learn's ``tol=1e-4``)
whose path can differ from the solution by a few per cent in held-out
error. The LASSO path is piecewise linear in the penalty, so following it
from knot to knot gives every penalty's solution exactly; doing so for all
splits in one vectorised loop costs a few batched products per knot.
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
    r"""Gram matrices and correlations of the centred training parts, scaled by 1/n.

    ``rows`` is a sequence of index arrays, one per training set (a row may
    repeat). Returns ``grams`` of shape (n_sets, p, p), ``correlations``
    (n_sets, p) and the means of ``X`` (n_sets, p) and ``y`` (n_sets,) the
    path's intercepts need.

    A cross-validation split's part differs from the whole table in the few
    rows it holds out, so each part's moments are the whole table's less
    those rows' (weighted by how their count differs), all about the whole
    table's means: :math:`\sum_{i \in T} z_i z_i^\top = Z^\top Z -
    \sum_i (1 - m_{Ti}) z_i z_i^\top` with :math:`m_{Ti}` the row's count in
    part :math:`T`. Centring on the whole table first keeps the parts' own
    means small, so removing them loses no precision.
    """
    n_samples, n_features = X.shape
    n_sets = len(rows)
    sizes = np.array([len(part) for part in rows])
    set_of = np.repeat(np.arange(n_sets), sizes)
    counts = np.bincount(
        set_of * n_samples + np.concatenate(rows).astype(np.intp, copy=False), minlength=n_sets * n_samples
    ).reshape(n_sets, n_samples).astype(np.float64)
    x_centre, y_centre = X.mean(axis=0), y.mean()
    Z, w = X - x_centre, y - y_centre
    z_means, w_means = counts @ Z / sizes[:, None], counts @ w / sizes
    deficit = 1.0 - counts
    # Each part's rows whose count differs from one, first; padding weighs 0.
    differing = np.argsort(deficit == 0, axis=1, kind="stable")[:, : np.count_nonzero(deficit, axis=1).max()]
    weights = np.take_along_axis(deficit, differing, axis=1)[..., None]
    Z_out, w_out = Z[differing], w[differing]
    weighted = (Z_out * weights).transpose(0, 2, 1)
    second = (Z.T @ Z - weighted @ Z_out) / sizes[:, None, None] - z_means[:, :, None] * z_means[:, None, :]
    grams = (second + second.transpose(0, 2, 1)) / 2
    correlations = (Z.T @ w - (weighted @ w_out[..., None])[..., 0]) / sizes[:, None] - z_means * w_means[:, None]
    return grams, correlations, x_centre + z_means, y_centre + w_means


def lasso_homotopy_path(grams, correlations, alphas, *, max_knots=None):
    r"""Exact LASSO coefficients of many centred problems along one penalty grid.

    Each problem :math:`f` is :math:`\min_\beta \frac{1}{2n}\|y - X\beta\|^2
    + \alpha\|\beta\|_1` given :math:`G = X^\top X / n` and
    :math:`c = X^\top y / n` (centred data). On a stretch of the path where the
    active set :math:`A` and signs :math:`s` are fixed, the optimality
    conditions :math:`c_A - G_{AA}\beta_A = \alpha s_A` give
    :math:`\beta_A(\alpha) = e - \alpha d` with :math:`e = G_{AA}^{-1} c_A`
    and :math:`d = G_{AA}^{-1} s_A`, and every inactive correlation
    :math:`r_j(\alpha) = (c - Ge)_j + \alpha (Gd)_j` is linear too. The next
    knot is the largest penalty below the current one at which an inactive
    :math:`|r_j|` reaches :math:`\alpha` (``j`` joins) or an active
    coefficient reaches 0 (``j`` leaves): Efron et al.'s LARS with the LASSO
    modification.

    One feature joins or leaves at a knot, so :math:`G_{AA}^{-1}` changes by
    one rank-one term (the bordered-matrix inverse when ``j`` joins,
    :math:`H - H_{\cdot j} H_{j \cdot} / H_{jj}` when it leaves): a few
    products per knot for every problem at once, where solving each
    problem's system afresh costs a LAPACK call per problem. Every stretch is
    checked against the optimality conditions computed from :math:`G` and
    :math:`c` themselves; one that misses them, as rounding accumulated over
    the updates could make it, is recomputed from inverses computed afresh.

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
    tolerance = KKT_TOLERANCE * np.max(start, initial=0.0)
    smallest = alphas[-1]
    # The problems still on their path ("live"), compacted as they finish.
    live = np.flatnonzero(start > smallest)
    gram, correlation, alpha_now = grams[live], correlations[live], start[live]
    rows = np.arange(live.size)
    last_change = np.abs(correlation).argmax(axis=1)
    active = np.zeros((live.size, n_features), dtype=bool)
    signs = np.zeros((live.size, n_features))
    inverse = np.zeros((live.size, n_features, n_features))
    active[rows, last_change] = True
    signs[rows, last_change] = np.sign(correlation[rows, last_change])
    inverse[rows, last_change, last_change] = 1.0 / gram[rows, last_change, last_change]
    knot_number = np.zeros(live.size, dtype=int)
    # Per knot: the problems, their stretch [lower, upper), its e and d (stacked), and its number.
    stretches = []
    for _ in range(max_knots):
        if live.size == 0:
            break
        knot_number += 1
        path = (gram, correlation, active, signs, alpha_now, last_change, smallest, tolerance)
        try:
            stretch = _stretch(inverse, *path)
        except HomotopyFailed:
            # Rounding accumulated over the updates, or a singular block:
            # inverses computed afresh tell which, by raising if it persists.
            inverse = _inverse_on_active_sets(gram, active)
            stretch = _stretch(inverse, *path)
        solution, offset, slope, joiner, leaver, join_at, leave_at, alpha_next = stretch
        stretches.append((live, alpha_now, alpha_next, solution, knot_number.copy()))

        rows = np.arange(live.size)
        joining = join_at >= leave_at
        changed = np.where(joining, joiner, leaver)
        active[rows, changed] = joining
        signs[rows, changed] = np.where(
            joining, np.sign(offset[rows, joiner] + alpha_next * slope[rows, joiner]), 0.0
        )
        last_change, alpha_now = changed, alpha_next
        going_on = alpha_next > smallest
        if not going_on.all():
            state = (live, gram, correlation, alpha_now, last_change, joining, active, signs, inverse)
            live, gram, correlation, alpha_now, last_change, joining, active, signs, inverse = (
                part[going_on] for part in state
            )
            knot_number = knot_number[going_on]
        _update_inverse(inverse, gram, last_change, joining)
    else:
        if live.size:
            raise HomotopyFailed(f"the path needs more than {max_knots} knots")
    return _on_the_grid(stretches, alphas, n_problems, n_features)


def _stretch(inverse, gram, correlation, active, signs, alpha_now, last_change, smallest, tolerance):
    """The stretch of each path below its current knot, checked: ``e`` and
    ``d`` stacked (problems x features x 2), the residual correlations'
    offset and slope, the features that would join or leave next, the
    penalties at which they would, and the next knot."""
    right = np.stack([correlation, signs], axis=2) * active[..., None]
    solution = inverse @ right
    # One step of iterative refinement, its residual from G itself: an
    # inverse's product is only as accurate as the condition number allows.
    solution += inverse @ ((right - gram @ solution) * active[..., None])
    e, d = np.moveaxis(solution, 2, 0)
    offset, slope = np.moveaxis(gram @ solution, 2, 0)
    offset = correlation - offset
    limit = alpha_now[:, None] * (1.0 - EVENT_MARGIN)
    with np.errstate(divide="ignore", invalid="ignore"):
        joins = np.fmax(_below(offset / (1.0 - slope), limit), _below(-offset / (1.0 + slope), limit))
        leaves = _below(e / d, limit)
    joins[active] = -np.inf
    leaves[~active] = -np.inf
    # The feature that changed at the current knot sits exactly on its
    # boundary there; rounding must not turn that into a second event.
    rows = np.arange(alpha_now.size)
    echo = alpha_now * (1.0 - CHANGED_MARGIN)
    joins[rows, last_change] = np.where(joins[rows, last_change] >= echo, -np.inf, joins[rows, last_change])
    leaves[rows, last_change] = np.where(leaves[rows, last_change] >= echo, -np.inf, leaves[rows, last_change])
    joiner, leaver = joins.argmax(axis=1), leaves.argmax(axis=1)
    join_at, leave_at = joins[rows, joiner], leaves[rows, leaver]
    alpha_next = np.maximum(np.maximum(join_at, leave_at), 0.0)
    _check_stretch(offset, slope, e, d, active, signs, alpha_now, np.maximum(alpha_next, smallest), tolerance)
    return solution, offset, slope, joiner, leaver, join_at, leave_at, alpha_next


def _update_inverse(inverse, gram, changed, joining):
    r"""Update each problem's :math:`H = G_{AA}^{-1}` (zero off the active set)
    in place for feature ``changed`` joining or leaving, by one rank-one term.

    Joining :math:`j` with :math:`u = H G_{\cdot j}` and Schur complement
    :math:`\sigma = G_{jj} - G_{j \cdot} u` adds :math:`v v^\top / \sigma`
    with :math:`v = u - e_j`; leaving subtracts :math:`H_{\cdot j} H_{j \cdot} / H_{jj}`.
    """
    rows = np.arange(changed.size)
    column = gram[rows, :, changed]
    projected = (inverse @ column[..., None])[..., 0]
    held = inverse[rows, :, changed]
    vector = np.where(joining[:, None], projected, held)
    vector[rows[joining], changed[joining]] = -1.0
    # A singular Gram block gives a zero pivot here; the stretch's check
    # catches the non-finite values it leaves.
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(
            joining,
            1.0 / (gram[rows, changed, changed] - np.einsum("fi,fi->f", column, projected)),
            -1.0 / held[rows, changed],
        )
        inverse += (vector * scale[:, None])[:, :, None] * vector[:, None, :]
    leaving = rows[~joining]
    inverse[leaving, changed[~joining], :] = 0.0
    inverse[leaving, :, changed[~joining]] = 0.0


def _check_stretch(offset, slope, e, d, active, signs, upper, lower, tolerance):
    r"""Raise HomotopyFailed unless every stretch meets the LASSO's optimality
    (KKT) conditions at both ends, and so, all of them being linear in the
    penalty, along the whole stretch: :math:`|r_j| \le \alpha` for every
    feature, :math:`r_j = \alpha s_j` and :math:`s_j \beta_j \ge 0` on the
    active set, with the residual correlations :math:`r = c - G\beta`
    computed from the full Gram matrix, not from the inverse. A value that is
    not finite (a singular update) misses them too."""
    alpha = np.stack([upper, lower])[:, :, None]
    residual = offset + alpha * slope
    coef = np.where(active, e - alpha * d, 0.0)
    # A coefficient's rounding is relative to the terms it is the difference
    # of, which are largest at the upper end.
    scale = np.where(active, np.abs(e) + upper[:, None] * np.abs(d), 0.0).max(axis=1, keepdims=True)
    # Written as what holds, so that NaN fails every comparison.
    met = (
        (np.abs(residual) - alpha <= tolerance)
        & (~active | (np.abs(residual - alpha * signs) <= tolerance))
        & (~active | (coef * signs >= -KKT_TOLERANCE * scale))
    )
    if not met.all():
        raise HomotopyFailed("a solution misses the optimality conditions")


def _on_the_grid(stretches, alphas, n_problems, n_features):
    """Coefficients (problems x features x penalties) and knot numbers at the
    grid's penalties, each from the stretch of its problem's path that holds it."""
    n_alphas = alphas.size
    if not stretches:
        return np.zeros((n_problems, n_features, n_alphas)), np.zeros((n_problems, n_alphas), dtype=int)
    problem, upper, lower, solutions, number = (np.concatenate(part) for part in zip(*stretches))
    # The grid decreases, so the penalties lower <= alpha < upper of a
    # stretch are one run of indices, found by bisection on the negated grid.
    first = np.searchsorted(-alphas, -upper, side="right")
    counts = np.searchsorted(-alphas, -lower, side="right") - first
    stretch = np.repeat(np.arange(counts.size), counts)
    alpha_index = np.arange(stretch.size) - np.repeat(np.cumsum(counts) - counts - first, counts)
    # Each grid point's stretch; points above a path's start, which no
    # stretch holds, read an appended zero solution (every coefficient 0).
    holder = np.full(n_problems * n_alphas, problem.size)
    holder[problem[stretch] * n_alphas + alpha_index] = stretch
    held = np.concatenate([solutions, np.zeros((1, n_features, 2))]).take(holder, axis=0)
    coefs = held[..., 0] - np.tile(alphas, n_problems)[:, None] * held[..., 1]
    knots = np.append(number, 0).take(holder)
    return coefs.reshape(n_problems, n_alphas, n_features).transpose(0, 2, 1), knots.reshape(n_problems, n_alphas)


def _inverse_on_active_sets(grams, active):
    """:math:`G_{AA}^{-1}` of each problem computed afresh, zero off its active set.

    The active features are moved to the front and only the leading block as
    large as the largest active set is inverted (the others padded with the
    identity): an inverse costs the cube of its size, and most knots have far
    fewer active features than the table has columns.
    """
    n_problems, n_features = active.shape
    n_active = active.sum(axis=1)
    size = int(n_active.max())
    order = np.argsort(~active, axis=1, kind="stable")[:, :size]
    used = np.arange(size) < n_active[:, None]
    used_pairs = used[:, :, None] & used[:, None, :]
    # Flat positions and ``take``: several times faster than indexing with
    # three broadcast index arrays, for the same elements.
    entries = (np.arange(n_problems)[:, None] * n_features + order)[:, :, None] * n_features + order[:, None, :]
    block = np.where(used_pairs, grams.reshape(-1).take(entries), np.eye(size))
    try:
        block_inverse = np.linalg.inv(block)
    except np.linalg.LinAlgError as error:
        raise HomotopyFailed("singular Gram matrix on an active set") from error
    inverse = np.zeros(grams.shape)
    inverse.reshape(-1)[entries] = np.where(used_pairs, block_inverse, 0.0)
    return inverse


def _below(candidates, limit):
    """Candidate penalties strictly between 0 and the current knot; -inf otherwise."""
    return np.where((candidates > 0) & (candidates < limit), candidates, -np.inf)
