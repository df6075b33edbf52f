"""Univariate two-group test per feature, chosen by normality and equal variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._base import FeatureFilter

_CORRECTIONS = (None, "fdr_bh")
_MIN_SHAPIRO_CASES = 3


class UnivariateFilter(FeatureFilter):
    """Keep features that differ between the two classes, test chosen per feature.

    For every feature, with the cases split by class:

    1. Shapiro–Wilk in each class. The feature counts as normal when
       ``p > normality_alpha`` in **both** classes.
    2. Normal features: Levene's test (Brown–Forsythe, median-centred, the
       default of scipy and R's ``car::leveneTest``). ``p > levene_alpha``
       means equal variances and Student's t-test; otherwise Welch's t-test.
    3. Other features: two-sided Mann–Whitney U test (scipy's ``"auto"``
       method: exact for small samples without ties, else normal
       approximation with continuity and tie correction).

    Features with ``p < alpha`` are kept, after Benjamini–Hochberg adjustment
    when ``correction="fdr_bh"``. Every test runs once over all the features
    it applies to (scipy's ``axis=0``), not feature by feature.

    Shapiro–Wilk needs at least three cases and some spread within a class;
    where either is missing the feature counts as non-normal and gets the
    Mann–Whitney test, which is defined for any data. A feature that is
    constant across all cases therefore gets ``p = 1`` and is dropped.

    Parameters
    ----------
    alpha : float, default=0.05
        Features with a (corrected) p-value strictly below ``alpha`` are kept.
    normality_alpha : float, default=0.05
        Shapiro–Wilk significance level.
    correction : {None, "fdr_bh"}, default=None
        Multiple-testing adjustment of the p-values before comparing to ``alpha``.
    levene_alpha : float, default=0.05
        Levene significance level: ``p > levene_alpha`` selects Student's
        t-test, otherwise Welch's.

    Attributes
    ----------
    pvalues_ : Series of float, indexed by feature name
        p-value of the test each feature got, before correction.
    adjusted_pvalues_ : Series of float
        The p-values compared with ``alpha``: Benjamini–Hochberg adjusted
        when ``correction="fdr_bh"``, else equal to ``pvalues_``.
    tests_ : Series of str
        ``"student"``, ``"welch"`` or ``"mann-whitney"`` per feature.
    normality_pvalues_ : DataFrame of shape (n_features_in_, 2)
        Shapiro–Wilk p-value per feature (rows) and class (columns ``0`` and
        ``1`` of the 0/1-encoded outcome). NaN where the test cannot run
        (fewer than three cases or zero range in that class).
    levene_pvalues_ : Series of float
        Levene p-value for the normal features; NaN for features that went
        to the Mann–Whitney test, for which it is not computed.
    support_ : ndarray of bool, shape (n_features_in_,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    References
    ----------
    Shapiro, S. S., & Wilk, M. B. (1965). An analysis of variance test for
    normality. Biometrika, 52(3/4), 591-611.
    Brown, M. B., & Forsythe, A. B. (1974). Robust tests for the equality of
    variances. JASA, 69(346), 364-367.
    Welch, B. L. (1947). The generalization of "Student's" problem when
    several different population variances are involved. Biometrika, 34, 28-35.
    Mann, H. B., & Whitney, D. R. (1947). On a test of whether one of two
    random variables is stochastically larger than the other. Annals of
    Mathematical Statistics, 18(1), 50-60.
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery
    rate. JRSS B, 57(1), 289-300.
    The rule is the univariate step of the mammography + MRI radiomics
    protocol for axillary lymph-node metastasis that radfuse follows
    (normal and equal variance: t-test; normal and unequal variance: Welch;
    otherwise Mann–Whitney; keep p < 0.05).

    Examples
    --------
    On the first 60 cases of the Wisconsin breast data all three tests occur:

    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.select.univariate import UnivariateFilter
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> selector = UnivariateFilter(alpha=0.05).fit(X.iloc[:60], y.iloc[:60])
    >>> selector.tests_.value_counts()
    mann-whitney    19
    welch            6
    student          5
    Name: count, dtype: int64
    >>> selector.tests_["mean texture"], round(float(selector.pvalues_["mean texture"]), 5)
    ('student', 0.00083)
    >>> int(selector.get_support().sum())
    26
    """

    def __init__(self, alpha=0.05, normality_alpha=0.05, correction=None, levene_alpha=0.05):
        self.alpha = alpha
        self.normality_alpha = normality_alpha
        self.correction = correction
        self.levene_alpha = levene_alpha

    def fit(self, X, y):
        """Test every feature and keep those that differ between the classes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Binary outcome.

        Returns
        -------
        self
        """
        if self.correction not in _CORRECTIONS:
            raise ValueError(
                f"{type(self).__name__}: correction must be one of {_CORRECTIONS}; "
                f"got {self.correction!r}."
            )
        X, y01, names = self._validate_training_data(X, y)
        groups = (X[y01 == 0], X[y01 == 1])

        normality = np.column_stack([_shapiro_pvalues(group) for group in groups])
        normal = (normality > self.normality_alpha).all(axis=1)
        levene = np.full(X.shape[1], np.nan)
        if normal.any():
            levene[normal] = stats.levene(*(g[:, normal] for g in groups), axis=0).pvalue
        equal_var = normal & (levene > self.levene_alpha)
        welch = normal & ~equal_var

        pvalues = np.empty(X.shape[1])
        tests = np.full(X.shape[1], "mann-whitney", dtype=object)
        for chosen, name, equal in ((equal_var, "student", True), (welch, "welch", False)):
            if chosen.any():
                pvalues[chosen] = stats.ttest_ind(
                    *(g[:, chosen] for g in groups), equal_var=equal, axis=0
                ).pvalue
                tests[chosen] = name
        if (~normal).any():
            pvalues[~normal] = _mann_whitney_pvalues(*(g[:, ~normal] for g in groups))

        adjusted = pvalues
        if self.correction == "fdr_bh":
            adjusted = stats.false_discovery_control(pvalues, method="bh")

        index = pd.Index(names)
        self.normality_pvalues_ = pd.DataFrame(normality, index=index, columns=[0, 1])
        self.levene_pvalues_ = pd.Series(levene, index=index)
        self.tests_ = pd.Series(tests, index=index)
        self.pvalues_ = pd.Series(pvalues, index=index)
        self.adjusted_pvalues_ = pd.Series(adjusted, index=index)
        criterion = f"p < {self.alpha}" + (f" ({self.correction})" if self.correction else "")
        self._set_support(adjusted < self.alpha, criterion)
        return self


def _shapiro_pvalues(group: np.ndarray) -> np.ndarray:
    """Shapiro–Wilk p per column; NaN where the test is undefined."""
    pvalues = np.full(group.shape[1], np.nan)
    if group.shape[0] < _MIN_SHAPIRO_CASES:
        return pvalues
    testable = np.ptp(group, axis=0) > 0
    if testable.any():
        pvalues[testable] = stats.shapiro(group[:, testable], axis=0).pvalue
    return pvalues


def _mann_whitney_pvalues(x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Two-sided Mann–Whitney U p per column, as separate scipy calls would give.

    scipy's ``method="auto"`` takes the exact distribution for small samples
    only when there are no ties, and decides once per call; splitting the
    columns by ties makes that decision per feature.
    """
    pooled = np.sort(np.vstack([x0, x1]), axis=0)
    tied = (np.diff(pooled, axis=0) == 0).any(axis=0)
    pvalues = np.empty(x0.shape[1])
    for columns in (tied, ~tied):
        if columns.any():
            pvalues[columns] = stats.mannwhitneyu(
                x0[:, columns], x1[:, columns], alternative="two-sided", axis=0
            ).pvalue
    # All cases tied: no evidence of a difference. scipy < 1.18 returns p = 1
    # here, scipy >= 1.18 NaN (zero variance); keep p = 1 on every version.
    pvalues[pooled[0] == pooled[-1]] = 1.0
    return pvalues
