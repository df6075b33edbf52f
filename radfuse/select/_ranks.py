"""Average ranks of every column from one ``argsort``, with the tie sizes."""

from __future__ import annotations

import numpy as np


def column_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average (mid) ranks of each column, the sort order and the tie term.

    Equal values get the mean of the positions they occupy, as
    ``scipy.stats.rankdata(values, axis=0)`` gives. The ranks are
    half-integers, so any summation order of them is exact.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns)

    Returns
    -------
    ranks : ndarray of float, shape (n_samples, n_columns)
        1-based average rank of every value, in the input order.
    order : ndarray of int, shape (n_samples, n_columns)
        ``argsort`` of each column: ``order[k, j]`` is the row of the
        ``k``-th smallest value of column ``j``.
    tie_term : ndarray of float, shape (n_columns,)
        :math:`\\sum_g (t_g^3 - t_g)` over the groups of ``t_g`` equal values,
        the tie correction of rank tests (0 without ties).

    References
    ----------
    Kendall, M. G. (1945). The treatment of ties in ranking problems.
    Biometrika, 33(3), 239-251.

    Examples
    --------
    >>> import numpy as np
    >>> from radfuse.select._ranks import column_ranks
    >>> ranks, order, tie_term = column_ranks(np.array([[3.0], [1.0], [3.0], [2.0]]))
    >>> ranks.ravel().tolist(), tie_term.tolist()
    ([3.5, 1.0, 3.5, 2.0], [6.0])
    """
    n = values.shape[0]
    order = np.argsort(values, axis=0)
    ordered = np.take_along_axis(values, order, axis=0)
    # starts[k] marks the first of a run of equal sorted values, ends[k] the last.
    starts = np.ones(ordered.shape, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    del ordered
    ends = np.ones(starts.shape, dtype=bool)
    ends[:-1] = starts[1:]
    position = np.arange(n).reshape(-1, 1)
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=0)
    past_last = np.minimum.accumulate(np.where(ends, position + 1, n)[::-1], axis=0)[::-1]
    tie_size = past_last - first
    # A tie group of size t contributes t^3 - t, i.e. t^2 - 1 for each member.
    tie_term = (tie_size * tie_size - 1).sum(axis=0, dtype=np.float64)
    ranks = np.empty(values.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, (first + past_last + 1) / 2.0, axis=0)
    return ranks, order, tie_term
