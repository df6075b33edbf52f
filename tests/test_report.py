"""StudyResult.save: files written, HTML self-contained, methods text faithful to the settings."""

import re
from html.parser import HTMLParser
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold

from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.persistence import load_model
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.report import default_comparisons, methods_text, summary_table, write_html_report
from radfuse.stats.reclassification import idi
from radfuse.study import Study

SEED = 11


def _pipeline(classifier, random_state):
    return make_radiomics_pipeline(
        classifier,
        smote={"k_neighbors": 3},
        univariate=False,
        spearman={"threshold": 0.85},
        mrmr={"n_features": 6},
        lasso={"cv": 3},
        random_state=random_state,
    )


@pytest.fixture(scope="module")
def result():
    X, y = make_multimodal_table(
        n_cases=100, blocks={"US": 20, "MG": 20}, n_embedding=16, class_sep=1.5, return_X_y=True, random_state=0
    )
    study = Study(
        X, y, {"radiomics": ["US", "MG"], "deep": ["cnn"]}, pipeline=_pipeline, classifiers=["lr", "nb"],
        cv=RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=SEED), random_state=SEED, progress=False,
    )
    return study.run()


@pytest.fixture(scope="module")
def saved(result, tmp_path_factory):
    directory = tmp_path_factory.mktemp("report")
    report = result.save(directory, title="Test <study>")
    return directory, report


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.references, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.references += [value for name, value in attrs if name in ("src", "href")]


def test_save_writes_tables_figures_models_and_report(saved):
    directory, report = saved
    assert report == directory / "report.html"
    for name in ("metrics_test", "metrics_cv", "metrics_train", "feature_counts", "selected_features",
                 "comparisons", "summary_test", "summary_cv", "predictions", "predictions_test_wide"):
        assert (directory / "tables" / f"{name}.csv").stat().st_size > 0, name
    for stem in ("roc_radiomics", "calibration_deep", "decision_curve_radiomics", "confusion_deep",
                 "waterfall_radiomics", "lasso_radiomics", "lasso_coefficients_deep"):
        for extension in ("png", "svg"):
            assert (directory / "figures" / f"{stem}.{extension}").stat().st_size > 1000, (stem, extension)
    assert sorted(path.name for path in (directory / "models").iterdir()) == [
        "deep__lr.skops", "deep__nb.skops", "radiomics__lr.skops", "radiomics__nb.skops"
    ]
    assert (directory / "methods.md").read_text(encoding="utf-8").startswith("# Methods")


def test_html_report_is_self_contained(saved):
    _, report = saved
    page = report.read_text(encoding="utf-8")
    links = _Links()
    links.feed(page)
    assert links.references, "the report should embed its figures"
    assert all(reference.startswith(("data:image/png;base64,", "#")) for reference in links.references)
    assert "script" not in links.tags and "link" not in links.tags
    assert links.tags.count("img") >= 14
    assert "<title>Test &lt;study&gt;</title>" in page


