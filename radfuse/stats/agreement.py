"""Inter-reader agreement: intraclass correlation (Shrout & Fleiss) and kappa."""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import preview
from ._result import StatResult

ICC_TYPES = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")

_ICC_DESCRIPTIONS = {
    "ICC1": "Single raters absolute (one-way random)",
    "ICC2": "Single random raters (two-way random, absolute agreement)",
    "ICC3": "Single fixed raters (two-way mixed, consistency)",
    "ICC1k": "Average raters absolute (one-way random)",
    "ICC2k": "Average random raters (two-way random, absolute agreement)",
    "ICC3k": "Average fixed raters (two-way mixed, consistency)",
}


def _mean_squares(ratings: np.ndarray):
    """Two-way ANOVA mean squares of a (subjects, raters, features) array."""
    n, k = ratings.shape[:2]
    grand = ratings.mean(axis=(0, 1))
    ss_total = ((ratings - grand) ** 2).sum(axis=(0, 1))
    ss_subjects = k * ((ratings.mean(axis=1) - grand) ** 2).sum(axis=0)
    ss_raters = n * ((ratings.mean(axis=0) - grand) ** 2).sum(axis=0)
    ss_error = ss_total - ss_subjects - ss_raters
    msb = ss_subjects / (n - 1)
    msj = ss_raters / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_raters + ss_error) / (n * (k - 1))
    return msb, msj, mse, msw


def icc_per_feature(ratings: np.ndarray, icc_type: str = "ICC3") -> np.ndarray:
    """One ICC form for every feature at once.

    Parameters
    ----------
    ratings : ndarray of shape (n_subjects, n_raters, n_features)
    icc_type : one of ``ICC_TYPES``

    Returns
    -------
    ndarray of shape (n_features,). A feature with no variance at all has an
    undefined ICC and gets NaN.
    """
    if icc_type not in ICC_TYPES:
        raise ValueError(f"icc_type must be one of {ICC_TYPES}; got {icc_type!r}.")
    ratings = np.asarray(ratings, dtype=np.float64)
    n, k = ratings.shape[:2]
    msb, msj, mse, msw = _mean_squares(ratings)
    with np.errstate(divide="ignore", invalid="ignore"):
        forms = {
            "ICC1": lambda: (msb - msw) / (msb + (k - 1) * msw),
            "ICC2": lambda: (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n),
            "ICC3": lambda: (msb - mse) / (msb + (k - 1) * mse),
            "ICC1k": lambda: (msb - msw) / msb,
            "ICC2k": lambda: (msb - mse) / (msb + (msj - mse) / n),
            "ICC3k": lambda: (msb - mse) / msb,
        }
        return forms[icc_type]()


def _ratings_matrix(ratings, targets, raters, values) -> np.ndarray:
    if isinstance(ratings, pd.DataFrame) and targets is not None:
        missing = [c for c in (targets, raters, values) if c not in ratings.columns]
        if missing:
            raise ValueError(f"icc: column(s) {missing} not found in the long DataFrame.")
        wide = ratings.pivot_table(index=targets, columns=raters, values=values, aggfunc="mean")
        counts = ratings.groupby([targets, raters]).size()
        if (counts > 1).any():
            raise ValueError(
                "icc: some subject was rated more than once by the same rater: "
                f"{counts[counts > 1].index.tolist()[:5]}"
            )
        if wide.isna().any().any():
            incomplete = wide.index[wide.isna().any(axis=1)].tolist()
            raise ValueError(
                f"icc: the design is unbalanced; subject(s) {incomplete[:10]} lack a rating "
                "from every rater."
            )
        matrix = wide.to_numpy(dtype=np.float64)
    else:
        matrix = np.asarray(ratings, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] < 2 or matrix.shape[1] < 2:
        raise ValueError(
            "icc: ratings must be a subjects x raters array with at least two subjects "
            f"and two raters; got shape {matrix.shape}."
        )
    if not np.isfinite(matrix).all():
        raise ValueError("icc: ratings contain NaN or inf.")
    return matrix


