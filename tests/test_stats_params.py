"""Every public statistics function validates its parameters (sklearn's validate_params).

Each case below was accepted before, and gave a wrong or meaningless answer
(e.g. ``corrected_resampled_ci(alpha=2)`` an interval (inf, -inf),
``icc(alpha=2)`` bounds (nan, -1)) or failed deep inside with an unrelated error.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from radfuse.stats import (
    auc_ci,
    baseline_table,
    biopsy_impact,
    bootstrap_calibration,
    bootstrap_validate,
    calibration,
    choose_group_test,
    cohen_kappa,
    corrected_resampled_ci,
    corrected_resampled_t_test,
    decision_curve,
    delong_test,
    delong_test_unpaired,
    diagnostic_metrics,
    icc,
    icc_per_feature,
    idi,
    logistic_model,
    mcnemar_test,
    nri,
    wilson_ci,
    youden_threshold,
)

Y = [0, 1, 0, 1, 0, 1, 1, 0]
P = [0.1, 0.8, 0.3, 0.7, 0.4, 0.6, 0.9, 0.2]
Q = [0.2, 0.7, 0.1, 0.9, 0.5, 0.4, 0.8, 0.3]
PRED = [0, 1, 0, 1, 1, 1, 1, 0]
SCORES = [0.81, 0.77, 0.85, 0.79]
RATINGS = np.arange(24, dtype=float).reshape(8, 3) + np.random.default_rng(1).normal(size=(8, 3))
X = np.random.default_rng(0).normal(size=(40, 2))
Y40 = np.tile([0, 1], 20)
FRAME = pd.DataFrame({"y": Y, "x": P, "g": ["a", "b"] * 4})

# (function, arguments, the parameter named in the error). One row per value
# that was accepted before and is rejected now.
NEWLY_REJECTED = [
    (corrected_resampled_ci, dict(scores=SCORES, n_train=10, n_test=2, alpha=2), "alpha"),
    (corrected_resampled_ci, dict(scores=SCORES, n_train=10, n_test=2, alpha=0), "alpha"),
    (corrected_resampled_t_test, dict(scores_a=SCORES, scores_b=SCORES, n_train=10, n_test=2,
                                      alpha=-0.1), "alpha"),
    (icc, dict(ratings=RATINGS, alpha=2), "alpha"),
    (icc, dict(ratings=RATINGS, alpha=0), "alpha"),
    (auc_ci, dict(y_true=Y, y_score=P, random_state=-1), "random_state"),
    (auc_ci, dict(y_true=Y, y_score=P, random_state=np.random.RandomState(0)), "random_state"),
    (auc_ci, dict(y_true=Y, y_score=P, pos_label=(1,)), "pos_label"),
    (wilson_ci, dict(successes=2.0, trials=5), "successes"),
    (wilson_ci, dict(successes=2, trials=5.5), "trials"),
    (mcnemar_test, dict(y_true=Y, pred_a=PRED, pred_b=PRED, exact=1), "exact"),
    (mcnemar_test, dict(y_true=Y, pred_a=PRED, pred_b=PRED, correction="yes"), "correction"),
    (bootstrap_validate, dict(estimator=LogisticRegression(), X=X, y=Y40,
                              resamples=(np.arange(40) for _ in range(2))), "resamples"),
    (bootstrap_validate, dict(estimator=LogisticRegression(), X=X, y=Y40, n_jobs=1.5), "n_jobs"),
    (choose_group_test, dict(normality_pvalues=[0.3, 0.4], levene_pvalues=0.5,
                             normality_alpha=1.5, levene_alpha=0.05), "normality_alpha"),
]

# Values that failed before with an error about something else (a format
# specifier, numpy's default_rng, clone); now named.
FAILED_UNCLEARLY_BEFORE = [
    (baseline_table, dict(df=FRAME, group="g", continuous=["x"], decimals=-1), "decimals"),
    (baseline_table, dict(df=FRAME, group="g", continuous=["x"], random_state=1.5),
     "random_state"),
    (bootstrap_calibration, dict(estimator="lr", X=X, y=Y40), "estimator"),
]

# Values rejected before too, now by validate_params with its message.
STILL_REJECTED = [
    (corrected_resampled_ci, dict(scores=SCORES, n_train=np.inf, n_test=2), "n_train"),
    (icc_per_feature, dict(ratings=RATINGS[:, :, None], icc_type="ICC4"), "icc_type"),
    (diagnostic_metrics, dict(y_true=Y, y_score=P, threshold=0.5, n_boot=2.5), "n_boot"),
    (auc_ci, dict(y_true=Y, y_score=P, alpha=1), "alpha"),
    (auc_ci, dict(y_true=Y, y_score=P, method="wald"), "method"),
    (auc_ci, dict(y_true=Y, y_score=P, method="bootstrap", n_boot=1), "n_boot"),
    (delong_test, dict(y_true=Y, score_a=P, score_b=Q, alpha=1.5), "alpha"),
    (delong_test_unpaired, dict(y_a=Y, score_a=P, y_b=Y, score_b=Q, alpha=0), "alpha"),
    (nri, dict(y_true=Y, prob_a=P, prob_b=Q, variance="bootstrap"), "variance"),
    (idi, dict(y_true=Y, prob_a=P, prob_b=Q, alpha=2), "alpha"),
    (calibration, dict(y_true=Y, y_prob=P, n_bins=1), "n_bins"),
    (calibration, dict(y_true=Y, y_prob=P, strategy="kmeans"), "strategy"),
    (decision_curve, dict(y_true=Y, probs=P), "probs"),
    (biopsy_impact, dict(y_true=Y, y_score=P, threshold=np.inf), "threshold"),
    (diagnostic_metrics, dict(y_true=Y, y_score=P, threshold=np.nan), "threshold"),
    (diagnostic_metrics, dict(y_true=Y, y_score=P, threshold=0.5, method="wald"), "method"),
    (youden_threshold, dict(y_true=Y, y_score=P, pos_label=[1]), "pos_label"),
    (mcnemar_test, dict(y_true=Y, pred_a=PRED, pred_b=PRED, subset="some"), "subset"),
    (cohen_kappa, dict(a=PRED, b=Y, weights="cubic"), "weights"),
    (cohen_kappa, dict(a=PRED, b=Y, alpha=1), "alpha"),
    (wilson_ci, dict(successes=2, trials=0), "trials"),
    (baseline_table, dict(df=FRAME.to_numpy(), group="g"), "df"),
    (baseline_table, dict(df=FRAME, group="g", levene_alpha=1), "levene_alpha"),
    (baseline_table, dict(df=FRAME, group="g", n_resamples=0), "n_resamples"),
    (corrected_resampled_ci, dict(scores=SCORES, n_train=0, n_test=2), "n_train"),
    (corrected_resampled_ci, dict(scores=SCORES, n_train=10, n_test=-1), "n_test"),
    (logistic_model, dict(data=FRAME, outcome="y", predictors="x"), "predictors"),
    (logistic_model, dict(data=FRAME.to_numpy(), outcome="y", predictors=["x"]), "data"),
    (logistic_model, dict(data=FRAME, outcome="y", predictors=["x"], alpha=0), "alpha"),
    (bootstrap_validate, dict(estimator=LogisticRegression(), X=X, y=Y40, n_boot=0), "n_boot"),
]


@pytest.mark.parametrize(
    "function, arguments, parameter",
    NEWLY_REJECTED + FAILED_UNCLEARLY_BEFORE + STILL_REJECTED,
    ids=lambda value: getattr(value, "__name__", None),
)
def test_invalid_parameter_is_named(function, arguments, parameter):
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter of {function.__name__}"):
        function(**arguments)


def test_invalid_parameter_error_is_still_a_value_error():
    # Callers catching ValueError (or TypeError, for a wrong type) keep working.
    with pytest.raises(ValueError):
        corrected_resampled_ci(SCORES, 10, 2, alpha=2)
    with pytest.raises(TypeError):
        corrected_resampled_ci(SCORES, 10, "2")


@pytest.mark.parametrize("alpha", [0.001, 0.5, 0.999])
def test_alpha_strictly_inside_zero_one_is_accepted(alpha):
    result = corrected_resampled_ci(SCORES, 10, 2, alpha=alpha)
    assert result.ci_lower < result.estimate < result.ci_upper
    assert icc(RATINGS, alpha=alpha).notna().all().all()


def test_numpy_generators_and_labels_are_accepted():
    rng = np.random.default_rng(0)
    assert auc_ci(np.array(Y), P, method="bootstrap", n_boot=20, random_state=rng).n_boot == 20
    labels = np.where(np.array(Y) == 1, "malignant", "benign")
    assert auc_ci(labels, P, pos_label=np.str_("malignant")).estimate == auc_ci(Y, P).estimate
    assert wilson_ci(np.int64(2), np.int64(5)) == wilson_ci(2, 5)
