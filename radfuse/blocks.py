"""Feature tables made of blocks: ``<block>__<feature>`` columns.

A multimodal radiomics table has one row per case and one column per feature,
each column named ``<block>__<feature>`` where the block is a modality or a
feature family (``US``, ``MG_CC``, ``DCE``, ``cnn_DCE``, ...). The name is split
at the *first* ``"__"``, so ``DCE__original_glcm_Contrast`` belongs to block
``DCE`` and ``cnn_US__f0042`` to block ``cnn_US``. This is the same separator
scikit-learn's ``ColumnTransformer`` uses for its output names, which is what
lets :class:`BlockTransformer` keep block-prefixed names through a pipeline.

Helpers here list and select blocks, turn plain tables into blocks, join
per-block tables on the case id, load precomputed CNN embeddings, and apply
one transformer per block.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import preview

SEPARATOR = "__"

__all__ = [
    "SEPARATOR",
    "BlockTransformer",
    "as_block",
    "block_columns",
    "join_blocks",
    "list_blocks",
    "load_embeddings",
    "select_block",
]


def _columns_of(table_or_columns) -> list[str]:
    columns = getattr(table_or_columns, "columns", table_or_columns)
    return [str(column) for column in columns]


def _block_of(column: str) -> str | None:
    block, separator, _ = column.partition(SEPARATOR)
    return block if separator and block else None


def _check_block_name(name, *, step: str) -> str:
    """A block name is a non-empty string without the ``"__"`` separator."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"{step}: block names must be non-empty strings; got {name!r}.")
    if SEPARATOR in name:
        raise ValueError(
            f"{step}: block name {name!r} contains {SEPARATOR!r}, which separates the "
            "block from the feature name; use a single underscore instead."
        )
    return name


def list_blocks(table_or_columns) -> list[str]:
    """Blocks present in a table, in order of first appearance.

    Parameters
    ----------
    table_or_columns : DataFrame or sequence of str
        A feature table or its column names.

    Returns
    -------
    list of str
        Block names. Columns without ``"__"`` belong to no block and are not
        listed.

    Examples
    --------
    >>> list_blocks(["US__mean", "US__entropy", "cnn_US__f0000", "age"])
    ['US', 'cnn_US']
    """
    blocks = (_block_of(column) for column in _columns_of(table_or_columns))
    return list(dict.fromkeys(block for block in blocks if block is not None))


def block_columns(table_or_columns, block: str) -> list[str]:
    """Names of the columns that belong to ``block``.

    Raises ``ValueError`` naming the blocks that do exist when ``block`` has no
    column.

    Examples
    --------
    >>> block_columns(["US__mean", "MG__mean", "US__entropy"], "US")
    ['US__mean', 'US__entropy']
    """
    return _members(_columns_of(table_or_columns), block, step="block_columns")


def _members(columns: list[str], block: str, *, step: str) -> list[str]:
    selected = [column for column in columns if _block_of(column) == block]
    if not selected:
        raise ValueError(
            f"{step}: no column belongs to block {block!r} (no name starts with "
            f"{block + SEPARATOR!r}); blocks present: {preview(list_blocks(columns))}."
        )
    return selected


def select_block(table: pd.DataFrame, block: str) -> pd.DataFrame:
    """The sub-table of one block, names unchanged.

    Examples
    --------
    >>> table = pd.DataFrame({"US__mean": [1.0], "MG__mean": [2.0]}, index=["case_1"])
    >>> select_block(table, "MG")
            MG__mean
    case_1       2.0
    """
    return table.loc[:, block_columns(table, block)]


