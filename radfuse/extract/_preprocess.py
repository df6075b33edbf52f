"""Explicit, recorded preprocessing steps applied before PyRadiomics.

Each step is a small frozen dataclass with ``apply(image, mask) -> (image,
mask)`` on SimpleITK images and ``to_dict()`` for the provenance record and
the cache key. Steps run in the order given, per block, e.g. the MRI study's
pipeline for T2::

    [MapMaskToImage(), IntensityWindow(0, 1500)]

maps the ROI drawn on DCE onto the T2 grid and clips intensities to 0-1500.

PyRadiomics' own settings (``resampledPixelSpacing``, ``normalize``, ...)
still apply afterwards; use one or the other for a given operation.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._dependencies import import_sitk

_INTERPOLATORS = ("nearest", "linear", "bspline")
_REGIONS = ("image", "mask")


@dataclasses.dataclass(frozen=True)
class PreprocessingStep:
    """Base class: subclasses implement ``apply`` and inherit ``to_dict``.

    Examples
    --------
    >>> from radfuse.extract import IntensityWindow
    >>> IntensityWindow(0, 1500).to_dict()
    {'step': 'IntensityWindow', 'lower': 0.0, 'upper': 1500.0}
    """

    def apply(self, image, mask):
        """Return the transformed ``(image, mask)`` pair of SimpleITK images."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        """The step's name and parameters, JSON-ready."""
        fields = {
            field.name: _jsonable(getattr(self, field.name)) for field in dataclasses.fields(self)
        }
        return {"step": type(self).__name__, **fields}


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value


