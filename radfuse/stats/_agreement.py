"""Inter-reader agreement: intraclass correlation (Shrout & Fleiss) and kappa."""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Hashable

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils._param_validation import StrOptions, validate_params

from .._validation import check_same_cases, preview
from ._params import ALPHA
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
    subject_means, rater_means = ratings.mean(axis=1), ratings.mean(axis=0)
    grand = rater_means.mean(axis=0)
    ss_subjects = k * ((subject_means - grand) ** 2).sum(axis=0)
    ss_raters = n * ((rater_means - grand) ** 2).sum(axis=0)
    # The residual sum of squares directly, not as total - subjects - raters:
    # the difference leaves round-off (even negative) where the readers agree
    # perfectly, and an F of 1e16 instead of inf.
    residual = (ratings - subject_means[:, None]) - (rater_means - grand)
    # Residuals within a few units of the data's last digit are round-off of
    # the means (three readers who all wrote 0.1): perfect agreement.
    resolution = 4 * np.finfo(np.float64).eps * np.abs(ratings).max(axis=(0, 1))
    residual[np.abs(residual) <= resolution] = 0.0
    ss_error = (residual**2).sum(axis=(0, 1))
    msb = ss_subjects / (n - 1)
    msj = ss_raters / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_raters + ss_error) / (n * (k - 1))
    return msb, msj, mse, msw


@validate_params(
    {"ratings": [np.ndarray], "icc_type": [StrOptions(set(ICC_TYPES))]},
    prefer_skip_nested_validation=True,
)
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