def as_block(table: pd.DataFrame, block: str) -> pd.DataFrame:
    """Rename a plain feature table into block ``block``.

    Every column ``c`` becomes ``<block>__c``. A column that already contains
    ``"__"`` is rejected: prefixing it again would make the block ambiguous to a
    reader even though the first ``"__"`` still decides.

    Examples
    --------
    >>> table = pd.DataFrame({"original_firstorder_Mean": [1.0, 2.0]}, index=["c1", "c2"])
    >>> as_block(table, "US").columns.tolist()
    ['US__original_firstorder_Mean']
    """
    _check_block_name(block, step="as_block")
    prefixed = [column for column in _columns_of(table) if SEPARATOR in column]
    if prefixed:
        raise ValueError(
            f"as_block: {len(prefixed)} column(s) already contain {SEPARATOR!r} "
            f"{preview(prefixed)}; the table already carries block prefixes. Use it as "
            "it is, or strip the prefixes before calling as_block."
        )
    return table.set_axis([f"{block}{SEPARATOR}{column}" for column in table.columns], axis=1)


def _as_named_block(table, block: str, step: str) -> pd.DataFrame:
    """Prefix a plain table, or accept one whose columns all carry ``block``."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"{step}: the table for block {block!r} must be a pandas DataFrame indexed "
            f"by case id; got {type(table).__name__}."
        )
    columns = _columns_of(table)
    if not any(SEPARATOR in column for column in columns):
        return as_block(table, block)
    foreign = [column for column in columns if _block_of(column) != block]
    if foreign:
        raise ValueError(
            f"{step}: the table given for block {block!r} has column(s) that do not "
            f"start with {block + SEPARATOR!r}: {preview(foreign)}. Give plain feature "
            "names (they are prefixed for you) or names all prefixed with this block."
        )
    return table


def _check_case_index(table: pd.DataFrame, block: str, step: str) -> None:
    missing = pd.isna(table.index)
    if missing.any():
        raise ValueError(
            f"{step}: block {block!r} has {missing.sum()} row(s) without a case id; every "
            "row must be indexed by its case id."
        )
    duplicated = table.index[table.index.duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(
            f"{step}: block {block!r} lists case id(s) {preview(duplicated)} more than "
            "once; keep one row per case (e.g. average repeated measurements first)."
        )


def _check_unique_columns(table: pd.DataFrame, block: str, step: str) -> None:
    duplicated = table.columns[table.columns.duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(
            f"{step}: column name(s) {preview(duplicated)} occur more than once in block "
            f"{block!r}; rename them so every feature has a unique name."
        )


def join_blocks(
    tables: Mapping[str, pd.DataFrame], how: str = "error", return_dropped: bool = False
):
    """Join per-block tables into one case-indexed feature table.

    Each table is indexed by case id. Plain columns are prefixed with the
    block name (``radius`` in block ``US`` becomes ``US__radius``); columns
    already named ``<block>__...`` for their own block are kept.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Block name to that block's table, in the column order wanted.
    how : {"error", "inner"}, default="error"
        What to do with cases absent from some blocks. ``"error"`` raises,
        naming them; ``"inner"`` keeps the cases present in every block and
        emits a ``UserWarning`` naming the dropped ones.
    return_dropped : bool, default=False
        Also return the record of dropped cases.

    Returns
    -------
    table : DataFrame
        One row per case (in the order of the first table), columns of all
        blocks side by side.
    dropped : DataFrame
        Only when ``return_dropped=True``: one row per dropped case, one
        boolean column per block telling whether the case was present there.
        Empty when no case was dropped.

    Examples
    --------
    >>> us = pd.DataFrame({"mean": [1.0, 2.0, 3.0]}, index=["c1", "c2", "c3"])
    >>> mg = pd.DataFrame({"mean": [4.0, 5.0]}, index=["c1", "c2"])
    >>> table, dropped = join_blocks({"US": us, "MG": mg}, how="inner", return_dropped=True)
    >>> table
        US__mean  MG__mean
    c1       1.0       4.0
    c2       2.0       5.0
    >>> dropped
          US     MG
    c3  True  False
    """
    step = "join_blocks"
    if how not in ("error", "inner"):
        raise ValueError(f"{step}: how must be 'error' or 'inner'; got {how!r}.")
    if not isinstance(tables, Mapping) or not tables:
        raise TypeError(f"{step}: pass a non-empty mapping {{block name: DataFrame}}.")
    blocks = {}
    for block, table in tables.items():
        _check_block_name(block, step=step)
        table = _as_named_block(table, block, step)
        _check_case_index(table, block, step)
        _check_unique_columns(table, block, step)
        blocks[block] = table

    all_cases = pd.Index(pd.unique(np.concatenate([t.index.to_numpy() for t in blocks.values()])))
    presence = pd.DataFrame(
        {block: all_cases.isin(table.index) for block, table in blocks.items()}, index=all_cases
    )
    incomplete = presence.index[~presence.all(axis=1)]
    if len(incomplete) and how == "error":
        details = "; ".join(
            f"{block}: {preview(presence.index[~presence[block]].tolist())}"
            for block in presence.columns
            if not presence[block].all()
        )
        raise ValueError(
            f"{step}: {len(incomplete)} case(s) are missing from some blocks ({details}). "
            "Fix the tables, or pass how='inner' to keep only complete cases."
        )
    if len(incomplete):
        warnings.warn(
            f"{step}: dropped {len(incomplete)} case(s) not present in every block: "
            f"{preview(incomplete.tolist())}.",
            UserWarning,
            stacklevel=2,
        )
    first = next(iter(blocks.values()))
    complete = first.index[first.index.isin(presence.index[presence.all(axis=1)])]
    joined = pd.concat([table.loc[complete] for table in blocks.values()], axis=1)
    joined.index.name = first.index.name
    if return_dropped:
        return joined, presence.loc[incomplete]
    return joined


def _read_ids(ids_path: Path, id_column: str) -> np.ndarray:
    if ids_path.suffix.lower() == ".csv":
        ids = pd.read_csv(ids_path, dtype={id_column: str})
        if id_column not in ids.columns:
            raise ValueError(
                f"load_embeddings: ids file {ids_path} has no column {id_column!r}; "
                f"columns: {preview(ids.columns.tolist())}."
            )
        return ids[id_column].to_numpy(dtype=object)
    lines = ids_path.read_text(encoding="utf-8").splitlines()
    return np.array([line.strip() for line in lines if line.strip()], dtype=object)


def _read_embedding_file(path: Path, id_column: str, ids_path):
    """Case ids, values and dimension names (None for ``.npy``, whose columns are unnamed)."""
    suffix = path.suffix.lower()
    if suffix == ".npy":
        if ids_path is None:
            raise ValueError(
                f"load_embeddings: {path} is a .npy array without case ids; pass ids_path "
                "(a text file with one case id per line, or a CSV with the id column)."
            )
        values = np.load(path, allow_pickle=False)
        ids = _read_ids(Path(ids_path), id_column)
        if values.ndim != 2:
            raise ValueError(
                f"load_embeddings: {path} holds an array of shape {values.shape}; expected "
                "a 2-D array (cases x embedding dimensions)."
            )
        if len(ids) != values.shape[0]:
            raise ValueError(
                f"load_embeddings: {path} has {values.shape[0]} rows but {ids_path} lists "
                f"{len(ids)} case ids; they must describe the same cases in the same order."
            )
        return ids, values, None
    if suffix in (".csv", ".parquet", ".pq"):
        if suffix == ".csv":
            table = pd.read_csv(path, dtype={id_column: str})
        else:
            table = pd.read_parquet(path)
        if id_column not in table.columns:
            raise ValueError(
                f"load_embeddings: {path} has no id column {id_column!r}; columns start "
                f"with {preview(table.columns.tolist(), limit=5)}. Pass id_column=..."
            )
        features = table.drop(columns=id_column)
        non_numeric = features.columns[~features.dtypes.map(pd.api.types.is_numeric_dtype)]
        if len(non_numeric):
            raise ValueError(
                f"load_embeddings: {path} has non-numeric column(s) "
                f"{preview(non_numeric.tolist())}; an embedding file holds the id column "
                "and numeric dimensions only."
            )
        return (
            table[id_column].to_numpy(dtype=object),
            features.to_numpy(dtype=np.float64),
            [str(name) for name in features.columns],
        )
    raise ValueError(
        f"load_embeddings: cannot read {path}: use .csv, .parquet or .npy (with ids_path)."
    )


def _align_dimensions(values, names, reference_names, path, reference_path) -> np.ndarray:
    """Reorder a batch's columns to the first batch's by name (files may list them in any order)."""
    if names == reference_names:
        return values
    missing = [name for name in reference_names if name not in set(names)]
    extra = [name for name in names if name not in set(reference_names)]
    if missing or extra:
        raise ValueError(
            f"load_embeddings: {path} and {reference_path} name different dimensions: "
            f"{len(missing)} missing {preview(missing, limit=5)}, {len(extra)} extra "
            f"{preview(extra, limit=5)}; all files of a block must come from the same layer."
        )
    position = {name: i for i, name in enumerate(names)}
    return values[:, [position[name] for name in reference_names]]


def _as_path_list(paths) -> list:
    if paths is None or isinstance(paths, (str, Path)):
        return [paths]
    return list(paths)


def load_embeddings(
    path,
    block: str,
    id_column: str = "case_id",
    ids_path=None,
    expected_dim: int | None = None,
    known_ids: Iterable | None = None,
) -> pd.DataFrame:
    """Load precomputed CNN embeddings as a feature block.

    Parameters
    ----------
    path : path or sequence of paths
        ``.csv`` or ``.parquet`` tables with an id column and one numeric
        column per dimension, or ``.npy`` arrays (cases x dimensions) with
        their case ids in ``ids_path``. Several files (e.g. one per batch) are
        stacked and must share the dimensionality; table files are matched
        by column name (a batch listing its dimensions in another order is
        reordered; different names are an error), ``.npy`` files by position.
    block : str
        Block name, e.g. ``"cnn_US"``. Columns are named
        ``<block>__f0000, <block>__f0001, ...`` in file order.
    id_column : str, default="case_id"
        Case-id column of CSV/Parquet files (and of a CSV ids file); also the
        name of the returned index. Ids from CSV and text files are read as
        strings, so ``"0042"`` stays ``"0042"``.
    ids_path : path or sequence of paths, optional
        For ``.npy`` files: a text file with one case id per line, or a CSV
        with ``id_column``; one per ``.npy`` file.
    expected_dim : int, optional
        Required dimensionality (e.g. 2048 for ResNet-50 average pooling).
    known_ids : iterable, optional
        The cohort's case ids; an embedding for any other id is an error.

    Returns
    -------
    DataFrame
        One row per case, indexed by ``id_column``.

    Raises
    ------
    ValueError
        Files of different dimensionality or not ``expected_dim``; NaN or
        infinite values (the cases are named); duplicated ids; ids not in
        ``known_ids``; an unreadable format.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> np.save(os.path.join(folder, "us.npy"), np.array([[0.0, 1.5], [2.0, 0.0]]))
    >>> _ = Path(folder, "ids.txt").write_text("case_1\\ncase_2\\n")
    >>> embeddings = load_embeddings(os.path.join(folder, "us.npy"), "cnn_US",
    ...                              ids_path=os.path.join(folder, "ids.txt"))
    >>> embeddings.columns.tolist(), embeddings.index.tolist()
    (['cnn_US__f0000', 'cnn_US__f0001'], ['case_1', 'case_2'])
    """
    step = "load_embeddings"
    _check_block_name(block, step=step)
    paths = [Path(p) for p in _as_path_list(path)]
    ids_paths = _as_path_list(ids_path)
    if ids_path is not None and len(ids_paths) != len(paths):
        raise ValueError(
            f"{step}: got {len(paths)} embedding file(s) but {len(ids_paths)} ids file(s); "
            "give one ids file per .npy file."
        )
    if ids_path is None:
        ids_paths = [None] * len(paths)

    ids_parts, value_parts, reference_names = [], [], None
    for file_path, file_ids_path in zip(paths, ids_paths):
        ids, values, names = _read_embedding_file(file_path, id_column, file_ids_path)
        if reference_names is None:
            reference_names = names
        elif names is not None:
            values = _align_dimensions(values, names, reference_names, file_path, paths[0])
        if value_parts and values.shape[1] != value_parts[0].shape[1]:
            raise ValueError(
                f"{step}: {file_path} has {values.shape[1]} dimensions but {paths[0]} has "
                f"{value_parts[0].shape[1]}; all files of block {block!r} must come from the "
                "same network layer."
            )
        ids_parts.append(ids)
        value_parts.append(values.astype(np.float64, copy=False))
    ids = np.concatenate(ids_parts)
    values = np.vstack(value_parts)

    if expected_dim is not None and values.shape[1] != expected_dim:
        raise ValueError(
            f"{step}: block {block!r} has {values.shape[1]} dimensions, expected "
            f"{expected_dim}."
        )
    bad_rows = ~np.isfinite(values).all(axis=1)
    if bad_rows.any():
        raise ValueError(
            f"{step}: block {block!r} has NaN or inf values for case(s) "
            f"{preview(ids[bad_rows].tolist())}; re-extract these embeddings."
        )
    duplicated = pd.Index(ids)[pd.Index(ids).duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(
            f"{step}: block {block!r} has more than one embedding for case(s) "
            f"{preview(duplicated)}."
        )
    if known_ids is not None:
        unknown = pd.Index(ids).difference(pd.Index(list(known_ids)), sort=False).tolist()
        if unknown:
            raise ValueError(
                f"{step}: block {block!r} has embeddings for {len(unknown)} case id(s) not "
                f"in known_ids: {preview(unknown)}. Check the id format (e.g. zero padding)."
            )

    width = max(4, len(str(values.shape[1] - 1)))
    columns = [f"{block}{SEPARATOR}f{j:0{width}d}" for j in range(values.shape[1])]
    return pd.DataFrame(values, index=pd.Index(ids, name=id_column), columns=columns)


class _BlockComposition(BaseEstimator):
    """Parameter handling for estimators holding a ``{block: estimator}`` dict.

    scikit-learn's ``_BaseComposition`` does this for lists of ``(name,
    estimator)`` pairs; here the dict is stored untouched by ``__init__`` (so
    ``clone`` works) and exposed to ``get_params``/``set_params`` as
    ``<attr>__<block>`` and ``<attr>__<block>__<parameter>``, which is what
    ``GridSearchCV`` needs for names like ``blocks__US__clf__C``.
    """

    _estimators_attr: str

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        estimators = getattr(self, self._estimators_attr)
        if not deep or not isinstance(estimators, Mapping):
            return params
        for name, estimator in estimators.items():
            key = f"{self._estimators_attr}{SEPARATOR}{name}"
            params[key] = estimator
            if hasattr(estimator, "get_params") and not isinstance(estimator, type):
                for param, value in estimator.get_params(deep=True).items():
                    params[f"{key}{SEPARATOR}{param}"] = value
        return params

    def set_params(self, **params):
        attr = self._estimators_attr
        if attr in params:
            setattr(self, attr, params.pop(attr))
        prefix = attr + SEPARATOR
        nested = {
            key[len(prefix) :]: params.pop(key) for key in list(params) if key.startswith(prefix)
        }
        if nested:
            estimators = dict(getattr(self, attr))
            per_estimator = defaultdict(dict)
            for key, value in nested.items():
                name, _, param = key.partition(SEPARATOR)
                if name not in estimators:
                    raise ValueError(
                        f"{type(self).__name__}.set_params: no block named {name!r} in "
                        f"{attr}; blocks: {preview(list(estimators))}."
                    )
                if param:
                    per_estimator[name][param] = value
                else:
                    estimators[name] = value
            for name, block_params in per_estimator.items():
                estimators[name].set_params(**block_params)
            setattr(self, attr, estimators)
        return super().set_params(**params)

    def _check_estimator_mapping(self, keywords: tuple[str, ...] = ()) -> dict:
        """Validate the dict; ``keywords`` are strings accepted instead of an estimator."""
        step = type(self).__name__
        estimators = getattr(self, self._estimators_attr)
        if not isinstance(estimators, Mapping) or not estimators:
            raise TypeError(
                f"{step}: {self._estimators_attr} must be a non-empty dict "
                f"{{block name: estimator}}; got {estimators!r}."
            )
        for name, estimator in estimators.items():
            _check_block_name(name, step=step)
            if isinstance(estimator, type):
                raise TypeError(
                    f"{step}: block {name!r} needs an estimator instance "
                    f"({estimator.__name__}()), not the class."
                )
            if isinstance(estimator, str) and estimator in keywords:
                continue
            if not hasattr(estimator, "fit"):
                accepted = " or ".join(["an estimator", *map(repr, keywords)])
                raise TypeError(
                    f"{step}: block {name!r} maps to {estimator!r}; expected {accepted}."
                )
        return dict(estimators)


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


class BlockTransformer(TransformerMixin, _BlockComposition):
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
    >>> from sklearn.decomposition import PCA
    >>> rng = np.random.default_rng(0)
    >>> table = pd.concat(
    ...     [as_block(pd.DataFrame(rng.random((20, 6))).add_prefix("f"), "cnn_US"),
    ...      as_block(pd.DataFrame(rng.random((20, 2))).add_prefix("f"), "US")], axis=1)
    >>> reducer = BlockTransformer({"cnn_US": PCA(n_components=2)}).set_output(transform="pandas")
    >>> reducer.fit_transform(table).columns.tolist()
    ['cnn_US__pca0', 'cnn_US__pca1', 'US__f0', 'US__f1']
    """

    _estimators_attr = "transformers"

    def __init__(self, transformers, *, remainder="passthrough", n_jobs=None):
        self.transformers = transformers
        self.remainder = remainder
        self.n_jobs = n_jobs

    def _build(self, X) -> ColumnTransformer:
        step = type(self).__name__
        transformers = self._check_estimator_mapping(keywords=("passthrough", "drop"))
        if "remainder" in transformers:
            raise ValueError(f"{step}: 'remainder' is reserved and cannot name a block.")
        if self.remainder not in ("passthrough", "drop"):
            raise ValueError(
                f"{step}: remainder must be 'passthrough' or 'drop'; got {self.remainder!r}."
            )
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

    def fit(self, X, y=None):
        """Fit each block's transformer on its columns (``y`` passed on); return self."""
        self.fit_transform(X, y)
        return self

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