def _check_choice(step: str, name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{step}: {name} must be one of {list(choices)}; got {value!r}.")


def _region_values(step: str, image, mask, region: str) -> np.ndarray:
    sitk = import_sitk()
    values = sitk.GetArrayViewFromImage(image)
    if region == "mask":
        if mask.GetSize() != image.GetSize():
            raise ValueError(
                f"{step}: region='mask' needs the mask on the image grid; sizes are "
                f"{mask.GetSize()} and {image.GetSize()}. Put MapMaskToImage() first."
            )
        values = values[sitk.GetArrayViewFromImage(mask) != 0]
    return np.asarray(values, dtype=np.float64).ravel()


@dataclasses.dataclass(frozen=True)
class Resample(PreprocessingStep):
    """Resample image and mask to a new voxel spacing.

    The grid keeps the image's origin and direction and covers the same field
    of view: ``size_new = round(size * spacing / spacing_new)`` per axis. The
    image is interpolated (output float32), the mask always with nearest
    neighbour so labels stay labels. The mask is resampled onto the new image
    grid, so it is also mapped there when it was drawn on another grid.

    Parameters
    ----------
    spacing : tuple of float
        New spacing in physical units (mm), one value per image axis.
    interpolator : {"bspline", "linear", "nearest"}
        Interpolation of the image intensities.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from radfuse.extract import Resample
    >>> image = sitk.Image([20, 20, 10], sitk.sitkFloat32)
    >>> image.SetSpacing([0.5, 0.5, 2.0])
    >>> mask = sitk.Image([20, 20, 10], sitk.sitkUInt8)
    >>> mask.CopyInformation(image)
    >>> image, mask = Resample(spacing=(1.0, 1.0, 1.0)).apply(image, mask)
    >>> image.GetSize(), mask.GetSize()
    ((10, 10, 20), (10, 10, 20))

    References
    ----------
    Zwanenburg, A., Vallières, M., Abdalah, M. A., et al. (2020). The Image
    Biomarker Standardization Initiative: standardized quantitative radiomics
    for high-throughput image-based phenotyping. Radiology, 295(2), 328-338
    (interpolation to isotropic voxels, section on image processing).
    """

    spacing: tuple[float, ...]
    interpolator: str = "bspline"

    def __post_init__(self):
        spacing = tuple(float(value) for value in np.atleast_1d(self.spacing))
        if not all(np.isfinite(spacing)) or min(spacing) <= 0:
            raise ValueError(f"Resample: spacing must be positive numbers; got {self.spacing!r}.")
        object.__setattr__(self, "spacing", spacing)
        _check_choice("Resample", "interpolator", self.interpolator, _INTERPOLATORS)

    def apply(self, image, mask):
        """Return the transformed ``(image, mask)`` pair of SimpleITK images."""
        sitk = import_sitk()
        if len(self.spacing) != image.GetDimension():
            raise ValueError(
                f"Resample: spacing {self.spacing} has {len(self.spacing)} value(s) but the "
                f"image is {image.GetDimension()}-D."
            )
        old_size = np.array(image.GetSize())
        old_spacing = np.array(image.GetSpacing())
        new_size = np.maximum(np.round(old_size * old_spacing / np.array(self.spacing)), 1)
        grid = sitk.Image([int(n) for n in new_size], sitk.sitkUInt8)
        grid.SetOrigin(image.GetOrigin())
        grid.SetDirection(image.GetDirection())
        grid.SetSpacing(self.spacing)
        interpolator = {
            "nearest": sitk.sitkNearestNeighbor,
            "linear": sitk.sitkLinear,
            "bspline": sitk.sitkBSpline,
        }[self.interpolator]
        resampled = sitk.Resample(
            image, grid, sitk.Transform(), interpolator, 0.0, sitk.sitkFloat32
        )
        return resampled, _nearest_onto(mask, grid)


def _nearest_onto(mask, reference):
    sitk = import_sitk()
    return sitk.Resample(
        mask, reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0, mask.GetPixelID()
    )


@dataclasses.dataclass(frozen=True)
class MapMaskToImage(PreprocessingStep):
    """Map a mask drawn on another sequence onto this image's grid.

    The mask is resampled in physical space onto the image's voxel grid with
    nearest-neighbour interpolation (no registration: the two sequences must
    share the patient coordinate system, as sequences of one MRI examination
    do). This is how the MRI study carried ROIs drawn on DCE over to T1 and T2.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from radfuse.extract import MapMaskToImage
    >>> t2 = sitk.Image([16, 16, 8], sitk.sitkFloat32)
    >>> t2.SetSpacing([2.0, 2.0, 4.0])
    >>> dce_roi = sitk.Image([32, 32, 32], sitk.sitkUInt8)
    >>> dce_roi[8:24, 8:24, 8:24] = 1
    >>> t2, roi = MapMaskToImage().apply(t2, dce_roi)
    >>> roi.GetSize(), int(sitk.GetArrayViewFromImage(roi).sum())
    ((16, 16, 8), 256)
    """

    def apply(self, image, mask):
        """Return ``image`` and the mask resampled onto its grid."""
        return image, _nearest_onto(mask, image)


@dataclasses.dataclass(frozen=True)
class N4BiasFieldCorrection(PreprocessingStep):
    """N4 bias-field correction of MRI intensity inhomogeneity (SimpleITK).

    N4 models the image as ``v = u * b`` with a smooth multiplicative bias
    field ``b`` fitted by B-splines to sharpen the intensity histogram of the
    foreground (Tustison et al., 2010). The field is estimated on an image
    shrunk by ``shrink_factor`` within an Otsu foreground mask, then divided
    out at full resolution. The corrected image is floating point (float64
    with current SimpleITK); the mask is returned unchanged.

    Parameters
    ----------
    shrink_factor : int
        Down-sampling factor for the fit (the field is smooth, so 2-4 lose
        nothing and save most of the time).
    iterations : tuple of int
        Maximum iterations per fitting level.

    References
    ----------
    Tustison, N. J., Avants, B. B., Cook, P. A., et al. (2010). N4ITK: improved
    N3 bias correction. IEEE Transactions on Medical Imaging, 29(6), 1310-1320.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> from radfuse.extract import N4BiasFieldCorrection
    >>> rng = np.random.default_rng(0)
    >>> image = sitk.GetImageFromArray(100 + 10 * rng.random((16, 16, 16)))
    >>> step = N4BiasFieldCorrection(shrink_factor=2, iterations=(5,))
    >>> out, _ = step.apply(image, image)
    >>> out.GetSize()
    (16, 16, 16)
    """

    shrink_factor: int = 4
    iterations: tuple[int, ...] = (50, 50, 30, 20)

    def __post_init__(self):
        if int(self.shrink_factor) != self.shrink_factor or self.shrink_factor < 1:
            raise ValueError(
                f"N4BiasFieldCorrection: shrink_factor must be a positive integer; "
                f"got {self.shrink_factor!r}."
            )
        iterations = tuple(int(value) for value in np.atleast_1d(self.iterations))
        if not iterations or min(iterations) < 1:
            raise ValueError(
                "N4BiasFieldCorrection: iterations must be positive integers; "
                f"got {self.iterations!r}."
            )
        object.__setattr__(self, "iterations", iterations)

    def apply(self, image, mask):
        """Return the transformed ``(image, mask)`` pair of SimpleITK images."""
        sitk = import_sitk()
        original = sitk.Cast(image, sitk.sitkFloat32)
        foreground = sitk.OtsuThreshold(original, 0, 1, 200)
        factors = [int(self.shrink_factor)] * original.GetDimension()
        corrector = sitk.N4BiasFieldCorrectionImageFilter()
        corrector.SetMaximumNumberOfIterations(list(self.iterations))
        corrector.Execute(sitk.Shrink(original, factors), sitk.Shrink(foreground, factors))
        log_bias = corrector.GetLogBiasFieldAsImage(original)
        return original / sitk.Exp(log_bias), mask


@dataclasses.dataclass(frozen=True)
class ZScoreNormalization(PreprocessingStep):
    r"""Standardise intensities: :math:`x' = s\,(x - \mu) / \sigma`.

    Parameters
    ----------
    region : {"image", "mask"}
        Where :math:`\mu` and :math:`\sigma` (population SD) are estimated:
        the whole image or the voxels of the mask (any non-zero label).
    scale : float
        Factor :math:`s`. PyRadiomics bins by absolute width (``binWidth``,
        default 25), so either scale up (e.g. 100) or lower ``binWidth``.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> from radfuse.extract import ZScoreNormalization
    >>> image = sitk.GetImageFromArray(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> out, _ = ZScoreNormalization().apply(image, image)
    >>> np.round(sitk.GetArrayFromImage(out).astype(float), 3).tolist()
    [[-1.342, -0.447], [0.447, 1.342]]

    References
    ----------
    Zwanenburg et al. (2020), Radiology 295(2), 328-338 (IBSI; intensity
    normalisation before discretisation). PyRadiomics' ``normalize`` setting:
    van Griethuysen, J. J. M., et al. (2017). Computational radiomics system to
    decode the radiographic phenotype. Cancer Research, 77(21), e104-e107.
    """

    region: str = "image"
    scale: float = 1.0

    def __post_init__(self):
        _check_choice("ZScoreNormalization", "region", self.region, _REGIONS)
        object.__setattr__(self, "scale", float(self.scale))

    def apply(self, image, mask):
        """Return the transformed ``(image, mask)`` pair of SimpleITK images."""
        sitk = import_sitk()
        values = _region_values("ZScoreNormalization", image, mask, self.region)
        spread = values.std() if values.size else 0.0
        if not spread > 0:
            raise ValueError(
                f"ZScoreNormalization: intensities in the {self.region} are constant "
                f"({values.size} voxels); a z-score is undefined."
            )
        shifted = sitk.Cast(image, sitk.sitkFloat64) - float(values.mean())
        return sitk.Cast(shifted * (self.scale / float(spread)), sitk.sitkFloat32), mask


@dataclasses.dataclass(frozen=True)
class PercentileNormalization(PreprocessingStep):
    r"""Map the ``[lower, upper]`` percentile range linearly onto ``out_range``.

    With :math:`p_l, p_u` the percentiles and :math:`[a, b]` the output
    range, :math:`x' = a + (b - a)\,(\operatorname{clip}(x, p_l, p_u) - p_l) / (p_u - p_l)`.

    Parameters
    ----------
    lower, upper : float
        Percentiles (0-100) of the intensities in ``region``.
    region : {"image", "mask"}
        Where the percentiles are estimated.
    out_range : tuple of float
        Output interval; values beyond the percentiles are clipped to its ends.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> from radfuse.extract import PercentileNormalization
    >>> image = sitk.GetImageFromArray(np.arange(101.0).reshape(1, 101))
    >>> step = PercentileNormalization(lower=10, upper=90, out_range=(0, 100))
    >>> out, _ = step.apply(image, image)
    >>> sitk.GetArrayFromImage(out)[0, [0, 10, 50, 90, 100]].tolist()
    [0.0, 0.0, 50.0, 100.0, 100.0]
    """

    lower: float = 1.0
    upper: float = 99.0
    region: str = "image"
    out_range: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self):
        if not 0 <= self.lower < self.upper <= 100:
            raise ValueError(
                "PercentileNormalization: need 0 <= lower < upper <= 100; "
                f"got lower={self.lower!r}, upper={self.upper!r}."
            )
        _check_choice("PercentileNormalization", "region", self.region, _REGIONS)
        out_range = tuple(float(value) for value in self.out_range)
        if len(out_range) != 2 or not out_range[0] < out_range[1]:
            raise ValueError(
                f"PercentileNormalization: out_range must be (low, high) with low < high; "
                f"got {self.out_range!r}."
            )
        object.__setattr__(self, "out_range", out_range)
        object.__setattr__(self, "lower", float(self.lower))
        object.__setattr__(self, "upper", float(self.upper))

    def apply(self, image, mask):
        """Return the transformed ``(image, mask)`` pair of SimpleITK images."""
        sitk = import_sitk()
        values = _region_values("PercentileNormalization", image, mask, self.region)
        low, high = np.percentile(values, [self.lower, self.upper]) if values.size else (0, 0)
        if not high > low:
            raise ValueError(
                f"PercentileNormalization: the {self.lower}th and {self.upper}th percentiles "
                f"of the {self.region} coincide ({low}); the range cannot be stretched."
            )
        clipped = sitk.Clamp(sitk.Cast(image, sitk.sitkFloat64), sitk.sitkFloat64, low, high)
        start, stop = self.out_range
        rescaled = (clipped - float(low)) * ((stop - start) / float(high - low)) + start
        return sitk.Cast(rescaled, sitk.sitkFloat32), mask


