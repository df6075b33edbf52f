"""PyRadiomics feature extraction for multimodal cohorts.

From a manifest of images and lesion masks (several modalities or MRI
sequences per case, optionally several readers) to one feature table with
columns ``<block>__<feature>``, in parallel through joblib, resumable through a
content-addressed cache, with every failure reported and full provenance.

Needs the ``extract`` extras (PyRadiomics, SimpleITK); they are imported only
when used, so this package imports without them.

References
----------
van Griethuysen, J. J. M., Fedorov, A., Parmar, C., et al. (2017).
Computational radiomics system to decode the radiographic phenotype. Cancer
Research, 77(21), e104-e107.
"""

from ._checks import FAILURE_KINDS
from ._extractor import ExtractionError, extract_features
from ._manifest import read_manifest
from ._preprocess import (
    PREPROCESSING_STEPS,
    IntensityWindow,
    MapMaskToImage,
    N4BiasFieldCorrection,
    PercentileNormalization,
    PreprocessingStep,
    Resample,
    ZScoreNormalization,
    step_from_dict,
)
from ._result import ExtractionResult, load_features, provenance_path
from ._settings import ExtractionParams, load_params

__all__ = [
    "FAILURE_KINDS",
    "ExtractionError",
    "ExtractionParams",
    "ExtractionResult",
    "IntensityWindow",
    "MapMaskToImage",
    "N4BiasFieldCorrection",
    "PREPROCESSING_STEPS",
    "PercentileNormalization",
    "PreprocessingStep",
    "Resample",
    "ZScoreNormalization",
    "extract_features",
    "load_features",
    "load_params",
    "provenance_path",
    "read_manifest",
    "step_from_dict",
]
