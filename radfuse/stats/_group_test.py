"""The one rule that picks the test comparing a continuous variable between groups."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import validate_params

from ._params import SIGNIFICANCE

#: Centring of Levene's test used by the rule (Brown-Forsythe).
LEVENE_CENTER = "median"


@validate_params(
    {
        "normality_pvalues": ["array-like"],
        "levene_pvalues": ["array-like", Real],
        "normality_alpha": SIGNIFICANCE,
        "levene_alpha": SIGNIFICANCE,
    },
    prefer_skip_nested_validation=True,
)
def choose_group_test(normality_pvalues, levene_pvalues, *, normality_alpha, levene_alpha):
    r"""Pick Student, Welch or rank-based comparison from normality and variance tests.

    The rule shared by :class:`radfuse.select.UnivariateFilter` and
    :func:`radfuse.stats.baseline_table`, for each variable:

    1. The variable counts as normal when the Shapiro-Wilk test does not
       reject normality in **any** group, :math:`p \ge` ``normality_alpha``.
       A NaN p-value (fewer than three values, or no spread in a group)
       counts as not normal.
    2. Normal variables: Levene's test with **median** centring (the
       Brown-Forsythe variant, ``LEVENE_CENTER``; the default of
       ``scipy.stats.levene`` and of R's ``car::leveneTest``). Equal
       variances are assumed unless it rejects, :math:`p <`
       ``levene_alpha``: then ``"student"`` (Student's t-test; one-way ANOVA
       for more than two groups), otherwise ``"welch"`` (Welch's t-test or
       Welch's ANOVA). A NaN Levene p-value gives ``"welch"``.
    3. Other variables: ``"rank"`` (Mann-Whitney U; Kruskal-Wallis for more
       than two groups).

    Both comparisons use the same convention as every significance decision
    in radfuse: a test rejects when :math:`p < \alpha`, so
    :math:`p \ge \alpha` means "not rejected". Median centring is chosen
    because it keeps the nominal level when the data are skewed or
    heavy-tailed, where the mean-centred original is liberal (Brown &
    Forsythe, 1974; the recommendation of Conover, Johnson & Johnson's 1981
    comparison of 56 tests of homogeneity of variances).

    Parameters
    ----------
    normality_pvalues : array-like of shape (..., n_groups)
        Shapiro-Wilk p-value of each group, groups on the last axis.
    levene_pvalues : array-like of shape (...)
        Levene p-value (median-centred) of each variable; only read where the
        variable is normal, so it may be NaN elsewhere.
    normality_alpha, levene_alpha : float in [0, 1]
        Significance levels of the two tests (1 counts only p = 1 as "not
        rejected", 0 never rejects).

    Returns
    -------
    ndarray of str, shape (...)
        ``"student"``, ``"welch"`` or ``"rank"`` per variable.

    References
    ----------
    Brown, M. B., & Forsythe, A. B. (1974). Robust tests for the equality of
    variances. Journal of the American Statistical Association, 69(346),
    364-367.
    Conover, W. J., Johnson, M. E., & Johnson, M. M. (1981). A comparative
    study of tests for homogeneity of variances, with applications to the
    outer continental shelf bidding data. Technometrics, 23(4), 351-361.

    Examples
    --------
    >>> from radfuse.stats import choose_group_test
    >>> choose_group_test([[0.3, 0.6], [0.3, 0.6], [0.01, 0.6]], [0.2, 0.01, 0.9],
    ...                   normality_alpha=0.05, levene_alpha=0.05).tolist()
    ['student', 'welch', 'rank']
    """
    normality = np.asarray(normality_pvalues, dtype=np.float64)
    levene = np.broadcast_to(np.asarray(levene_pvalues, dtype=np.float64), normality.shape[:-1])
    normal = (normality >= normality_alpha).all(axis=-1)
    equal_var = normal & (levene >= levene_alpha)
    return np.where(equal_var, "student", np.where(normal, "welch", "rank"))
