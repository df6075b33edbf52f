"""PyRadiomics parameters, shared by all blocks or given per block.

Parameters use PyRadiomics' own format (a YAML/JSON file or the equivalent
dict) with the sections ``imageType`` (Original, Wavelet, LoG, LBP2D, LBP3D,
Square, Exponential, ...), ``featureClass`` (firstorder, shape, shape2D, glcm,
glrlm, glszm, gldm, ngtdm) and ``setting`` (binWidth, force2D, label,
resampledPixelSpacing, ...). PyRadiomics validates them against its schema;
radfuse fills in its defaults so the provenance records every value used.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from .._validation import preview
from ._dependencies import import_featureextractor

PARAMETER_SECTIONS = ("imageType", "featureClass", "setting", "voxelSetting")
_STEP = "load_params"

#: What PyRadiomics imports to compute an image type, as (module, name, package
#: to install). Without it PyRadiomics logs a warning and yields no image, so
#: the features of that image type would silently be absent.
IMAGE_TYPE_IMPORTS = {
    "LBP2D": (("skimage.feature", "local_binary_pattern", "scikit-image"),),
    "LBP3D": (
        ("scipy.stats", "kurtosis", "scipy"),
        ("scipy.ndimage.interpolation", "map_coordinates", "scipy"),
        ("scipy.special", "sph_harm", "scipy < 1.17 (sph_harm was removed in SciPy 1.17)"),
        ("trimesh.creation", "icosphere", "trimesh"),
    ),
}


@dataclasses.dataclass(frozen=True)
class ExtractionParams:
    """Validated, complete PyRadiomics parameters for one block.

    Build it with :meth:`from_pyradiomics`; the three dicts hold what
    PyRadiomics' ``RadiomicsFeatureExtractor`` will use, defaults included.

    Attributes
    ----------
    image_types : dict
        Enabled image types and their custom settings, e.g. ``{"Original": {}}``.
    feature_classes : dict
        Enabled feature classes; an empty list or None enables every
        (non-deprecated) feature of the class.
    settings : dict
        All settings, PyRadiomics' defaults filled in.

    Examples
    --------
    >>> from radfuse.extract import ExtractionParams
    >>> params = ExtractionParams.from_pyradiomics(
    ...     {"featureClass": {"firstorder": [], "glcm": []}, "setting": {"binWidth": 10}})
    >>> params.settings["binWidth"], params.settings["label"], sorted(params.feature_classes)
    (10, 1, ['firstorder', 'glcm'])

    References
    ----------
    van Griethuysen, J. J. M., Fedorov, A., Parmar, C., et al. (2017).
    Computational radiomics system to decode the radiographic phenotype.
    Cancer Research, 77(21), e104-e107.
    """

    image_types: dict
    feature_classes: dict
    settings: dict

    @classmethod
    def from_pyradiomics(cls, params=None, *, block: str | None = None) -> ExtractionParams:
        """Validate PyRadiomics parameters (None, a YAML/JSON path or a dict).

        None gives PyRadiomics' defaults: the Original image and every feature
        class except shape2D.

        Examples
        --------
        >>> from radfuse.extract import ExtractionParams
        >>> params = ExtractionParams.from_pyradiomics(None)
        >>> list(params.image_types), params.label
        (['Original'], 1)
        """
        import_featureextractor()
        import pykwalify.errors

        where = f" for block {block!r}" if block is not None else ""
        if isinstance(params, (str, os.PathLike)):
            params = _read_parameter_file(params)
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(
                f"{_STEP}: parameters{where} must be None, a YAML/JSON path or a dict; "
                f"got {type(params).__name__}."
            )
        try:
            extractor = _shared_extractor(None if params is None else _plain(params))
        except pykwalify.errors.PyKwalifyException as error:
            raise ValueError(
                f"{_STEP}: PyRadiomics rejected the parameters{where}: {error.msg}"
            ) from error
        validated = cls(
            image_types=_plain(extractor.enabledImagetypes),
            feature_classes=_plain(extractor.enabledFeatures),
            settings=_plain(extractor.settings),
        )
        check_image_type_packages(validated.image_types, where)
        _EXTRACTORS.setdefault(validated.fingerprint(), extractor)
        return validated

    @property
    def label(self) -> int:
        """The mask value used when the manifest gives no ``label``."""
        return int(self.settings.get("label", 1))

    def to_dict(self) -> dict:
        """The parameters in PyRadiomics' dict format."""
        return {
            "imageType": _plain(self.image_types),
            "featureClass": _plain(self.feature_classes),
            "setting": _plain(self.settings),
        }

    def fingerprint(self) -> str:
        """Canonical JSON text, identical for equal parameters."""
        return self._canonical_json

    @functools.cached_property
    def _canonical_json(self) -> str:
        # Computed once per object: every work item asks for its extractor.
        return json.dumps(self.to_dict(), sort_keys=True)

    def radiomics_extractor(self):
        """The ``RadiomicsFeatureExtractor`` for these parameters, shared within a process.

        PyRadiomics' ``execute`` copies its settings per call, so one
        extractor serves every work item; treat it as read-only.
        """
        extractor = _EXTRACTORS.get(self.fingerprint())
        return extractor if extractor is not None else _shared_extractor(self.to_dict())


