"""StudyResult.save: files written, HTML self-contained, methods text faithful to the settings."""

import html
import io
import re
from html.parser import HTMLParser
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold

from radfuse.datasets import make_multimodal_table
from radfuse.persistence import load_model
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.report import default_comparisons, methods_text, summary_table, write_html_report
from radfuse.stats import idi
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


def _table_of(markup: str) -> pd.DataFrame:
    """An HTML table of the report as strings (pandas.read_html needs lxml, not a dependency)."""
    header = re.findall(r"<th>(.*?)</th>", markup.split("</thead>")[0])
    body = markup.split("<tbody>")[1]
    rows = [re.findall(r"<td>(.*?)</td>", row, flags=re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]
    return pd.DataFrame(rows, columns=header)


def test_save_writes_tables_figures_models_and_report(saved):
    directory, report = saved
    assert report == directory / "report.html"
    for name in ("metrics_test", "metrics_cv", "metrics_train", "feature_counts", "selected_features",
                 "comparisons", "summary_test", "summary_cv", "predictions", "predictions_test_wide",
                 "ranking", "hyperparameters"):
        assert (directory / "tables" / f"{name}.csv").stat().st_size > 0, name
    for stem in ("roc_radiomics", "calibration_deep", "decision_curve_radiomics", "confusion_deep",
                 "waterfall_radiomics", "lasso_radiomics", "lasso_path_radiomics", "lasso_coefficients_deep"):
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
    assert rows.loc["idi", "estimate"] == pytest.approx(idi(wide["y_true"], wide[a], wide[b]).estimate, abs=1e-12)


def test_methods_text_states_every_step_threshold_seed_and_version(result):
    text = methods_text(result)
    assert "SMOTE (k = 3 nearest neighbours" in text
    assert "z-scored" in text
    assert "|Spearman rho| > 0.85" in text
    assert "up to the 6 top-ranked features by minimum redundancy maximum relevance" in text
    assert "stratified 3-fold cross-validation" in text and "LASSO" in text
    assert "2 repeats of stratified 2-fold cross-validation" in text
    assert f"random seed {SEED}" in text
    assert "Logistic regression (lr)" in text and "Gaussian naive Bayes (nb)" in text
    assert "default hyper-parameters (no tuning), listed in the report's hyper-parameter table" in text
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
    assert ("of the 40 features measured by every reader, the 31 with an intraclass correlation coefficient "
            "(ICC(3,1): two-way mixed effects, consistency, single rater) above 0.9 were kept") in text
    assert "Apart from the outcome-free reliability filter described below, all feature selection" in text
    assert "All feature selection" not in text, "the design must not claim the ICC used the training set only"
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
    assert '<h3 id="section-3-1">A sub-heading</h3>' in page and '<a href="#section-3-1">' in page and 'src="data:image/png;base64,' in page


def test_report_opens_with_a_summary_of_the_model_chosen_by_cv_auc(result, saved):
    from radfuse.report import RANKING_RULE, ranking_table

    _, report = saved
    page = report.read_text(encoding="utf-8")
    ranking = ranking_table(result)
    cv = result.metrics("cv").query("metric == 'auc'")
    leader = cv.loc[cv["mean"].idxmax()]
    assert ranking.loc[0, "model"] == f"{leader.feature_set}/{leader.classifier}"
    assert ranking["cv_auc"].is_monotonic_decreasing
    headings = re.findall(r'<h2 id="section-(\d+)">([^<]+)</h2>', page)
    assert headings[0] == ("1", "Summary") and headings[1][1] == "Methods"
    assert html.escape(RANKING_RULE) in page
    assert f"<strong>Chosen model: {ranking.loc[0, 'model']}</strong>" in page
    summary = page[page.index('id="section-1"'):page.index('id="section-2"')]
    assert "Key comparisons" in summary and "DeLong" not in summary or "AUC difference" in summary
    assert "<nav" in page and all(f'href="#section-{n}"' in page for n, _ in headings)


def test_selection_tables_appear_once_per_feature_set(result, saved):
    _, report = saved
    page = report.read_text(encoding="utf-8")
    tables = [_table_of(markup) for markup in re.findall(r"<table.*?</table>", page, flags=re.S)]
    counts = next(t for t in tables if "fold_mean" in t.columns)
    raw = result.feature_counts()
    assert len(counts) == len(raw.drop_duplicates(["feature_set", "step"]))
    assert set(counts["classifier"]) == {"all (lr, nb)"}
    selected = next(t for t in tables if "coefficient" in t.columns)
    assert len(selected) == len(result.selected_features().drop_duplicates(["feature_set", "feature"]))


def test_every_figure_has_a_caption_and_its_own_alt_text(saved):
    directory, report = saved
    page = report.read_text(encoding="utf-8")
    figures = re.findall(r"<figure[^>]*>(.*?)</figure>", page, flags=re.S)
    captions = pd.read_csv(directory / "figures" / "captions.csv")
    assert len(figures) == len(captions) >= 14
    alts = [re.search(r'alt="([^"]*)"', figure).group(1) for figure in figures]
    assert len(set(alts)) == len(alts) and "figure" not in alts
    assert all("<figcaption>" in figure and len(re.search(r"<figcaption>(.*?)</figcaption>", figure).group(1)) > 40
               for figure in figures)


def test_pngs_are_written_at_the_requested_dpi_and_shown_at_printed_size(result, tmp_path):
    from PIL import Image

    from radfuse.report import render_png, study_figures

    item = study_figures(result)["roc_deep"]
    png = render_png(item.figure, dpi=300)
    image = Image.open(io.BytesIO(png))
    width_in = item.figure.get_size_inches()[0]
    assert image.info["dpi"][0] == pytest.approx(300, abs=0.5)
    assert 0.7 * width_in * 300 < image.width <= width_in * 300 + 30  # cropped to the artists
    directory = tmp_path / "study"
    report = result.save(directory, dpi=120, save_models=False)
    page = report.read_text(encoding="utf-8")
    roc = Image.open(directory / "figures" / "roc_deep.png")
    assert roc.info["dpi"][0] == pytest.approx(120, abs=0.5)
    shown = int(re.search(r'alt="ROC curves of the deep[^"]*" width="(\d+)"', page).group(1))
    assert shown == round(roc.width / 120 * 96), "figures are shown at their printed size"


def test_methods_text_follows_the_class_balance_and_the_kept_counts(result):
    """Each step writes its own sentence (describe_method) from the class counts and kept range the report passes."""
    from radfuse.pipeline import CheckedSMOTE
    from radfuse.report._methods import describe_step
    from radfuse.select import MRMRSelector

    step = CheckedSMOTE(k_neighbors=3)
    assert describe_step("smote", step, class_counts=(42, 42)) == (
        "Class balancing: SMOTE (k = 3 nearest neighbours, sampling strategy 'auto') was part of the pipeline, "
        "but the training set was balanced (42 positive, 42 negative cases), so it added no synthetic case to the "
        "final models and at most a few to the training parts of the cross-validation folds; validation and test "
        "cases were never resampled."
    )
    assert describe_step("smote", step, class_counts=(50, 20)) == (
        "Class balancing: the positive class of the training data (20 versus 50 cases) was oversampled with SMOTE "
        "(k = 3 nearest neighbours, sampling strategy 'auto') within each training part; validation and test "
        "cases were never resampled."
    )
    assert describe_step("mrmr", MRMRSelector(n_features=20), kept_range=(12, 19)) == (
        "Relevance and redundancy: up to the 20 top-ranked features by minimum redundancy maximum relevance "
        "(mRMR) were kept (fewer features reached this step in some fits, which kept 12-19)."
    )
    assert "up to the 6 top-ranked" in methods_text(result)


def test_a_step_that_does_not_describe_itself_gets_the_generic_sentence():
    from sklearn.preprocessing import StandardScaler

    from radfuse.report._methods import describe_step

    assert describe_step("zscore", StandardScaler(with_mean=False)) == (
        "Step 'zscore': StandardScaler with parameters {'copy': True, 'with_mean': False, 'with_std': True}."
    )


def test_the_report_imports_no_estimator_class():
    """Steps describe themselves; the report never names a step class (issue 13, section 2)."""
    import ast
    from pathlib import Path

    import radfuse.report

    for path in Path(radfuse.report.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                assert not module.lstrip(".").startswith(("select", "harmonize", "pipeline", "fusion", "imblearn")), (
                    path.name, module
                )
                assert not module.startswith(("sklearn.preprocessing", "radfuse.select")), (path.name, module)


def test_hyperparameter_table_lists_every_classifier_setting(result):
    from radfuse.report import hyperparameter_table

    table = hyperparameter_table(result)
    lr = table[table["component"] == "classifier lr"].set_index("parameter")["value"]
    model = result.models_[("radiomics", "lr")].steps[-1][1]
    assert lr.to_dict() == {k: str(v) for k, v in model.get_params().items() if v is not None}
    assert {"step smote", "step mrmr", "classifier nb"} <= set(table["component"])


def test_pvalues_print_below_one_in_a_thousand_as_such():
    from radfuse.report import format_pvalue

    assert [format_pvalue(p) for p in (0.5, 0.0012, 0.000999, 0.0, np.nan)] == ["0.500", "0.001", "<0.001", "<0.001", ""]


def test_methods_text_states_what_was_extracted_and_where_the_icc_ran(result):
    """Issues 12/17: the extracted classes with their counts, not the requested ones; ICC in the folds."""
    extraction = {
        "params": {"US": {"featureClass": {"firstorder": [], "shape": [], "glcm": []}}},
        "extracted": {"US": {"n_features": 42, "image_types": {"Original": 42},
                             "feature_classes": {"firstorder": 18, "glcm": 24}}},
        "reliability": {"n_cases": 30, "n_rated": 42, "n_kept": 35, "threshold": 0.9,
                        "icc_type": "ICC3", "n_unrated": 0, "unrated": "keep"},
    }
    text = methods_text(result, extraction_settings=extraction)
    assert "US: 42 features: firstorder (18), glcm (24) on the Original image(s)" in text
    sentence = text.split("Radiomic features were extracted")[1].split("). ")[0]
    assert "glcm (24)" in sentence and "shape" not in sentence
    assert "within each training fold" in text and "before the split" not in text


def test_a_figure_registered_once_is_built_saved_captioned_and_shown(tmp_path, monkeypatch):
    """Issue 13: adding a report figure is one REPORT_FIGURES entry (plus its plot function)."""
    from radfuse.report import _figures
    from radfuse.study import example_study_result

    def extra(context):
        figure = Figure()
        figure.add_subplot().plot([0, 1], [0, 1])
        return _figures.ReportFigure(figure, f"Extra figure of {context.feature_set}, a caption of some length.",
                                     f"Extra figure of {context.feature_set}.")

    monkeypatch.setitem(_figures.REPORT_FIGURES, "extra", extra)
    result = example_study_result()
    assert [stem for stem in _figures.study_figures(result) if stem.endswith("_US")][-1] == "extra_US"
    report = result.save(tmp_path / "study", save_models=False)
    assert (tmp_path / "study" / "figures" / "extra_MG.svg").stat().st_size > 1000
    page = report.read_text(encoding="utf-8")
    section = page[page.index(">Figures: US</h2>"):page.index(">Figures: MG</h2>")]
    # Every kind is shown, except those of the clinical models and the centre effects (neither here; each
    # shown in its own section).
    kinds = [kind for kind in _figures.REPORT_FIGURES
             if kind not in (*_figures.CLINICAL_FIGURES, *_figures.CENTRE_FIGURES)]
    assert section.count("<figure") == len(kinds) and 'alt="Extra figure of US."' in section


def test_every_protocol_step_states_its_sentence_under_one_documented_method():
    import inspect

    from radfuse._methods_text import MethodSentenceMixin
    from radfuse.pipeline import PROTOCOL_STEPS

    base_doc = inspect.getdoc(MethodSentenceMixin.describe_method)
    for name, step in PROTOCOL_STEPS.items():
        assert issubclass(step.estimator, MethodSentenceMixin), name
        assert step.estimator.describe_method is not MethodSentenceMixin.describe_method, name
        assert inspect.getdoc(step.estimator.describe_method) == base_doc, name
    with pytest.raises(NotImplementedError, match="Bare does not state a methods sentence"):
        type("Bare", (MethodSentenceMixin,), {})().describe_method()
