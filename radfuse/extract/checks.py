"""Input checks run on every image/mask pair before PyRadiomics sees it.

Each failed check raises :class:`InputProblem` carrying a short ``kind`` (for
filtering the failure report) and a ``reason`` that names the file and the
offending values.
"""

from __future__ import annotations

import hashlib
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
    """Require the mask on the image grid.

    Sizes must match exactly; origins within ``tolerance`` times the image
    spacing; spacings within ``tolerance`` relative; direction cosines within
    ``tolerance``.
    """
    spacing = np.array(image.GetSpacing())
    problems = []
    if image.GetDimension() != mask.GetDimension():
        problems.append(f"dimension {image.GetDimension()} vs {mask.GetDimension()}")
    elif image.GetSize() != mask.GetSize():
        problems.append(f"size {image.GetSize()} vs {mask.GetSize()}")
    else:
        if not np.allclose(mask.GetSpacing(), spacing, rtol=tolerance, atol=0):
            problems.append(f"spacing {image.GetSpacing()} vs {mask.GetSpacing()}")
        if np.any(np.abs(np.subtract(mask.GetOrigin(), image.GetOrigin())) > tolerance * spacing):
            problems.append(f"origin {image.GetOrigin()} vs {mask.GetOrigin()}")
        if not np.allclose(mask.GetDirection(), image.GetDirection(), rtol=0, atol=tolerance):
            problems.append(f"direction {image.GetDirection()} vs {mask.GetDirection()}")
    if problems:
        raise InputProblem(
            "geometry_mismatch",
            f"mask {mask_path!r} is not on the image grid (image vs mask: {'; '.join(problems)}, "
            f"tolerance {tolerance:g}); resample it, e.g. with the MapMaskToImage() "
            "preprocessing step",
        )


def check_mask(mask, *, label: int, min_voxels: int, mask_path: str) -> None:
    """Require the mask to hold at least ``min_voxels`` voxels of ``label``."""
    sitk = import_sitk()
    values = sitk.GetArrayViewFromImage(mask)
    present, counts = np.unique(values[values != 0], return_counts=True)
    if present.size == 0:
        raise InputProblem("empty_mask", f"mask {mask_path!r} is empty (no non-zero voxel)")
    if label not in present:
        raise InputProblem(
            "label_absent",
            f"label {label} is absent from mask {mask_path!r}; labels present: "
            f"{preview([_as_number(value) for value in present])}",
        )
    n_voxels = int(counts[present == label][0])
    if n_voxels < min_voxels:
        raise InputProblem(
            "too_few_voxels",
            f"mask {mask_path!r} has {n_voxels} voxel(s) with label {label}; at least "
            f"min_voxels={min_voxels} are required",
        )


def _as_number(value):
    return value.item() if hasattr(value, "item") else value
