"""The published radiomics protocol as one imbalanced-learn ``Pipeline``.

ICC reliability -> SMOTE -> z-score -> univariate tests -> Spearman pruning ->
mRMR -> LASSO -> classifier. Because every data-dependent step is a pipeline
step, ``cross_validate`` or ``GridSearchCV`` refit all of them inside each
training fold; SMOTE, as an imbalanced-learn sampler, only ever resamples the
training part.

:data:`PROTOCOL_STEPS` is the one registry of the protocol's steps (name ->
estimator class and radfuse's defaults), used by
:func:`make_radiomics_pipeline` and by the study-file loader.
"""

from ._checked import CheckedSMOTE, CheckedStandardScaler
from ._pipeline import RadiomicsPipeline, feature_counts, fit_resample_transform, transform_new_cases
from ._steps import PROTOCOL_STEPS, ProtocolStep, make_radiomics_pipeline

__all__ = [
    "PROTOCOL_STEPS",
    "CheckedSMOTE",
    "CheckedStandardScaler",
    "ProtocolStep",
    "RadiomicsPipeline",
    "feature_counts",
    "fit_resample_transform",
    "make_radiomics_pipeline",
    "transform_new_cases",
]
