"""Precomputed CNN embeddings (``.csv``, ``.parquet`` or ``.npy`` with ids) loaded as a feature block."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import preview
from ._naming import SEPARATOR, check_block_name


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
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from radfuse.blocks import load_embeddings
    >>> folder = tempfile.mkdtemp()
    >>> np.save(os.path.join(folder, "us.npy"), np.array([[0.0, 1.5], [2.0, 0.0]]))
    >>> _ = Path(folder, "ids.txt").write_text("case_1\\ncase_2\\n")
    >>> embeddings = load_embeddings(os.path.join(folder, "us.npy"), "cnn_US",
    ...                              ids_path=os.path.join(folder, "ids.txt"))
    >>> embeddings.columns.tolist(), embeddings.index.tolist()
    (['cnn_US__f0000', 'cnn_US__f0001'], ['case_1', 'case_2'])
    """
    step = "load_embeddings"
    check_block_name(block, step=step)
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
