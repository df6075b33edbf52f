"""``extract_features``: one feature table from a manifest, in parallel, resumable."""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from tqdm.auto import tqdm

from .._validation import preview
from . import _cache
from ._dependencies import import_sitk, library_versions
from ._checks import (
    InputProblem,
    check_finite_in_mask,
    check_geometry,
    check_mask,
    file_sha256,
    inconsistent_feature_sets,
    itk_geometry_tolerance,
    read_image,
    shared_inputs,
)
from ._manifest import primary_reader, read_manifest
from ._preprocess import PreprocessingStep
from ._result import ExtractionResult
from ._settings import ExtractionParams, load_params

_STEP = "extract_features"
_ON_ERROR = ("raise", "record")
# Seconds to start a loky pool and import PyRadiomics in it: ~4 s on a quiet
# 2-core machine (issue 16), ~5 s under load (benchmarks/bench_extract.py).
_POOL_START_S = 4.0


class ExtractionError(ValueError):
    """A work item failed while ``on_error="raise"``; the message names case, block and file."""


@dataclasses.dataclass(frozen=True)
class WorkItem:
    """Everything a worker needs to extract one (case, block, reader) delineation."""

    case_id: str
    block: str
    reader: str
    image: str
    mask: str
    label: int
    params: ExtractionParams
    steps: tuple[PreprocessingStep, ...]
    min_voxels: int
    geometry_tolerance: float
    cache_dir: str | None


@dataclasses.dataclass(frozen=True)
class ItemOutcome:
    """What came back for one work item: its values, or why it failed."""

    case_id: str
    block: str
    reader: str
    status: str
    values: dict
    kind: str | None = None
    reason: str | None = None
    image_sha256: str | None = None
    mask_sha256: str | None = None
    seconds: float = 0.0
    cache_note: str | None = None


