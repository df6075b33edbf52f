"""Input checks run on every image/mask pair before PyRadiomics sees it.

Each failed check raises :class:`InputProblem` carrying a short ``kind`` (for
filtering the failure report) and a ``reason`` that names the file and the
offending values.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .._validation import preview
from ._dependencies import import_sitk

FAILURE_KINDS = (
    "missing_file",
    "unreadable_file",
    "block_missing",
    "preprocessing_error",
    "geometry_mismatch",
    "empty_mask",
    "label_absent",
    "too_few_voxels",
    "nan_in_mask",
    "inconsistent_features",
    "extraction_error",
)


class InputProblem(Exception):
    """A work item that cannot be extracted; ``kind`` is one of ``FAILURE_KINDS``."""

    def __init__(self, kind: str, reason: str):
        super().__init__(kind, reason)
        self.kind = kind
        self.reason = reason


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes, or of every file (with its relative name) in a folder."""
    location = Path(path)
    if not location.exists():
        raise InputProblem("missing_file", f"file {path!r} does not exist")
    digest = hashlib.sha256()
    if location.is_dir():
        files = sorted(p for p in location.rglob("*") if p.is_file())
    else:
        files = [location]
    for file in files:
        if location.is_dir():
            digest.update(str(file.relative_to(location)).encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def read_image(path: str):
    """Read an image file, or the single DICOM series in a folder, with SimpleITK."""
    sitk = import_sitk()
    try:
        if Path(path).is_dir():
            series = sitk.ImageSeriesReader.GetGDCMSeriesIDs(path)
            if len(series) != 1:
                raise InputProblem(
                    "unreadable_file",
                    f"folder {path!r} holds {len(series)} DICOM series; "
                    "point to a folder with exactly one",
                )
            reader = sitk.ImageSeriesReader()
            reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(path, series[0]))
            return reader.Execute()
        return sitk.ReadImage(path)
    except RuntimeError as error:
        message = str(error).strip()
        first_line = message.splitlines()[0] if message else type(error).__name__
        raise InputProblem(
            "unreadable_file", f"SimpleITK cannot read {path!r}: {first_line}"
        ) from error


def check_geometry(image, mask, *, tolerance: float, mask_path: str) -> None:
    """Require the mask on the image grid, by the rule PyRadiomics applies next.

    Sizes must match exactly. Origins and spacings must agree within
    ``tolerance`` times the image's first spacing, and direction cosines
    within ``tolerance``: ITK's ``VerifyInputInformation`` rule, which
    PyRadiomics enforces with the same tolerance (see
    :func:`itk_geometry_tolerance`), so a mask accepted here is never
    rejected by PyRadiomics afterwards.

    References
    ----------
    ITK ``ImageToImageFilter::VerifyInputInformation`` (coordinate and
    direction tolerances); PyRadiomics setting ``geometryTolerance``.
    """
    problems = []
    if image.GetDimension() != mask.GetDimension():
        problems.append(f"dimension {image.GetDimension()} vs {mask.GetDimension()}")
    elif image.GetSize() != mask.GetSize():
        problems.append(f"size {image.GetSize()} vs {mask.GetSize()}")
    else:
        coordinate_tolerance = abs(tolerance * image.GetSpacing()[0])
        spacing_gap = np.abs(np.subtract(mask.GetSpacing(), image.GetSpacing()))
        if np.any(spacing_gap > coordinate_tolerance):
            problems.append(f"spacing {image.GetSpacing()} vs {mask.GetSpacing()}")
        if np.any(np.abs(np.subtract(mask.GetOrigin(), image.GetOrigin())) > coordinate_tolerance):
            problems.append(f"origin {image.GetOrigin()} vs {mask.GetOrigin()}")
        if np.any(np.abs(np.subtract(mask.GetDirection(), image.GetDirection())) > tolerance):
            problems.append(f"direction {image.GetDirection()} vs {mask.GetDirection()}")
    if problems:
        raise InputProblem(
            "geometry_mismatch",
            f"mask {mask_path!r} is not on the image grid (image vs mask: {'; '.join(problems)}, "
            f"tolerance {tolerance:g}); resample it, e.g. with the MapMaskToImage() "
            "preprocessing step",
        )


