"""baseline_table: test selection, p-values against scipy/pingouin, formatted summaries."""

import itertools
import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pingouin_compat import pingouin_names
from scipy import stats

from radfuse._files import read_csv_exact
from radfuse.stats import baseline_table

P_TOL = 1e-12
CONTINUOUS = ["age", "s100b", "ndka"]
CATEGORICAL = ["gender", "wfns"]


@pytest.fixture(scope="module")
def asah(data_dir):
    return pd.read_csv(data_dir / "aSAH.csv")


@pytest.fixture(scope="module")
def by_outcome(asah):
    return baseline_table(asah, "outcome", CONTINUOUS, CATEGORICAL, random_state=0)


def _split(asah, column, group="outcome"):
    levels = sorted(asah[group].unique())
    return [asah.loc[asah[group] == level, column].to_numpy(float) for level in levels]


def test_layout_and_group_sizes(by_outcome, asah):
    assert list(by_outcome.columns) == ["Good", "Poor", "overall", "missing", "p_value", "test"]
    assert by_outcome.index.names == ["variable", "level"]
    counts = asah["outcome"].value_counts()
    assert by_outcome.loc[("n", ""), "Good"] == str(counts["Good"])
    assert by_outcome.loc[("n", ""), "Poor"] == str(counts["Poor"])
    assert by_outcome.loc[("n", ""), "overall"] == str(len(asah))
    assert (by_outcome["missing"] == 0).all()
    expected_rows = 1 + len(CONTINUOUS) + asah["gender"].nunique() + asah["wfns"].nunique()
    assert len(by_outcome) == expected_rows


def test_age_is_normal_with_equal_variances_so_student_t(by_outcome, asah):
    good, poor = _split(asah, "age")
    # The rule's inputs, from scipy directly: both groups pass Shapiro-Wilk, Levene does not reject.
    assert min(stats.shapiro(good).pvalue, stats.shapiro(poor).pvalue) >= 0.05
    assert stats.levene(good, poor, center="median").pvalue >= 0.05
    row = by_outcome.loc[("age", "mean ± SD")]
    assert row["test"] == "Student t-test"
    assert row["p_value"] == pytest.approx(stats.ttest_ind(good, poor).pvalue, rel=P_TOL, abs=P_TOL)
    reference = pingouin_names(pg.ttest(good, poor, correction=False))
    assert row["p_value"] == pytest.approx(reference["p_val"].iloc[0], rel=1e-10)


@pytest.mark.parametrize("variable", ["s100b", "ndka"])
def test_skewed_markers_use_mann_whitney(by_outcome, asah, variable):
    good, poor = _split(asah, variable)
    assert min(stats.shapiro(good).pvalue, stats.shapiro(poor).pvalue) < 0.05
    row = by_outcome.loc[(variable, "median [Q1, Q3]")]
    assert row["test"] == "Mann-Whitney U"
    expected = stats.mannwhitneyu(good, poor, alternative="two-sided").pvalue
    assert row["p_value"] == pytest.approx(expected, rel=P_TOL, abs=P_TOL)
    assert row["p_value"] == pytest.approx(pingouin_names(pg.mwu(good, poor))["p_val"].iloc[0], rel=1e-10)


def test_gender_2x2_with_large_expected_counts_uses_yates(by_outcome, asah):
    observed = pd.crosstab(asah["gender"], asah["outcome"]).to_numpy()
    assert stats.contingency.expected_freq(observed).min() >= 5
    rows = by_outcome.loc["gender"]
    assert set(rows["test"]) == {"chi-square (Yates)"}
    expected = stats.chi2_contingency(observed, correction=True).pvalue
    assert rows["p_value"].iloc[0] == pytest.approx(expected, rel=P_TOL, abs=P_TOL)
    _, _, reference = pg.chi2_independence(asah, "gender", "outcome", correction=True)
    pearson = reference.set_index("test").loc["pearson", "pval"]
    assert rows["p_value"].iloc[0] == pytest.approx(pearson, rel=1e-10)


def test_wfns_at_cochran_boundary_uses_pearson_chi_square(by_outcome, asah):
    observed = pd.crosstab(asah["wfns"], asah["outcome"]).to_numpy()
    expected_counts = stats.contingency.expected_freq(observed)
    # Exactly 2 of 10 cells (20%) expect fewer than 5, none fewer than 1: Cochran allows chi-square.
    assert (expected_counts < 5).sum() == 2 and expected_counts.min() >= 1
    rows = by_outcome.loc["wfns"]
    assert set(rows["test"]) == {"chi-square"}
    expected = stats.chi2_contingency(observed, correction=False).pvalue
    assert rows["p_value"].iloc[0] == pytest.approx(expected, rel=P_TOL, abs=P_TOL)


