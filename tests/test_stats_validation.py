"""bootstrap_validate against R's rms::validate.lrm on the same resamples
(tests/r/rms_reference.R; indices saved by R, rms_validate_*.csv)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from radfuse.stats import LogisticMLE, bootstrap_validate

RTOL = 1e-6  # the tolerance; observed differences are below 1e-9


def _dataset(data_dir, name):
    data = pd.read_csv(data_dir / f"rms_{name}.csv")
    resamples = pd.read_csv(data_dir / f"rms_resamples_{name}.csv").to_numpy() - 1
    reference = pd.read_csv(data_dir / f"rms_validate_{name}.csv", index_col="index")
    return data, list(resamples), reference


def _assert_matches_rms(table, reference):
    assert table.index.tolist() == [
        "Dxy", "C", "R2", "Intercept", "Slope", "Emax", "D", "U", "Q", "B", "g", "gp"
    ]
    assert table.columns.tolist() == ["apparent", "training", "test", "optimism", "corrected", "n"]
    ours = table.drop(index="C")
    r = reference.rename(
        columns={"index.orig": "apparent", "index.corrected": "corrected"}
    ).loc[ours.index, ours.columns]
    np.testing.assert_allclose(ours.to_numpy(float), r.to_numpy(float), rtol=RTOL, atol=0)
    dxy = table.loc["Dxy", ["apparent", "training", "test", "corrected"]].to_numpy(float)
    np.testing.assert_allclose(
        table.loc["C", ["apparent", "training", "test", "corrected"]].to_numpy(float),
        (1 + dxy) / 2, rtol=1e-12,
    )


def test_matches_rms_validate(data_dir):
    data, resamples, reference = _dataset(data_dir, "clinical")
    X = pd.get_dummies(data[["rad_score", "age", "grade"]], drop_first=True, dtype=float)
    result = bootstrap_validate(LogisticMLE(), X, data["y"], resamples=resamples)
    _assert_matches_rms(result.table, reference)
    assert (result.n_resamples, result.n_failed) == (200, 0)


def test_a_pipeline_dummy_coding_inside_gives_the_same_table(data_dir):
    data, resamples, reference = _dataset(data_dir, "clinical")
    pipeline = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(drop="first"), ["grade"]), remainder="passthrough"
        ),
        LogisticMLE(),
    )
    result = bootstrap_validate(
        pipeline, data[["rad_score", "age", "grade"]], data["y"], resamples=resamples[:40]
    )
    X = pd.get_dummies(data[["rad_score", "age", "grade"]], drop_first=True, dtype=float)
    plain = bootstrap_validate(LogisticMLE(), X, data["y"], resamples=resamples[:40])
    pd.testing.assert_frame_equal(result.table, plain.table, rtol=1e-10)


def test_near_separation_matches_rms_and_leaves_out_separated_resamples(data_dir):
    data, resamples, reference = _dataset(data_dir, "separation")
    with pytest.warns(RuntimeWarning, match=r"2 of 100 resample\(s\) \[65, 69\] left out"):
        result = bootstrap_validate(LogisticMLE(), data[["score", "noise"]], data["y"],
                                    resamples=resamples)
    _assert_matches_rms(result.table, reference)
    assert result.n_failed == 2
    assert (result.table["n"] == 98).all()


def test_same_result_for_any_n_jobs():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4))
    y = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0] + 0.5 * X[:, 1])))
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5))
    serial = bootstrap_validate(model, X, y, n_boot=12, random_state=5, n_jobs=1)
    parallel = bootstrap_validate(model, X, y, n_boot=12, random_state=5, n_jobs=2)
    pd.testing.assert_frame_equal(serial.table, parallel.table, check_exact=True)


def test_optimism_is_refitted_per_resample():
    # Pure noise: the apparent discrimination of a flexible model is optimistic,
    # the corrected one is near chance (C about 0.5).
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(150, 40)), rng.integers(0, 2, 150)
    result = bootstrap_validate(LogisticRegression(C=10.0), X, y, n_boot=30, random_state=0)
    table = result.table
    assert table.at["C", "apparent"] > 0.7
    assert abs(table.at["C", "corrected"] - 0.5) < 0.1
    assert table.at["Slope", "corrected"] < 0.6


def test_last_step_without_decision_function_is_named():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), rng.integers(0, 2, 40)
    model = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=5, random_state=0))
    with pytest.raises(TypeError, match=r"last step 'randomforestclassifier'.*no decision_function"):
        bootstrap_validate(model, X, y, n_boot=2, random_state=0)


def test_bad_resamples_are_named():
    X, y = np.arange(20.0)[:, None], np.tile([0, 1], 10)
    with pytest.raises(ValueError, match=r"resample 1 has position\(s\) \[20\] outside 0..19"):
        bootstrap_validate(LogisticRegression(), X, y, resamples=[np.arange(20), np.arange(1, 21)])