@dataclasses.dataclass(frozen=True)
class IntensityWindow(PreprocessingStep):
    """Clip intensities to a fixed window ``[lower, upper]``.

    The MRI study adjusted pixel values to 0-1500 before analysis:
    ``IntensityWindow(0, 1500)``. The pixel type is kept.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> from radfuse.extract import IntensityWindow
    >>> image = sitk.GetImageFromArray(np.array([[-20.0, 700.0, 2400.0]]))
    >>> out, _ = IntensityWindow(0, 1500).apply(image, image)
    >>> sitk.GetArrayFromImage(out).tolist()
    [[0.0, 700.0, 1500.0]]
    """

    lower: float = 0.0
    upper: float = 1500.0

    def __post_init__(self):
        if not self.lower < self.upper:
            raise ValueError(
                f"IntensityWindow: lower must be below upper; got {self.lower!r}, {self.upper!r}."
            )
        # Floats, so equal windows give equal provenance and cache keys (0 vs 0.0).
        object.__setattr__(self, "lower", float(self.lower))
        object.__setattr__(self, "upper", float(self.upper))

    def apply(self, image, mask):
        """Return the transformed ``(image, mask)`` pair of SimpleITK images."""
        sitk = import_sitk()
        return sitk.Clamp(image, image.GetPixelID(), self.lower, self.upper), mask


