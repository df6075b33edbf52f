"""A synthetic multimodal imaging cohort: images, lesion masks, second reader.

Small, deterministic image/mask pairs per modality that behave like a breast
lesion study: ultrasound (US) and mammography (MG) as 2D images, MRI
sequences (T1, T2, DCE) as 3D volumes on their own grids. Malignant lesions
are larger, more irregular (spiculated outline), more heterogeneous (coarser
texture) and differ in intensity from benign ones, so radiomics features carry
signal. A subset of cases has a second reader whose masks are the first
reader's dilated, eroded or shifted by one voxel.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from ..extract._dependencies import import_sitk
from ._centres import assign_centres, centre_shares, check_effect_sizes

MODALITIES = {
    # grid (size in sitk x, y[, z] order, spacing mm), intensities, lesion radius (mm)
    "US": {"size": (64, 64), "spacing": (0.3, 0.3), "background": 120.0,
           "benign": 70.0, "malignant": 45.0, "noise": 8.0, "radius": (3.0, 4.5)},
    "MG": {"size": (64, 64), "spacing": (0.2, 0.2), "background": 90.0,
           "benign": 150.0, "malignant": 175.0, "noise": 6.0, "radius": (2.0, 3.0)},
    "T1": {"size": (26, 26, 18), "spacing": (1.25, 1.25, 2.0),
           "background": 600.0, "benign": 450.0, "malignant": 420.0, "noise": 20.0,
           "radius": (5.0, 7.5)},
    "T2": {"size": (26, 26, 18), "spacing": (1.25, 1.25, 2.0),
           "background": 500.0, "benign": 900.0, "malignant": 620.0, "noise": 20.0,
           "radius": (5.0, 7.5)},
    "DCE": {"size": (32, 32, 24), "spacing": (1.0, 1.0, 1.5),
            "background": 400.0, "benign": 800.0, "malignant": 1100.0, "noise": 20.0,
            "radius": (5.0, 7.5)},
}
_MASK_SOURCE = "DCE"
_READERS = ("R1", "R2")
_MODALITY_NOISE = 0.7


def make_imaging_cohort(
    path,
    n_cases=40,
    modalities=("US", "MG", "T2", "DCE"),
    *,
    random_state=0,
    second_reader_fraction=0.3,
    positive_fraction=0.5,
    class_separation=1.2,
    centres=None,
    centre_shift=0.5,
    centre_scale=0.1,
):
    """Write a synthetic multimodal lesion cohort as NRRD files.

    For each case and modality: an image and the lesion mask (label 1) of
    reader ``R1``; for ``round(second_reader_fraction * n_cases)`` cases also
    a mask of reader ``R2`` (R1's mask dilated, eroded or shifted by one
    voxel). Size, outline irregularity, texture coarseness and intensity
    follow a latent aggressiveness ``z ~ N(class_separation * y, 1)`` that
    each modality sees with extra noise. Lesions live in physical space, so
    each modality samples the same kind of lesion on its own grid. When DCE
    is among the modalities, the other MRI sequences reference the mask drawn
    on DCE (as in the MRI study, where ROIs drawn on DCE were mapped onto T1
    and T2): extract them with the ``MapMaskToImage()`` preprocessing step.

    Parameters
    ----------
    path : str or path-like
        Output folder (created). Holds ``<case>/<modality>.nrrd``,
        ``<case>/<modality>_mask_<reader>.nrrd``, ``manifest.csv`` (paths
        relative to the folder) and ``labels.csv``.
    n_cases : int
        Number of cases (at least 2).
    modalities : sequence of str
        Any of "US", "MG" (2D) and "T1", "T2", "DCE" (3D).
    random_state : int
        Seed; the same seed writes byte-identical files.
    second_reader_fraction : float
        Share of cases with a second reader, in [0, 1].
    positive_fraction : float
        Share of malignant cases, in (0, 1).
    class_separation : float
        Shift, in SD units, of a latent lesion aggressiveness between the
        classes. Each modality sees it with its own noise, so single features
        overlap between classes and modalities carry complementary signal
        (0 gives no signal at all).
    centres : int or dict of str to float, optional
        None (default): one scanner, no centre effects (files identical to
        earlier radfuse versions). An int ``k``: centres ``"C1"`` ... ``"Ck"``
        with equal shares; a dict: centre name to share of the cases. Each
        centre's scanner maps every modality's intensities ``I`` to
        ``gain * I + offset``, with ``log(gain) ~ N(0, centre_scale**2)`` and
        ``offset ~ N(0, (centre_shift * noise)**2)`` per centre and modality
        (``noise`` is the modality's noise SD), which shifts and scales the
        first-order and texture features. The manifest then has a
        ``centre`` column.
    centre_shift : float
        SD of the additive intensity offset, in units of the modality's noise SD.
    centre_scale : float
        SD of the log intensity gain.

    Returns
    -------
    manifest : DataFrame
        Columns ``case_id``, ``block``, ``image``, ``mask``, ``label``,
        ``reader`` with absolute paths (the input of ``extract_features``),
        and ``centre`` when ``centres`` is given.
    labels : Series
        0 (benign) / 1 (malignant), indexed by ``case_id``, named "malignant".

    Examples
    --------
    >>> import tempfile
    >>> from radfuse.datasets.imaging import make_imaging_cohort
    >>> manifest, labels = make_imaging_cohort(tempfile.mkdtemp(), n_cases=10,
    ...                                        modalities=("US", "T2", "DCE"))
    >>> manifest.groupby("reader").size().to_dict()
    {'R1': 30, 'R2': 9}
    >>> int(labels.sum()), manifest.loc[1, "mask"].endswith("DCE_mask_R1.nrrd")
    (5, True)
    >>> manifest, _ = make_imaging_cohort(tempfile.mkdtemp(), n_cases=6, modalities=("US",),
    ...                                   centres={"A": 0.5, "B": 0.5})
    >>> manifest.drop_duplicates("case_id").groupby("centre").size().to_dict()
    {'A': 3, 'B': 3}
    """
    modalities = _check_arguments(n_cases, modalities, second_reader_fraction, positive_fraction)
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(random_state).spawn(n_cases + 1)
    cohort_rng = np.random.default_rng(seeds[-1])
    n_positive = int(round(positive_fraction * n_cases))
    malignant = np.zeros(n_cases, dtype=int)
    malignant[cohort_rng.permutation(n_cases)[:n_positive]] = 1
    n_second = int(round(second_reader_fraction * n_cases))
    second_reader = set(cohort_rng.permutation(n_cases)[:n_second].tolist())
    case_ids = [f"case{index:03d}" for index in range(n_cases)]
    centre, gain, offset = _scanners(centres, centre_shift, centre_scale, n_cases, modalities,
                                     np.random.SeedSequence(random_state, spawn_key=(n_cases + 1,)))

    rows = []
    for index, case_id in enumerate(case_ids):
        rng = np.random.default_rng(seeds[index])
        readers = _READERS if index in second_reader else _READERS[:1]
        (folder / case_id).mkdir(exist_ok=True)
        aggressiveness = class_separation * malignant[index] + rng.standard_normal()
        for modality in modalities:
            seen = aggressiveness + _MODALITY_NOISE * rng.standard_normal()
            image, mask = _render_case(modality, seen, rng, gain[modality][index],
                                       offset[modality][index])
            spec = MODALITIES[modality]
            image_file = f"{case_id}/{modality}.nrrd"
            _write(folder / image_file, image, spec)
            mapped = modality in ("T1", "T2") and _MASK_SOURCE in modalities
            source = _MASK_SOURCE if mapped else modality
            for reader in readers:
                if source == modality:
                    drawn = mask if reader == _READERS[0] else _perturb(mask, rng)
                    _write(folder / f"{case_id}/{modality}_mask_{reader}.nrrd", drawn, spec)
                rows.append([case_id, modality, image_file,
                             f"{case_id}/{source}_mask_{reader}.nrrd", 1, reader])
    manifest = pd.DataFrame(rows, columns=["case_id", "block", "image", "mask", "label", "reader"])
    if centre is not None:
        manifest["centre"] = manifest["case_id"].map(dict(zip(case_ids, centre)))
    # Primary-reader rows first: the manifest reads as the study table plus its repeats.
    manifest = manifest.sort_values("reader", kind="stable").reset_index(drop=True)
    manifest.to_csv(folder / "manifest.csv", index=False)
    labels = pd.Series(malignant, index=pd.Index(case_ids, name="case_id"), name="malignant")
    labels.to_csv(folder / "labels.csv")
    for column in ("image", "mask"):
        manifest[column] = [os.fspath((folder / value).resolve()) for value in manifest[column]]
    return manifest, labels


def imaging_cohort_params(modalities=("US", "MG", "T2", "DCE")) -> dict:
    """Per-block PyRadiomics parameters suited to :func:`make_imaging_cohort`.

    All texture classes and first order for every block, ``shape2D`` for the
    2D modalities and ``shape`` for the 3D ones, and a bin width giving
    roughly 20-40 grey levels inside the lesions.

    Examples
    --------
    >>> from radfuse.datasets.imaging import imaging_cohort_params
    >>> imaging_cohort_params(("US", "DCE"))["US"]["setting"]
    {'binWidth': 5}
    """
    modalities = _check_arguments(2, modalities, 0.0, 0.5)
    textures = ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]
    params = {}
    for modality in modalities:
        two_d = len(MODALITIES[modality]["size"]) == 2
        classes = ["shape2D" if two_d else "shape", *textures]
        params[modality] = {
            "featureClass": {name: [] for name in classes},
            "setting": {"binWidth": 5 if two_d else 25},
        }
    return params


def _check_arguments(n_cases, modalities, second_reader_fraction, positive_fraction):
    step = "make_imaging_cohort"
    if isinstance(modalities, str):
        modalities = (modalities,)
    modalities = tuple(dict.fromkeys(modalities))
    unknown = [m for m in modalities if m not in MODALITIES]
    if unknown or not modalities:
        raise ValueError(
            f"{step}: unknown modality {unknown!r}; choose from {list(MODALITIES)}."
        )
    if int(n_cases) != n_cases or n_cases < 2:
        raise ValueError(f"{step}: n_cases must be an integer >= 2; got {n_cases!r}.")
    if not 0 <= second_reader_fraction <= 1:
        raise ValueError(
            f"{step}: second_reader_fraction must lie in [0, 1]; got {second_reader_fraction!r}."
        )
    if not 0 < positive_fraction < 1:
        raise ValueError(
            f"{step}: positive_fraction must lie in (0, 1); got {positive_fraction!r}."
        )
    return modalities


def _physical_grid(spec) -> list[np.ndarray]:
    """Voxel-centre coordinates (mm) per SimpleITK axis, on the numpy (z, y, x) array shape."""
    axes = [np.arange(n) * spacing for n, spacing in zip(spec["size"], spec["spacing"])]
    mesh = np.meshgrid(*axes[::-1], indexing="ij")
    return mesh[::-1]


def _scanners(centres, shift, scale, n_cases, modalities, seed):
    """Each case's centre and its scanner's intensity gain and offset per modality.

    Without ``centres`` every gain is 1 and offset 0, which leaves the
    rendered intensities bit-identical.
    """
    if centres is None:
        ones = {modality: np.ones(n_cases) for modality in modalities}
        return None, ones, {modality: np.zeros(n_cases) for modality in modalities}
    step = "make_imaging_cohort"
    shares = centre_shares(centres, step)
    check_effect_sizes(step, centre_shift=shift, centre_scale=scale)
    rng = np.random.default_rng(seed)
    codes = assign_centres(shares, n_cases, rng)
    gain, offset = {}, {}
    for modality in modalities:
        gain[modality] = np.exp(rng.normal(0.0, scale, len(shares)))[codes]
        offset[modality] = rng.normal(0.0, shift * MODALITIES[modality]["noise"], len(shares))[codes]
    return np.asarray(list(shares), dtype=object)[codes], gain, offset


def _render_case(modality: str, aggressiveness: float, rng: np.random.Generator,
                 gain: float = 1.0, offset: float = 0.0):
    """Image and boolean lesion mask (numpy order) for one case and modality.

    ``aggressiveness`` moves each lesion property from its benign to its
    malignant value along a logistic curve centred between the classes;
    ``gain`` and ``offset`` are the scanner's intensity mapping.
    """
    spec = MODALITIES[modality]
    weight = 1 / (1 + math.exp(-1.5 * (aggressiveness - 0.6)))

    def between(benign, malignant):
        return benign + weight * (malignant - benign)

    coords = _physical_grid(spec)
    ndim = len(coords)
    extent = np.array(spec["size"]) * np.array(spec["spacing"])
    centre = extent / 2 + rng.uniform(-1.0, 1.0, ndim) * np.array(spec["spacing"]) * 2
    low, high = spec["radius"]
    radius = rng.uniform(low, high) * between(1.0, 1.15)
    stretch = rng.uniform(0.8, 1.2, ndim)
    relative = [(c - centre[d]) / stretch[d] for d, c in enumerate(coords)]
    distance = np.sqrt(sum(r**2 for r in relative)) + 1e-9
    direction = np.stack([r / distance for r in relative], axis=-1)
    n_harmonics = 6
    frequencies = rng.normal(size=(n_harmonics, ndim))
    frequencies *= rng.uniform(1.0, 2.5, (n_harmonics, 1)) / np.linalg.norm(
        frequencies, axis=1, keepdims=True
    )
    weights = rng.uniform(0.5, 1.0, n_harmonics)
    phases = rng.uniform(0, 2 * math.pi, n_harmonics)
    outline = np.cos(2 * math.pi * direction @ frequencies.T + phases) @ weights
    outline /= math.sqrt(np.sum(weights**2) / 2)
    irregularity = between(0.06, 0.25)
    lesion = distance <= radius * (1 + irregularity * outline)

    shape = lesion.shape
    background = spec["background"] + spec["noise"] * _smooth_noise(rng, shape, 2.0)
    mean = between(spec["benign"], spec["malignant"])
    grain, amplitude = between(0.6, 1.5), between(0.07, 0.22)
    inside = mean + amplitude * mean * _smooth_noise(rng, shape, grain)
    image = np.where(lesion, inside, background)
    image = ndimage.gaussian_filter(image, 0.6)
    if modality == "US":
        speckle = rng.rayleigh(1 / math.sqrt(math.pi / 2), shape)
        image *= 0.7 + 0.3 * speckle
    else:
        image += spec["noise"] * rng.standard_normal(shape)
    image = gain * image + offset
    image = np.clip(np.round(image), 0, np.iinfo(np.int16).max).astype(np.int16)
    return image, lesion


def _smooth_noise(rng: np.random.Generator, shape, sigma: float) -> np.ndarray:
    """Gaussian noise smoothed by ``sigma`` voxels, rescaled to unit SD."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return field / field.std()


def _perturb(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A second reader's outline: one voxel larger, smaller or displaced."""
    operation = rng.integers(3)
    if operation == 0:
        return ndimage.binary_dilation(mask)
    if operation == 1:
        return ndimage.binary_erosion(mask)
    return np.roll(mask, rng.choice([-1, 1]), axis=int(rng.integers(mask.ndim)))


def _write(path: Path, array: np.ndarray, spec) -> None:
    sitk = import_sitk()
    pixels = array.astype(np.uint8) if array.dtype == bool else array
    image = sitk.GetImageFromArray(pixels)
    image.SetSpacing(spec["spacing"])
    sitk.WriteImage(image, os.fspath(path))