def test_small_2x2_uses_fisher_exact(asah):
    data = asah.assign(wfns3=np.where(asah["wfns"] == 3, "grade 3", "other"))
    observed = pd.crosstab(data["wfns3"], data["outcome"]).to_numpy()
    assert stats.contingency.expected_freq(observed).min() < 5
    rows = baseline_table(data, "outcome", categorical=["wfns3"]).loc["wfns3"]
    assert set(rows["test"]) == {"Fisher exact"}
    assert rows["p_value"].iloc[0] == pytest.approx(stats.fisher_exact(observed).pvalue, rel=P_TOL)


def test_yates_fisher_boundary_at_expected_count_five():
    # Margins 10/10 and 10/10 give every expected count exactly 5: chi-square with Yates.
    at_five = pd.DataFrame(
        {"g": ["a"] * 10 + ["b"] * 10, "x": ["u"] * 7 + ["v"] * 3 + ["u"] * 3 + ["v"] * 7}
    )
    tests_used = baseline_table(at_five, "g", categorical=["x"])["test"].iloc[1:]
    assert set(tests_used) == {"chi-square (Yates)"}
    below = at_five.iloc[1:]  # one case fewer: the smallest expected count drops below 5
    assert set(baseline_table(below, "g", categorical=["x"])["test"].iloc[1:]) == {"Fisher exact"}


def _freeman_halton_exact_pvalue(table):
    """Exact Freeman-Halton p-value of an r x 2 table by enumerating all tables with its margins."""
    rows, first_column = table.sum(axis=1), table[:, 0].sum()
    total = table.sum()

    def log_binomial(n, k):
        return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)

    def log_prob(column):
        numerator = sum(log_binomial(r, x) for r, x in zip(rows, column))
        return numerator - log_binomial(total, first_column)

    observed = log_prob(table[:, 0])
    pvalue = 0.0
    for column in itertools.product(*(range(r + 1) for r in rows)):
        if sum(column) == first_column and log_prob(column) <= observed + 1e-7:
            pvalue += math.exp(log_prob(column))
    return pvalue


def test_sparse_rxc_table_uses_monte_carlo_freeman_halton(asah):
    table = baseline_table(asah, "gos6", categorical=["gender"], random_state=7, n_resamples=9999)
    rows = table.loc["gender"]
    observed = pd.crosstab(asah["gender"], asah["gos6"]).to_numpy()
    assert (stats.contingency.expected_freq(observed) < 5).mean() > 0.2
    assert set(rows["test"]) == {"Fisher-Freeman-Halton (Monte Carlo)"}
    seeded = stats.MonteCarloMethod(n_resamples=9999, rng=np.random.default_rng(7))
    assert rows["p_value"].iloc[0] == stats.fisher_exact(observed, method=seeded).pvalue
    exact = _freeman_halton_exact_pvalue(observed.T)
    # Monte Carlo error: four standard errors of a proportion estimated from 9999 tables.
    monte_carlo_se = math.sqrt(exact * (1 - exact) / 9999)
    assert rows["p_value"].iloc[0] == pytest.approx(exact, abs=4 * monte_carlo_se)


def test_more_than_two_groups_use_anova_and_kruskal(asah):
    table = baseline_table(asah, "gos6", continuous=["age", "s100b"])
    samples = {v: _split(asah, v, group="gos6") for v in ["age", "s100b"]}
    assert all(stats.shapiro(s).pvalue >= 0.05 for s in samples["age"])
    assert stats.levene(*samples["age"], center="median").pvalue >= 0.05
    age = table.loc[("age", "mean ± SD")]
    assert age["test"] == "one-way ANOVA"
    assert age["p_value"] == pytest.approx(stats.f_oneway(*samples["age"]).pvalue, rel=P_TOL)
    reference = pingouin_names(pg.anova(asah, dv="age", between="gos6"))["p_unc"].iloc[0]
    assert age["p_value"] == pytest.approx(reference, rel=1e-10)
    s100b = table.loc[("s100b", "median [Q1, Q3]")]
    assert s100b["test"] == "Kruskal-Wallis"
    assert s100b["p_value"] == pytest.approx(stats.kruskal(*samples["s100b"]).pvalue, rel=P_TOL)
    assert list(table.columns[:4]) == [1, 3, 4, 5]


