"""Parameter constraints shared by the public statistics functions (``validate_params``)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval

#: 1 - confidence level, or a significance level: strictly between 0 and 1.
ALPHA = [Interval(Real, 0, 1, closed="neither")]
#: A significance level used only to compare p-values: 0 and 1 allowed.
SIGNIFICANCE = [Interval(Real, 0, 1, closed="both")]
#: What ``numpy.random.default_rng`` accepts.
RANDOM_STATE = [
    None,
    Interval(Integral, 0, None, closed="left"),
    np.random.Generator,
    np.random.BitGenerator,
    np.random.SeedSequence,
]
#: A class label of a binary outcome, as scikit-learn's metrics take it.
POS_LABEL = [Real, str, "boolean", None]
#: A finite number.
FINITE = [Interval(Real, None, None, closed="neither")]
#: The arguments of the bootstrap refits (``bootstrap_validate``, ``bootstrap_calibration``).
BOOTSTRAP_PARAMETERS = {
    "estimator": [HasMethods(["fit"])],
    "X": ["array-like"],
    "y": ["array-like"],
    "resamples": ["array-like", None],
    "n_boot": [Interval(Integral, 1, None, closed="left")],
    "random_state": RANDOM_STATE,
    "n_jobs": [Integral, None],
    "pos_label": POS_LABEL,
}
