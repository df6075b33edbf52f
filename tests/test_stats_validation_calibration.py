"""bootstrap_calibration against R's rms::calibrate on the same resamples, and the
lowess port against R's lowess (tests/r/rms_reference.R, rms_calibrate_*.csv)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from radfuse.stats import LogisticMLE, bootstrap_calibration
from radfuse.stats._lowess import lowess

RTOL = 1e-6  # the tolerance; observed differences are below 1e-8


@pytest.mark.parametrize("name", ["clinical", "separation"])
def test_matches_rms_calibrate(data_dir, name):
    data = pd.read_csv(data_dir / f"rms_{name}.csv")
    X = data.drop(columns="y")
    if name == "clinical":
        X = pd.get_dummies(X, drop_first=True, dtype=float)
    resamples = list(pd.read_csv(data_dir / f"rms_resamples_{name}.csv").to_numpy() - 1)
    with warnings.catch_warnings():
        # The near-separation data have two separated resamples, left out as in R.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = bootstrap_calibration(LogisticMLE(), X, data["y"], resamples=resamples)
    reference = pd.read_csv(data_dir / f"rms_calibrate_{name}.csv")
    assert result.table.columns.tolist() == reference.columns.tolist()
    np.testing.assert_allclose(result.table.to_numpy(float), reference.to_numpy(float), rtol=RTOL)
    errors = pd.read_csv(data_dir / f"rms_calibrate_{name}_errors.csv", index_col="name")["value"]
    for field in errors.index:
        assert getattr(result, field) == pytest.approx(errors[field], rel=RTOL)


def test_lowess_matches_r_on_ties():
    # R 4.x: x <- c(0.1, 0.2, 0.2, 0.2, 0.4, 0.5, 0.7, 0.7, 0.9, 1);
    # y <- c(0, 0, 1, 0, 1, 0, 1, 1, 1, 1); format(lowess(x, y, iter = 0)$y, digits = 17)
    x = np.array([0.1, 0.2, 0.2, 0.2, 0.4, 0.5, 0.7, 0.7, 0.9, 1.0])
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1, 1, 1.0])
    r_fitted = np.array([
        -8.3266726846886741e-17, 3.3333333333333326e-01, 3.3333333333333326e-01,
        3.3333333333333326e-01, 4.4583259367177924e-01, 6.0344576891224277e-01,
        8.7078969180920818e-01, 8.7078969180920818e-01, 1.0071214685429140e+00,
        1.0411430575519498e+00,
    ])
    sorted_x, fitted = lowess(x, y)
    np.testing.assert_array_equal(sorted_x, np.sort(x))
    np.testing.assert_allclose(fitted, r_fitted, rtol=1e-12, atol=1e-15)
