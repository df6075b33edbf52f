"""Redundancy pruning: drop one feature of every highly correlated pair."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._base import FeatureFilter
from ._ranks import column_ranks
from ._scaling import scaled_to_safe_magnitude

# Rank correlations of small samples are often exactly equal; comparing them after
# rounding makes such ties real ties instead of an order set by floating-point error.
_COMPARE_DECIMALS = 12
# About 8 MB of float64 per block of ranks or of correlations.
_BLOCK_VALUES = 2**20


@validate_params(
    {"X": ["array-like"], "method": [StrOptions({"spearman", "pearson"})]},
    prefer_skip_nested_validation=True,
)
def correlation_matrix(X: np.ndarray, method: str = "spearman") -> np.ndarray:
    r"""Pearson or Spearman correlation of every pair of columns, as one matrix product.

    Spearman's :math:`\rho` is Pearson's :math:`r` of the column ranks (ties
    get their average rank). With :math:`Z` the columns (or their ranks)
    standardised by their population standard deviation,

    .. math:: R = Z^\top Z / n.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    method : {"spearman", "pearson"}

    Returns
    -------
    ndarray of shape (n_features, n_features). Correlations with a constant
    column are undefined and returned as NaN, as pandas ``DataFrame.corr`` does.

    References
    ----------
    C. Spearman, "The proof and measurement of association between two
    things", American Journal of Psychology 15(1), 72-101 (1904).

    Examples
    --------
    >>> import numpy as np
    >>> from radfuse.select import correlation_matrix
    >>> X = np.array([[1.0, 1.0, 5.0], [2.0, 4.0, 3.0], [3.0, 9.0, 1.0], [4.0, 16.0, 2.0]])
    >>> correlation_matrix(X).round(2)
    array([[ 1. ,  1. , -0.8],
           [ 1. ,  1. , -0.8],
           [-0.8, -0.8,  1. ]])
    >>> round(float(correlation_matrix(X, method="pearson")[0, 1]), 3)
    0.984
    """
    standardised = standardised_rows(np.asarray(X, dtype=np.float64), method)
    return standardised @ standardised.T / standardised.shape[1]


def standardised_rows(X: np.ndarray, method: str) -> np.ndarray:
    """Each column of ``X`` (or its ranks) centred and scaled, as a row of the result.

    The rows are standardised by the population standard deviation, so the
    correlation of columns ``i`` and ``j`` is ``Z[i] @ Z[j] / n``; a constant
    column becomes a row of NaN. Computed in column blocks, so the only
    full-size allocation is the ``(n_features, n_samples)`` result.
    """
    n_samples, n_features = X.shape
    standardised = np.empty((n_features, n_samples))
    width = max(1, _BLOCK_VALUES // max(n_samples, 1))
    for start in range(0, n_features, width):
        columns = slice(start, min(start + width, n_features))
        values = (column_ranks(X[:, columns])[0] if method == "spearman"
                  else scaled_to_safe_magnitude(X[:, columns]))
        constant = np.ptp(values, axis=0) == 0
        centred = values - values.mean(axis=0)
        spread = np.sqrt((centred**2).mean(axis=0))
        spread[constant] = np.nan
        standardised[columns] = (centred / spread).T
    return standardised


def correlated_pairs(standardised: np.ndarray, threshold: float):
    """Every pair ``i < j`` with rounded ``|rho| > threshold``, from blocks of rows.

    Only one ``(rows, n_features)`` block of correlations exists at a time,
    so memory is that block plus the pairs found.

    Returns
    -------
    first, second : ndarray of int
        Column positions of each pair, ``first < second``.
    rho : ndarray of float
        Their signed correlation.
    strength : ndarray of float
        ``|rho|`` rounded to 12 decimals, the value compared and sorted on.
    """
    n_features, n_samples = standardised.shape
    height = max(1, _BLOCK_VALUES // max(n_features, 1))
    found = []
    with np.errstate(invalid="ignore"):
        for start in range(0, n_features, height):
            stop = min(start + height, n_features)
            # Only columns at or after this block's first row: the upper triangle.
            block = standardised[start:stop] @ standardised[start:].T / n_samples
            strength = np.round(np.abs(block), _COMPARE_DECIMALS)
            above = strength > threshold
            # Keep j > i only: row r of the block is feature start + r, column c is start + c.
            above &= np.arange(n_features - start) > np.arange(stop - start)[:, None]
            rows, columns = np.nonzero(above)
            found.append((rows + start, columns + start, block[rows, columns],
                          strength[rows, columns]))
    first, second, rho, strength = (np.concatenate(parts) for parts in zip(*found))
    return first, second, rho, strength


class CorrelationPruner(FeatureFilter):
    """Remove one feature of every pair correlated above a threshold.

    The published protocol removes a random member of any pair with
    ``|rho| > threshold`` and repeats until no such pair is left. Dropping a
    feature changes no correlation among the others, so the repetition is a
    single pass over the pairs in a fixed order:

    1. all pairs with ``|rho| > threshold``, by decreasing ``|rho|``, ties in
       the order of the first and then the second column's position in ``X``;
    2. a pair whose members are both still present loses one member: the
       less relevant (``keep="relevance"``; equal relevance drops the later
       column) or a coin flip from ``random_state`` (``keep="random"``);
       pairs with a member already dropped are skipped.

    Correlations and relevances are compared after rounding to 12 decimals:
    rank correlations of small samples are often exactly equal, and should
    tie rather than be ordered by floating-point error.

    Relevance is the absolute correlation of the feature with the 0/1
    outcome, by the same ``method``: for Spearman a rescaled
    ``|AUC - 0.5|`` (the rank-biserial correlation), for Pearson the
    point-biserial correlation. The correlations are matrix products of the
    standardised (ranked) columns (see :func:`correlation_matrix`), computed
    one block of rows at a time: memory grows with ``n_samples * n_features``
    plus the number of pairs above the threshold, never with
    ``n_features**2``. The fitted pruner keeps only the relevances and the
    pairs that caused a removal (``dropped_because_``), not the correlation
    matrix; call :func:`correlation_matrix` for that.

    A constant feature has no defined correlation (NaN), belongs to no pair,
    and is never removed by this step.

    Parameters
    ----------
    threshold : float in [0, 1], default=0.9
        Pairs with an absolute correlation strictly above this are pruned.
    method : {"spearman", "pearson"}, default="spearman"
    keep : {"relevance", "random"}, default="relevance"
        Which member of a pair survives: the one more correlated with the
        outcome (deterministic), or a random one as published.
    random_state : int, RandomState instance or None, default=None
        Seeds the coin flips of ``keep="random"``; unused otherwise.

    Attributes
    ----------
    relevance_ : Series of float, indexed by feature name
        Absolute correlation of each feature with the outcome.
    dropped_because_ : DataFrame
        One row per removed feature, in removal order, indexed by its name,
        with columns ``kept`` (the partner it was too correlated with) and
        ``rho`` (their signed correlation).
    support_ : ndarray of bool, shape (n_features_in_,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    References
    ----------
    Spearman, C. (1904). The proof and measurement of association between
    two things. American Journal of Psychology, 15(1), 72-101.
    The random-removal rule (Spearman, 0.9, repeat until all ``|rho| <= 0.9``)
    is the redundancy step of the mammography + MRI radiomics protocol for
    axillary lymph-node metastasis that radfuse follows.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.select import CorrelationPruner
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> pruner = CorrelationPruner(threshold=0.9).fit(X, y)
    >>> X.shape[1], pruner.transform(X).shape[1]
    (30, 18)
    >>> pruner.dropped_because_.round(3).head(3)
                           kept    rho
    mean radius       mean area  1.000
    worst area     worst radius  0.999
    mean area    mean perimeter  0.997
    """

    _parameter_constraints: dict = {
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "method": [StrOptions({"spearman", "pearson"})],
        "keep": [StrOptions({"relevance", "random"})],
        "random_state": ["random_state"],
    }

    def __init__(self, threshold=0.9, method="spearman", keep="relevance", random_state=None):
        self.threshold = threshold
        self.method = method
        self.keep = keep
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Compute the correlations and prune the redundant features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Binary outcome, used for the relevance of each feature.

        Returns
        -------
        self
        """
        X, y01, names = self._validate_training_data(X, y)
        rng = check_random_state(self.random_state)

        standardised = standardised_rows(X, self.method)
        outcome = standardised_rows(y01.reshape(-1, 1).astype(np.float64), self.method)[0]
        relevance = np.abs(standardised @ outcome / X.shape[0])
        rounded_relevance = np.round(relevance, _COMPARE_DECIMALS)
        first, second, rho, strength = correlated_pairs(standardised, self.threshold)
        del standardised
        # Decreasing |rho|, ties by the first and then the second column's position.
        order = np.lexsort((second, first, -strength))
        support = np.ones(len(names), dtype=bool)
        dropped, kept, drop_rho = [], [], []
        for i, j, pair_rho in zip(first[order], second[order], rho[order]):
            if not (support[i] and support[j]):
                continue
            if self.keep == "random":
                loser = i if rng.random_sample() < 0.5 else j
            else:
                loser = i if rounded_relevance[i] < rounded_relevance[j] else j
            support[loser] = False
            dropped.append(loser)
            kept.append(j if loser == i else i)
            drop_rho.append(pair_rho)

        self.relevance_ = pd.Series(relevance, index=names)
        self.dropped_because_ = pd.DataFrame(
            {"kept": [names[k] for k in kept], "rho": np.asarray(drop_rho, dtype=np.float64)},
            index=pd.Index([names[d] for d in dropped]),
        )
        self._set_support(support, f"|{self.method} rho| <= {self.threshold}")
        return self

    def describe_method(self, *, class_counts=None, kept_range=None) -> str:
        kept = (
            "the one more strongly associated with the outcome was kept"
            if self.keep == "relevance"
            else "one, chosen at random, was kept"
        )
        return (
            f"Redundancy: of every pair of features with |{self.method.capitalize()} rho| > {self.threshold}, "
            f"{kept}."
        )
