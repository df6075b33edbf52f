"""Feature-selection transformers of the radiomics protocol.

Each is a scikit-learn ``SelectorMixin`` transformer: it accepts numpy or
pandas input, keeps column names (``get_feature_names_out``,
``set_output(transform="pandas")``), composes with imbalanced-learn's SMOTE
in a ``Pipeline``, and records why each feature was kept or dropped.

======================  ========================================================
``ICCFilter``           reproducibility between readers (intraclass correlation)
``reliability_filter``  the ICC filter applied once to a whole table, with
                        ``reliability_summary`` of its decisions
``UnivariateFilter``    t-test, Welch or Mann-Whitney per feature
``CorrelationPruner``   one feature of every highly correlated pair
``MRMRSelector``        minimum redundancy, maximum relevance
``LassoSelector``       non-zero LASSO coefficients at a cross-validated penalty
======================  ========================================================
"""

from ._correlation import CorrelationPruner, correlation_matrix
from ._icc import ICCFilter, reliability_filter, reliability_summary
from ._mrmr import MRMRSelector
from ._univariate import UnivariateFilter
from ._lasso import LassoSelector

__all__ = [
    "CorrelationPruner",
    "ICCFilter",
    "LassoSelector",
    "MRMRSelector",
    "UnivariateFilter",
    "correlation_matrix",
    "reliability_filter",
    "reliability_summary",
]