def test_saved_models_reproduce_the_test_predictions(result, saved):
    directory, _ = saved
    model = load_model(directory / "models" / "radiomics__nb.skops")
    X_test = pd.read_csv(directory / "tables" / "predictions_test_wide.csv", index_col="case_id")
    assert model.metadata["threshold"] == pytest.approx(float(result.thresholds[("radiomics", "nb")]))
    expected = result.probabilities("radiomics/nb").loc[result.y_test.index]
    np.testing.assert_allclose(X_test.loc[:, "radiomics/nb"].to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert len(model.feature_names) == 40 and model.feature_names[0].startswith("US__")


def test_test_summary_matches_sklearn_auc(result, saved):
    directory, _ = saved
    wide = pd.read_csv(directory / "tables" / "predictions_test_wide.csv", index_col="case_id")
    summary = pd.read_csv(directory / "tables" / "summary_test.csv").set_index("model")
    for model in ("radiomics/lr", "deep/nb"):
        shown = float(summary.loc[model, "auc"].split(" ")[0])
        assert shown == pytest.approx(roc_auc_score(wide["y_true"], wide[model]), abs=5e-4)


def test_comparisons_table_matches_the_statistics_on_saved_predictions(result, saved):
    directory, _ = saved
    comparisons = pd.read_csv(directory / "tables" / "comparisons.csv")
    wide = pd.read_csv(directory / "tables" / "predictions_test_wide.csv", index_col="case_id")
    (a, b), = default_comparisons(result)
    assert {a.split("/")[0], b.split("/")[0]} == {"radiomics", "deep"}
    rows = comparisons.set_index("test")
    assert list(rows.index) == ["delong", "nri", "idi"] and (rows["a"] == a).all()
    auc_difference = roc_auc_score(wide["y_true"], wide[a]) - roc_auc_score(wide["y_true"], wide[b])
    assert rows.loc["delong", "estimate"] == pytest.approx(auc_difference, abs=1e-12)
    assert rows.loc["idi", "estimate"] == pytest.approx(idi(wide["y_true"], wide[a], wide[b]).idi, abs=1e-12)


def test_methods_text_states_every_step_threshold_seed_and_version(result):
    text = methods_text(result)
    assert "SMOTE (k = 3 nearest neighbours" in text
    assert "z-scored" in text
    assert "|Spearman rho| > 0.85" in text
    assert "the 6 top-ranked features by minimum redundancy maximum relevance" in text
    assert "stratified 3-fold cross-validation" in text and "LASSO" in text
    assert "2 repeats of stratified 2-fold cross-validation" in text
    assert f"random seed {SEED}" in text
    assert "Logistic regression (lr)" in text and "Gaussian naive Bayes (nb)" in text
    assert "default hyper-parameters (no tuning)" in text
    assert "Youden" in text and "Nadeau and Bengio" in text and "DeLong" in text
    for package in ("numpy", "scikit-learn", "imbalanced-learn", "xgboost", "lightgbm", "radfuse"):
        assert f"{package} {metadata.version(package)}" in text
    assert "univariate" not in text.lower(), "a step left out of the pipeline must not be described"


def test_methods_text_describes_extraction_and_icc(result):
    extraction = {
        "params": {"US": {"featureClass": {"glcm": [], "firstorder": []}, "setting": {"binWidth": 5}}},
        "preprocessing": {"US": [{"step": "IntensityWindow"}]},
        "versions": {"pyradiomics": "3.0.1"},
        "reliability": {"icc_type": "ICC3", "threshold": 0.9, "unrated": "keep", "n_cases": 12,
                        "n_rated": 40, "n_kept": 31, "n_unrated": 16},
    }
    text = methods_text(result, comparisons=[], extraction_settings=extraction)
    assert "PyRadiomics 3.0.1" in text and "bin width 5" in text and "firstorder, glcm" in text
    assert "after IntensityWindow" in text
    assert "of the 40 features measured by every reader, the 31 with ICC3 > 0.9 were kept" in text
    assert "The 16 features without repeated measurements (e.g. deep features) were kept" in text
    assert "Model comparison" not in text


def test_summary_table_formats_estimates_with_intervals(result):
    table = summary_table(result, "test").set_index("model")
    metrics = result.metrics("test").set_index(["feature_set", "classifier", "metric"])
    estimate, lower, upper = metrics.loc[("deep", "lr", "sensitivity"), ["estimate", "ci_lower", "ci_upper"]]
    assert table.loc["deep/lr", "sensitivity"] == f"{estimate:.3f} ({lower:.3f}-{upper:.3f})"
    cv = summary_table(result, "cv").set_index("model")
    assert re.fullmatch(r"[0-9.]+ \u00b1 [0-9.]+ \[[-0-9.]+-[0-9.]+\]", cv.loc["radiomics/nb", "auc"])


def test_write_html_report_escapes_text_and_embeds_plain_content(tmp_path):
    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    path = write_html_report(
        tmp_path / "page.html",
        "Plain",
        [("Text", "**Bold** and <script>x</script>"), ("Table", pd.DataFrame({"a": [0.123456]})),
         ("Figure", [("A sub-heading", figure)])],
    )
    page = path.read_text(encoding="utf-8")
    assert "<strong>Bold</strong> and &lt;script&gt;" in page
    assert "<td>0.123</td>" in page
    assert "<h3>A sub-heading</h3>" in page and 'src="data:image/png;base64,' in page
