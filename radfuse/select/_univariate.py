"""Univariate two-group test per feature, chosen by normality and equal variance."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import FeatureFilter
from ._scaling import scaled_to_safe_magnitude
from ._column_tests import (
    choose_column_tests,
    mann_whitney_pvalues,
    shapiro_pvalues,
    sorted_columns,
    t_test_pvalues,
)

# About 2 MB of float64 per column block.
_BLOCK_VALUES = 2**18


class UnivariateFilter(FeatureFilter):
    """Keep features that differ between the two classes, test chosen per feature.

    For every feature, with the cases split by class:

    1. Shapiro–Wilk in each class. The feature counts as normal when
       ``p >= normality_alpha`` in **both** classes.
    2. Normal features: Levene's test (Brown–Forsythe, median-centred, the
       default of scipy and R's ``car::leveneTest``). ``p >= levene_alpha``
       means equal variances and Student's t-test; otherwise Welch's t-test.
    3. Other features: two-sided Mann–Whitney U test with scipy's
       ``method="auto"`` rule, decided per feature: the exact null
       distribution when either class has at most 8 cases and the feature
       has no ties, otherwise the normal approximation with continuity and
       tie correction. This is **not** R's ``wilcox.test`` rule (exact when
       both classes have fewer than 50 cases and there are no ties), so for
       classes of 9 to 49 cases without ties the p-values differ from R's.

    Features with ``p < alpha`` are kept, after Benjamini–Hochberg adjustment
    when ``correction="fdr_bh"``. The tests run over blocks of columns at
    once: Shapiro–Wilk (Royston's AS R94, whose coefficients depend only on
    the class size) and the Mann–Whitney ranks (one ``argsort``) are
    vectorised and equal scipy's per-feature ``shapiro`` and ``mannwhitneyu``
    to the last bit in the tests; Levene and the t-tests are scipy's with
    ``axis=0``. Working one block at a time keeps the temporary copies small
    next to ``X``.

    The decisions do not depend on the unit of a feature: each column is
    rescaled by a power of two (exact in floating point) before testing, so
    features near 1e154 or 1e-300 get the same p-values as near 1.

    Shapiro–Wilk needs at least three cases and some spread within a class
    (any nonzero range; scipy instead returns ``p = 1`` for a range below
    1e-19); where either is missing the feature counts as non-normal and gets the
    Mann–Whitney test, which is defined for any data. A feature that is
    constant across all cases therefore gets ``p = 1`` and is dropped.

    Parameters
    ----------
    alpha : float in [0, 1], default=0.05
        Features with a (corrected) p-value strictly below ``alpha`` are kept.
    normality_alpha : float in [0, 1], default=0.05
        Shapiro–Wilk significance level.
    correction : {None, "fdr_bh"}, default=None
        Multiple-testing adjustment of the p-values before comparing to ``alpha``.
    levene_alpha : float in [0, 1], default=0.05
        Levene significance level: ``p >= levene_alpha`` selects Student's
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
    Royston, P. (1995). Remark AS R94: A remark on algorithm AS 181: The
    W-test for normality. Applied Statistics, 44(4), 547-551.
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
    >>> from radfuse.select import UnivariateFilter
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

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "normality_alpha": [Interval(Real, 0, 1, closed="both")],
        "correction": [StrOptions({"fdr_bh"}), None],
        "levene_alpha": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, alpha=0.05, normality_alpha=0.05, correction=None, levene_alpha=0.05):
        self.alpha = alpha
        self.normality_alpha = normality_alpha
        self.correction = correction
        self.levene_alpha = levene_alpha

    @_fit_context(prefer_skip_nested_validation=True)
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
        X, y01, names = self._validate_training_data(X, y)
        n_features = X.shape[1]
        normality = np.full((n_features, 2), np.nan)
        levene = np.full(n_features, np.nan)
        pvalues = np.empty(n_features)
        tests = np.full(n_features, "mann-whitney", dtype=object)
        in_class = (y01 == 0, y01 == 1)
        for columns in _column_blocks(X.shape):
            block = scaled_to_safe_magnitude(X[:, columns])
            groups = (block[in_class[0]], block[in_class[1]])
            del block
            ordered = [sorted_columns(g) for g in groups]
            normality[columns] = np.column_stack(
                [shapiro_pvalues(g, o) for g, o in zip(groups, ordered)]
            )
            self._test_block(groups, ordered, normality[columns], levene[columns],
                             pvalues[columns], tests[columns])
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

    def describe_method(self, *, class_counts=None, kept_range=None) -> str:
        correction = (
            "without adjustment for multiple testing"
            if self.correction is None
            else f"after {self.correction} adjustment"
        )
        return (
            "Univariate screening: each feature was compared between the classes with Student's t-test "
            f"when Shapiro-Wilk normality held in both classes (alpha = {self.normality_alpha}) and "
            f"Levene's test showed equal variances (alpha = {self.levene_alpha}), Welch's t-test when "
            "variances differed, and the Mann-Whitney U test otherwise; features with "
            f"p < {self.alpha} {correction} were kept."
        )

    def _test_block(self, groups, ordered, normality, levene, pvalues, tests):
        """Fill the Levene and test p-values and test names of one column block."""
        levene[:], chosen = choose_column_tests(
            ordered, normality, normality_alpha=self.normality_alpha, levene_alpha=self.levene_alpha
        )
        for name, equal in (("student", True), ("welch", False)):
            columns = chosen == name
            if columns.any():
                pvalues[columns] = t_test_pvalues(*(g[:, columns] for g in groups), equal_var=equal)
                tests[columns] = name
        rank = chosen == "rank"
        if rank.any():
            pvalues[rank] = mann_whitney_pvalues(*(o[:, rank] for o in ordered), presorted=True)


def _column_blocks(shape: tuple[int, int]):
    """Column slices holding about ``_BLOCK_VALUES`` values each.

    Each test makes a few temporary copies of its columns; working on one
    block at a time keeps them small next to ``X``.
    """
    n_samples, n_features = shape
    width = max(1, _BLOCK_VALUES // max(n_samples, 1))
    for start in range(0, n_features, width):
        yield slice(start, min(start + width, n_features))
