"""Real and synthetic datasets for examples, tests, benchmarks and the demo.

``load_wdbc_blocks``      the Wisconsin breast-mass features as three blocks
``make_multimodal_table`` a synthetic multimodal radiomics + CNN feature table
``make_imaging_cohort``   synthetic images and lesion masks per modality
"""

from .imaging import imaging_cohort_params, make_imaging_cohort
from .multimodal import RADIOMIC_FEATURE_NAMES, make_multimodal_table
from .wdbc import load_wdbc_blocks

__all__ = [
    "RADIOMIC_FEATURE_NAMES",
    "imaging_cohort_params",
    "load_wdbc_blocks",
    "make_imaging_cohort",
    "make_multimodal_table",
]
