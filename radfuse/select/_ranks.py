"""Average ranks of every column from one ``argsort``, with the tie sizes."""

from __future__ import annotations

import numpy as np


def sorted_run_starts(values: np.ndarray, kind: str | None = None):
    """Sort order of every column and where its runs of equal values start.

    Works on the transposed, contiguous table: sorting along rows of memory
    is several times faster than along strided columns.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns)
    kind : str, optional
        ``np.argsort``'s algorithm; ``"stable"`` (timsort) merges columns
        made of already sorted stretches in linear time.

    Returns
    -------
    order : ndarray of int, shape (n_columns, n_samples)
        ``order[j, k]`` is the row of the ``k``-th smallest value of column ``j``.
    starts : ndarray of bool, shape (n_columns, n_samples)
        Whether the ``k``-th smallest value differs from the one before it;
        a column without ties is all True.
    """
    by_column = np.ascontiguousarray(values.T)
    order = np.argsort(by_column, axis=1, kind=kind)
    ordered = np.take_along_axis(by_column, order, axis=1)
    del by_column
    starts = np.ones(ordered.shape, dtype=bool)
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    return order, starts


def run_bounds(starts: np.ndarray):
    """For every sorted position, where its run of equal values starts and ends (exclusive).

    Parameters
    ----------
    starts : ndarray of bool, shape (n_columns, n_samples)
        From :func:`sorted_run_starts`.

    Returns
    -------
    first, past_last : ndarray of int, shape (n_columns, n_samples)
    """
    n = starts.shape[1]
    ends = np.ones(starts.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    position = np.arange(n)
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    past_last = np.minimum.accumulate(np.where(ends, position + 1, n)[:, ::-1], axis=1)[:, ::-1]
    return first, past_last


def tie_term(first: np.ndarray, past_last: np.ndarray) -> np.ndarray:
    """:math:`\\sum_g (t_g^3 - t_g)` over the runs of ``t_g`` equal values, per column.

    A run of size t contributes t^3 - t, i.e. t^2 - 1 for each of its members.
    """
    size = past_last - first
    return (size * size - 1).sum(axis=1, dtype=np.float64)


def column_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average (mid) ranks of each column and the tie term of each column.

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
    >>> ranks, tie_term = column_ranks(np.array([[3.0], [1.0], [3.0], [2.0]]))
    >>> ranks.ravel().tolist(), tie_term.tolist()
    ([3.5, 1.0, 3.5, 2.0], [6.0])
    """
    order, starts = sorted_run_starts(values)
    first, past_last = run_bounds(starts)
    del starts
    ranks = np.empty(order.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, (first + past_last + 1) / 2.0, axis=1)
    return ranks.T, tie_term(first, past_last)
