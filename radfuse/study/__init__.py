"""Run a whole radiomics protocol: feature sets x classifiers x repeated CV, hold-out test.

:class:`Study` fits and evaluates; :class:`StudyResult` holds the tables,
predictions and fitted models that reports and figures are built from.
"""

from ._example import example_study_result
from ._result import METRICS, StudyResult
from ._study import FUSION_STRATEGIES, Study, protocol_pipeline

__all__ = [
    "FUSION_STRATEGIES",
    "METRICS",
    "Study",
    "StudyResult",
    "example_study_result",
    "protocol_pipeline",
]
