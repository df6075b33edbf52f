"""radfuse.stats.icc against published values and pingouin."""

from unittest.mock import patch

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pingouin_compat import CI95_ROUNDING, pingouin_names

from radfuse.stats import ICC_TYPES, icc, icc_per_feature

# pingouin's rows ICC(1,1), ICC(A,1), ICC(C,1), ICC(1,k), ICC(A,k), ICC(C,k) are, in that
# order, Shrout & Fleiss' ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.
EXACT = 1e-8


def unrounded_pingouin_icc(*args):
    """pingouin rounds its CI95 column to 2 decimals by default; switch that off."""
    with patch.dict(pingouin.options):
        pingouin.options.pop(CI95_ROUNDING, None)
        return pingouin_names(pingouin.intraclass_corr(*args))


@pytest.fixture(scope="module")
def wine(data_dir):
    """pingouin's ICC example: 8 wines scored by 4 judges (long format)."""
    return pd.read_csv(data_dir / "pingouin_icc.csv")


@pytest.fixture(scope="module")
def shrout_fleiss(data_dir):
    return pd.read_csv(data_dir / "shrout_fleiss_1979.csv", index_col="subject")


def assert_matches_pingouin(ours, reference):
    reference = reference.set_index(pd.Index(ICC_TYPES))
    np.testing.assert_allclose(ours["icc"], reference["ICC"], rtol=0, atol=EXACT)
    np.testing.assert_allclose(ours["F"], reference["F"], rtol=EXACT)
    np.testing.assert_array_equal(ours["df1"], reference["df1"])
    np.testing.assert_array_equal(ours["df2"], reference["df2"])
    np.testing.assert_allclose(ours["pvalue"], reference["pval"], rtol=EXACT, atol=1e-300)
    ci = np.vstack(reference["CI95"].to_numpy())
    np.testing.assert_allclose(ours["ci_lower"], ci[:, 0], rtol=0, atol=EXACT)
    np.testing.assert_allclose(ours["ci_upper"], ci[:, 1], rtol=0, atol=EXACT)


def test_long_table_matches_pingouin_in_every_column(wine):
    ours = icc(wine, targets="Wine", raters="Judge", values="Scores")
    reference = unrounded_pingouin_icc(wine, "Wine", "Judge", "Scores")
    assert_matches_pingouin(ours, reference)


def test_confidence_intervals_agree_with_pingouins_rounded_default(wine):
    ours = icc(wine, targets="Wine", raters="Judge", values="Scores")
    ci = np.vstack(pingouin_names(pingouin.intraclass_corr(wine, "Wine", "Judge", "Scores"))["CI95"].to_numpy())
    # pingouin prints CI95 rounded to 2 decimals: agreement within half a unit of the last digit.
    np.testing.assert_allclose(ours[["ci_lower", "ci_upper"]].to_numpy(), ci, atol=0.005 + 1e-12)


def test_wide_matrix_equals_long_table(wine):
    wide = wine.pivot(index="Wine", columns="Judge", values="Scores")
    long = icc(wine, targets="Wine", raters="Judge", values="Scores")
    pd.testing.assert_frame_equal(icc(wide.to_numpy()), long, rtol=1e-12)