def _block_indices(columns: Sequence[str], blocks: Iterable[str], overrides=None, *, step: str):
    """Integer positions of each block's columns.

    ``overrides`` maps a block to explicit column names or integer positions
    and replaces the ``<block>__`` prefix rule for that block.
    """
    columns = list(columns)
    position = {name: i for i, name in enumerate(columns)}
    indices = {}
    for block in blocks:
        if overrides is None:
            indices[block] = np.array([position[c] for c in _members(columns, block, step=step)])
            continue
        spec = list(overrides[block])
        if not spec:
            raise ValueError(f"{step}: block_columns[{block!r}] is empty.")
        if all(isinstance(item, (int, np.integer)) and not isinstance(item, bool) for item in spec):
            out_of_range = [item for item in spec if not -len(columns) <= item < len(columns)]
            if out_of_range:
                raise ValueError(
                    f"{step}: block_columns[{block!r}] refers to column position(s) "
                    f"{preview(out_of_range)}, but X has {len(columns)} feature(s)."
                )
            indices[block] = np.asarray(spec, dtype=np.intp) % len(columns)
        elif all(isinstance(item, str) for item in spec):
            unknown = [item for item in spec if item not in position]
            if unknown:
                raise ValueError(
                    f"{step}: block_columns[{block!r}] names column(s) {preview(unknown)} "
                    "that are not in X."
                )
            indices[block] = np.array([position[item] for item in spec])
        else:
            raise TypeError(
                f"{step}: block_columns[{block!r}] must list column names or integer "
                "positions, not a mix."
            )
    return indices