def icc(ratings, targets=None, raters=None, values=None, *, alpha: float = 0.05) -> pd.DataFrame:
    r"""Intraclass correlation coefficients, all six Shrout & Fleiss forms.

    From the two-way ANOVA mean squares of subjects (:math:`MS_B`), raters
    (:math:`MS_J`), residual (:math:`MS_E`) and within subjects
    (:math:`MS_W`), with :math:`n` subjects and :math:`k` raters:

    .. math::

        ICC(1,1) = \frac{MS_B - MS_W}{MS_B + (k-1) MS_W}, \quad
        ICC(2,1) = \frac{MS_B - MS_E}{MS_B + (k-1) MS_E + k (MS_J - MS_E)/n}, \quad
        ICC(3,1) = \frac{MS_B - MS_E}{MS_B + (k-1) MS_E}

    and the average-measure forms :math:`ICC(1,k) = (MS_B - MS_W)/MS_B`,
    :math:`ICC(2,k) = (MS_B - MS_E)/(MS_B + (MS_J - MS_E)/n)`,
    :math:`ICC(3,k) = (MS_B - MS_E)/MS_B`. F tests and confidence intervals
    follow McGraw & Wong (1996); the values equal pingouin's
    ``intraclass_corr`` and R's ``psych::ICC``.

    Parameters
    ----------
    ratings : array-like of shape (n_subjects, n_raters), or long DataFrame
        A wide matrix, or a long table together with the column names
        ``targets`` (subject), ``raters`` and ``values`` (the rating).
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    DataFrame indexed by ICC type with columns ``description``, ``icc``, ``F``,
    ``df1``, ``df2``, ``pvalue``, ``ci_lower``, ``ci_upper``.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in
    assessing rater reliability. Psychological Bulletin, 86(2), 420-428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some
    intraclass correlation coefficients. Psychological Methods, 1(1), 30-46.

    Examples
    --------
    >>> from radfuse.stats import icc
    >>> table = icc([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...              [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> round(table.loc["ICC3", "icc"], 2)
    0.71
    """
    matrix = _ratings_matrix(ratings, targets, raters, values)
    n, k = matrix.shape
    msb, msj, mse, msw = (float(v[0]) for v in _mean_squares(matrix[:, :, None]))
    values_by_type = {t: float(icc_per_feature(matrix[:, :, None], t)[0]) for t in ICC_TYPES}

    df1, df_one_way, df_two_way = n - 1, n * (k - 1), (n - 1) * (k - 1)
    f_one_way, f_two_way = msb / msw, msb / mse
    p_one_way = stats.f.sf(f_one_way, df1, df_one_way)
    p_two_way = stats.f.sf(f_two_way, df1, df_two_way)

    q = 1 - alpha / 2
    f1_low = f_one_way / stats.f.ppf(q, df1, df_one_way)
    f1_up = f_one_way * stats.f.ppf(q, df_one_way, df1)
    f3_low = f_two_way / stats.f.ppf(q, df1, df_two_way)
    f3_up = f_two_way * stats.f.ppf(q, df_two_way, df1)
    # ICC(2,1) interval: Satterthwaite degrees of freedom (McGraw & Wong, case 2A).
    icc2 = values_by_type["ICC2"]
    fj = msj / mse
    v_num = df_two_way * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v_den = df1 * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = v_num / v_den
    f2_up = stats.f.ppf(q, df1, v)
    f2_low = stats.f.ppf(q, v, df1)
    denom = k * msj + (k * n - k - n) * mse
    l2 = n * (msb - f2_up * mse) / (f2_up * denom + n * msb)
    u2 = n * (f2_low * msb - mse) / (denom + n * f2_low * msb)

    intervals = {
        "ICC1": ((f1_low - 1) / (f1_low + k - 1), (f1_up - 1) / (f1_up + k - 1)),
        "ICC2": (l2, u2),
        "ICC3": ((f3_low - 1) / (f3_low + k - 1), (f3_up - 1) / (f3_up + k - 1)),
        "ICC1k": (1 - 1 / f1_low, 1 - 1 / f1_up),
        "ICC2k": (l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        "ICC3k": (1 - 1 / f3_low, 1 - 1 / f3_up),
    }
    one_way = {"ICC1", "ICC1k"}
    rows = [
        {
            "description": _ICC_DESCRIPTIONS[t],
            "icc": values_by_type[t],
            "F": f_one_way if t in one_way else f_two_way,
            "df1": df1,
            "df2": df_one_way if t in one_way else df_two_way,
            "pvalue": p_one_way if t in one_way else p_two_way,
            "ci_lower": float(intervals[t][0]),
            "ci_upper": float(intervals[t][1]),
        }
        for t in ICC_TYPES
    ]
    table = pd.DataFrame(rows, index=pd.Index(ICC_TYPES, name="type"))
    table.attrs.update(n_subjects=n, n_raters=k, alpha=alpha)
    return table