def extract_features(
    manifest,
    params=None,
    *,
    preprocessing=None,
    n_jobs=None,
    cache_dir=None,
    on_error="raise",
    progress=None,
    include_diagnostics=False,
    min_voxels=10,
    geometry_tolerance=1e-4,
    complete_cases=False,
) -> ExtractionResult:
    """Extract PyRadiomics features for every case and block of a manifest.

    Each manifest row (case, block, reader) is one work item: its files are
    hashed, looked up in the cache, read with SimpleITK, preprocessed, checked
    and passed to PyRadiomics' ``RadiomicsFeatureExtractor.execute``. Items
    run in parallel through joblib, so ``joblib.parallel_config(backend="dask")``
    moves them to a ``dask.distributed`` cluster unchanged.

    Parameters
    ----------
    manifest : str, path-like or DataFrame
        See :func:`read_manifest`.
    params : None, str, path-like or dict
        PyRadiomics parameters, shared or per block; see :func:`load_params`.
    preprocessing : sequence of PreprocessingStep, or dict of block to sequence
        Steps applied in order before extraction, to every block or per block
        (blocks left out get none).
    n_jobs : int, optional
        Parallel workers; None means 1 unless inside a
        ``joblib.parallel_config`` context, -1 means all cores. Items run in
        this process until splitting the rest over the workers, projected
        from the time per item so far, would save more than starting a
        worker pool costs (about 4 s); only then is a pool started, so a few
        cases, no more items left than workers, or a run served from the
        cache never pay its start-up.
    cache_dir : str or path-like, optional
        Folder for per-item results keyed by a content hash of image bytes,
        mask bytes, label, parameters, preprocessing, check thresholds and
        PyRadiomics and SimpleITK versions. A re-run (e.g. after a crash or kill) reads what
        is there and extracts only the rest. Failures are not cached. Each
        entry carries a checksum: a corrupt entry is recomputed and reported
        in one warning. A folder that cannot be written gives one warning
        naming it and the run continues uncached.
    on_error : {"raise", "record"}
        "raise" stops at the first failed item with an :class:`ExtractionError`
        naming case, block, reader and file; "record" lists failures in
        ``result.failures`` and carries on.
    progress : bool, optional
        Show a tqdm progress bar; None shows it only on a terminal.
    include_diagnostics : bool
        Add PyRadiomics' ``diagnostics_*`` entries as columns of ``features``.
    min_voxels : int
        Smallest number of voxels with the lesion label for a valid mask.
    geometry_tolerance : float
        Allowed image/mask disagreement in origin and spacing (times the
        image's first spacing) and direction cosines; sizes must match. The
        same tolerance is passed to PyRadiomics (ITK's rule), so both agree.
    complete_cases : bool, default=False
        False: ``features`` keeps every case with at least one block
        extracted; a block that is missing or failed is NaN in all its
        columns (a patient with MR but no PET keeps the MR features, and a
        :class:`~radfuse.study.Study` evaluates each feature set on the cases
        that have all its blocks). True: only cases with every block
        extracted, as before radfuse 0.x changed the default.

    Returns
    -------
    ExtractionResult
        ``features`` (one row per case, columns ``<block>__<feature>``, from
        the primary reader, i.e. the reader listed first), ``failures``,
        ``reader_tables()``, ``work_items`` and ``provenance``
        (``provenance["extracted"]``: per block, the number of features
        actually extracted per image type and feature class -- what the
        methods text reports). Every failed block is in ``failures``, one
        row per failed item; no case is dropped silently. A case whose
        features differ from the rest of its block (a 2D image in a 3D
        cohort) fails as ``inconsistent_features``; case ids sharing
        identical image and mask files give a warning.

    Raises
    ------
    ExtractionError
        With ``on_error="raise"``, for the first item that fails a check:
        missing or unreadable file, block missing for a case, failing
        preprocessing, image/mask geometry mismatch, empty mask, label absent
        (labels present listed), fewer than ``min_voxels`` voxels, or an error
        inside PyRadiomics.

    Notes
    -----
    Features follow the definitions of the Image Biomarker Standardisation
    Initiative as implemented by PyRadiomics (van Griethuysen et al., 2017;
    Zwanenburg et al., 2020); radfuse adds no feature of its own.

    References
    ----------
    van Griethuysen, J. J. M., Fedorov, A., Parmar, C., et al. (2017).
    Computational radiomics system to decode the radiographic phenotype.
    Cancer Research, 77(21), e104-e107.

    Zwanenburg, A., Vallieres, M., Abdalah, M. A., et al. (2020). The Image
    Biomarker Standardization Initiative: standardized quantitative radiomics
    for high-throughput image-based phenotyping. Radiology, 295(2), 328-338.

    Examples
    --------
    >>> import tempfile
    >>> from radfuse.datasets.imaging import make_imaging_cohort
    >>> from radfuse.extract import extract_features
    >>> folder = tempfile.mkdtemp()
    >>> manifest, labels = make_imaging_cohort(folder, n_cases=4, modalities=("US",))
    >>> params = {"featureClass": {"firstorder": [], "shape2D": []}}
    >>> result = extract_features(manifest, params, progress=False)
    >>> result.features.shape
    (4, 27)
    >>> result.features.columns[0]
    'US__original_shape2D_Elongation'
    """
    if on_error not in _ON_ERROR:
        raise ValueError(f"{_STEP}: on_error must be one of {list(_ON_ERROR)}; got {on_error!r}.")
    if not isinstance(min_voxels, numbers.Integral) or min_voxels < 1:
        raise ValueError(f"{_STEP}: min_voxels must be a positive integer; got {min_voxels!r}.")
    if not geometry_tolerance >= 0:
        raise ValueError(
            f"{_STEP}: geometry_tolerance must be non-negative; got {geometry_tolerance!r}."
        )
    table = read_manifest(manifest)
    cache_dir = _cache.usable_cache_dir(cache_dir, step=_STEP)
    blocks = list(dict.fromkeys(table["block"]))
    block_params = load_params(params, blocks)
    block_steps = _steps_per_block(preprocessing, blocks)
    items = [
        WorkItem(
            case_id=row.case_id,
            block=row.block,
            reader=row.reader,
            image=row.image,
            mask=row.mask,
            label=block_params[row.block].label if pd.isna(row.label) else int(row.label),
            params=block_params[row.block],
            steps=block_steps[row.block],
            min_voxels=int(min_voxels),
            geometry_tolerance=float(geometry_tolerance),
            cache_dir=None if cache_dir is None else str(cache_dir),
        )
        for row in table.itertuples(index=False)
    ]
    gaps = _missing_blocks(table, blocks)
    if gaps and on_error == "raise":
        raise ExtractionError(_describe(gaps[0]))
    outcomes = _run(items, n_jobs=n_jobs, on_error=on_error, progress=progress)
    _cache.warn_about_problems(
        [(o.case_id, o.cache_note) for o in outcomes if o.cache_note], step=_STEP
    )
    outcomes = _fail_inconsistent_items(outcomes, on_error) + gaps
    _warn_about_shared_inputs(outcomes)
    provenance = _provenance(
        table,
        items,
        outcomes,
        block_params,
        block_steps,
        checks={"min_voxels": int(min_voxels), "geometry_tolerance": float(geometry_tolerance)},
    )
    provenance["extracted"] = extracted_features(outcomes, block_params)
    return ExtractionResult(
        outcomes,
        cases=list(dict.fromkeys(table["case_id"])),
        blocks=blocks,
        readers=list(dict.fromkeys(table["reader"])),
        delineated=set(zip(table["block"], table["reader"])),
        provenance=provenance,
        include_diagnostics=include_diagnostics,
        complete_cases=complete_cases,
    )