#: Every preprocessing step by name, as ``to_dict()`` records it.
PREPROCESSING_STEPS = {
    cls.__name__: cls
    for cls in (
        Resample,
        MapMaskToImage,
        N4BiasFieldCorrection,
        ZScoreNormalization,
        PercentileNormalization,
        IntensityWindow,
    )
}


def step_from_dict(record) -> PreprocessingStep:
    """Rebuild a step from its ``to_dict()`` form, e.g. read from YAML or provenance.

    Examples
    --------
    >>> from radfuse.extract import IntensityWindow, step_from_dict
    >>> step_from_dict({"step": "IntensityWindow", "lower": 0, "upper": 1500})
    IntensityWindow(lower=0.0, upper=1500.0)
    >>> step_from_dict(IntensityWindow().to_dict()) == IntensityWindow()
    True
    """
    if not isinstance(record, dict) or record.get("step") not in PREPROCESSING_STEPS:
        name = record.get("step") if isinstance(record, dict) else record
        raise ValueError(
            f"step_from_dict: unknown preprocessing step {name!r}; expected a mapping with "
            f"'step' among {list(PREPROCESSING_STEPS)} and that step's parameters."
        )
    parameters = {key: value for key, value in record.items() if key != "step"}
    try:
        return PREPROCESSING_STEPS[record["step"]](**parameters)
    except TypeError as error:
        raise ValueError(f"step_from_dict: bad parameters for {record['step']}: {error}") from error