@contextmanager
def itk_geometry_tolerance(tolerance: float):
    """Run PyRadiomics with ITK's geometry tolerances set to radfuse's ``tolerance``.

    ITK's defaults (1e-6) are stricter than radfuse's ``geometry_tolerance``;
    without this a mask that passed :func:`check_geometry` failed inside
    PyRadiomics as an ``extraction_error``. The previous values are restored.
    """
    process = import_sitk().ProcessObject
    previous = (
        process.GetGlobalDefaultCoordinateTolerance(),
        process.GetGlobalDefaultDirectionTolerance(),
    )
    process.SetGlobalDefaultCoordinateTolerance(tolerance)
    process.SetGlobalDefaultDirectionTolerance(tolerance)
    try:
        yield
    finally:
        process.SetGlobalDefaultCoordinateTolerance(previous[0])
        process.SetGlobalDefaultDirectionTolerance(previous[1])


def check_finite_in_mask(image, mask, *, label: int, image_path: str) -> None:
    """Refuse NaN or infinite image voxels inside the lesion: PyRadiomics would skip them silently."""
    sitk = import_sitk()
    inside = sitk.GetArrayViewFromImage(mask) == label
    values = sitk.GetArrayViewFromImage(image)
    if values.shape != inside.shape or values.dtype.kind != "f":
        return
    bad = int(np.count_nonzero(~np.isfinite(values[inside])))
    if bad:
        raise InputProblem(
            "nan_in_mask",
            f"image {image_path!r} has {bad} NaN or infinite voxel(s) inside label {label} of the "
            "mask; fill or exclude them before extraction",
        )


def check_mask(mask, *, label: int, min_voxels: int, mask_path: str) -> None:
    """Require the mask to hold at least ``min_voxels`` voxels of ``label``."""
    sitk = import_sitk()
    values = sitk.GetArrayViewFromImage(mask)
    n_voxels = int(np.count_nonzero(values == label))  # label >= 1: checked with the manifest
    if n_voxels >= max(min_voxels, 1):
        return
    if n_voxels == 0:
        # Only a failing mask pays for listing its labels.
        present = np.unique(values[values != 0])
        if present.size == 0:
            raise InputProblem("empty_mask", f"mask {mask_path!r} is empty (no non-zero voxel)")
        raise InputProblem(
            "label_absent",
            f"label {label} is absent from mask {mask_path!r}; labels present: "
            f"{preview([_as_number(value) for value in present])}",
        )
    if n_voxels < min_voxels:
        raise InputProblem(
            "too_few_voxels",
            f"mask {mask_path!r} has {n_voxels} voxel(s) with label {label}; at least "
            f"min_voxels={min_voxels} are required",
        )


def _as_number(value):
    return value.item() if hasattr(value, "item") else value


def inconsistent_feature_sets(named_values) -> list[tuple[int, str]]:
    """Items of one block whose feature names differ from the block's usual set.

    ``named_values`` holds ``(block, values)`` per extracted item. The most
    common set of (non-diagnostic) feature names in each block is taken as
    the block's; returns ``(position, reason)`` for every other item (e.g. a
    2D image in a 3D cohort, whose shape features are ``shape2D``).
    """
    def names(values):
        return frozenset(n for n in values if not n.startswith("diagnostics_"))

    named_sets = [(block, names(values)) for block, values in named_values]
    usual = {}
    for block in dict.fromkeys(block for block, _ in named_sets):
        counts = Counter(found for b, found in named_sets if b == block)
        usual[block] = counts.most_common(1)[0][0]
    odd = []
    for position, (block, found) in enumerate(named_sets):
        if found != usual[block]:
            missing, extra = sorted(usual[block] - found), sorted(found - usual[block])
            odd.append((
                position,
                f"its features differ from the other cases of block {block!r} (missing "
                f"{len(missing)} {preview(missing, limit=3)}, extra {len(extra)} "
                f"{preview(extra, limit=3)}); images of one block must share dimensionality "
                "(2D vs 3D) and parameters",
            ))
    return odd


def shared_inputs(items) -> list[list[str]]:
    """Groups of case ids whose image and mask hashes are identical within one block and reader.

    ``items`` holds ``(case_id, block, reader, image_sha256, mask_sha256)``.
    """
    groups = {}
    for case_id, block, reader, image_hash, mask_hash in items:
        if image_hash is None or mask_hash is None:
            continue
        groups.setdefault((block, reader, image_hash, mask_hash), []).append(case_id)
    return [list(dict.fromkeys(cases)) for cases in groups.values() if len(set(cases)) > 1]
