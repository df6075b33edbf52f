"""The centre-effect diagnostic of a Study whose pipelines start with ComBat (issue 14 §2).

Reference counts come from ``scipy.stats.kruskal``, one test per feature, on the
training table and on the output of a ComBat fitted on it independently of the
study.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kruskal
from sklearn.model_selection import RepeatedStratifiedKFold

from radfuse.datasets import make_multimodal_table
from radfuse.harmonize import ComBat, centre_effect_summary
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.study import Study, example_study_result

COLUMNS = ["US", "site", "age"]


def _combat_pipeline(classifier, random_state):
    return make_radiomics_pipeline(
        classifier, combat={"batch": "site", "covariates": ["age"]}, univariate=False,
        mrmr={"n_features": 5}, lasso={"cv": 3}, random_state=random_state,
    )


@pytest.fixture(scope="module")
def data():
    """Three centres whose scanners shift and scale every one of 12 features, plus a site-free covariate."""
    cohort = make_multimodal_table(n_cases=150, blocks={"US": 12}, n_embedding=0, n_informative=4,
                                   centres=3, centre_shift=1.0, random_state=0)
    site = pd.factorize(pd.Series(np.asarray(cohort.centre)), sort=True)[0]
    age = np.random.default_rng(0).normal(55, 10, size=site.size).round()
    return cohort.data.assign(site=site, age=age), cohort.target


@pytest.fixture(scope="module")
def result(data):
    X, y = data
    study = Study(X, y, {"US": COLUMNS}, pipeline=_combat_pipeline, classifiers=["lr"],
                  cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=1, random_state=0), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return study.run()


@pytest.fixture(scope="module")
def report(result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("centre") / "study"
    return result.save(folder, save_models=False)


def _kruskal_count(table, centre, alpha=0.05):
    groups = [table[(centre == c).to_numpy()] for c in np.unique(centre)]
    return sum(kruskal(*[g[column] for g in groups]).pvalue < alpha for column in table.columns)


def test_counts_equal_scipy_on_the_training_table_and_an_independent_combat(data, result):
    X, _ = data
    train = X.loc[result.y_train.index]  # the 12 US features, site and age
    features = train.drop(columns=["site", "age"])
    harmonised = ComBat(batch="site", covariates=["age"]).fit_transform(train).drop(columns="age")
    table = result.centre_effects().set_index("stage")
    assert list(table["feature_set"]) == ["US", "US"]
    assert table.loc["before", "n_features"] == table.loc["after", "n_features"] == 12  # not site, not age
    assert table.loc["before", "n_cases"] == result.y_train.size and table.loc["before", "n_centres"] == 3
    assert table.loc["before", "n_significant"] == _kruskal_count(features, train["site"])
    assert table.loc["after", "n_significant"] == _kruskal_count(harmonised, train["site"])
    direct = centre_effect_summary({"before": features, "after": harmonised}, train["site"])
    pd.testing.assert_frame_equal(
        table[["n_features", "n_significant", "share_significant"]], direct, check_names=False
    )
    tables, centre = result.centre_effect_tables("US")
    np.testing.assert_allclose(tables["after"].to_numpy(), harmonised.to_numpy(), rtol=0, atol=1e-10)
    assert centre.equals(train["site"])


def test_combat_removes_most_centre_effects(result):
    counts = result.centre_effects().set_index("stage")["n_significant"]
    assert counts["before"] >= 10
    assert counts["after"] < counts["before"]


def test_table_is_among_the_saved_tables(result):
    tables = result.to_dict()
    pd.testing.assert_frame_equal(tables["centre_effects"], result.centre_effects())
    assert result.combat_feature_sets == ["US"]


def test_report_has_the_section_figure_and_methods_sentence(result, report):
    page = report.read_text(encoding="utf-8")
    section = page[page.index(">Centre effects</h2>"):page.index(">Performance</h2>")]
    assert "Kruskal-Wallis" in section and section.count("<figure") == 1
    assert 'alt="Principal-component scatter plots of the US training cases by centre' in section
    figures = report.parent / "figures"
    assert (figures / "centre_pca_US.png").stat().st_size > 1000
    assert "centre_pca_US" not in page[page.index(">Figures: US</h2>"):]
    counts = result.centre_effects().set_index("stage")["n_significant"]
    methods = (report.parent / "methods.md").read_text(encoding="utf-8")
    sentence = re.search(r"\*\*Centre effects\.\*\* [^\n]+", methods).group(0)
    assert "Kruskal-Wallis" in sentence and "fitted on the training set" in sentence
    assert f"{counts['before']} of the 12 US features (across 3 centres) before ComBat and {counts['after']} after" \
        in sentence
    saved = pd.read_csv(report.parent / "tables" / "centre_effects.csv")
    assert saved["n_significant"].tolist() == counts.tolist()


def test_study_without_combat_has_no_centre_effects():
    result = example_study_result()
    assert result.combat_feature_sets == [] and result.centre_effects().empty
    assert "centre_effects" not in result.to_dict()
    with pytest.raises(ValueError, match="feature set 'US' has no final model starting with ComBat"):
        result.centre_effect_tables("US")


def test_report_without_combat_has_no_centre_section(tmp_path):
    report = example_study_result().save(tmp_path / "study", save_models=False)
    page = report.read_text(encoding="utf-8")
    assert "Centre effects" not in page and "centre_pca" not in page
    assert "Centre effects" not in (report.parent / "methods.md").read_text(encoding="utf-8")
    assert not list((report.parent / "figures").glob("centre_pca*"))