@validate_params(
    {
        "ratings": ["array-like"],
        "targets": [Hashable, None],
        "raters": [Hashable, None],
        "values": [Hashable, None],
        "alpha": ALPHA,
    },
    prefer_skip_nested_validation=True,
)
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

    When the raters agree perfectly (:math:`MS_E = 0`, or :math:`MS_W = 0`)
    the F statistic is infinite, its p-value 0 and the ICC 1, as pingouin
    reports; the interval bounds of the single-measure forms take their
    limit 1 there (pingouin: NaN), and the ICC(2,·) interval, whose
    Satterthwaite degrees of freedom are then undefined, is NaN.

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
    >>> round(float(table.loc["ICC3", "icc"]), 2)
    0.71
    """
    matrix = _ratings_matrix(ratings, targets, raters, values)
    n, k = matrix.shape
    msb, msj, mse, msw = (v[0] for v in _mean_squares(matrix[:, :, None]))
    values_by_type = {t: float(icc_per_feature(matrix[:, :, None], t)[0]) for t in ICC_TYPES}
    with np.errstate(divide="ignore", invalid="ignore"):
        return _icc_table(matrix, msb, msj, mse, msw, values_by_type, alpha)


def _single_bound(f, k):
    """ICC bound (F - 1)/(F + k - 1) of an F bound; its limit 1 when F is infinite."""
    return 1.0 if np.isinf(f) else (f - 1) / (f + k - 1)


def _icc_table(matrix, msb, msj, mse, msw, values_by_type, alpha):
    # numpy scalars: perfect agreement (MS_W or MS_E = 0) gives F = inf, not ZeroDivisionError.
    n, k = matrix.shape

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
        "ICC1": (_single_bound(f1_low, k), _single_bound(f1_up, k)),
        "ICC2": (l2, u2),
        "ICC3": (_single_bound(f3_low, k), _single_bound(f3_up, k)),
        "ICC1k": (1 - 1 / f1_low, 1 - 1 / f1_up),
        "ICC2k": (l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        "ICC3k": (1 - 1 / f3_low, 1 - 1 / f3_up),
    }
    one_way = {"ICC1", "ICC1k"}
    rows = [
        {
            "description": _ICC_DESCRIPTIONS[t],
            "icc": values_by_type[t],
            "F": float(f_one_way if t in one_way else f_two_way),
            "df1": df1,
            "df2": df_one_way if t in one_way else df_two_way,
            "pvalue": float(p_one_way if t in one_way else p_two_way),
            "ci_lower": float(intervals[t][0]),
            "ci_upper": float(intervals[t][1]),
        }
        for t in ICC_TYPES
    ]
    table = pd.DataFrame(rows, index=pd.Index(ICC_TYPES, name="type"))
    table.attrs.update(n_subjects=n, n_raters=k, alpha=alpha)
    return table


KAPPA_WEIGHTS = (None, "linear", "quadratic")


@dataclasses.dataclass(frozen=True, repr=False)
class KappaResult(StatResult):
    """Cohen's kappa of two raters with its asymptotic inference.

    Attributes
    ----------
    estimate : float
        Kappa, the chance-corrected agreement (weighted when ``weights`` is set).
    ci_lower, ci_upper : float
        ``kappa -/+ z_{1-alpha/2} * se``; not clipped to [-1, 1].
    statistic : float
        ``kappa / se_null``, standard normal under H0: kappa = 0.
    pvalue : float
        Two-sided p-value of that test.
    alpha : float
    method : str
        ``"cohen kappa"``, or ``"cohen kappa (linear weights)"`` /
        ``"cohen kappa (quadratic weights)"``.
    se : float
        Asymptotic standard error (the ASE of SAS and statsmodels), used for
        the interval.
    se_null : float
        Standard error of kappa under H0: kappa = 0.
    n : int
        Number of rated cases.
    weights : {None, "linear", "quadratic"}
    table : DataFrame
        Contingency table of counts, rater ``a`` in rows, rater ``b`` in columns.
    """

    se: float
    se_null: float
    n: int
    weights: str | None
    table: pd.DataFrame = dataclasses.field(repr=False)


def _rater_labels(labels, name: str) -> np.ndarray:
    values = np.asarray(labels, dtype=object)
    if values.ndim != 1:
        raise ValueError(f"cohen_kappa: {name} must be one-dimensional; got shape {values.shape}.")
    missing = pd.isna(values)
    if missing.any():
        raise ValueError(
            f"cohen_kappa: {name} has {missing.sum()} missing label(s) at position(s) "
            f"{preview(np.flatnonzero(missing).tolist())}; kappa needs a rating of every "
            "case by both raters."
        )
    return values


def _kappa_categories(a: np.ndarray, b: np.ndarray, categories, weights) -> list:
    if categories is None:
        labels = set(a.tolist()).union(b.tolist())
        if weights is not None and not all(isinstance(x, numbers.Real) for x in labels):
            raise ValueError(
                f"cohen_kappa: weights={weights!r} needs ordered categories, but the labels "
                f"{preview(labels)} are not numbers; pass categories=[...] in their order."
            )
        try:
            return sorted(labels)
        except TypeError:
            raise TypeError(
                f"cohen_kappa: the labels {preview(labels)} cannot be sorted; pass "
                "categories=[...] to fix their order."
            ) from None
    categories = list(categories)
    if pd.Index(categories).has_duplicates:
        raise ValueError(f"cohen_kappa: categories contain duplicates: {preview(categories)}.")
    unknown = set(a.tolist()).union(b.tolist()).difference(categories)
    if unknown:
        raise ValueError(
            f"cohen_kappa: label(s) {preview(unknown)} are not among categories "
            f"{preview(categories)}."
        )
    return categories


def _agreement_weights(n_categories: int, weights: str | None) -> np.ndarray:
    """Agreement weights: 1 on the diagonal, decreasing with the category distance."""
    position = np.arange(n_categories)
    distance = np.abs(position[:, None] - position[None, :]) / (n_categories - 1)
    if weights == "linear":
        return 1.0 - distance
    if weights == "quadratic":
        return 1.0 - distance**2
    return (distance == 0).astype(np.float64)


@validate_params(
    {
        "a": ["array-like"],
        "b": ["array-like"],
        "weights": [StrOptions({w for w in KAPPA_WEIGHTS if w}), None],
        "alpha": ALPHA,
        "categories": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def cohen_kappa(a, b, weights=None, *, alpha: float = 0.05, categories=None) -> KappaResult:
    r"""Cohen's kappa for two raters, unweighted or weighted, with SE, CI and test.

    With :math:`p_{ij}` the proportion of cases rated :math:`i` by rater ``a``
    and :math:`j` by rater ``b``, marginals :math:`p_{i.}`, :math:`p_{.j}`, and
    agreement weights :math:`w_{ij}` (:math:`w_{ij} = [i = j]` unweighted,
    :math:`1 - |i-j|/(k-1)` linear, :math:`1 - (i-j)^2/(k-1)^2` quadratic):

    .. math::

        p_o = \sum_{ij} w_{ij} p_{ij}, \quad
        p_e = \sum_{ij} w_{ij} p_{i.} p_{.j}, \quad
        \kappa = \frac{p_o - p_e}{1 - p_e}.

    With :math:`\bar w_{i.} = \sum_j p_{.j} w_{ij}` and
    :math:`\bar w_{.j} = \sum_i p_{i.} w_{ij}`, the large-sample variances of
    Fleiss, Cohen & Everitt (1969) are

    .. math::

        \widehat{Var}(\kappa) = \frac{\sum_{ij} p_{ij}
            [w_{ij} - (\bar w_{i.} + \bar w_{.j})(1 - \kappa)]^2
            - [\kappa - p_e (1 - \kappa)]^2}{n (1 - p_e)^2}

    .. math::

        Var_0(\kappa) = \frac{\sum_{ij} p_{i.} p_{.j}
            [w_{ij} - (\bar w_{i.} + \bar w_{.j})]^2 - p_e^2}{n (1 - p_e)^2}

    The confidence interval uses the first (``se``, the ASE reported by SAS
    PROC FREQ and statsmodels); the test of H0: :math:`\kappa = 0` uses the
    second, :math:`z = \kappa / \sqrt{Var_0}`, as statsmodels'
    ``cohens_kappa`` does.

    Parameters
    ----------
    a, b : array-like of shape (n_cases,)
        Labels given by the two raters to the same cases; any hashable values.
    weights : {None, "linear", "quadratic"}
        None for Cohen's (1960) kappa; "linear" (Cicchetti-Allison) or
        "quadratic" (Fleiss-Cohen) for weighted kappa. Weighted kappa treats
        the categories as ordered and equally spaced: only their positions in
        ``categories`` count, not the label values, exactly as scikit-learn's
        ``cohen_kappa_score`` and statsmodels do.
    alpha : float
        1 - confidence level of ``ci``.
    categories : sequence, optional
        All categories in their order. Defaults to the sorted union of the
        labels. Required for weighted kappa of non-numeric labels (e.g.
        ``["low", "medium", "high"]``, which would sort alphabetically). An
        unused category between used ones changes the distances of weighted
        kappa.

    Returns
    -------
    KappaResult

    Raises
    ------
    ValueError
        On a length mismatch, a missing label, labels outside ``categories``,
        or when both raters used one single category (kappa is undefined).

    Notes
    -----
    Perfect agreement gives ``se = 0`` and ``ci = (1, 1)``. When every pairing
    of the labels the two raters used gives the same chance-corrected
    agreement (for example one rater used a single category), kappa is 0 for
    any pairing, the null variance is 0, and the test is reported as
    ``statistic = 0`` and ``pvalue = 1``.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales.
    Educational and Psychological Measurement, 20(1), 37-46.
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213-220.
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard
    errors of kappa and weighted kappa. Psychological Bulletin, 72(5), 323-327.
    SAS Institute. PROC FREQ, "Tests and Measures of Agreement".

    Examples
    --------
    >>> from radfuse.stats import cohen_kappa
    >>> reader_1 = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    >>> reader_2 = [1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    >>> result = cohen_kappa(reader_1, reader_2)
    >>> round(result.estimate, 4), round(result.se, 4)
    (0.4842, 0.138)
    >>> round(cohen_kappa(reader_1, reader_2, weights="linear").estimate, 4)
    0.4701
    """
    check_same_cases("cohen_kappa", a=a, b=b)
    a, b = _rater_labels(a, "a"), _rater_labels(b, "b")
    if a.size != b.size:
        raise ValueError(
            f"cohen_kappa: a has {a.size} labels but b has {b.size}; both raters must "
            "rate the same cases."
        )
    categories = _kappa_categories(a, b, categories, weights)
    index = pd.Index(categories)
    k, n = len(categories), a.size
    codes = index.get_indexer(a) * k + index.get_indexer(b)
    counts = np.bincount(codes, minlength=k * k).reshape(k, k)
    used = (counts.sum(axis=0) + counts.sum(axis=1)) > 0
    if used.sum() < 2:
        raise ValueError(
            f"cohen_kappa: both raters used the single category {index[used].tolist()}; "
            "kappa is undefined without at least two categories."
        )

    w = _agreement_weights(k, weights)
    p = counts / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    expected = np.outer(row, col)
    p_observed, p_expected = (w * p).sum(), (w * expected).sum()
    kappa = (p_observed - p_expected) / (1 - p_expected)
    mean_weights = (w @ col)[:, None] + (row @ w)[None, :]
    scale = n * (1 - p_expected) ** 2
    # Both variances are written as centred sums of squares, so they are never negative.
    deviation = w - mean_weights * (1 - kappa)
    var = (p * (deviation - (kappa - p_expected * (1 - kappa))) ** 2).sum() / scale
    null_deviation = w - mean_weights
    var_null = (expected * (null_deviation + p_expected) ** 2).sum() / scale
    se, se_null = float(np.sqrt(var)), float(np.sqrt(var_null))

    if np.ptp(null_deviation[np.ix_(row > 0, col > 0)]) <= 1e-12:
        statistic, pvalue = 0.0, 1.0
    else:
        statistic = float(kappa / se_null)
        pvalue = float(2 * stats.norm.sf(abs(statistic)))
    half_width = stats.norm.isf(alpha / 2) * se
    table = pd.DataFrame(
        counts, index=pd.Index(categories, name="a"), columns=pd.Index(categories, name="b")
    )
    return KappaResult(
        estimate=float(kappa),
        ci_lower=float(kappa - half_width),
        ci_upper=float(kappa + half_width),
        statistic=statistic,
        pvalue=pvalue,
        alpha=alpha,
        method="cohen kappa" if weights is None else f"cohen kappa ({weights} weights)",
        se=se,
        se_null=se_null,
        n=int(n),
        weights=weights,
        table=table,
    )
