"""One rule picks the two-group test for baseline_table and UnivariateFilter."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from radfuse.select import UnivariateFilter
from radfuse.stats import baseline_table, choose_group_test

RULE = {"normality_alpha": 0.05, "levene_alpha": 0.05}


@pytest.mark.parametrize(
    "normality, levene, expected",
    [
        ([0.05, 0.05], 0.05, "student"),  # p == alpha does not reject
        ([0.05, 0.05], 0.0499, "welch"),
        ([0.0499, 0.9], 0.9, "rank"),
        ([np.nan, 0.9], 0.9, "rank"),  # Shapiro-Wilk undefined: not normal
        ([0.9, 0.9], np.nan, "welch"),  # Levene undefined: do not assume equal variances
        ([0.9, 0.9, 0.9], 0.2, "student"),
    ],
)
def test_rule_boundaries(normality, levene, expected):
    assert choose_group_test(normality, levene, **RULE) == expected


@pytest.fixture(scope="module")
def mean_and_median_levene_disagree():
    """Two normal groups where mean-centred Levene rejects and median-centred does not."""
    rng = np.random.default_rng(16)
    a, b = rng.normal(0, 1, 30), rng.normal(0, 1.6, 30)
    assert min(stats.shapiro(a).pvalue, stats.shapiro(b).pvalue) >= 0.05
    assert stats.levene(a, b, center="mean").pvalue < 0.05 <= stats.levene(a, b).pvalue
    return pd.DataFrame({"x": np.concatenate([a, b]), "y": [0] * 30 + [1] * 30})


def test_baseline_and_filter_use_median_centred_levene(mean_and_median_levene_disagree):
    data = mean_and_median_levene_disagree
    row = baseline_table(data, "y", continuous=["x"]).loc[("x", "mean ± SD")]
    assert row["test"] == "Student t-test"
    selector = UnivariateFilter(alpha=1.0).fit(data[["x"]], data["y"])
    assert selector.tests_["x"] == "student"
    assert selector.levene_pvalues_["x"] == pytest.approx(
        stats.levene(*(data.x[data.y == k] for k in (0, 1))).pvalue, rel=1e-12
    )


def test_baseline_and_filter_choose_the_same_test_per_column(data_dir):
    asah = pd.read_csv(data_dir / "aSAH.csv")
    rng = np.random.default_rng(0)
    frame = asah[["age", "s100b", "ndka"]].assign(
        noise=rng.normal(size=len(asah)),
        spread=rng.normal(size=len(asah)) * np.where(asah["outcome"] == "Poor", 3.0, 1.0),
    )
    selector = UnivariateFilter(alpha=1.0).fit(frame, asah["outcome"] == "Poor")
    table = baseline_table(frame.assign(outcome=asah["outcome"]), "outcome",
                           continuous=list(frame.columns))
    names = {"Student t-test": "student", "Welch t-test": "welch", "Mann-Whitney U": "mann-whitney"}
    ours = {variable: names[test] for (variable, _), test in table["test"].dropna().items()
            if variable in frame.columns}
    assert ours == selector.tests_.to_dict()
    assert set(ours.values()) == {"student", "welch", "mann-whitney"}