def test_shrout_fleiss_1979_published_values(shrout_fleiss):
    table = icc(shrout_fleiss)
    # Shrout & Fleiss (1979), Table 4; identical to R psych::ICC on the same data.
    published = [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    np.testing.assert_allclose(table["icc"], published, atol=0.005)


def test_shrout_fleiss_matches_r_psych_output(shrout_fleiss):
    table = icc(shrout_fleiss)
    # psych::ICC(sf) as printed in its documentation (F 1 decimal, p 5 decimals,
    # lower bound 3 decimals, upper bound 2 decimals).
    np.testing.assert_allclose(table["F"], [1.8, 11.0, 11.0, 1.8, 11.0, 11.0], atol=0.05)
    np.testing.assert_allclose(
        table["pvalue"], [0.16477, 0.00013, 0.00013, 0.16477, 0.00013, 0.00013], atol=5e-6
    )
    np.testing.assert_allclose(
        table["ci_lower"], [-0.133, 0.019, 0.342, -0.884, 0.071, 0.676], atol=5e-4
    )
    np.testing.assert_allclose(table["ci_upper"], [0.72, 0.76, 0.95, 0.91, 0.93, 0.99], atol=5e-3)
    assert table["df1"].tolist() == [5] * 6
    assert table["df2"].tolist() == [18, 15, 15, 18, 15, 15]


@settings(max_examples=15, deadline=None)
@given(
    n_subjects=st.integers(3, 12),
    n_raters=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_designs_match_pingouin(n_subjects, n_raters, seed):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=(n_subjects, 1))
    ratings = truth + rng.normal(scale=rng.uniform(0.1, 2), size=(n_subjects, n_raters))
    long = pd.DataFrame(
        {
            "case": np.repeat(np.arange(n_subjects), n_raters),
            "reader": np.tile(np.arange(n_raters), n_subjects),
            "value": ratings.ravel(),
        }
    )
    assert_matches_pingouin(icc(ratings), unrounded_pingouin_icc(long, "case", "reader", "value"))


def test_per_feature_forms_equal_the_table_for_each_feature():
    rng = np.random.default_rng(3)
    ratings = rng.normal(size=(9, 3, 4)) + rng.normal(size=(9, 1, 4))
    for icc_type in ICC_TYPES:
        expected = [icc(ratings[:, :, f]).loc[icc_type, "icc"] for f in range(4)]
        np.testing.assert_allclose(icc_per_feature(ratings, icc_type), expected, rtol=1e-12)


def test_constant_feature_has_undefined_icc():
    ratings = np.ones((5, 2, 1))
    assert np.isnan(icc_per_feature(ratings, "ICC3")).all()


def test_unknown_icc_type_is_named():
    with pytest.raises(ValueError, match="ICC4"):
        icc_per_feature(np.zeros((3, 2, 1)), "ICC4")


def test_unbalanced_long_table_names_the_incomplete_subject(wine):
    unbalanced = wine.drop(index=wine.index[(wine["Wine"] == 3) & (wine["Judge"] == "B")])
    with pytest.raises(ValueError, match=r"unbalanced.*\[3\]"):
        icc(unbalanced, targets="Wine", raters="Judge", values="Scores")


def test_duplicate_rating_is_rejected(wine):
    duplicated = pd.concat([wine, wine.iloc[[0]]])
    with pytest.raises(ValueError, match="more than once"):
        icc(duplicated, targets="Wine", raters="Judge", values="Scores")


def test_missing_long_column_is_named(wine):
    with pytest.raises(ValueError, match="Rating"):
        icc(wine, targets="Wine", raters="Judge", values="Rating")


def test_nan_rating_is_rejected(shrout_fleiss):
    ratings = shrout_fleiss.to_numpy(dtype=float)
    ratings[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        icc(ratings)


@pytest.mark.parametrize("shape", [(6, 1), (1, 4), (6,)])
def test_too_few_raters_or_subjects(shape):
    with pytest.raises(ValueError, match="at least two subjects"):
        icc(np.arange(np.prod(shape), dtype=float).reshape(shape))


@pytest.mark.parametrize(
    "matrix",
    [
        [[1.0, 1.0], [2.0, 2.0], [4.0, 4.0], [7.0, 7.0]],  # identical readers: MS_E = MS_W = 0
        [[1.0, 2.0], [2.0, 3.0], [4.0, 5.0], [7.0, 8.0]],  # constant offset: MS_E = 0 < MS_W
        [[0.25, 0.25, 0.25], [0.75, 0.75, 0.75], [0.5, 0.5, 0.5]],  # three readers
    ],
    ids=["identical", "offset", "three-readers"],
)
def test_perfect_agreement_gives_infinite_f_and_pingouins_icc(matrix):
    # Before: ZeroDivisionError. pingouin defines ICC, F, p and the average-measure
    # intervals here; its single-measure intervals are NaN, where ours take the limit 1.
    matrix = np.asarray(matrix)
    long = pd.DataFrame(
        [(i, j, matrix[i, j]) for i in range(matrix.shape[0]) for j in range(matrix.shape[1])],
        columns=["case", "reader", "value"],
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        reference = unrounded_pingouin_icc(long, "case", "reader", "value").set_index(pd.Index(ICC_TYPES))
    ours = icc(matrix)
    np.testing.assert_allclose(ours["icc"], reference["ICC"], rtol=0, atol=EXACT)
    np.testing.assert_array_equal(ours["F"], reference["F"])
    np.testing.assert_array_equal(ours["pvalue"], reference["pval"])
    ci = np.vstack(reference["CI95"].to_numpy())
    defined = ~np.isnan(ci[:, 0])
    np.testing.assert_allclose(ours.loc[defined, ["ci_lower", "ci_upper"]], ci[defined], rtol=0, atol=EXACT)
    infinite = np.isinf(ours["F"]) & ~ours.index.isin(["ICC2", "ICC2k"])
    assert (ours.loc[infinite, ["ci_lower", "ci_upper"]] == 1.0).all().all()
    assert ours.loc[["ICC2", "ICC2k"], ["ci_lower", "ci_upper"]].isna().all().all()


def test_perfect_agreement_is_not_hidden_by_round_off_of_the_means():
    # mean(0.1, 0.1, 0.1) != 0.1 in floating point; pingouin reports F = 5e15 here.
    ours = icc([[0.1, 0.1, 0.1], [0.7, 0.7, 0.7], [0.3, 0.3, 0.3]])
    assert np.isinf(ours["F"]).all() and (ours["icc"] == 1.0).all()
    # A real disagreement 1e-9 of the values is kept.
    close = icc([[0.1, 0.1 + 1e-10, 0.1], [0.7, 0.7, 0.7], [0.3, 0.3, 0.3]])
    assert np.isfinite(close["F"]).all()
