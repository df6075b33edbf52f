"""The baseline characteristics table ("Table 1") with the test chosen per row."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from numbers import Integral

import numpy as np
import pandas as pd
from pandas.api import types
from scipy import stats
from scipy.stats.contingency import expected_freq
from sklearn.utils._param_validation import Interval, validate_params

from .._validation import preview
from ._group_test import LEVENE_CENTER, choose_group_test
from ._params import ALPHA, RANDOM_STATE

_RESERVED_COLUMNS = ("overall", "missing", "p_value", "test")


def _resolve_variables(df: pd.DataFrame, group, continuous, categorical):
    """The variables to summarise; inferred from the dtypes only when neither list is given."""
    if continuous is None and categorical is None:
        continuous, categorical, ambiguous = [], [], []
        for name in df.columns.drop(group):
            column = df[name]
            if types.is_bool_dtype(column) or isinstance(column.dtype, pd.CategoricalDtype):
                categorical.append(name)
            elif types.is_float_dtype(column):
                continuous.append(name)
            elif types.is_object_dtype(column) or types.is_string_dtype(column):
                categorical.append(name)
            else:
                ambiguous.append(name)
        if ambiguous:
            raise ValueError(
                f"baseline_table: cannot tell whether column(s) {preview(ambiguous)} are "
                "continuous or categorical (integer codes can be either); pass continuous=[...] "
                "and categorical=[...] explicitly."
            )
    continuous, categorical = list(continuous or []), list(categorical or [])
    variables = continuous + categorical
    if not variables:
        raise ValueError(
            "baseline_table: no variables to summarise; pass continuous or categorical."
        )
    missing = [name for name in variables if name not in df.columns]
    if missing:
        raise ValueError(f"baseline_table: column(s) {preview(missing)} not found in df.")
    repeated = sorted({name for name in variables if variables.count(name) > 1}, key=str)
    if repeated:
        raise ValueError(
            f"baseline_table: column(s) {preview(repeated)} are listed twice; each variable "
            "is either continuous or categorical, once."
        )
    if group in variables:
        raise ValueError(f"baseline_table: the group column {group!r} cannot also be a variable.")
    not_numeric = [
        name
        for name in continuous
        if not types.is_numeric_dtype(df[name]) or types.is_bool_dtype(df[name])
    ]
    if not_numeric:
        raise TypeError(
            f"baseline_table: continuous column(s) {preview(not_numeric)} are not numeric; "
            "convert them or list them as categorical."
        )
    infinite = [name for name in continuous if np.isinf(df[name].to_numpy(dtype=float)).any()]
    if infinite:
        raise ValueError(f"baseline_table: continuous column(s) {preview(infinite)} contain inf.")
    return continuous, categorical


def _group_levels(groups: pd.Series) -> list:
    missing = groups.isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"baseline_table: the group column {groups.name!r} is missing in {missing.sum()} "
            f"row(s) {preview(groups.index[missing].tolist())}; those cases belong to no group. "
            "Drop or label them before building the table."
        )
    if isinstance(groups.dtype, pd.CategoricalDtype):
        levels = list(groups.cat.categories)
        empty = [level for level in levels if not (groups == level).any()]
        if empty:
            raise ValueError(f"baseline_table: group level(s) {preview(empty)} have no rows.")
    else:
        levels = sorted(groups.unique())
    if len(levels) < 2:
        raise ValueError(
            f"baseline_table: the group column {groups.name!r} has a single group "
            f"{preview(levels)}; a comparison needs at least two."
        )
    clashes = [level for level in levels if level in _RESERVED_COLUMNS]
    if clashes:
        raise ValueError(
            f"baseline_table: group label(s) {preview(clashes)} clash with the table's own "
            f"columns {_RESERVED_COLUMNS}; rename them."
        )
    return levels


def _normality_pvalue(sample: np.ndarray) -> float:
    """Shapiro-Wilk p-value; NaN without 3 values that are not all equal."""
    if sample.size < 3 or np.ptp(sample) == 0:
        return np.nan
    return float(stats.shapiro(sample).pvalue)


def _welch_anova_pvalue(samples) -> float:
    """Welch's (1951) heteroscedastic one-way ANOVA p-value.

    Written out because ``scipy.stats.f_oneway(equal_var=False)`` needs SciPy
    1.16, which needs Python 3.11; radfuse supports Python 3.10.
    """
    sizes = np.array([sample.size for sample in samples], dtype=float)
    means = np.array([sample.mean() for sample in samples])
    weights = sizes / np.array([sample.var(ddof=1) for sample in samples])
    k = len(samples)
    grand_mean = weights @ means / weights.sum()
    between = weights @ (means - grand_mean) ** 2 / (k - 1)
    spread = ((1 - weights / weights.sum()) ** 2 / (sizes - 1)).sum()
    statistic = between / (1 + 2 * (k - 2) / (k**2 - 1) * spread)
    return float(stats.f.sf(statistic, k - 1, (k**2 - 1) / (3 * spread)))


def _compare_continuous(samples, normality_alpha: float, levene_alpha: float):
    """(parametric, test name, p-value) following :func:`choose_group_test`."""
    normality = [_normality_pvalue(sample) for sample in samples]
    levene = np.nan
    if all(p >= normality_alpha for p in normality):
        levene = stats.levene(*samples, center=LEVENE_CENTER).pvalue
    test = choose_group_test(normality, levene, normality_alpha=normality_alpha,
                             levene_alpha=levene_alpha)
    two_groups = len(samples) == 2
    if test == "rank":
        if two_groups:
            return False, "Mann-Whitney U", stats.mannwhitneyu(*samples, alternative="two-sided").pvalue
        return False, "Kruskal-Wallis", stats.kruskal(*samples).pvalue
    equal_var = test == "student"
    if two_groups:
        name = "Student t-test" if equal_var else "Welch t-test"
        return True, name, stats.ttest_ind(*samples, equal_var=equal_var).pvalue
    if equal_var:
        return True, "one-way ANOVA", stats.f_oneway(*samples).pvalue
    return True, "Welch ANOVA", _welch_anova_pvalue(samples)


def _compare_categorical(counts: np.ndarray, n_resamples: int, rng: np.random.Generator):
    """(test name, p-value) chosen from the expected counts under independence."""
    expected = expected_freq(counts)
    small = expected < 5
    if counts.shape == (2, 2):
        if small.any():
            return "Fisher exact", stats.fisher_exact(counts).pvalue
        return "chi-square (Yates)", stats.chi2_contingency(counts, correction=True).pvalue
    if (expected < 1).any() or small.mean() > 0.2:
        method = stats.MonteCarloMethod(n_resamples=n_resamples, rng=rng)
        pvalue = stats.fisher_exact(counts, method=method).pvalue
        return "Fisher-Freeman-Halton (Monte Carlo)", pvalue
    return "chi-square", stats.chi2_contingency(counts, correction=False).pvalue


def _summarise(sample: np.ndarray, parametric: bool, decimals: int) -> str:
    if parametric:
        return f"{sample.mean():.{decimals}f} ± {sample.std(ddof=1):.{decimals}f}"
    q1, median, q3 = np.percentile(sample, [25, 50, 75])
    return f"{median:.{decimals}f} [{q1:.{decimals}f}, {q3:.{decimals}f}]"


def _continuous_row(
    values: pd.Series, groups: np.ndarray, levels, decimals, normality_alpha, levene_alpha
):
    observed = values.notna().to_numpy()
    numbers = values.to_numpy(dtype=float)
    samples = [numbers[observed & (groups == level)] for level in levels]
    empty = [level for level, sample in zip(levels, samples) if sample.size == 0]
    if empty:
        raise ValueError(
            f"baseline_table: continuous variable {values.name!r} has no value in group(s) "
            f"{preview(empty)}; it cannot be compared."
        )
    if np.ptp(numbers[observed]) == 0:
        raise ValueError(
            f"baseline_table: continuous variable {values.name!r} takes the single value "
            f"{numbers[observed][0]!r}; there is nothing to compare. Remove it."
        )
    parametric, test, pvalue = _compare_continuous(samples, normality_alpha, levene_alpha)
    return {
        "variable": values.name,
        "level": "mean ± SD" if parametric else "median [Q1, Q3]",
        **{
            level: _summarise(sample, parametric, decimals)
            for level, sample in zip(levels, samples)
        },
        "overall": _summarise(numbers[observed], parametric, decimals),
        "missing": int((~observed).sum()),
        "p_value": float(pvalue),
        "test": test,
    }


def _categorical_rows(values: pd.Series, groups: np.ndarray, levels, n_resamples, rng):
    observed = values.notna().to_numpy()
    counts = pd.crosstab(values.to_numpy()[observed], groups[observed])
    counts = counts.reindex(columns=levels, fill_value=0)
    if isinstance(values.dtype, pd.CategoricalDtype):
        counts = counts.reindex([c for c in values.cat.categories if c in counts.index])
    if len(counts) < 2:
        raise ValueError(
            f"baseline_table: categorical variable {values.name!r} has the single level "
            f"{preview(counts.index.tolist())}; there is nothing to compare. Remove it."
        )
    empty = counts.columns[counts.sum(axis=0) == 0].tolist()
    if empty:
        raise ValueError(
            f"baseline_table: categorical variable {values.name!r} has no value in group(s) "
            f"{preview(empty)}; it cannot be compared."
        )
    test, pvalue = _compare_categorical(counts.to_numpy(), n_resamples, rng)
    percent = 100 * counts / counts.sum(axis=0)
    overall = counts.sum(axis=1)
    overall_percent = 100 * overall / overall.sum()
    return [
        {
            "variable": values.name,
            "level": str(category),
            **{
                level: f"{counts.at[category, level]} ({percent.at[category, level]:.1f}%)"
                for level in levels
            },
            "overall": f"{overall[category]} ({overall_percent[category]:.1f}%)",
            "missing": int((~observed).sum()),
            "p_value": float(pvalue),
            "test": test,
        }
        for category in counts.index
    ]


@validate_params(
    {
        "df": [pd.DataFrame],
        "group": [Hashable],
        "continuous": ["array-like", None],
        "categorical": ["array-like", None],
        "normality_alpha": ALPHA,
        "levene_alpha": ALPHA,
        "decimals": [Interval(Integral, 0, None, closed="left"), Mapping],
        "n_resamples": [Interval(Integral, 1, None, closed="left")],
        "random_state": RANDOM_STATE,
    },
    prefer_skip_nested_validation=True,
)
def baseline_table(
    df: pd.DataFrame,
    group,
    continuous=None,
    categorical=None,
    *,
    normality_alpha: float = 0.05,
    levene_alpha: float = 0.05,
    decimals: int | Mapping = 2,
    n_resamples: int = 9999,
    random_state=None,
) -> pd.DataFrame:
    r"""Baseline characteristics by group ("Table 1") with the test chosen per row.

    Every variable is summarised in each group and overall, and the groups are
    compared by a test chosen from the data by fixed rules:

    **Continuous variables.** The test follows :func:`choose_group_test`, the
    rule :class:`radfuse.select.UnivariateFilter` uses too. Normal when every
    group has at least 3 values that are not all equal and the Shapiro-Wilk
    test does not reject normality (:math:`p \ge` ``normality_alpha``).

    * normal in all groups: shown as mean ± SD (:math:`\bar x \pm s`, with
      :math:`s^2 = \sum (x - \bar x)^2 / (n - 1)`); compared by Student's
      t-test, or Welch's t-test when Levene's test (median-centred,
      Brown-Forsythe) rejects equal variances (:math:`p <` ``levene_alpha``).
      With more than two groups: one-way ANOVA, or Welch's ANOVA under the
      same rule.
    * otherwise: shown as median [Q1, Q3] (linear interpolation between order
      statistics, as numpy and R's default type 7); compared by the
      Mann-Whitney U test (scipy's default: exact for small samples without
      ties, else the normal approximation with continuity correction and tie
      correction), or the Kruskal-Wallis test for more than two groups.

    **Categorical variables.** Shown as n (%) per level, the percentage of
    the group's non-missing values (column percentages). With :math:`E_{ij}`
    the expected counts under independence, :math:`E_{ij} = R_i C_j / N`:

    * 2 x 2 tables: Fisher's exact test when any :math:`E_{ij} < 5`, else
      the chi-square test with Yates' continuity correction,
      :math:`\chi^2 = \sum (|O_{ij} - E_{ij}| - 1/2)^2 / E_{ij}` (as R's
      ``chisq.test`` by default).
    * larger tables, Cochran's (1954) rule: the Pearson chi-square test when
      no :math:`E_{ij} < 1` and at most 20% of :math:`E_{ij} < 5`; otherwise
      the Fisher-Freeman-Halton exact test, its p-value estimated from
      ``n_resamples`` random tables with the observed margins (scipy's
      ``fisher_exact`` with ``MonteCarloMethod``; R's ``fisher.test`` with
      ``simulate.p.value``).

    Missing values are never dropped silently: each variable's count of
    missing values is reported in the ``missing`` column, and the summaries
    and tests use the non-missing values.

    Parameters
    ----------
    df : DataFrame
        One row per case.
    group : column label
        The grouping column (e.g. the outcome); at least two groups, no missing
        values. Groups appear in sorted order, or in category order for a
        pandas Categorical.
    continuous, categorical : list of column labels, optional
        The variables, shown in this order, continuous first. When both are
        None they are inferred from the dtypes: float columns are continuous;
        string, object, boolean and categorical columns are categorical;
        integer columns are ambiguous (age or a grade?) and must be listed.
        When either is given, only the listed columns are used. Levels of a
        categorical variable are sorted, or in category order for a pandas
        Categorical.
    normality_alpha : float
        Significance level of the Shapiro-Wilk test in each group.
    levene_alpha : float
        Significance level of Levene's test of equal variances.
    decimals : int or mapping
        Decimals of the continuous summaries; a mapping gives them per
        variable (default 2 for variables not in it). Percentages have one.
    n_resamples : int
        Random tables for the Monte Carlo Fisher-Freeman-Halton test.
    random_state : int, numpy Generator or None
        Seed of that Monte Carlo test; fix it for a reproducible table.

    Returns
    -------
    DataFrame
        Indexed by (``variable``, ``level``): one row per continuous variable
        (``level`` names the summary, "mean ± SD" or "median [Q1, Q3]") and
        one row per level of each categorical variable. Columns: one per group
        with the formatted summary, ``overall``, ``missing`` (count of missing
        values of the variable), ``p_value`` and ``test`` (repeated on every
        row of a variable). A first row ``("n", "")`` gives the group sizes;
        its ``p_value`` is NaN and ``test`` is empty. ``attrs`` records the
        settings. Write it out with ``to_csv``.

    Raises
    ------
    ValueError
        A missing group label, fewer than two groups, ambiguous or unknown
        columns, a variable with a single value or level, or with no value in
        some group.
    TypeError
        A non-numeric column listed as continuous.

    References
    ----------
    Cochran, W. G. (1954). Some methods for strengthening the common
    chi-square tests. Biometrics, 10(4), 417-451.
    Shapiro, S. S., & Wilk, M. B. (1965). An analysis of variance test for
    normality. Biometrika, 52(3-4), 591-611.
    Levene, H. (1960). Robust tests for equality of variances. In
    Contributions to Probability and Statistics (pp. 278-292). Stanford.
    Brown, M. B., & Forsythe, A. B. (1974). Robust tests for the equality of
    variances. Journal of the American Statistical Association, 69(346),
    364-367.
    Welch, B. L. (1947). The generalization of "Student's" problem when
    several different population variances are involved. Biometrika, 34, 28-35.
    Welch, B. L. (1951). On the comparison of several mean values: an
    alternative approach. Biometrika, 38(3/4), 330-336.
    Mann, H. B., & Whitney, D. R. (1947). On a test of whether one of two
    random variables is stochastically larger than the other. Annals of
    Mathematical Statistics, 18(1), 50-60.
    Yates, F. (1934). Contingency tables involving small numbers and the
    chi-square test. Supplement to the JRSS, 1(2), 217-235.
    Freeman, G. H., & Halton, J. H. (1951). Note on an exact treatment of
    contingency, goodness of fit and other problems of significance.
    Biometrika, 38(1-2), 141-149.

    Examples
    --------
    >>> import pandas as pd
    >>> from radfuse.stats import baseline_table
    >>> df = pd.DataFrame({
    ...     "outcome": ["good"] * 6 + ["poor"] * 6,
    ...     "age": [41.0, 45, 50, 38, 52, 47, 60, 58, 66, 55, 71, 62],
    ...     "sex": ["F", "F", "M", "F", "M", "F", "M", "M", "F", "M", "M", "M"],
    ... })
    >>> table = baseline_table(df, "outcome", continuous=["age"], categorical=["sex"])
    >>> table.loc[("age", "mean ± SD"), ["good", "poor", "test"]].tolist()
    ['45.50 ± 5.32', '62.00 ± 5.76', 'Student t-test']
    >>> table.loc[("sex", "F"), ["good", "poor", "test"]].tolist()
    ['4 (66.7%)', '1 (16.7%)', 'Fisher exact']
    """
    if group not in df.columns:
        raise ValueError(f"baseline_table: group column {group!r} not found in df.")
    levels = _group_levels(df[group])
    continuous, categorical = _resolve_variables(df, group, continuous, categorical)
    groups = df[group].to_numpy()
    rng = np.random.default_rng(random_state)

    sizes = {level: str(int((groups == level).sum())) for level in levels}
    rows = [
        {"variable": "n", "level": "", **sizes, "overall": str(len(df)), "missing": 0,
         "p_value": np.nan, "test": ""}
    ]
    for name in continuous:
        digits = decimals.get(name, 2) if isinstance(decimals, Mapping) else decimals
        rows.append(
            _continuous_row(df[name], groups, levels, digits, normality_alpha, levene_alpha)
        )
    for name in categorical:
        rows += _categorical_rows(df[name], groups, levels, n_resamples, rng)

    table = pd.DataFrame(rows).set_index(["variable", "level"])
    table.attrs.update(
        group=group,
        normality_alpha=normality_alpha,
        levene_alpha=levene_alpha,
        n_resamples=n_resamples,
    )
    return table