def check_image_type_packages(image_types, where: str = "") -> None:
    """Raise an ImportError naming the package an enabled image type needs and lacks.

    Examples
    --------
    >>> from radfuse.extract._settings import check_image_type_packages
    >>> check_image_type_packages({"Original": {}})
    """
    missing = []
    for image_type in image_types:
        for module, name, package in IMAGE_TYPE_IMPORTS.get(image_type, ()):
            try:
                with warnings.catch_warnings():
                    # scipy.ndimage.interpolation is deprecated, still what PyRadiomics imports.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError):
                missing.append(f"{image_type} needs {package} (PyRadiomics imports {module}.{name})")
    if missing:
        raise ImportError(
            f"{_STEP}: image type(s) requested{where} cannot be computed: {'; '.join(missing)}. "
            "PyRadiomics would skip them with a log message and no features; install the "
            "package(s) or remove the image type(s) from imageType."
        )


def load_params(params, blocks: Iterable[str]) -> dict[str, ExtractionParams]:
    """Resolve shared or per-block PyRadiomics parameters for each block.

    Parameters
    ----------
    params : None, str, path-like or dict
        * None: PyRadiomics' defaults for every block.
        * A YAML/JSON file or dict in PyRadiomics' format (top-level keys
          among ``imageType``, ``featureClass``, ``setting``,
          ``voxelSetting``): shared by every block.
        * A dict (or a YAML/JSON file holding one) keyed by block name, each
          value one of the above: per-block parameters, e.g. 2D settings with
          ``shape2D`` for ultrasound and 3D settings for MRI. Relative file
          paths inside a parameter file are resolved against its folder.
    blocks : iterable of str
        The blocks that need parameters (those of the manifest).

    Returns
    -------
    dict of str to ExtractionParams

    Examples
    --------
    >>> from radfuse.extract import load_params
    >>> per_block = load_params(
    ...     {"US": {"featureClass": {"shape2D": [], "firstorder": []}},
    ...      "T2": {"featureClass": {"shape": []}, "setting": {"binWidth": 10}}},
    ...     blocks=["US", "T2"])
    >>> sorted(per_block["US"].feature_classes), per_block["T2"].settings["binWidth"]
    (['firstorder', 'shape2D'], 10)
    """
    blocks = list(dict.fromkeys(blocks))
    folder = None
    if isinstance(params, (str, os.PathLike)):
        folder = Path(params).resolve().parent
        params = _read_parameter_file(params)
    if params is None or _is_pyradiomics_dict(params):
        shared = ExtractionParams.from_pyradiomics(params)
        return {block: shared for block in blocks}
    if not isinstance(params, Mapping):
        raise TypeError(
            f"{_STEP}: params must be None, a YAML/JSON path or a dict; "
            f"got {type(params).__name__}."
        )
    missing = [block for block in blocks if block not in params]
    if missing:
        raise ValueError(
            f"{_STEP}: params are keyed by block ({preview(list(params))}) but give nothing for "
            f"block(s) {preview(missing)}. Add them, or pass one parameter set for all blocks "
            f"(top-level keys among {list(PARAMETER_SECTIONS)})."
        )
    return {
        block: ExtractionParams.from_pyradiomics(_relative_to(params[block], folder), block=block)
        for block in blocks
    }


# Building an extractor parses PyRadiomics' schema (~0.1 s), so each process
# builds one per distinct parameter set; keyed by canonical JSON.
_EXTRACTORS: dict = {}


def _shared_extractor(params: dict | None):
    key = json.dumps(params, sort_keys=True)
    if key not in _EXTRACTORS:
        featureextractor = import_featureextractor()
        _EXTRACTORS[key] = (
            featureextractor.RadiomicsFeatureExtractor()
            if params is None
            else featureextractor.RadiomicsFeatureExtractor(params)
        )
    return _EXTRACTORS[key]


def _is_pyradiomics_dict(params) -> bool:
    if not isinstance(params, Mapping):
        return False
    keys = set(params)
    sections = keys & set(PARAMETER_SECTIONS)
    if sections and sections != keys:
        raise ValueError(
            f"{_STEP}: params mix PyRadiomics sections {preview(sorted(sections))} with other "
            f"keys {preview(sorted(keys - sections))}. Use only {list(PARAMETER_SECTIONS)} for "
            "shared parameters, or only block names for per-block parameters."
        )
    return bool(sections) or not keys


def _read_parameter_file(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{_STEP}: parameter file {str(path)!r} does not exist.")
    with path.open(encoding="utf-8") as handle:
        try:
            content = yaml.safe_load(handle)
        except yaml.YAMLError as error:
            raise ValueError(
                f"{_STEP}: cannot parse parameter file {str(path)!r}: {error}"
            ) from error
    if content is None:
        return {}
    if not isinstance(content, Mapping):
        raise ValueError(
            f"{_STEP}: parameter file {str(path)!r} must hold a mapping; "
            f"got {type(content).__name__}."
        )
    return dict(content)


def _relative_to(params, folder: Path | None):
    if folder is not None and isinstance(params, (str, os.PathLike)):
        return folder / params
    return params


def _plain(value):
    """A deep copy made of JSON types only (tuples become lists)."""
    return json.loads(json.dumps(value))
