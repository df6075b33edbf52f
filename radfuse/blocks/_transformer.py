"""``BlockTransformer``: one transformer or pipeline per feature block."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral

import pandas as pd
from sklearn.base import TransformerMixin, _fit_context, clone
from sklearn.compose import ColumnTransformer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._composition import BlockComposition
from ._naming import SEPARATOR, block_columns


def _clone_unless_keyword(estimator):
    return estimator if isinstance(estimator, str) else clone(estimator)


def _block_feature_name(transformer_name: str, feature_name: str) -> str:
    """Output name of ``feature_name`` produced by the transformer of a block.

    A feature already prefixed with its block (a selector keeps
    ``US__glcm_Contrast``) keeps its name; a new one (``pca0``) gets the block
    prefix; passed-through columns keep theirs.
    """
    if transformer_name == "remainder" or feature_name.startswith(transformer_name + SEPARATOR):
        return feature_name
    return f"{transformer_name}{SEPARATOR}{feature_name}"


class BlockTransformer(TransformerMixin, BlockComposition):
    """Apply one transformer or pipeline per feature block.

    A thin layer over scikit-learn's ``ColumnTransformer``: each block's
    columns (``<block>__*``) go to that block's transformer, ``y`` is passed on
    to every ``fit`` (so supervised selectors work), and output names stay
    block-prefixed: a PCA on block ``cnn_US`` yields ``cnn_US__pca0, ...``,
    a selector on block ``US`` keeps ``US__original_glcm_Contrast``. Being an
    estimator, it is fitted on the training folds only when placed in a
    pipeline that is cross-validated.

    Parameters
    ----------
    transformers : dict of str to estimator, "passthrough" or "drop"
        Block name to transformer (or pipeline). Tunable as
        ``transformers__<block>__<param>``. ``"passthrough"`` keeps the block
        unchanged, so ``BlockTransformer({"US": "passthrough"},
        remainder="drop")`` selects one block inside a pipeline.
    remainder : {"passthrough", "drop"}, default="passthrough"
        What happens to columns of other blocks (and unprefixed columns):
        kept unchanged with their names, or dropped.
    n_jobs : int, default=None
        Blocks fitted in parallel through joblib.

    Attributes
    ----------
    column_transformer_ : ColumnTransformer
        The fitted ``ColumnTransformer`` doing the work.
    block_columns_ : dict of str to list of str
        Input columns of each transformed block.
    feature_names_in_, n_features_in_ : as in scikit-learn.

    References
    ----------
    scikit-learn ``ColumnTransformer``:
    https://scikit-learn.org/stable/modules/compose.html#column-transformer;
    F. Pedregosa et al., "Scikit-learn: Machine Learning in Python", Journal
    of Machine Learning Research 12, 2825-2830 (2011).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.decomposition import PCA
    >>> from radfuse.blocks import BlockTransformer, as_block
    >>> rng = np.random.default_rng(0)
    >>> table = pd.concat(
    ...     [as_block(pd.DataFrame(rng.random((20, 6))).add_prefix("f"), "cnn_US"),
    ...      as_block(pd.DataFrame(rng.random((20, 2))).add_prefix("f"), "US")], axis=1)
    >>> reducer = BlockTransformer({"cnn_US": PCA(n_components=2)}).set_output(transform="pandas")
    >>> reducer.fit_transform(table).columns.tolist()
    ['cnn_US__pca0', 'cnn_US__pca1', 'US__f0', 'US__f1']
    """

    _estimators_attr = "transformers"
    _parameter_constraints: dict = {
        "transformers": [Mapping],
        "remainder": [StrOptions({"passthrough", "drop"})],
        "n_jobs": [None, Integral],
    }

    def __init__(self, transformers, *, remainder="passthrough", n_jobs=None):
        self.transformers = transformers
        self.remainder = remainder
        self.n_jobs = n_jobs

    def _build(self, X) -> ColumnTransformer:
        step = type(self).__name__
        transformers = self._check_estimator_mapping(keywords=("passthrough", "drop"))
        if "remainder" in transformers:
            raise ValueError(f"{step}: 'remainder' is reserved and cannot name a block.")
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                f"{step}: X must be a DataFrame with '<block>__<feature>' columns so blocks "
                f"can be found by name; got {type(X).__name__}."
            )
        self.block_columns_ = {
            block: block_columns(X, block) for block in transformers
        }
        return ColumnTransformer(
            [
                (block, _clone_unless_keyword(estimator), self.block_columns_[block])
                for block, estimator in transformers.items()
            ],
            remainder=self.remainder,
            n_jobs=self.n_jobs,
            verbose_feature_names_out=_block_feature_name,
        )

    @_fit_context(prefer_skip_nested_validation=False)  # the blocks' transformers are validated too
    def fit(self, X, y=None):
        """Fit each block's transformer on its columns (``y`` passed on); return self."""
        self.fit_transform(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Fit as :meth:`fit` and return the transformed, block-prefixed table."""
        validate_data(self, X, skip_check_array=True)
        self.column_transformer_ = self._build(X)
        return self.column_transformer_.fit_transform(X, y)

    def transform(self, X):
        """Transform each block with its fitted transformer; other blocks per ``remainder``."""
        check_is_fitted(self, "column_transformer_")
        validate_data(self, X, skip_check_array=True, reset=False)
        return self.column_transformer_.transform(X)

    def get_feature_names_out(self, input_features=None):
        """Block-prefixed output column names, e.g. ``cnn_US__pca0``."""
        check_is_fitted(self, "column_transformer_")
        return self.column_transformer_.get_feature_names_out(input_features)