def _image_type_of(token: str, enabled) -> str:
    """The ``imageType`` name behind a feature-name prefix: "lbp-3D-m1" -> "LBP3D", "log-sigma-1-0-mm-3D" -> "LoG"."""
    parts = token.split("-")
    base = parts[0] + (parts[1] if parts[0] == "lbp" and len(parts) > 1 else "")
    return next((name for name in enabled if name.lower() == base.lower()), token)


def extracted_features(outcomes, block_params) -> dict:
    """What was actually extracted per block: features per image type and per feature class.

    The methods text must state what was computed, not what was asked for: an
    image type or feature class PyRadiomics skipped would otherwise be
    reported. An enabled one that yielded no feature in any case of a block
    is an error naming it.
    """
    extracted = {}
    for block, params in block_params.items():
        names = next(
            (list(o.values) for o in outcomes if o.block == block and o.status != "failed"), None
        )
        if names is None:  # no case of this block was extracted: failures say why
            continue
        features = [name for name in names if not name.startswith("diagnostics_")]
        image_types, feature_classes = {}, {}
        for name in features:
            token, feature_class = name.split("_")[:2]
            image_type = _image_type_of(token, params.image_types)
            image_types[image_type] = image_types.get(image_type, 0) + 1
            feature_classes[feature_class] = feature_classes.get(feature_class, 0) + 1
        silent = [f"image type {t!r}" for t in params.image_types if t not in image_types] + [
            f"feature class {c!r}" for c in params.feature_classes if c not in feature_classes
        ]
        if silent:
            raise ExtractionError(
                f"extract_features: block {block!r}: {', '.join(silent)} yielded no features. "
                "PyRadiomics skips what it cannot compute with only a log message (e.g. LBP3D "
                "on 2D images, shape on 2D images or shape2D without force2D (set force2D: true "
                "for 2D images), a filter missing its "
                "package); fix the parameters so that the table holds what was requested."
            )
        extracted[block] = {
            "n_features": len(features),
            "image_types": image_types,
            "feature_classes": feature_classes,
        }
    return extracted


def _provenance(table, items, outcomes, block_params, block_steps, checks) -> dict:
    """Everything needed to reproduce or audit the table, JSON-ready."""
    blocks = list(block_params)
    hashes = {
        (o.case_id, o.block, o.reader): {
            "image_sha256": o.image_sha256,
            "mask_sha256": o.mask_sha256,
        }
        for o in outcomes
    }
    return {
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "primary_reader": primary_reader(table),
        "params": {block: block_params[block].to_dict() for block in blocks},
        "preprocessing": {
            block: [step.to_dict() for step in block_steps[block]] for block in blocks
        },
        "checks": checks,
        "inputs": [
            {
                "case_id": item.case_id,
                "block": item.block,
                "reader": item.reader,
                "image": item.image,
                "mask": item.mask,
                "label": item.label,
                **hashes[(item.case_id, item.block, item.reader)],
            }
            for item in items
        ],
    }


