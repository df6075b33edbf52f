"""The extraction manifest: which image and mask make up each case and block.

One row per delineation::

    case_id,block,image,mask,label,reader
    P001,DCE,P001/dce.nrrd,P001/dce_roi.nrrd,1,R1
    P001,T2,P001/t2.nrrd,P001/dce_roi.nrrd,1,R1
    P001,DCE,P001/dce.nrrd,P001/dce_roi_reader2.nrrd,1,R2

``label`` (the mask value of the lesion -- not the outcome, which goes in a
separate labels table) and ``reader`` (who drew the mask, for repeated
delineations) are optional. So is ``block`` for a single modality: every row
is then block ``radiomics``. A PyRadiomics batch file (``ID,Image,Mask`` and
optionally ``Label``) is read as it is.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .._validation import preview

REQUIRED_COLUMNS = ("case_id", "block", "image", "mask")
OPTIONAL_COLUMNS = ("label", "reader")
DEFAULT_READER = "R1"
#: Block of every row of a manifest without a ``block`` column (one modality).
DEFAULT_BLOCK = "radiomics"
#: Other spellings of the columns, case-insensitive: PyRadiomics' batch file uses ``ID,Image,Mask,Label``.
COLUMN_ALIASES = {
    "case_id": ("id", "case", "patient", "patient_id", "caseid"),
    "image": ("image",),
    "mask": ("mask", "segmentation"),
    "label": ("label", "mask_label"),
    "block": ("block", "modality"),
    "reader": ("reader",),
}
_STEP = "read_manifest"


def read_manifest(manifest, *, base_dir=None) -> pd.DataFrame:
    """Read and validate an extraction manifest.

    Parameters
    ----------
    manifest : str, path-like or DataFrame
        A CSV file or a table with columns ``case_id``, ``image``, ``mask``
        and optionally ``block`` (default ``"radiomics"``: one modality),
        ``label`` (the lesion's mask value, not the outcome) and ``reader``.
        PyRadiomics' batch spellings (``ID``, ``Image``, ``Mask``, ``Label``)
        and the aliases of :data:`COLUMN_ALIASES` are accepted. Images and
        masks are anything SimpleITK reads: NRRD, NIfTI, MHA, or a folder
        holding one DICOM series. Other columns are kept untouched.
    base_dir : str or path-like, optional
        Folder against which relative ``image`` and ``mask`` paths are
        resolved. Defaults to the CSV's own folder, or to the working
        directory for a DataFrame.

    Returns
    -------
    DataFrame
        One row per delineation with ``case_id``, ``block`` and ``reader`` as
        strings, absolute ``image`` and ``mask`` paths and ``label`` as a
        nullable integer (missing means "the ``label`` setting, 1 by default").
        Without a ``reader`` column every row gets reader ``"R1"``.

    Raises
    ------
    ValueError
        On missing columns or values, a block name containing ``"__"`` (it
        separates block and feature in column names), a label that is not a
        positive integer, a repeated ``(case_id, block, reader)`` row, or a
        ``(case_id, block)`` pair that lacks the first-listed (primary) reader.

    Examples
    --------
    >>> import pandas as pd
    >>> from radfuse.extract import read_manifest
    >>> table = pd.DataFrame({"case_id": ["P1", "P1"], "block": ["DCE", "T2"],
    ...                       "image": ["p1_dce.nrrd", "p1_t2.nrrd"],
    ...                       "mask": ["p1_roi.nrrd", "p1_roi.nrrd"]})
    >>> read_manifest(table, base_dir="/data")[["case_id", "block", "reader", "image"]]
      case_id block reader              image
    0      P1   DCE     R1  /data/p1_dce.nrrd
    1      P1    T2     R1   /data/p1_t2.nrrd

    A PyRadiomics batch table of one modality:

    >>> batch = pd.DataFrame({"ID": ["P1", "P2"], "Image": ["p1.nrrd", "p2.nrrd"],
    ...                       "Mask": ["p1_roi.nrrd", "p2_roi.nrrd"], "Label": [1, 2]})
    >>> read_manifest(batch, base_dir="/data")[["case_id", "block", "mask", "label"]]
      case_id      block               mask  label
    0      P1  radiomics  /data/p1_roi.nrrd      1
    1      P2  radiomics  /data/p2_roi.nrrd      2
    """
    if isinstance(manifest, pd.DataFrame):
        table = manifest.copy()
        folder = Path(base_dir) if base_dir is not None else Path.cwd()
    elif isinstance(manifest, (str, os.PathLike)):
        path = Path(manifest)
        if not path.is_file():
            raise FileNotFoundError(f"{_STEP}: manifest file {str(path)!r} does not exist.")
        header = pd.read_csv(path, nrows=0).columns
        text_columns = {"case_id", "block", "reader", *COLUMN_ALIASES["case_id"], *COLUMN_ALIASES["block"]}
        table = pd.read_csv(path, dtype={c: str for c in header if str(c).strip().lower() in text_columns})
        folder = Path(base_dir) if base_dir is not None else path.resolve().parent
    else:
        raise TypeError(
            f"{_STEP}: manifest must be a CSV path or a DataFrame; got {type(manifest).__name__}."
        )
    table = _canonical_columns(table.reset_index(drop=True))
    block_defaulted = "block" not in table.columns
    if block_defaulted:
        table["block"] = DEFAULT_BLOCK
    _check_columns(table)
    if "reader" not in table.columns:
        table["reader"] = DEFAULT_READER
    _check_complete(table, [*REQUIRED_COLUMNS, "reader"])
    for column in ("case_id", "block", "reader"):
        table[column] = table[column].astype(str).str.strip()
    _check_block_names(table)
    table["label"] = _labels(table)
    for column in ("image", "mask"):
        table[column] = [os.path.abspath(folder / str(value)) for value in table[column]]
    _check_unique(table, block_defaulted)
    _check_primary_reader(table)
    ordered = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]
    return table[ordered + [c for c in table.columns if c not in ordered]]


def primary_reader(manifest: pd.DataFrame) -> str:
    """The reader named first in a validated manifest; their masks fill the feature table.

    Examples
    --------
    >>> import pandas as pd
    >>> from radfuse.extract._manifest import primary_reader, read_manifest
    >>> table = pd.DataFrame({"case_id": ["P1", "P1"], "block": ["T2", "T2"],
    ...                       "image": ["t2.nrrd", "t2.nrrd"], "mask": ["a.nrrd", "b.nrrd"],
    ...                       "reader": ["R1", "R2"]})
    >>> primary_reader(read_manifest(table, base_dir="/data"))
    'R1'
    """
    return manifest["reader"].iloc[0]


def _canonical_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Rename other spellings (``ID``, ``Image``, ``Mask``, ``Label``...) to radfuse's column names."""
    renames = {}
    for canonical, aliases in COLUMN_ALIASES.items():
        if canonical in table.columns:
            continue
        matches = [column for column in table.columns if str(column).strip().lower() in aliases]
        if len(matches) > 1:
            raise ValueError(
                f"{_STEP}: columns {matches} could each be {canonical!r}; keep one or rename it {canonical!r}."
            )
        if matches:
            renames[matches[0]] = canonical
    return table.rename(columns=renames)


def _check_columns(table: pd.DataFrame) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
    if missing:
        raise ValueError(
            f"{_STEP}: the manifest lacks column(s) {preview(missing)}; it has "
            f"{preview(list(table.columns))}. Required: case_id (or ID), image, mask; optional: block "
            "(one modality when absent), label (the mask value of the lesion, not the outcome), reader."
        )
    if table.empty:
        raise ValueError(f"{_STEP}: the manifest has no rows.")


def _check_complete(table: pd.DataFrame, columns: list[str]) -> None:
    for column in columns:
        empty = table[column].isna() | (table[column].astype(str).str.strip() == "")
        if empty.any():
            raise ValueError(
                f"{_STEP}: column {column!r} is empty in manifest row(s) "
                f"{preview(table.index[empty].tolist())} (0-based). Fill them or remove the rows."
            )


def _check_block_names(table: pd.DataFrame) -> None:
    bad = sorted({block for block in table["block"] if "__" in block})
    if bad:
        raise ValueError(
            f"{_STEP}: block name(s) {preview(bad)} contain '__', which separates block "
            "and feature in column names. Rename the blocks."
        )


def _labels(table: pd.DataFrame) -> pd.Series:
    if "label" not in table.columns:
        return pd.Series(pd.NA, index=table.index, dtype="Int64")
    numeric = pd.to_numeric(table["label"], errors="coerce")
    given = table["label"].notna()
    bad = given & ~((numeric > 0) & (numeric == numeric.round()))
    if bad.any():
        raise ValueError(
            f"{_STEP}: label must be a positive integer mask value (the voxel value of the lesion in "
            f"the mask, not the outcome); manifest row(s) {preview(table.index[bad].tolist())} hold "
            f"{preview(table.loc[bad, 'label'].tolist())}. Outcomes go in a separate labels table."
        )
    return numeric.astype("Int64")


def _check_unique(table: pd.DataFrame, block_defaulted: bool) -> None:
    keys = ["case_id", "block", "reader"]
    repeated = table.duplicated(keys, keep=False)
    if repeated.any():
        pairs = table.loc[repeated, keys].drop_duplicates().itertuples(index=False, name=None)
        raise ValueError(
            f"{_STEP}: (case_id, block, reader) must be unique; repeated: {preview(list(pairs))}. "
            + (
                "The manifest has no block column, so every row is one modality; add a block column "
                "naming each row's modality, or distinct reader names for repeated delineations."
                if block_defaulted
                else "Give repeated delineations distinct reader names."
            )
        )


def _check_primary_reader(table: pd.DataFrame) -> None:
    reader = primary_reader(table)
    primary = table["reader"] == reader
    covered = set(zip(table.loc[primary, "case_id"], table.loc[primary, "block"]))
    pairs = dict.fromkeys(zip(table["case_id"], table["block"]))
    lacking = [pair for pair in pairs if pair not in covered]
    if lacking:
        raise ValueError(
            f"{_STEP}: the primary reader {reader!r} (named first in the manifest) has no row "
            f"for (case_id, block) {preview(lacking)}. "
            "Every case and block needs a primary delineation; other readers may cover a subset."
        )