@pytest.fixture(scope="module")
def unequal_spread():
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "arm": ["a"] * 40 + ["b"] * 40 + ["c"] * 40,
            "x": np.concatenate(
                [rng.normal(0, 1, 40), rng.normal(0.8, 4, 40), rng.normal(0, 2, 40)]
            ),
        }
    )


def test_unequal_variances_switch_to_welch_t(unequal_spread):
    two = unequal_spread[unequal_spread["arm"] != "c"]
    a, b = _split(two, "x", group="arm")
    assert min(stats.shapiro(a).pvalue, stats.shapiro(b).pvalue) >= 0.05
    assert stats.levene(a, b, center="median").pvalue < 0.05
    row = baseline_table(two, "arm", continuous=["x"]).loc[("x", "mean ± SD")]
    assert row["test"] == "Welch t-test"
    assert row["p_value"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue, rel=P_TOL)
    reference = pingouin_names(pg.ttest(a, b, correction=True))["p_val"].iloc[0]
    assert row["p_value"] == pytest.approx(reference, rel=1e-10)


def test_unequal_variances_in_three_groups_switch_to_welch_anova(unequal_spread):
    samples = _split(unequal_spread, "x", group="arm")
    assert all(stats.shapiro(s).pvalue >= 0.05 for s in samples)
    row = baseline_table(unequal_spread, "arm", continuous=["x"]).loc[("x", "mean ± SD")]
    assert row["test"] == "Welch ANOVA"
    reference = pingouin_names(pg.welch_anova(unequal_spread, dv="x", between="arm"))["p_unc"].iloc[0]
    assert row["p_value"] == pytest.approx(reference, rel=1e-10)


def test_formatted_summaries_match_pandas(by_outcome, asah):
    age_row, s100b_row = by_outcome.loc[("age", "mean ± SD")], by_outcome.loc["s100b"].iloc[0]
    for group, frame in asah.groupby("outcome"):
        assert age_row[group] == f"{frame.age.mean():.2f} ± {frame.age.std():.2f}"
        q1, median, q3 = frame["s100b"].quantile([0.25, 0.5, 0.75])
        assert s100b_row[group] == f"{median:.2f} [{q1:.2f}, {q3:.2f}]"
    assert age_row["overall"] == f"{asah.age.mean():.2f} ± {asah.age.std():.2f}"
    counts = pd.crosstab(asah["wfns"], asah["outcome"])
    percent = pd.crosstab(asah["wfns"], asah["outcome"], normalize="columns") * 100
    for level in counts.index:
        cell = by_outcome.loc[("wfns", str(level)), "Poor"]
        assert cell == f"{counts.at[level, 'Poor']} ({percent.at[level, 'Poor']:.1f}%)"
    assert by_outcome.loc[("gender", "Male"), "overall"] == "42 (37.2%)"  # 42 of 113 men in aSAH


def test_decimals_per_variable(asah):
    table = baseline_table(asah, "outcome", continuous=["age", "ndka"], decimals={"age": 1})
    good = asah[asah.outcome == "Good"]
    age = table.loc[("age", "mean ± SD"), "Good"]
    assert age == f"{good.age.mean():.1f} ± {good.age.std():.1f}"
    q1, median, q3 = good["ndka"].quantile([0.25, 0.5, 0.75])
    assert table.loc[("ndka", "median [Q1, Q3]"), "Good"] == f"{median:.2f} [{q1:.2f}, {q3:.2f}]"


def test_missing_values_are_counted_and_excluded(asah):
    data = asah.copy()
    data["age"] = data["age"].astype(float)
    data.loc[[0, 5, 90], "age"] = np.nan
    data.loc[[1, 2], "gender"] = None
    table = baseline_table(data, "outcome", continuous=["age"], categorical=["gender"])
    assert table.loc[("age", "mean ± SD"), "missing"] == 3
    assert set(table.loc["gender", "missing"]) == {2}
    present = data.dropna(subset=["age"])
    good, poor = _split(present, "age")
    expected = stats.ttest_ind(good, poor).pvalue
    assert table.loc[("age", "mean ± SD"), "p_value"] == pytest.approx(expected, rel=P_TOL)
    observed = pd.crosstab(data["gender"], data["outcome"])  # crosstab ignores the missing rows
    assert observed.to_numpy().sum() == len(data) - 2
    female_good = observed.at["Female", "Good"]
    percent = 100 * female_good / observed["Good"].sum()
    assert table.loc[("gender", "Female"), "Good"] == f"{female_good} ({percent:.1f}%)"