def _steps_per_block(preprocessing, blocks: list[str]) -> dict[str, tuple]:
    if preprocessing is None:
        return {block: () for block in blocks}
    if isinstance(preprocessing, Mapping):
        unknown = [block for block in preprocessing if block not in blocks]
        if unknown:
            raise ValueError(
                f"{_STEP}: preprocessing names block(s) {preview(unknown)} that are not in the "
                f"manifest (blocks: {preview(blocks)})."
            )
        per_block = {block: preprocessing.get(block, ()) for block in blocks}
    else:
        per_block = {block: preprocessing for block in blocks}
    for block, steps in per_block.items():
        if isinstance(steps, PreprocessingStep) or not isinstance(steps, Sequence):
            raise TypeError(
                f"{_STEP}: preprocessing for block {block!r} must be a list of steps; "
                f"got {type(steps).__name__}."
            )
        wrong = [type(step).__name__ for step in steps if not isinstance(step, PreprocessingStep)]
        if wrong:
            raise TypeError(
                f"{_STEP}: preprocessing for block {block!r} holds non-steps {preview(wrong)}; "
                "use radfuse.extract steps such as Resample or MapMaskToImage."
            )
    return {block: tuple(steps) for block, steps in per_block.items()}


def _missing_blocks(table, blocks: list[str]) -> list[ItemOutcome]:
    reader = primary_reader(table)
    present = set(zip(table["case_id"], table["block"]))
    return [
        ItemOutcome(
            case_id=case,
            block=block,
            reader=reader,
            status="failed",
            values={},
            kind="block_missing",
            reason=f"the manifest has no {block!r} row for this case",
        )
        for case in dict.fromkeys(table["case_id"])
        for block in blocks
        if (case, block) not in present
    ]


def _run(items: list[WorkItem], *, n_jobs, on_error: str, progress) -> list[ItemOutcome]:
    outcomes = []
    bar = tqdm(
        total=len(items),
        desc="radfuse extract",
        unit="item",
        disable=None if progress is None else not progress,
    )
    # ITK multithreads its filters over every core; with several joblib
    # workers that oversubscribes the machine (1.6x instead of 1.9x on 2 cores).
    workers = effective_n_jobs(n_jobs)
    itk_threads = max(1, (os.cpu_count() or 1) // workers)

    def record(outcome):
        bar.update()
        if outcome.status == "failed" and on_error == "raise":
            raise ExtractionError(_describe(outcome))
        outcomes.append(outcome)

    with bar:
        done, elapsed = 0, 0.0
        while done < len(items) and (
            workers == 1
            or done == 0
            or not _pool_saves_time(elapsed / done, len(items) - done, workers)
        ):
            outcome = run_work_item(items[done], itk_threads=itk_threads)
            done, elapsed = done + 1, elapsed + outcome.seconds
            record(outcome)
        if done < len(items):
            for outcome in Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(run_work_item)(item, itk_threads=itk_threads) for item in items[done:]
            ):
                record(outcome)
    return outcomes


def _pool_saves_time(seconds_per_item: float, remaining: int, workers: int) -> bool:
    """Whether a new pool of ``workers`` would finish ``remaining`` items sooner than this process.

    With ``t`` seconds per item so far, this process needs ``remaining * t``
    and the pool ``_POOL_START_S + ceil(remaining / workers) * t``; a single
    item left never pays for a pool, whatever it costs.
    """
    saved = seconds_per_item * (remaining - math.ceil(remaining / workers))
    return saved > _POOL_START_S


def _fail_inconsistent_items(outcomes: list[ItemOutcome], on_error: str) -> list[ItemOutcome]:
    """Turn items whose feature set differs from their block's into failures (2D in 3D)."""
    extracted = [o for o in outcomes if o.status != "failed"]
    odd = inconsistent_feature_sets([(o.block, o.values) for o in extracted])
    failed = {}
    for position, reason in odd:
        outcome = dataclasses.replace(
            extracted[position], status="failed", values={}, kind="inconsistent_features",
            reason=reason,
        )
        if on_error == "raise":
            raise ExtractionError(_describe(outcome))
        failed[id(extracted[position])] = outcome
    return [failed.get(id(o), o) for o in outcomes]


