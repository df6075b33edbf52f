"""pos_label wherever labels are taken, and paired inputs checked for the same cases."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

from radfuse.stats import (
    LogisticMLE,
    bootstrap_calibration,
    bootstrap_validate,
    calibration,
    decision_curve,
    idi,
    logistic_model,
    nri,
)

RNG = np.random.default_rng(3)
X = RNG.normal(size=(80, 2))
Y = RNG.binomial(1, special.expit(X[:, 0] - 0.3 * X[:, 1]))
WORDS = np.where(Y == 1, "malignant", "benign")
P = special.expit(X[:, 0])
Q = special.expit(0.5 * X[:, 0])
RESAMPLES = [RNG.integers(0, 80, 80) for _ in range(4)]


@pytest.mark.parametrize(
    "call",
    [
        lambda y, **kw: nri(y, P, Q, **kw).estimate,
        lambda y, **kw: idi(y, P, Q, **kw).estimate,
        lambda y, **kw: calibration(y, P, **kw).statistic,
        lambda y, **kw: decision_curve(y, {"m": P}, **kw)["net_benefit"].to_numpy(),
    ],
)
def test_string_labels_with_pos_label_equal_0_1(call):
    np.testing.assert_array_equal(call(WORDS, pos_label="malignant"), call(Y))
    with pytest.raises(ValueError, match="pos_label"):
        call(WORDS)


def test_logistic_model_pos_label():
    data = pd.DataFrame({"y": WORDS, "a": X[:, 0]})
    ours = logistic_model(data, "y", ["a"], pos_label="malignant")
    numeric = logistic_model(data.assign(y=Y), "y", ["a"])
    pd.testing.assert_frame_equal(ours.table, numeric.table)
    flipped = logistic_model(data, "y", ["a"], pos_label="benign")
    assert flipped.coef["a"] == pytest.approx(-numeric.coef["a"], rel=1e-10)


@pytest.mark.parametrize("function", [bootstrap_validate, bootstrap_calibration])
def test_bootstrap_pos_label(function):
    # The event named by pos_label gives the same result as coding it 1,
    # also when it is the first class of the fitted model (lp negated).
    numeric = function(LogisticMLE(), X, Y, resamples=RESAMPLES)
    words = function(LogisticMLE(), X, WORDS, resamples=RESAMPLES, pos_label="malignant")
    pd.testing.assert_frame_equal(words.table, numeric.table)
    first_class = np.where(Y == 1, "a_event", "b_other")
    flipped = function(LogisticMLE(), X, first_class, resamples=RESAMPLES, pos_label="a_event")
    pd.testing.assert_frame_equal(flipped.table, numeric.table, rtol=1e-9)


def test_logistic_mle_and_bootstrap_refuse_misaligned_cases():
    frame = pd.DataFrame(X, columns=["a", "b"])
    shuffled = pd.Series(Y).sample(frac=1, random_state=0)
    with pytest.raises(ValueError, match="LogisticMLE: y holds the same 80 cases as X in another order"):
        LogisticMLE().fit(frame, shuffled)
    with pytest.raises(ValueError, match="bootstrap_validate: y holds the same 80 cases"):
        bootstrap_validate(LogisticMLE(), frame, shuffled, resamples=RESAMPLES)
