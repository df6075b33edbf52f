"""Block naming: ``<block>__<feature>`` columns, listing, selecting and joining blocks."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._validation import preview

SEPARATOR = "__"


def _columns_of(table_or_columns) -> list[str]:
    columns = getattr(table_or_columns, "columns", table_or_columns)
    return [str(column) for column in columns]


def block_of(column: str) -> str | None:
    block, separator, _ = column.partition(SEPARATOR)
    return block if separator and block else None


def check_block_name(name, *, step: str) -> str:
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
    >>> from radfuse.blocks import list_blocks
    >>> list_blocks(["US__mean", "US__entropy", "cnn_US__f0000", "age"])
    ['US', 'cnn_US']
    """
    blocks = (block_of(column) for column in _columns_of(table_or_columns))
    return list(dict.fromkeys(block for block in blocks if block is not None))


def block_columns(table_or_columns, block: str) -> list[str]:
    """Names of the columns that belong to ``block``.

    Raises ``ValueError`` naming the blocks that do exist when ``block`` has no
    column.

    Examples
    --------
    >>> from radfuse.blocks import block_columns
    >>> block_columns(["US__mean", "MG__mean", "US__entropy"], "US")
    ['US__mean', 'US__entropy']
    """
    return block_members(_columns_of(table_or_columns), block, step="block_columns")


def block_members(columns: list[str], block: str, *, step: str) -> list[str]:
    selected = [column for column in columns if block_of(column) == block]
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
    >>> import pandas as pd
    >>> from radfuse.blocks import select_block
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
    >>> import pandas as pd
    >>> from radfuse.blocks import as_block
    >>> table = pd.DataFrame({"original_firstorder_Mean": [1.0, 2.0]}, index=["c1", "c2"])
    >>> as_block(table, "US").columns.tolist()
    ['US__original_firstorder_Mean']
    """
    check_block_name(block, step="as_block")
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
    foreign = [column for column in columns if block_of(column) != block]
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
    >>> import pandas as pd
    >>> from radfuse.blocks import join_blocks
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
        check_block_name(block, step=step)
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
