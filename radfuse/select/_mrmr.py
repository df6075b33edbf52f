"""Minimum-redundancy maximum-relevance (mRMR) feature selection."""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval

from .._validation import check_no_features_left, preview
from ._base import FeatureFilter, centred_unit_columns

#: Smallest redundancy a pair of features can have, as in mrmr-selection: a
#: candidate uncorrelated with every selected feature gets a finite score.
REDUNDANCY_FLOOR = 0.001

#: A candidate whose mean |r| with the selected features reaches 1 within this
#: tolerance duplicates them; mrmr-selection gives it score 0.
PERFECT_REDUNDANCY_TOL = 1e-12


class MRMRSelector(FeatureFilter):
    """Select features by minimum redundancy and maximum relevance (mRMR).

    The greedy scheme of the ``mrmr-selection`` package's ``mrmr_classif``
    with its defaults (relevance ``"f"``, redundancy ``"c"``, denominator
    ``"mean"``), so both pick the same features in the same order:

    * relevance of feature :math:`j` is the one-way ANOVA F-statistic
      between the two classes,

      .. math:: F_j = \\frac{\\sum_c n_c (\\bar x_{cj} - \\bar x_j)^2}
                {\\sum_c \\sum_{i \\in c} (x_{ij} - \\bar x_{cj})^2 / (n - 2)};

      only features with :math:`F_j > 0` are candidates, so a constant
      feature is never selected;
    * the first feature is the most relevant one;
    * at step :math:`k > 1` the candidate :math:`j` with the largest quotient

      .. math:: \\mathrm{score}_j = \\frac{F_j}{\\frac{1}{|S|}\\sum_{s \\in S}
                \\max(|r_{js}|, 0.001)}

      is added to the selected set :math:`S`, where :math:`r_{js}` is the
      Pearson correlation. A candidate whose mean redundancy is 1 (it
      duplicates the selected features) scores 0. Ties go to the candidate
      that comes first in the input column order.

    The Pearson correlations are inner products of standardised columns, so
    each step costs one matrix-vector product and a running sum of
    :math:`|r|` replaces the package's table of pairwise correlations:
    :math:`O(K n p)` in all for :math:`K` features.

    Parameters
    ----------
    n_features : int, default=10
        Number of features to select. When the input has fewer features, all
        of them are selected (an earlier filter often keeps fewer inside a
        CV fold; ``feature_counts`` tables show it), so a tuned
        ``n_features`` stays valid in every fold. When constant features
        (zero relevance, never selected) are why fewer are selected, a
        ``UserWarning`` names them.

    Attributes
    ----------
    relevance_ : Series of float, indexed by feature name
        F-statistic of every input feature; 0 for a constant feature, and
        ``inf`` for a feature constant within each class but different
        between them (it separates the classes perfectly).
    selected_features_ : ndarray of str
        The selected features **in selection order**, most relevant first.
        ``get_feature_names_out()`` and ``transform`` keep the input column
        order instead, as every scikit-learn selector does.
    scores_ : Series of float, indexed by ``selected_features_``
        The mRMR score each feature had when it was selected; the first one
        equals its relevance.
    support_ : ndarray of bool, shape (n_features_in_,)
        The selected features.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    sklearn.feature_selection.f_classif : the relevance, one test per feature.

    Notes
    -----
    ``mrmr-selection`` decides "duplicates the selected features" by exact
    float equality of the mean redundancy with 1.0; here it is within
    ``1e-12``, so exact duplicate columns, whose sample correlation rounds to
    either side of 1, are treated the same way every time. Missing values are
    rejected rather than dropped pairwise.

    References
    ----------
    Peng, H., Long, F., & Ding, C. (2005). Feature selection based on mutual
    information: criteria of max-dependency, max-relevance, and
    min-redundancy. IEEE Transactions on Pattern Analysis and Machine
    Intelligence, 27(8), 1226-1238.
    Ding, C., & Peng, H. (2005). Minimum redundancy feature selection from
    microarray gene expression data. Journal of Bioinformatics and
    Computational Biology, 3(2), 185-205. (F-test relevance with correlation
    quotient, "FCQ".)
    Zhao, Z., Anand, R., & Wang, M. (2019). Maximum relevance and minimum
    redundancy feature selection methods for a marketing machine learning
    platform. IEEE International Conference on Data Science and Advanced
    Analytics (DSAA), 442-452. Implemented in the ``mrmr-selection`` package
    (https://github.com/smazzanti/mrmr).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.select import MRMRSelector
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> selector = MRMRSelector(n_features=3).fit(X, y)
    >>> selector.selected_features_.tolist()
    ['worst concave points', 'worst perimeter', 'mean concave points']
    >>> selector.scores_.round(1).tolist()
    [964.4, 1100.0, 975.8]

    ``transform`` keeps the input column order:

    >>> selector.get_feature_names_out().tolist()
    ['mean concave points', 'worst perimeter', 'worst concave points']
    """

    _parameter_constraints: dict = {"n_features": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, n_features=10):
        self.n_features = n_features

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Rank the features greedily by mRMR and keep the first ``n_features``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, free of NaN and inf.
        y : array-like of shape (n_samples,)
            Binary outcome.

        Returns
        -------
        self
        """
        step = type(self).__name__
        X, y01, names = self._validate_training_data(X, y)

        relevance = f_statistic(X, y01)
        candidates = np.flatnonzero(relevance > 0)
        check_no_features_left(
            relevance > 0, step, "F-statistic relevance > 0 (a non-constant feature)"
        )
        n_select = min(self.n_features, candidates.size)
        if candidates.size < min(self.n_features, len(names)):
            # Fewer inputs than n_features is the protocol's normal case (an
            # earlier filter kept fewer in this fold): all are selected without
            # a warning. Constant features that mRMR cannot rank are worth one.
            constant = [names[i] for i in np.flatnonzero(relevance <= 0)]
            warnings.warn(
                f"{step}: n_features={self.n_features} exceeds the {candidates.size} feature(s) "
                f"with positive relevance among the {len(names)} input features; selecting all "
                f"{candidates.size}. Constant (zero relevance): {preview(constant)}.",
                UserWarning,
            )

        order, scores = _greedy_mrmr(X[:, candidates], relevance[candidates], n_select)
        selected = candidates[order]
        support = np.zeros(len(names), dtype=bool)
        support[selected] = True

        self.relevance_ = pd.Series(relevance, index=names, name="relevance")
        self.selected_features_ = np.asarray(names, dtype=object)[selected]
        self.scores_ = pd.Series(scores, index=self.selected_features_, name="mrmr_score")
        self._set_support(support, f"the top {n_select} mRMR score(s)")
        return self

    def describe_method(self, *, class_counts=None, kept_range=None) -> str:
        fewer = ""
        if kept_range is not None and kept_range[0] < self.n_features:
            low, high = kept_range
            spread = f"{low}" if low == high else f"{low}-{high}"
            fewer = f" (fewer features reached this step in some fits, which kept {spread})"
        return (
            f"Relevance and redundancy: up to the {self.n_features} top-ranked features by minimum "
            f"redundancy maximum relevance (mRMR) were kept{fewer}."
        )


def f_statistic(X, y):
    """Two-class one-way ANOVA F-statistic of every column of ``X`` at once.

    Equal to :func:`sklearn.feature_selection.f_classif`, except that a
    constant column gets 0 instead of NaN (0/0) or round-off noise, and that
    it is computed on rescaled columns (:func:`centred_unit_columns`), so a
    column in units of 1e-300 or 1e300 gets the same finite F as in units of
    1, where squares of the raw values would underflow or overflow.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) with values 0 and 1

    Returns
    -------
    ndarray of shape (n_features,)
    """
    constant = np.ptp(X, axis=0) == 0
    X = centred_unit_columns(X)
    is_positive = y.astype(bool)
    n_samples = y.size
    group_means = np.stack([X[~is_positive].mean(axis=0), X[is_positive].mean(axis=0)])
    group_sizes = np.array([n_samples - is_positive.sum(), is_positive.sum()])[:, None]
    grand_mean = X.mean(axis=0)
    between = (group_sizes * (group_means - grand_mean) ** 2).sum(axis=0)
    within = ((X - group_means[is_positive.astype(int)]) ** 2).sum(axis=0) / (n_samples - 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = between / within
    statistic[constant] = 0.0
    return statistic


def _greedy_mrmr(X, relevance, n_select):
    """Selection order and scores of mRMR on columns with positive relevance."""
    centred = centred_unit_columns(X)
    standardised = centred / np.linalg.norm(centred, axis=0)
    redundancy_sum = np.zeros(X.shape[1])
    available = np.ones(X.shape[1], dtype=bool)
    order, scores = [], []
    for n_selected in range(n_select):
        if n_selected == 0:
            score = relevance.copy()
        else:
            mean_redundancy = redundancy_sum / n_selected
            duplicates = mean_redundancy >= 1.0 - PERFECT_REDUNDANCY_TOL
            with np.errstate(invalid="ignore"):
                score = np.where(duplicates, 0.0, relevance / mean_redundancy)
        score[~available] = -np.inf
        best = int(np.argmax(score))
        order.append(best)
        scores.append(score[best])
        available[best] = False
        correlation = standardised.T @ standardised[:, best]
        redundancy_sum += np.maximum(np.abs(correlation), REDUNDANCY_FLOOR)
    return np.array(order, dtype=int), np.array(scores)
