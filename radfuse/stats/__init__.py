"""Model-comparison statistics of radiomics studies, matched to reference software.

Plain functions taking arrays and returning small frozen result objects
(readable repr, ``.to_frame()``), or tidy DataFrames for tables. Each
docstring gives the formula, the reference, and the software it was
validated against (R's pROC, Hmisc, ResourceSelection, dcurves; pingouin,
statsmodels, scipy, scikit-learn).
"""

from .agreement import KappaResult, cohen_kappa, icc
from .baseline import baseline_table
from .calibration import CalibrationResult, calibration
from .decision_curve import BiopsyImpact, biopsy_impact, decision_curve
from .diagnostic import (
    DiagnosticMetrics,
    McNemarResult,
    YoudenThreshold,
    diagnostic_metrics,
    mcnemar_test,
    wilson_interval,
    youden_threshold,
)
from .reclassification import IDIResult, NRIResult, idi, nri
from .roc import AUCResult, DeLongTestResult, UnpairedDeLongTestResult, auc_ci, delong_test, delong_test_unpaired

__all__ = [
    "AUCResult",
    "BiopsyImpact",
    "CalibrationResult",
    "DeLongTestResult",
    "DiagnosticMetrics",
    "IDIResult",
    "KappaResult",
    "McNemarResult",
    "NRIResult",
    "UnpairedDeLongTestResult",
    "YoudenThreshold",
    "auc_ci",
    "baseline_table",
    "biopsy_impact",
    "calibration",
    "cohen_kappa",
    "decision_curve",
    "delong_test",
    "delong_test_unpaired",
    "diagnostic_metrics",
    "icc",
    "idi",
    "mcnemar_test",
    "nri",
    "wilson_interval",
    "youden_threshold",
]
from .logistic import (
    LikelihoodRatioTest,
    LogisticMLE,
    LogisticModelResult,
    NotConvergedError,
    SeparationError,
    logistic_model,
)
from .validation import ValidationResult, bootstrap_validate

__all__ += [
    "LikelihoodRatioTest",
    "LogisticMLE",
    "LogisticModelResult",
    "NotConvergedError",
    "SeparationError",
    "ValidationResult",
    "bootstrap_validate",
    "logistic_model",
]
from .bootstrap_calibration import BootstrapCalibrationResult, bootstrap_calibration

__all__ += ["BootstrapCalibrationResult", "bootstrap_calibration"]
