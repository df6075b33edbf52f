"""``ExtractionResult``: the feature table, the failure report and provenance."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from .._files import TABLE_SUFFIXES, atomic_path, check_table_destination, read_csv_exact, sha256_of_file
from .._validation import preview

FAILURE_COLUMNS = ("case_id", "block", "reader", "kind", "reason")


class ExtractionResult:
    """What :func:`extract_features` returns.

    Attributes
    ----------
    features : DataFrame
        One row per case (index ``case_id``), columns ``<block>__<feature>``,
        from the primary reader (the reader named first in the manifest).
        By default (``complete_cases=False``) every case with at least one
        block extracted, its missing or failed blocks NaN in every column of
        the block; with ``complete_cases=True`` only cases whose every block
        was extracted.
    failures : DataFrame
        One row per failed work item: ``case_id``, ``block``, ``reader``,
        ``kind`` (missing_file, unreadable_file, block_missing,
        preprocessing_error, geometry_mismatch, empty_mask, label_absent,
        too_few_voxels, nan_in_mask, inconsistent_features, extraction_error)
        and ``reason``.
    work_items : DataFrame
        One row per work item with its ``status`` ("extracted", "cached",
        "recomputed" after a corrupt cache entry, or "failed"), wall-clock ``seconds`` and the SHA-256 of image and mask.
    provenance : dict
        Library versions, parameters and preprocessing per block, check
        thresholds, and every input file with its hashes.
    cases, blocks, readers : list of str
        As listed in the manifest, in order of first appearance.
    primary_reader : str
        The reader whose delineations fill ``features``.

    References
    ----------
    Lambin, P., Leijenaar, R. T. H., Deist, T. M., et al. (2017). Radiomics:
    the bridge between medical imaging and personalized medicine. Nature
    Reviews Clinical Oncology, 14(12), 749-762 (radiomics quality score:
    report the extraction settings, software and multiple segmentations).

    Examples
    --------
    >>> import tempfile
    >>> from radfuse.datasets import make_imaging_cohort
    >>> from radfuse.extract import extract_features
    >>> folder = tempfile.mkdtemp()
    >>> manifest, _ = make_imaging_cohort(folder, n_cases=3, modalities=("US",),
    ...                                   second_reader_fraction=1.0, random_state=0)
    >>> result = extract_features(manifest, params={"featureClass": {"firstorder": []}})
    >>> result
    ExtractionResult(cases=3/3, blocks=['US'], columns=18, failures=0, extracted=6, cached=0)
    >>> result.features.shape, len(result.failures)
    ((3, 18), 0)
    """

    def __init__(
        self,
        outcomes,
        *,
        cases,
        blocks,
        readers,
        delineated,
        provenance,
        include_diagnostics=False,
        complete_cases=False,
    ):
        self.cases = list(cases)
        self.blocks = list(blocks)
        self.readers = list(readers)
        self.primary_reader = self.readers[0]
        self._delineated = set(delineated)
        self._values = {
            (o.case_id, o.block, o.reader): o.values for o in outcomes if o.status != "failed"
        }
        self.failures = pd.DataFrame(
            [
                [o.case_id, o.block, o.reader, o.kind, o.reason]
                for o in outcomes
                if o.status == "failed"
            ],
            columns=list(FAILURE_COLUMNS),
        )
        self.work_items = pd.DataFrame(
            [
                {
                    "case_id": o.case_id,
                    "block": o.block,
                    "reader": o.reader,
                    "status": o.status,
                    "seconds": o.seconds,
                    "image_sha256": o.image_sha256,
                    "mask_sha256": o.mask_sha256,
                }
                for o in outcomes
            ]
        )
        self.provenance = provenance
        self.features = self._wide_table(
            self.primary_reader, self.blocks, diagnostics=include_diagnostics, complete=complete_cases
        )

    def __repr__(self) -> str:
        status = self.work_items["status"].value_counts() if len(self.work_items) else {}
        complete = sum(
            all((case, block, self.primary_reader) in self._values for block in self.blocks) for case in self.cases
        )
        return (
            f"ExtractionResult(cases={complete}/{len(self.cases)}, "
            f"blocks={self.blocks}, columns={self.features.shape[1]}, "
            f"failures={len(self.failures)}, extracted={int(status.get('extracted', 0))}, "
            f"cached={int(status.get('cached', 0))})"
        )

    def reader_tables(self, blocks=None) -> list[pd.DataFrame]:
        """Per-reader feature tables for an inter-reader reliability (ICC) filter.

        Parameters
        ----------
        blocks : list of str, optional
            Blocks to include; by default those every reader delineated.

        Returns
        -------
        list of DataFrame
            One table per reader, in manifest order, all with the same case
            index (the cases every reader delineated successfully in all the
            blocks) and the same ``<block>__<feature>`` columns.

        Raises
        ------
        ValueError
            With fewer than two readers, no block shared by all readers, or
            no case extracted for every reader.

        Examples
        --------
        >>> import tempfile
        >>> from radfuse.datasets import make_imaging_cohort
        >>> from radfuse.extract import extract_features
        >>> folder = tempfile.mkdtemp()
        >>> manifest, _ = make_imaging_cohort(folder, n_cases=3, modalities=("US",),
        ...                                   second_reader_fraction=1.0, random_state=0)
        >>> result = extract_features(manifest, params={"featureClass": {"firstorder": []}})
        >>> [table.shape for table in result.reader_tables()]
        [(3, 18), (3, 18)]
        """
        if len(self.readers) < 2:
            raise ValueError(
                f"reader_tables: the manifest names one reader ({self.primary_reader!r}); "
                "repeated delineations need a 'reader' column with two or more readers."
            )
        shared = [
            block
            for block in self.blocks
            if all((block, reader) in self._delineated for reader in self.readers)
        ]
        if blocks is None:
            blocks = shared
        unknown = [block for block in blocks if block not in shared]
        if not blocks or unknown:
            raise ValueError(
                "reader_tables: every reader must delineate the requested blocks; blocks "
                f"shared by readers {preview(self.readers)}: {preview(shared)}, asked for "
                f"{preview(list(blocks))}."
            )
        tables = [self._wide_table(reader, blocks, diagnostics=False, complete=True) for reader in self.readers]
        common = [case for case in self.cases if all(case in table.index for table in tables)]
        if not common:
            raise ValueError(
                f"reader_tables: no case was extracted for every reader {preview(self.readers)} "
                f"in blocks {preview(list(blocks))}; see result.failures."
            )
        return [table.loc[common, tables[0].columns] for table in tables]

    def save(self, path) -> tuple[Path, Path]:
        """Write ``features`` to Parquet or CSV (by suffix) plus a JSON sidecar.

        The sidecar ``<path>.provenance.json`` holds the provenance, the
        failure report and the table's SHA-256, so a saved table always
        travels with what was left out and :func:`load_features` refuses a
        table that does not belong to its sidecar. Both files are written to
        temporary names and renamed when complete: a failure (a full disk)
        leaves the previous pair intact and loadable.

        Returns
        -------
        (table_path, sidecar_path)

        Examples
        --------
        >>> import tempfile
        >>> from radfuse.datasets import make_imaging_cohort
        >>> from radfuse.extract import extract_features
        >>> folder = tempfile.mkdtemp()
        >>> manifest, _ = make_imaging_cohort(folder, n_cases=3, modalities=("US",),
        ...                                   second_reader_fraction=1.0, random_state=0)
        >>> result = extract_features(manifest, params={"featureClass": {"firstorder": []}})
        >>> import pathlib
        >>> [p.name for p in result.save(pathlib.Path(folder) / "features.csv")]
        ['features.csv', 'features.csv.provenance.json']
        """
        path = check_table_destination(path, step="ExtractionResult.save")
        sidecar = provenance_path(path)
        record = {**self.provenance, "failures": self.failures.to_dict(orient="records")}
        # Both files go to temporary names first and are renamed only when both
        # are complete, so a full disk leaves the previous pair untouched; the
        # sidecar's table hash exposes a pair split by a crash between renames.
        with atomic_path(path) as table_temporary:
            if path.suffix.lower() == ".parquet":
                self.features.to_parquet(table_temporary)
            else:
                self.features.to_csv(table_temporary)
            record["table_sha256"] = sha256_of_file(table_temporary)
            with atomic_path(sidecar) as sidecar_temporary:
                sidecar_temporary.write_text(
                    json.dumps(record, indent=2, default=str), encoding="utf-8"
                )
        return path, sidecar

    def _wide_table(self, reader: str, blocks, *, diagnostics: bool, complete: bool) -> pd.DataFrame:
        """One row per case of ``reader``, one column per block feature.

        ``complete``: only cases with every block extracted; otherwise every
        case with at least one, its missing blocks NaN.
        """
        names = {}
        rows = {}
        for case in self.cases:
            found = [self._values.get((case, block, reader)) for block in blocks]
            if all(values is None for values in found) or (complete and any(v is None for v in found)):
                continue
            row = {}
            for block, values in zip(blocks, found):
                if values is None:
                    continue
                kept = [n for n in values if diagnostics or not n.startswith("diagnostics_")]
                expected = names.setdefault(block, (case, kept))
                if kept != expected[1]:
                    raise ValueError(
                        f"ExtractionResult: block {block!r} gave different features for cases "
                        f"{expected[0]!r} and {case!r} (e.g. "
                        f"{preview(sorted(set(kept) ^ set(expected[1])), limit=3)}). "
                        "Images of one block must share dimensionality and parameters."
                    )
                row.update({f"{block}__{name}": values[name] for name in kept})
            rows[case] = row
        columns = [f"{block}__{name}" for block in blocks if block in names for name in names[block][1]]
        # A list of records keeps the case order (from_dict would group rows by their keys);
        # the index gets the default string dtype (object under pandas 2, str under pandas 3),
        # as a saved table reads back.
        return pd.DataFrame(
            list(rows.values()), index=pd.Index(list(rows), name="case_id"), columns=columns
        )


def _table_suffix(path: Path, step: str) -> str:
    """The table format of ``path`` (``.csv`` or ``.parquet``), or an error naming ``step``."""
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(
            f"{step}: cannot tell the format of {str(path)!r}; use a "
            f"{' or '.join(TABLE_SUFFIXES)} suffix."
        )
    return suffix


def provenance_path(table_path) -> Path:
    """The JSON sidecar written next to a saved feature table.

    Examples
    --------
    >>> from radfuse.extract import provenance_path
    >>> provenance_path("out/features.parquet").name
    'features.parquet.provenance.json'
    """
    table_path = Path(table_path)
    return table_path.with_name(table_path.name + ".provenance.json")


def load_features(path) -> tuple[pd.DataFrame, dict]:
    """Read a table written by :meth:`ExtractionResult.save` and its provenance.

    Returns
    -------
    features : DataFrame
        Indexed by ``case_id`` (strings), values exactly as saved.
    provenance : dict
        The sidecar's content, including ``failures``.

    Raises
    ------
    ValueError
        For a suffix other than ``.parquet`` or ``.csv``, or when the table's
        SHA-256 differs from the one its sidecar recorded (the table was
        replaced, edited or torn, or the sidecar belongs to another table).
    FileNotFoundError
        When the table or its provenance sidecar is missing.

    Examples
    --------
    >>> import tempfile
    >>> from radfuse.datasets import make_imaging_cohort
    >>> from radfuse.extract import extract_features
    >>> folder = tempfile.mkdtemp()
    >>> manifest, _ = make_imaging_cohort(folder, n_cases=3, modalities=("US",),
    ...                                   second_reader_fraction=1.0, random_state=0)
    >>> result = extract_features(manifest, params={"featureClass": {"firstorder": []}})
    >>> import pathlib
    >>> from radfuse.extract import load_features
    >>> table_path, _ = result.save(pathlib.Path(folder) / "features.csv")
    >>> features, provenance = load_features(table_path)
    >>> features.shape, provenance["failures"]
    ((3, 18), [])
    """
    path = Path(path)
    suffix = _table_suffix(path, "load_features")
    if not path.is_file():
        raise FileNotFoundError(f"load_features: {str(path)!r} does not exist.")
    sidecar = provenance_path(path)
    if not sidecar.is_file():
        raise FileNotFoundError(
            f"load_features: the provenance sidecar {str(sidecar)!r} is missing; the table's "
            "settings and failures cannot be verified."
        )
    provenance = json.loads(sidecar.read_text(encoding="utf-8"))
    recorded = provenance.get("table_sha256")
    if recorded is None:
        warnings.warn(
            f"load_features: the sidecar {str(sidecar)!r} records no table hash (written by an "
            "older radfuse), so it cannot be verified that it belongs to this table.",
            UserWarning,
            stacklevel=2,
        )
    elif recorded != (actual := sha256_of_file(path)):
        raise ValueError(
            f"load_features: {str(path)!r} does not match its provenance sidecar "
            f"{str(sidecar)!r} (table SHA-256 {actual[:12]}..., recorded "
            f"{recorded[:12]}...); the table was changed or only one of the pair was "
            "replaced. Re-save the result, or restore the matching pair."
        )
    # Read only a verified table: a torn one may still parse, minus some cases.
    if suffix == ".parquet":
        features = pd.read_parquet(path)
    else:
        features = read_csv_exact(path, index_col="case_id", dtype={"case_id": str})
    return features, provenance
