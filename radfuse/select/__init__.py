"""Feature-selection transformers of the radiomics protocol.

Each is a scikit-learn ``SelectorMixin`` transformer: it accepts numpy or
pandas input, keeps column names (``get_feature_names_out``,
``set_output(transform="pandas")``), composes with imbalanced-learn's SMOTE
in a ``Pipeline``, and records why each feature was kept or dropped.
"""

from .correlation import CorrelationPruner, correlation_matrix
from .icc import ICCFilter
from .lasso import LassoSelector
from .mrmr import MRMRSelector
from .univariate import UnivariateFilter

__all__ = [
    "CorrelationPruner",
    "ICCFilter",
    "LassoSelector",
    "MRMRSelector",
    "UnivariateFilter",
    "correlation_matrix",
]
