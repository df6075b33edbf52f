"""Model-comparison statistics of radiomics studies, matched to reference software.

Plain functions taking arrays and returning small frozen result objects
(readable repr, ``.to_frame()``), or tidy DataFrames for tables. Each
docstring gives the formula, the reference, and the software it was
validated against (R's pROC, Hmisc, ResourceSelection, dcurves, rms;
pingouin, statsmodels, scipy, scikit-learn).

The modules are private; import everything from ``radfuse.stats``.
"""

from ._agreement import ICC_TYPES, KappaResult, cohen_kappa, icc, icc_per_feature
from ._baseline import baseline_table
from ._bootstrap_calibration import BootstrapCalibrationResult, bootstrap_calibration
from ._calibration import CalibrationResult, calibration
from ._decision_curve import BiopsyImpact, biopsy_impact, decision_curve
from ._diagnostic import (
    DiagnosticMetrics,
    McNemarTestResult,
    YoudenThreshold,
    diagnostic_metrics,
    mcnemar_test,
    wilson_ci,
    youden_threshold,
)
from ._group_test import choose_group_test
from ._logistic import (
    LikelihoodRatioTest,
    LogisticMLE,
    LogisticModelResult,
    NotConvergedError,
    SeparationError,
    logistic_model,
)
from ._reclassification import IDIResult, NRIResult, idi, nri
from ._resampling import (
    ResampledCIResult,
    ResampledTTestResult,
    corrected_resampled_ci,
    corrected_resampled_t_test,
)
from ._result import StatResult
from ._roc import (
    AUCResult,
    DeLongTestResult,
    UnpairedDeLongTestResult,
    auc_ci,
    delong_test,
    delong_test_unpaired,
)
from ._validation import ValidationResult, bootstrap_validate

__all__ = [
    "AUCResult",
    "BiopsyImpact",
    "BootstrapCalibrationResult",
    "CalibrationResult",
    "DeLongTestResult",
    "DiagnosticMetrics",
    "ICC_TYPES",
    "IDIResult",
    "KappaResult",
    "LikelihoodRatioTest",
    "LogisticMLE",
    "LogisticModelResult",
    "McNemarTestResult",
    "NRIResult",
    "NotConvergedError",
    "ResampledCIResult",
    "ResampledTTestResult",
    "SeparationError",
    "StatResult",
    "UnpairedDeLongTestResult",
    "ValidationResult",
    "YoudenThreshold",
    "auc_ci",
    "baseline_table",
    "biopsy_impact",
    "bootstrap_calibration",
    "bootstrap_validate",
    "calibration",
    "choose_group_test",
    "cohen_kappa",
    "corrected_resampled_ci",
    "corrected_resampled_t_test",
    "decision_curve",
    "delong_test",
    "delong_test_unpaired",
    "diagnostic_metrics",
    "icc",
    "icc_per_feature",
    "idi",
    "logistic_model",
    "mcnemar_test",
    "nri",
    "wilson_ci",
    "youden_threshold",
]
