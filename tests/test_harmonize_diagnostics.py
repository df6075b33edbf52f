"""Centre-effect diagnostics against scipy.stats.kruskal, and the PCA-by-centre figure."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kruskal

from radfuse.datasets import make_multimodal_table
from radfuse.harmonize import ComBat, centre_effect_summary, centre_effects

SAME = 1e-12


def test_kruskal_wallis_matches_scipy_with_ties_and_unequal_centres():
    rng = np.random.default_rng(1)
    centre = np.array(["A"] * 25 + ["B"] * 12 + ["C"] * 5 + ["D"] * 18)
    rng.shuffle(centre)
    X = pd.DataFrame({
        "continuous": rng.normal(size=60) + (centre == "B"),
        "tied": rng.integers(0, 4, size=60).astype(float),
        "few_values": np.where(centre == "C", 1.0, rng.choice([0.0, 1.0], size=60)),
        "scaled": rng.normal(size=60) * np.where(centre == "A", 5.0, 1.0),
    })
    result = centre_effects(X, centre, alpha=0.01)
    for column in X.columns:
        reference = kruskal(*[X.loc[centre == c, column] for c in "ABCD"])
        assert result.loc[column, "statistic"] == pytest.approx(reference.statistic, rel=SAME)
        assert result.loc[column, "p_value"] == pytest.approx(reference.pvalue, rel=1e-10)
        assert result.loc[column, "significant"] == (reference.pvalue < 0.01)


def test_constant_feature_is_not_significant():
    centre = np.repeat(["A", "B"], 10)
    X = pd.DataFrame({"constant": np.ones(20), "varying": np.arange(20.0)})
    result = centre_effects(X, centre)
    assert np.isnan(result.loc["constant", "p_value"]) and not result.loc["constant", "significant"]
    assert result.loc["varying", "significant"]


def test_summary_counts_before_and_after_combat():
    cohort = make_multimodal_table(n_cases=200, blocks={"US": 50}, n_embedding=0, centres=4,
                                   centre_shift=1.0, random_state=2)
    harmonised = ComBat(batch="site").fit_transform(cohort.data.assign(site=cohort.centre))
    summary = centre_effect_summary({"before": cohort.data, "after": harmonised}, cohort.centre)
    before = centre_effects(cohort.data, cohort.centre)["significant"].sum()
    after = centre_effects(harmonised, cohort.centre)["significant"].sum()
    assert summary.loc["before", "n_significant"] == before > 40
    assert summary.loc["after", "n_significant"] == after < 5
    assert summary.loc["after", "share_significant"] == after / 50


@pytest.mark.parametrize("centre, message", [
    (np.repeat("A", 20), r"all cases come from centre \['A'\]"),
    (np.repeat(["A", "B"], 5), "centre has 10 labels but X has 20 rows"),
    (np.where(np.arange(20) == 3, None, "A"), r"centre is missing at row position\(s\) \[3\]"),
])
def test_bad_centres_are_named(centre, message):
    X = pd.DataFrame({"f": np.arange(20.0)})
    with pytest.raises(ValueError, match=message):
        centre_effects(X, centre)


def test_pca_figure_plots_each_centre_at_its_principal_components():
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    from radfuse.harmonize import plot_centre_pca

    cohort = make_multimodal_table(n_cases=90, blocks={"US": 30}, n_embedding=0, centres=3,
                                   centre_shift=1.5, random_state=4)
    harmonised = ComBat(batch="site").fit_transform(cohort.data.assign(site=cohort.centre))
    figure = plot_centre_pca({"before": cohort.data, "after": harmonised}, cohort.centre)
    assert len(figure.axes) == 2
    for ax, table in zip(figure.axes, (cohort.data, harmonised)):
        scores = PCA(n_components=2, random_state=0).fit_transform(
            StandardScaler().fit_transform(table.to_numpy()))
        for collection, name in zip(ax.collections, ["C1", "C2", "C3"]):
            rows = (cohort.centre == name).to_numpy()
            np.testing.assert_allclose(collection.get_offsets(), scores[rows], rtol=1e-10, atol=1e-12)
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["C1", "C2", "C3"]
    with pytest.raises(ValueError, match="needs at least two features"):
        plot_centre_pca({"one": cohort.data.iloc[:, :1]}, cohort.centre)