def test_csv_round_trip(by_outcome, tmp_path):
    path = tmp_path / "table1.csv"
    by_outcome.to_csv(path)
    back = read_csv_exact(path, index_col=[0, 1], keep_default_na=False, na_values={"p_value": [""]})
    assert back.shape == by_outcome.shape
    np.testing.assert_array_equal(back["p_value"], by_outcome["p_value"])
    assert back["Good"].tolist() == by_outcome["Good"].tolist()


def test_categorical_dtype_fixes_group_and_level_order(asah):
    data = asah.assign(
        outcome=pd.Categorical(asah["outcome"], categories=["Poor", "Good"]),
        gender=pd.Categorical(asah["gender"], categories=["Male", "Female"]),
    )
    table = baseline_table(data, "outcome", categorical=["gender"])
    assert list(table.columns[:2]) == ["Poor", "Good"]
    assert table.loc["gender"].index.tolist() == ["Male", "Female"]


def test_inference_only_when_dtypes_are_unambiguous(asah):
    with pytest.raises(ValueError, match=r"cannot tell.*'age'"):
        baseline_table(asah, "outcome")
    data = asah[["outcome", "gender", "s100b"]].assign(age=asah["age"].astype(float))
    table = baseline_table(data, "outcome")
    assert set(table.index.get_level_values("variable")) == {"n", "gender", "s100b", "age"}
    assert table.loc[("age", "mean ± SD"), "test"] == "Student t-test"


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.floats(-100, 100, allow_nan=False), min_size=8, max_size=30),
    split=st.integers(3, 5),
)
def test_reported_pvalue_is_that_of_the_reported_test(values, split):
    values = np.array(values)
    if np.ptp(values) == 0:
        return
    data = pd.DataFrame({"g": ["a"] * split + ["b"] * (len(values) - split), "x": values})
    row = baseline_table(data, "g", continuous=["x"]).loc["x"].iloc[0]
    a, b = values[:split], values[split:]
    reference = {
        "Student t-test": lambda: stats.ttest_ind(a, b).pvalue,
        "Welch t-test": lambda: stats.ttest_ind(a, b, equal_var=False).pvalue,
        "Mann-Whitney U": lambda: stats.mannwhitneyu(a, b, alternative="two-sided").pvalue,
    }[row["test"]]()
    assert row["p_value"] == pytest.approx(reference, rel=P_TOL, abs=P_TOL)
    assert 0.0 <= row["p_value"] <= 1.0


@pytest.mark.parametrize(
    "change, kwargs, error, message",
    [
        (lambda d: d.assign(outcome=d["outcome"].where(d.index > 1)), {}, ValueError,
         "missing in 2 row"),
        (lambda d: d.assign(outcome="Good"), {}, ValueError, "single group"),
        (lambda d: d, {"continuous": ["nope"]}, ValueError, r"\['nope'\] not found"),
        (lambda d: d, {"continuous": ["gender"]}, TypeError, "not numeric"),
        (lambda d: d, {"continuous": ["age"], "categorical": ["age"]}, ValueError, "listed twice"),
        (lambda d: d, {"categorical": ["outcome"]}, ValueError, "cannot also be a variable"),
        (lambda d: d.assign(outcome=d["outcome"].replace("Good", "overall")),
         {"continuous": ["age"]}, ValueError, "clash"),
        (lambda d: d.assign(age=1.0), {"continuous": ["age"]}, ValueError, "single value"),
        (lambda d: d.assign(gender="Female"), {"categorical": ["gender"]}, ValueError,
         "single level"),
        (lambda d: d.assign(age=d["age"].where(d["outcome"] == "Good")), {"continuous": ["age"]},
         ValueError, r"no value in group\(s\) \['Poor'\]"),
        (lambda d: d.assign(age=d["age"].astype(float).replace(42.0, np.inf)),
         {"continuous": ["age"]}, ValueError, "inf"),
        (lambda d: d, {"continuous": ["age"], "normality_alpha": 0}, ValueError, "normality_alpha"),
    ],
)
def test_bad_input_raises_clear_error(asah, change, kwargs, error, message):
    with pytest.raises(error, match=message):
        baseline_table(change(asah), "outcome", **kwargs)
