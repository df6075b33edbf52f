"""Run a whole radiomics protocol: feature sets x classifiers x repeated CV, hold-out test.

:class:`Study` fits and evaluates; :class:`StudyResult` holds the tables,
predictions and fitted models that reports and figures are built from.
"""

from ._clinical import ClinicalModels
from ._example import example_study_result
from ._fusion_spec import FUSION_STRATEGIES, check_fusion_spec
from ._result import METRICS, StudyResult
from ._study import Study, protocol_pipeline

__all__ = [
    "ClinicalModels",
    "FUSION_STRATEGIES",
    "METRICS",
    "Study",
    "StudyResult",
    "check_fusion_spec",
    "example_study_result",
    "protocol_pipeline",
]