def _warn_about_shared_inputs(outcomes: list[ItemOutcome]) -> None:
    groups = shared_inputs(
        (o.case_id, o.block, o.reader, o.image_sha256, o.mask_sha256) for o in outcomes
    )
    if groups:
        warnings.warn(
            f"{_STEP}: {len(groups)} group(s) of case ids point at identical image and mask "
            f"files and get identical rows, e.g. {preview(groups[0])}; check the manifest for "
            "copy-paste errors.",
            UserWarning,
            stacklevel=3,
        )


def _describe(outcome: ItemOutcome) -> str:
    return (
        f"{_STEP}: case {outcome.case_id!r}, block {outcome.block!r}, reader {outcome.reader!r}: "
        f"{outcome.reason} [{outcome.kind}]. Fix the input, or pass on_error='record' to list "
        "failures in result.failures and extract the rest."
    )


def run_work_item(item: WorkItem, itk_threads: int | None = None) -> ItemOutcome:
    """Hash, look up, read, preprocess, check and extract one work item.

    Every input problem comes back as a failed outcome with its kind and
    reason rather than an exception, so one bad file never stops a worker.
    ``itk_threads`` caps SimpleITK's threads in this process (None: ITK's default).
    """
    start = time.perf_counter()
    if itk_threads is not None:
        import_sitk().ProcessObject.SetGlobalDefaultNumberOfThreads(itk_threads)
    identity = {"case_id": item.case_id, "block": item.block, "reader": item.reader}
    hashes = {}
    try:
        hashes = {"image_sha256": file_sha256(item.image)}
        hashes["mask_sha256"] = file_sha256(item.mask)
        values, status, cache_note = _cache.lookup_or_compute(
            item.cache_dir, lambda: _key_material(item, hashes), lambda: _extract(item)
        )
    except InputProblem as problem:
        return ItemOutcome(
            **identity,
            **hashes,
            status="failed",
            values={},
            kind=problem.kind,
            reason=problem.reason,
            seconds=time.perf_counter() - start,
        )
    return ItemOutcome(
        **identity, **hashes, status=status, values=values, seconds=time.perf_counter() - start,
        cache_note=cache_note,
    )


def _key_material(item: WorkItem, hashes: dict) -> dict:
    versions = _extraction_versions()
    return {
        **hashes,
        "label": item.label,
        "params": item.params.to_dict(),
        "preprocessing": [step.to_dict() for step in item.steps],
        # A cache hit skips the checks, so stricter checks must miss the cache.
        "checks": {"min_voxels": item.min_voxels, "geometry_tolerance": item.geometry_tolerance},
        **versions,
    }


@functools.lru_cache(maxsize=1)
def _extraction_versions() -> dict:
    """Versions on the worker itself, which may differ from the client's on a cluster."""
    versions = library_versions()
    return {"pyradiomics": versions["pyradiomics"], "SimpleITK": versions["SimpleITK"]}


def _extract(item: WorkItem) -> dict:
    image = read_image(item.image)
    mask = read_image(item.mask)
    for step in item.steps:
        try:
            image, mask = step.apply(image, mask)
        except (ValueError, RuntimeError) as error:
            raise InputProblem(
                "preprocessing_error",
                f"preprocessing step {type(step).__name__} failed on {item.image!r}: {error}",
            ) from error
    check_geometry(image, mask, tolerance=item.geometry_tolerance, mask_path=item.mask)
    check_mask(mask, label=item.label, min_voxels=item.min_voxels, mask_path=item.mask)
    check_finite_in_mask(image, mask, label=item.label, image_path=item.image)
    try:
        with itk_geometry_tolerance(item.geometry_tolerance):
            values = _compute_features(item.params, image, mask, item.label)
    except Exception as error:
        raise InputProblem(
            "extraction_error",
            f"PyRadiomics failed on image {item.image!r} with mask {item.mask!r}: "
            f"{type(error).__name__}: {error}",
        ) from error
    return {name: _plain_value(name, value) for name, value in values.items()}


def _compute_features(params: ExtractionParams, image, mask, label: int) -> dict:
    """PyRadiomics' own ``execute`` on already loaded SimpleITK images."""
    return params.radiomics_extractor().execute(image, mask, label=label)


def _plain_value(name: str, value):
    """Features as float; diagnostics as a JSON scalar or their string form."""
    if not name.startswith("diagnostics_"):
        return float(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value if isinstance(value, str) else str(value)
